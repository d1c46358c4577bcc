"""What keeps registrations fast without bending a rule: notices written when they leave, one
drain job for the outbox, a reference drawn again when taken, and SQLite's writers queued on a
lock file (see bench/register_load.py for the figures)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from eventapp import mail
from eventapp.extensions import db
from eventapp.models import OutboxMessage, Participant
from eventapp.registration import service
from eventapp.sqlite_writers import QueuedWritersConnection
from tests.factories import open_meeting, participant
from tests.helpers import (
    REGISTRATIONS,
    counted,
    delivered_to,
    eml_files,
    mail_text,
    organiser_headers,
    outbox_rows,
    redis_or_skip,
)

REDIS_URL = "redis://127.0.0.1:6379/12"


def _register(client: FlaskClient, headers: dict[str, str], n: int, **fields: object) -> str:
    response = client.post(REGISTRATIONS, json=participant(n, **fields), headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    return str(response.get_json()["ref"])


# -- notices -------------------------------------------------------------------------------------


def test_a_notice_is_stored_as_what_it_says_and_written_when_it_leaves(
    app: Flask, monkeypatch
) -> None:
    meeting = open_meeting(approval="automatic")
    headers = organiser_headers(meeting)
    client = app.test_client()
    # Nothing leaves after the request here: the notice waits as the registration stored it.
    monkeypatch.setattr(mail, "deliver_due", lambda limit=50: mail.Delivery())
    ref = _register(client, headers, 1, language="fr")
    [row] = outbox_rows()
    assert row.message is None
    assert row.notice is not None and row.notice["kind"] == "registration"
    assert row.notice["status"] == "approved" and row.notice["opening"] == "registered"
    # Cancelled before the notice leaves: the notice still says what happened then.
    assert client.post(f"{REGISTRATIONS}/{ref}/cancel", headers=headers).status_code == 200
    assert mail.deliver_here().failed == 0  # theirs, and the promoted person's
    first, second = (mail_text(m) for m in delivered_to(app, "person1@example.org"))
    assert "Votre inscription est approuvée." in first
    assert "Votre inscription est annulée." in second
    assert outbox_rows() == []


def test_a_notice_whose_registration_is_gone_is_dropped(app: Flask, monkeypatch) -> None:
    meeting = open_meeting()
    headers = organiser_headers(meeting)
    monkeypatch.setattr(mail, "deliver_due", lambda limit=50: mail.Delivery())
    ref = _register(app.test_client(), headers, 2)
    db.session.execute(sa.delete(Participant).where(Participant.ref == ref))
    db.session.commit()
    assert mail.deliver_here() == mail.Delivery()
    assert outbox_rows() == [] and eml_files(app) == []


def test_a_notice_that_cannot_be_written_stays_and_is_retried(app: Flask, monkeypatch) -> None:
    meeting = open_meeting()
    headers = organiser_headers(meeting)
    monkeypatch.setattr(mail, "deliver_due", lambda limit=50: mail.Delivery())
    _register(app.test_client(), headers, 3)

    def broken(notice: dict[str, object]) -> None:
        raise RuntimeError("the writer failed")

    monkeypatch.setitem(mail._writers, "registration", broken)
    assert mail.deliver_here().failed == 1
    [row] = outbox_rows()
    assert row.message is None and row.attempts == 1
    assert "the writer failed" in (row.last_error or "")
    # The registration is kept whatever happens to its mail.
    assert db.session.scalar(sa.select(sa.func.count(Participant.id))) > 0


# -- the statements of a registration ------------------------------------------------------------


def test_an_api_registration_takes_few_statements_and_few_under_the_lock(
    app: Flask, monkeypatch
) -> None:
    """What the figures of bench/register_load.py rest on: each statement is a round trip to
    PostgreSQL, and those from the lock to the commit are what registrations queue for."""
    meeting = open_meeting(approval="automatic")
    headers = organiser_headers(meeting)
    client = app.test_client()
    monkeypatch.setattr(mail, "deliver_due", lambda limit=50: mail.Delivery())
    _register(client, headers, 30)  # the token's first use is saved (once in a while)
    with counted() as statements:
        _register(client, headers, 31)
    said = [" ".join(s.split()).upper() for s in statements]
    # The token, its account and the URL's meeting in one query.
    [first, *rest] = said
    assert "FROM API_TOKENS" in first and "MEETINGS" in first
    assert not any("FROM API_TOKENS" in s or "MEETINGS.SLUG =" in s for s in rest)
    lock = next(n for n, s in enumerate(said) if s.startswith("UPDATE MEETINGS SET ID="))
    before, after = said[:lock], said[lock + 1 :]
    assert len(before) <= 3, before  # token, roles and meeting; the checks; the account
    # Under the lock: the limits, the registration, its audit entries, the public's count of
    # changes (approved), the notice.
    assert len(after) <= 5, after
    assert sum(s.startswith("INSERT INTO AUDIT_LOG") for s in after) == 1


# -- the registration's reference ------------------------------------------------------------------


def test_a_reference_already_taken_is_drawn_again(app: Flask, monkeypatch) -> None:
    meeting = open_meeting()
    headers = organiser_headers(meeting)
    client = app.test_client()
    taken = _register(client, headers, 4)
    draws = iter([taken, taken, "reg-0000beef"])
    monkeypatch.setattr(service, "_new_ref", lambda: next(draws))
    assert _register(client, headers, 5) == "reg-0000beef"


# -- one drain job for the outbox ----------------------------------------------------------------


def test_with_redis_many_registrations_queue_one_drain_of_the_outbox(
    app: Flask, monkeypatch
) -> None:
    from rq import Queue, SimpleWorker

    connection = redis_or_skip(REDIS_URL)
    connection.flushdb()
    meeting = open_meeting(approval="automatic")
    headers = organiser_headers(meeting)
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    client = app.test_client()
    for n in range(10, 15):
        _register(client, headers, n)
    queue = Queue("mail", connection=connection)
    assert queue.count == 1 and len(outbox_rows()) == 5
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.delenv("MAIL_URL", raising=False)
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    SimpleWorker([queue], connection=connection).work(burst=True)
    assert outbox_rows() == []
    # The drain cleared its flag: the next registration queues the next drain.
    _register(client, headers, 15)
    assert queue.count == 1
    connection.flushdb()


@pytest.fixture
def mail_queue(app: Flask, monkeypatch) -> Iterator[tuple[Any, Any]]:
    """A scratch Redis database as the application's queue, and its queue of mail jobs; this
    process remembers nothing of earlier drains."""
    from rq import Queue

    connection = redis_or_skip(REDIS_URL)
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    monkeypatch.setattr(mail, "_promised", {})
    yield connection, Queue("mail", connection=connection)
    connection.flushdb()


@pytest.mark.parametrize("flag", ["queued", "promise"])
def test_a_drain_to_come_or_its_promise_spares_the_next_requests_their_call_to_redis(
    app: Flask, mail_queue: tuple[Any, Any], flag: str
) -> None:
    connection, queue = mail_queue
    # A drain waits in the queue, or has started and promised to scan again in a minute.
    connection.set(mail.DRAIN_QUEUED, "queued" if flag == "queued" else repr(time.time() + 60))
    with app.test_request_context():
        before = time.time()
        assert mail.hand_on([]) == mail.Delivery(queued=1)
        # The next requests ask Redis nothing: with the flag gone they would queue a drain.
        connection.delete(mail.DRAIN_QUEUED)
        assert mail.hand_on([]) == mail.Delivery(queued=1)
        assert queue.count == 0 and connection.get(mail.DRAIN_QUEUED) is None
    [until] = mail._promised.values()
    assert until >= before + (mail.DRAIN_LEASE if flag == "queued" else 59)


@pytest.mark.parametrize("flag", ["none", "passing promise"])
def test_without_a_drain_to_rely_on_a_request_queues_one(
    app: Flask, mail_queue: tuple[Any, Any], flag: str
) -> None:
    connection, queue = mail_queue
    if flag == "passing promise":  # within the clocks' margin: the drain may be done already
        connection.set(mail.DRAIN_QUEUED, repr(time.time() + mail.CLOCK_MARGIN / 2))
    with app.test_request_context():
        mail.hand_on([])
    assert queue.count == 1
    assert connection.get(mail.DRAIN_QUEUED) == b"queued"


@pytest.mark.parametrize("renewing", [True, False])
def test_a_drain_keeps_its_promise_and_renews_it_while_messages_arrive(
    app: Flask, monkeypatch, renewing: bool
) -> None:
    connection = redis_or_skip(REDIS_URL)
    if not renewing:  # it has renewed its promise for as long as it may
        monkeypatch.setattr(mail, "DRAIN_RENEWED_FOR", 0.0)
    monkeypatch.setattr(mail, "DRAIN_LEASE", 0.3)
    monkeypatch.setattr(mail, "DRAIN_POLL", 0.02)
    scans = []
    real_scan = mail.deliver_here

    def scan_while_people_register(limit: int | None = 50) -> mail.Delivery:
        scans.append(time.time())
        done = real_scan(limit)
        if len(scans) <= 3:  # a request commits a message while each of the first scans runs
            mail.send(mail.compose(f"burst{len(scans)}@example.org", "Burst", "Arrived."))
            db.session.commit()
        return done

    monkeypatch.setattr(mail, "deliver_here", scan_while_people_register)
    mail.send(mail.compose("first@example.org", "First", "Waiting."))
    db.session.commit()
    first_promise = time.time() + mail.DRAIN_LEASE
    done = mail._drain(connection, first_promise)
    assert done.sent == 4 and outbox_rows() == []
    flag = connection.get(mail.DRAIN_QUEUED)
    if renewing:
        promise = float(flag)
        assert promise > first_promise
    else:
        assert flag is None and (promise := first_promise)
    # It stopped only after a scan begun at its promised time or later (which found nothing).
    assert scans[-1] >= promise
    connection.flushdb()


# -- SQLite's writers ----------------------------------------------------------------------------


def _sqlite_file(app: Flask) -> Path:
    url = sa.engine.make_url(app.config["SQLALCHEMY_DATABASE_URI"])
    if url.get_backend_name() != "sqlite" or not url.database:
        pytest.skip("SQLite only")
    return Path(url.database)


def test_sqlite_connections_queue_their_writers_and_keep_their_pragmas(app: Flask) -> None:
    path = _sqlite_file(app)
    with db.engine.connect() as conn:
        dbapi = conn.connection.dbapi_connection
        assert isinstance(dbapi, QueuedWritersConnection)
        # The subclass still gets the connection's settings (foreign keys, WAL, functions).
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert Path(f"{path}-writers").exists()


def test_a_second_writer_waits_for_the_first_to_commit(app: Flask) -> None:
    path = _sqlite_file(app)
    first = QueuedWritersConnection(str(path), timeout=30)
    second = QueuedWritersConnection(str(path), timeout=30)
    try:
        first.hold_writers_lock()
        first.execute("UPDATE outbox SET attempts = attempts WHERE 0")
        entered = threading.Event()
        done = threading.Event()

        def write() -> None:
            entered.set()
            second.hold_writers_lock()
            done.set()
            second.release_writers_lock()

        thread = threading.Thread(target=write)
        thread.start()
        entered.wait()
        assert not done.wait(0.2)  # still queued behind the first writer
        first.commit()  # lets it in
        thread.join()
        assert done.is_set()
    finally:
        first.close()
        second.close()


def test_a_writer_that_gives_up_leaves_the_lock_free(app: Flask) -> None:
    path = _sqlite_file(app)
    connection = QueuedWritersConnection(str(path), timeout=30)
    other = QueuedWritersConnection(str(path), timeout=0)
    try:
        connection.execute("BEGIN")
        connection.hold_writers_lock()
        connection.rollback()
        other.hold_writers_lock()  # free again: taken at once
        assert other._holding
        other.rollback()
        assert not other._holding
    finally:
        connection.close()
        other.close()


def test_autocommit_writes_do_not_keep_the_lock(app: Flask) -> None:
    _sqlite_file(app)
    with db.engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        conn.execute(sa.update(OutboxMessage).where(sa.false()).values(attempts=0))
        dbapi = conn.connection.dbapi_connection
        assert isinstance(dbapi, QueuedWritersConnection) and not dbapi._holding
