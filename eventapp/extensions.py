"""Extensions, created unbound and attached to the app in create_app()."""

from __future__ import annotations

import logging
import select
import sqlite3
import time
from typing import TYPE_CHECKING, Any

from flask_babel import Babel
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names keep migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Database(SQLAlchemy):
    """Flask-SQLAlchemy whose end of request never raises.

    Closing a session whose connection the database dropped raises; raised in the teardown,
    it would reach the WSGI server, which answers with its own bare 500 page.
    """

    def _teardown_session(self, exc: BaseException | None) -> None:
        try:
            self.session.remove()
        except Exception:
            logging.getLogger(__name__).warning("session not closed cleanly", exc_info=True)
            self.session.registry.clear()  # the broken session is not reused


db = Database(model_class=Base)
# The models' base class. The type checker cannot follow db.Model, a class made at run time
# from Base; it is Base with Flask-SQLAlchemy's conveniences, so it is typed as Base.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate(render_as_batch=True, compare_type=True)
csrf = CSRFProtect()
babel = Babel()
login_manager = LoginManager()
# Storage from RATELIMIT_STORAGE_URI: the database (eventapp.attempts); every worker counts alike.
limiter = Limiter(key_func=get_remote_address, default_limits=[])


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # SQLite enforces foreign keys only when asked; WAL lets readers and a writer share the file.
    # How long a writer waits for the lock is the connection's timeout (SQLITE_BUSY_TIMEOUT).
    if isinstance(dbapi_connection, sqlite3.Connection):  # sqlite_writers' subclass too
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


# A connection the pool hands out is pinged first (a round trip) only when it may be dead:
# when it has been idle for more than PING_AFTER_IDLE seconds, or when the server has written
# to it while it was idle (a backend that is terminated, by a restart say, says so and closes
# the socket; an idle healthy connection has nothing to read). SQLAlchemy's pool_pre_ping
# pings at every checkout: a round trip per request (one in fifteen of a registration's),
# while the pool is busiest and the answer surest. A connection lost while in use fails its
# request either way (503), and the pool then replaces every connection it holds.
PING_AFTER_IDLE = 1.0  # seconds


def has_word_waiting(dbapi_connection: Any) -> bool:
    """Whether the server wrote to the connection (or closed it) while it was idle."""
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError, AttributeError):
        return True  # no socket to look at: ask the server
    return bool(readable)


def ping_idle_connections(engine: Engine) -> None:
    """Ping, at checkout, the connections of `engine` that may have died (see above)."""
    if engine.dialect.name == "sqlite":
        return  # no server to lose: the file is there or the request fails anyway

    @event.listens_for(engine, "checkin")
    def _returned(dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_in_doubt(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        returned = record.info.get("returned_at")
        recently = returned is not None and time.monotonic() - returned < PING_AFTER_IDLE
        if recently and not has_word_waiting(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool drops this connection and checks out another (a new one if need be).
            raise DisconnectionError(f"a pooled connection did not answer: {exc}") from exc
