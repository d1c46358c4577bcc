"""Fixtures: an app on a real database (SQLite file, or PostgreSQL with TEST_DATABASE_URL).

The schema is built once per run by the migrations themselves; after every test each table
is emptied, so tests see committed data exactly as the application does.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")

from eventapp import create_app
from eventapp.extensions import db

# Test modules take these from tests.factories and tests.helpers; they stay importable here too.
from tests.factories import (  # noqa: F401
    DEMO_FILE,
    DEMO_SLUG,
    PASSWORD,
    ROOT,
    demo_document,
    load,
    make_account,
    open_meeting,
)
from tests.helpers import DESK_ORGANISER, csrf_token, sign_in  # noqa: F401

SHARED = ROOT.parent / "shared"


def _reset_postgres(url: str) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text("DROP SCHEMA public CASCADE"))
        conn.execute(sa.text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        _reset_postgres(url)
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'eventapp-test.db'}"


class FreshContextClient(FlaskClient):
    """Each request in an application context of its own, as in production.

    Tests hold an app context open to use the database; without this, requests would share
    its `g` (CSRF token, signed-in user) with each other and with every other test client.
    """

    def open(self, *args: Any, **kwargs: Any):  # type: ignore[no-untyped-def, override]
        with self.application.app_context():
            return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def app(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    from flask_migrate import upgrade

    work = tmp_path_factory.mktemp("app")
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "REPORTS_DIR": work / "reports",
            "AGENDA_CACHE_DIR": work / "agenda-cache",
            "OUTBOX_DIR": work / "outbox",
            "SERVER_NAME": None,
            "FAST_PASSWORD_HASHING": True,
        }
    )
    app.test_client_class = FreshContextClient
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.engine.dispose()


def _empty_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(t.name for t in tables)
        with db.engine.begin() as conn:
            conn.execute(sa.text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        with db.engine.begin() as conn:
            conn.execute(sa.update(db.metadata.tables["meetings"]).values(chair_id=None))
            for table in tables:
                conn.execute(table.delete())


@pytest.fixture
def desk(client: FlaskClient):  # type: ignore[no-untyped-def]
    """The demo meeting, open, and an organiser of it (DESK_ORGANISER) signed in."""
    meeting = open_meeting()
    make_account(DESK_ORGANISER, "organiser", meeting=meeting)
    assert sign_in(client, DESK_ORGANISER).status_code == 302
    return meeting


@pytest.fixture(autouse=True)
def _app_context(app: Flask) -> Iterator[None]:
    with app.app_context():
        yield
        db.session.remove()
        _empty_tables()
    # Files the test left behind go with its rows: every test starts from nothing.
    for key in ("REPORTS_DIR", "OUTBOX_DIR", "AGENDA_CACHE_DIR"):
        shutil.rmtree(app.config[key], ignore_errors=True)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def demo_doc() -> dict[str, Any]:
    return demo_document()


@pytest.fixture
def demo_meeting(demo_doc: dict[str, Any]):  # type: ignore[no-untyped-def]
    return load(demo_doc)


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app: Flask) -> Iterator[None]:
    from eventapp.extensions import limiter

    limiter.reset()
    yield
