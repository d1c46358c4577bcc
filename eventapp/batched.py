"""Writes that leave for PostgreSQL with the COMMIT, in one round trip.

A registration holds its meeting's lock from the lock to the COMMIT, and on PostgreSQL every
statement in between is a round trip: two processes scheduled in turn, which on a small
machine costs more than the statement itself. The writes whose results the request never
reads (the new registration's row, its audit entries, its notice, the meeting's content
version) wait in the session and leave together with the COMMIT in psycopg's pipeline mode:
sent at once, one wait for all of them. A write that fails fails the commit, as a key does
for any write (the caller sees SQLAlchemy's IntegrityError, say, and the request is rolled
back).

SQLAlchemy has no pipeline of its own, so the COMMIT is sent in the pipeline too; the one
SQLAlchemy sends next then finds the connection idle, and psycopg skips it. That is only done
where the session began the transaction itself (bound to an engine, not inside a savepoint);
otherwise the writes are sent, pipelined, without the COMMIT.

Elsewhere (SQLite) a write is made at once: a round trip there is a function call.
"""

from __future__ import annotations

from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from .extensions import db

_QUEUED = "writes_with_commit"


def batches(session: OrmSession | None = None) -> bool:
    """Whether writes wait for the commit in `session` (the request's by default)."""
    bind = (session or db.session).get_bind()
    return bind.dialect.driver == "psycopg"


def write_with_commit(statement: sa.Executable, params: Any = None) -> None:
    """Write now, or on PostgreSQL with the COMMIT: only for rows the request does not read
    back, since a query before the commit would not find them. In program order with the
    unit of work's changes: those made before are flushed first, and a flush sends the writes
    waiting before its own."""
    session = db.session()
    if not batches(session):
        session.execute(statement, params)
        return
    session.flush()
    session.info.setdefault(_QUEUED, []).append((statement, params))


def _send(session: OrmSession, *, commit: bool) -> None:
    queued = session.info.pop(_QUEUED, None)
    if not queued:
        return
    connection = session.connection()
    driver = connection.connection.driver_connection
    assert isinstance(driver, psycopg.Connection)
    try:
        with driver.pipeline():
            for statement, params in queued:
                connection.execute(statement, params)
            if commit:
                connection.exec_driver_sql("COMMIT")
    except psycopg.Error as exc:
        # Raised when the pipeline is read back, outside SQLAlchemy's own handling: wrapped
        # as it would have wrapped it (IntegrityError for a key, and so on).
        raise sa.exc.DBAPIError.instance(
            "(writes sent with the commit)", None, exc, psycopg.Error
        ) from exc


@event.listens_for(OrmSession, "before_flush")
def _send_before_flush(session: OrmSession, flush_context: Any, instances: Any) -> None:
    _send(session, commit=False)


@event.listens_for(OrmSession, "before_commit")
def _send_with_commit(session: OrmSession) -> None:
    if session.info.get(_QUEUED) is None:
        return
    session.flush()  # the unit of work's changes, if any, with the writes before them
    # Only a transaction the session began itself is committed here (see above).
    owned = isinstance(session.get_bind(), sa.Engine) and not session.in_nested_transaction()
    _send(session, commit=owned)


@event.listens_for(OrmSession, "after_soft_rollback")
def _forget(session: OrmSession, previous_transaction: Any) -> None:
    session.info.pop(_QUEUED, None)
