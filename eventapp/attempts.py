"""Rate-limit counts kept in the database, so that every worker sees every attempt.

A storage backend for `limits` (and so Flask-Limiter), registered as `eventapp+db://`: each
counted attempt is a row of `attempts` (key, time). The counts are written on a connection of
their own and committed at once, so an attempt counts even when its request rolls back.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import cast

import sqlalchemy as sa
from flask import has_app_context
from limits.storage import MovingWindowSupport, Storage
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db
from .models.outbox import Attempt
from .models.types import utcnow

SCHEME = "eventapp+db"
_table = cast(sa.Table, Attempt.__table__)


@contextmanager
def _transaction() -> Iterator[sa.Connection]:
    with db.engine.begin() as conn:
        yield conn


class DatabaseStorage(Storage, MovingWindowSupport):
    """Attempts as rows; the moving window counts the rows younger than the window."""

    STORAGE_SCHEME = [SCHEME]  # noqa: RUF012  (as limits declares it)

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: object):
        super().__init__(uri, wrap_exceptions=wrap_exceptions)

    @property
    def base_exceptions(self) -> type[Exception]:
        return SQLAlchemyError

    def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        if amount > limit:
            return False
        now = utcnow()
        with _transaction() as conn:
            # Old attempts go as new ones come: the table stays as small as the windows.
            conn.execute(sa.delete(_table).where(_table.c.expires_at < now))
            counted = conn.scalar(
                sa.select(sa.func.count())
                .select_from(_table)
                .where(_table.c.key == key, _table.c.at > now - timedelta(seconds=expiry))
            )
            if (counted or 0) + amount > limit:
                return False
            row = {"key": key, "at": now, "expires_at": now + timedelta(seconds=expiry)}
            conn.execute(sa.insert(_table), [row] * amount)
        return True

    def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        now = utcnow()
        with _transaction() as conn:
            oldest, counted = conn.execute(
                sa.select(sa.func.min(_table.c.at), sa.func.count()).where(
                    _table.c.key == key, _table.c.at > now - timedelta(seconds=expiry)
                )
            ).one()
        return (oldest or now).timestamp(), int(counted or 0)

    # The fixed-window interface, for a limit configured with that strategy.

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        now = utcnow()
        with _transaction() as conn:
            ends = conn.scalar(
                sa.select(sa.func.min(_table.c.expires_at)).where(
                    _table.c.key == key, _table.c.expires_at > now
                )
            )
            row = {"key": key, "at": now, "expires_at": ends or now + timedelta(seconds=expiry)}
            conn.execute(sa.insert(_table), [row] * amount)
        return self.get(key)

    def get(self, key: str) -> int:
        with _transaction() as conn:
            counted = conn.scalar(
                sa.select(sa.func.count())
                .select_from(_table)
                .where(_table.c.key == key, _table.c.expires_at > utcnow())
            )
        return int(counted or 0)

    def get_expiry(self, key: str) -> float:
        now = utcnow()
        with _transaction() as conn:
            ends = conn.scalar(
                sa.select(sa.func.min(_table.c.expires_at)).where(
                    _table.c.key == key, _table.c.expires_at > now
                )
            )
        return (ends or now).timestamp()

    def check(self) -> bool:
        try:
            with _transaction() as conn:
                conn.execute(sa.select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:
        if not has_app_context():
            return None
        with _transaction() as conn:
            return conn.execute(sa.delete(_table)).rowcount

    def clear(self, key: str) -> None:
        with _transaction() as conn:
            conn.execute(sa.delete(_table).where(_table.c.key == key))
