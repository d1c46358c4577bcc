"""SQLite writers queue on a lock file beside the database, and each is let in as soon as the
one before it commits.

SQLite lets one transaction write at a time. A writer that finds the database locked waits in
SQLite's busy handler, which sleeps 1, 2, 5, 10, 25, then up to 100 ms between tries, whether or
not the lock was freed meanwhile: under a steady load of short writes (registrations), the
workers spend most of their time asleep while the database is free. So every connection takes
an exclusive lock on `<database>-writers` before its first write of a transaction (the moment
SQLite takes its own write lock) and gives it up when the transaction ends. The waiting is
SQLite's as before (the same transactions wait, for as long as SQLITE_BUSY_TIMEOUT allows); only
the wake-up is prompt. Readers take nothing: WAL lets them read while one writes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

# Statements that make SQLite take its write lock (pysqlite begins a transaction before them).
_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "CREATE", "DROP", "ALTER")
# How often a waiting writer looks again: soon at first, then every millisecond.
_PAUSES = (0.0001, 0.0002, 0.0005, 0.001)


class QueuedWritersConnection(sqlite3.Connection):
    """A pysqlite connection that holds the writers' lock from its first write to its commit or
    rollback (see the module's docstring). Given to sqlite3.connect as its `factory`."""

    def __init__(self, database: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(database, *args, **kwargs)
        self._timeout = float(kwargs.get("timeout", args[0] if args else 5.0))
        self._lock_fd: int | None = None
        self._holding = False
        name = os.fspath(database) if not isinstance(database, int) else ""
        if name and name != ":memory:" and not name.startswith("file:"):
            with contextlib.suppress(OSError):  # a read-only folder: SQLite's own waiting
                self._lock_fd = os.open(f"{name}-writers", os.O_RDWR | os.O_CREAT, 0o644)

    def hold_writers_lock(self) -> None:
        """Take the writers' lock (once per transaction); past the busy timeout, go on and let
        SQLite refuse as it would have."""
        if self._holding or self._lock_fd is None:
            return
        deadline = time.monotonic() + self._timeout
        pauses = iter(_PAUSES)
        while True:
            try:
                fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    return
                time.sleep(next(pauses, _PAUSES[-1]))
                continue
            self._holding = True
            return

    def release_writers_lock(self) -> None:
        if self._holding and self._lock_fd is not None:
            self._holding = False
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self.release_writers_lock()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self.release_writers_lock()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.release_writers_lock()
            if self._lock_fd is not None:
                os.close(self._lock_fd)
                self._lock_fd = None


def _dbapi(conn: Connection) -> QueuedWritersConnection | None:
    found = conn.connection.dbapi_connection
    return found if isinstance(found, QueuedWritersConnection) else None


@event.listens_for(Engine, "before_cursor_execute")
def _before_write(conn: Connection, cursor: Any, statement: str, *args: Any) -> None:
    dbapi = _dbapi(conn)
    if dbapi is not None and statement.lstrip()[:7].upper().startswith(_WRITES):
        dbapi.hold_writers_lock()


@event.listens_for(Engine, "after_cursor_execute")
def _after_write(conn: Connection, cursor: Any, *args: Any) -> None:
    dbapi = _dbapi(conn)
    # A write outside a transaction (autocommit) is over as soon as it has run.
    if dbapi is not None and not dbapi.in_transaction:
        dbapi.release_writers_lock()


@event.listens_for(Engine, "handle_error")
def _after_failed_write(context: Any) -> None:
    conn = context.connection
    dbapi = _dbapi(conn) if conn is not None and not conn.closed else None
    if dbapi is not None and not dbapi.in_transaction:
        dbapi.release_writers_lock()
