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
from eventapp.models import AuditEntry, OutboxMessage, Participant, RegistrationStatus, User
from eventapp.registration import service
from eventapp.sqlite_writers import QueuedWritersConnection
from tests.factories import make_account, open_meeting, participant
from tests.helpers import (
    REGISTRATIONS,
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


def _round_trips(statements: list[tuple[str, bool]]) -> list[list[str]]:
    """The statements as they went to the database: one list per round trip, the statements
    sent in one PostgreSQL pipeline (eventapp/batched.py) together."""
    trips: list[list[str]] = []
    for n, (statement, pipelined) in enumerate(statements):
        if pipelined and n and statements[n - 1][1]:
            trips[-1].append(statement)
        else:
            trips.append([statement])
    return trips


def test_an_api_registration_takes_few_round_trips_and_few_under_the_lock(
    app: Flask, monkeypatch
) -> None:
    """What the figures of bench/register_load.py rest on: each round trip to PostgreSQL costs
    more than its statement, and those from the lock to the commit are what registrations
    queue for."""
    meeting = open_meeting(approval="automatic", quotas={})  # approved: the public counts
    headers = organiser_headers(meeting)
    client = app.test_client()
    monkeypatch.setattr(mail, "deliver_due", lambda limit=50: mail.Delivery())
    _register(client, headers, 30)  # the token's first use is saved (once in a while)
    statements: list[tuple[str, bool]] = []

    def note(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        pgconn = getattr(conn.connection.driver_connection, "pgconn", None)
        pipelined = pgconn is not None and pgconn.pipeline_status != 0
        statements.append((" ".join(statement.split()).upper(), pipelined))

    sa.event.listen(db.engine, "before_cursor_execute", note)
    try:
        _register(client, headers, 31)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", note)
    trips = _round_trips(statements)
    person = db.session.scalars(sa.select(Participant).order_by(Participant.id.desc())).first()
    assert person is not None and person.email == participant(31)["email"]
    assert person.status is RegistrationStatus.APPROVED
    # The token, its account and the URL's meeting in one query.
    [[first], *rest] = trips
    assert "FROM API_TOKENS" in first and "MEETINGS" in first
    said = [s for trip in rest for s in trip]
    assert not any("FROM API_TOKENS" in s or "MEETINGS.SLUG =" in s for s in said)
    # The meeting's lock: a row lock on PostgreSQL, a write (SQLite's lock) on SQLite.
    lock = next(
        n
        for n, [s, *_] in enumerate(trips)
        if s.startswith("UPDATE MEETINGS SET ID=") or s.endswith("FOR NO KEY UPDATE")
    )
    before, after = trips[1:lock], trips[lock + 1 :]
    assert len(before) <= 2, before  # the checks; the account
    assert sum(s.startswith("INSERT INTO AUDIT_LOG") for trip in after for s in trip) == 1
    assert any(s.startswith("INSERT INTO OUTBOX") for trip in after for s in trip)
    if db.engine.dialect.name == "postgresql":
        # Under the lock: the limits (with the new registration's id), then the registration,
        # its audit entries, the public's count of changes, the notice and the COMMIT, sent
        # together.
        limits, [*writes, commit] = after
        assert len(limits) == 1 and "NEXTVAL" in limits[0]
        written = [
            w.removeprefix("INSERT INTO ").removeprefix("UPDATE ").split()[0] for w in writes
        ]
        # The account with its audit entry (one statement: the entry only if it was made).
        assert written == ["WITH", "PARTICIPANTS", "AUDIT_LOG", "MEETINGS", "OUTBOX"]
        assert "INSERT INTO USERS" in writes[0] and "ON CONFLICT" in writes[0]
        assert len(before) == 1, before  # the checks: the account waits for the commit
        assert commit == "COMMIT"
    else:
        # A round trip is a function call: the limits, the registration, its audit entries,
        # the public's count of changes (approved), the notice.
        assert len(after) <= 5, after

    assert len(outbox_rows()) == 2


def test_a_registration_makes_the_account_once_and_logs_it_only_when_made(
    app: Flask, client: FlaskClient, monkeypatch
) -> None:
    """The account is made with the registration (on PostgreSQL in the statement that logs
    it, sent with the COMMIT): logged when made, not when the address has one already."""
    meeting = open_meeting(approval="automatic", quotas={})
    headers = organiser_headers(meeting)
    monkeypatch.setattr(mail, "deliver_due", lambda limit=50: mail.Delivery())
    make_account("person51@example.org")

    def made() -> list[str]:
        db.session.expire_all()
        return list(
            db.session.scalars(
                sa.select(AuditEntry.target).where(AuditEntry.action == "account.created")
            )
        )

    before = made()
    _register(client, headers, 50)
    _register(client, headers, 51)
    assert sorted(made()) == sorted([*before, "person50@example.org"])
    accounts = db.session.scalars(
        sa.select(User.email).where(
            User.email.in_(["person50@example.org", "person51@example.org"])
        )
    ).all()
    assert sorted(accounts) == ["person50@example.org", "person51@example.org"]
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.target == "person50@example.org")
    ).one()
    assert entry.details == {"role": "participant"} and entry.at is not None
    created = db.session.scalar(sa.select(User).where(User.email == "person50@example.org"))
    assert created is not None and created.active and created.password_hash is None


def test_a_failed_write_sent_with_the_commit_fails_the_request_and_keeps_nothing(
    app: Flask, client: FlaskClient, monkeypatch
) -> None:
    """A write that waited for the commit and fails there (a key) rolls the whole request back
    as any other write would: no registration half kept, an answer rather than a 500."""
    meeting = open_meeting(approval="automatic")
    headers = organiser_headers(meeting)
    monkeypatch.setattr(mail, "deliver_due", lambda limit=50: mail.Delivery())
    _register(client, headers, 40)
    taken = db.session.scalar(sa.select(sa.func.max(Participant.id)))
    # The next id drawn is one that exists: the registration's row then fails its key only
    # when it is written, at the commit (on SQLite, at once).
    if db.engine.dialect.name == "postgresql":
        db.session.execute(
            sa.text("SELECT setval(pg_get_serial_sequence('participants', 'id'), :n, false)"),
            {"n": taken},
        )
    insert = service._INSERT_PARTICIPANT_RETURNING_ID
    if db.engine.dialect.name != "postgresql":
        monkeypatch.setattr(service, "_INSERT_PARTICIPANT_RETURNING_ID", insert.values(id=taken))
    db.session.commit()
    before = (db.session.scalar(sa.select(sa.func.count(Participant.id))), len(outbox_rows()))
    response = client.post(REGISTRATIONS, json=participant(41), headers=headers)
    assert response.status_code == 409, response.get_data(as_text=True)
    assert "error" in response.get_json()
    db.session.expire_all()
    after = (db.session.scalar(sa.select(sa.func.count(Participant.id))), len(outbox_rows()))
    assert after == before
    # and the next one goes through
    monkeypatch.setattr(service, "_INSERT_PARTICIPANT_RETURNING_ID", insert)
    assert _register(client, headers, 42)


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
