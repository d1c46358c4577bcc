"""A lost or locked database is 503 with Retry-After, never 500, and the teardown never raises.

On PostgreSQL the application's own backend is terminated by a second connection, at a chosen
moment of a real request; on SQLite another connection holds the write lock.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import Flask

from eventapp.extensions import db, has_word_waiting
from eventapp.models import Participant
from tests.factories import DEMO_SLUG, make_account, open_meeting, participant
from tests.helpers import REGISTER, REGISTRATIONS, another_app, bearer, registration_form

ON_POSTGRES = os.environ.get("TEST_DATABASE_URL", "").startswith("postgresql")
postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="terminates PostgreSQL backends")
sqlite_only = pytest.mark.skipif(ON_POSTGRES, reason="holds SQLite's write lock")


# -- PostgreSQL: the backend goes away -------------------------------------------------------


class Terminator:
    """Terminates the backend of the next statement's connection, from another connection."""

    def __init__(self, app: Flask) -> None:
        self.url = app.config["SQLALCHEMY_DATABASE_URI"]
        self.armed = False
        self.killed: list[int] = []

    def __call__(self, conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if not self.armed:
            return
        self.armed = False
        pid = conn.connection.dbapi_connection.info.backend_pid
        self.kill(pid)

    def kill(self, pid: int) -> None:
        engine = sa.create_engine(self.url, poolclass=sa.pool.NullPool)
        with engine.begin() as other:
            # Waits (up to 5 s) until the backend is gone, as after a restart of the server.
            killed = sa.text("SELECT pg_terminate_backend(:pid, 5000)")
            assert other.scalar(killed, {"pid": pid})
        engine.dispose()
        self.killed.append(pid)


@pytest.fixture
def terminator(app: Flask) -> Iterator[Terminator]:
    killer = Terminator(app)
    sa.event.listen(db.engine, "before_cursor_execute", killer)
    try:
        yield killer
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", killer)


def assert_unavailable(response, json: bool, words: str = "briefly unavailable") -> None:  # type: ignore[no-untyped-def]
    assert response.status_code == 503, response.get_data(as_text=True)[:500]
    assert int(response.headers["Retry-After"]) > 0
    if json:
        assert response.get_json()["error"]["code"] == "unavailable"
    else:
        assert response.mimetype == "text/html"
        assert words in response.get_data(as_text=True)


@postgres_only
def test_backend_killed_mid_request_is_503_for_the_api(client, demo_meeting, terminator):
    make_account("org@example.org", "organiser", meeting=demo_meeting)
    headers = bearer("org@example.org")
    api = f"/api/v1/meetings/{DEMO_SLUG}/registrations"
    assert client.get(api, headers=headers).status_code == 200
    terminator.armed = True
    assert_unavailable(client.get(api, headers=headers), json=True)
    assert terminator.killed
    # The pool notices the lost connection: the next request is served again.
    assert client.get(api, headers=headers).status_code == 200


@postgres_only
def test_backend_killed_mid_request_is_503_for_a_page(client, demo_meeting, terminator):
    page = f"/meetings/{DEMO_SLUG}/"
    assert client.get(page).status_code == 200
    terminator.armed = True
    french = client.get(page, headers={"Accept-Language": "fr"})
    assert_unavailable(french, json=False, words="momentanément indisponible")
    assert client.get(page).status_code == 200


@postgres_only
def test_backend_killed_while_registering_is_503_and_nothing_half_done(client, terminator):
    headers = _organiser_of_open_meeting()
    terminator.armed = False
    # Let the request read the meeting first, then lose the backend while writing.
    statements = {"n": 0}

    def arm_on_insert(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements["n"] += 1
        if statement.lstrip().upper().startswith("INSERT INTO PARTICIPANTS"):
            terminator.kill(conn.connection.dbapi_connection.info.backend_pid)

    sa.event.listen(db.engine, "before_cursor_execute", arm_on_insert)
    try:
        assert_unavailable(
            client.post(REGISTRATIONS, json=participant(1), headers=headers), json=True
        )
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", arm_on_insert)
    stored = sa.select(sa.func.count(Participant.id)).where(
        Participant.email == "person1@example.org"
    )
    assert db.session.scalar(stored) == 0
    # Nothing was stored, so the client's retry is a plain success, not a 409.
    assert client.post(REGISTRATIONS, json=participant(1), headers=headers).status_code == 201


def _organiser_of_open_meeting() -> dict[str, str]:
    meeting = open_meeting(capacity=30)
    make_account("org@example.org", "organiser", meeting=meeting)
    return bearer("org@example.org")


@postgres_only
def test_backend_killed_before_the_teardown_never_raises(app, demo_meeting):
    with another_app(app) as other:
        killer = Terminator(other)

        @other.after_request
        def lose_the_backend(response):  # type: ignore[no-untyped-def]
            # The view is done and its transaction still open: the teardown must roll back a
            # connection the database has dropped.
            killer.kill(db.session.connection().connection.dbapi_connection.info.backend_pid)
            return response

        response = other.test_client().get(f"/meetings/{DEMO_SLUG}/")
        assert response.status_code == 200
        assert killer.killed
        other.after_request_funcs[None].remove(lose_the_backend)
        assert other.test_client().get(f"/meetings/{DEMO_SLUG}/").status_code == 200


@postgres_only
def test_a_pooled_connection_whose_backend_went_away_is_told_from_a_healthy_one(app):
    """What lets the pool skip the ping of a connection returned a moment ago (extensions.py):
    a healthy idle connection has nothing to read; one whose backend was terminated has."""
    engine = sa.create_engine(app.config["SQLALCHEMY_DATABASE_URI"], poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            conn.commit()
            raw = conn.connection.dbapi_connection
            assert not has_word_waiting(raw)
            Terminator(app).kill(raw.info.backend_pid)
            assert has_word_waiting(raw)
    except sa.exc.OperationalError:
        pass  # the connection's own end, on a socket the server closed
    finally:
        engine.dispose()


# -- SQLite: another writer holds the lock ---------------------------------------------------


@pytest.fixture
def impatient(app: Flask) -> Iterator[Flask]:
    """An application that waits a fifth of a second for a lock another connection holds."""
    with another_app(app, SQLITE_BUSY_TIMEOUT=0.2) as other:
        yield other


@contextmanager
def write_lock_held(app: Flask) -> Iterator[None]:
    holder = sqlite3.connect(
        app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///"), isolation_level=None
    )
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@sqlite_only
def test_a_held_sqlite_lock_is_503_and_writes_nothing(app, impatient):
    headers = _organiser_of_open_meeting()
    db.session.commit()
    client = impatient.test_client()
    data = registration_form(client)
    with write_lock_held(app):
        assert_unavailable(
            client.post(REGISTRATIONS, json=participant(1), headers=headers), json=True
        )
        assert_unavailable(client.post(REGISTER, data=data), json=False)
    registered = sa.select(sa.func.count(Participant.id)).where(
        Participant.email.in_(["person1@example.org", "malee@example.org"])
    )
    assert db.session.scalar(registered) == 0
    # The lock is gone: the same registration is now stored.
    assert client.post(REGISTRATIONS, json=participant(1), headers=headers).status_code == 201
