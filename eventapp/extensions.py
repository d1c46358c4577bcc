"""Extensions, created unbound and attached to the app in create_app()."""

from __future__ import annotations

import logging
import sqlite3
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
