"""Fixtures: an app on a real database (SQLite file, or PostgreSQL with TEST_DATABASE_URL).

The schema is built once per run by the migrations themselves; after every test each table
is emptied, so tests see committed data exactly as the application does.
"""

from __future__ import annotations

import copy
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

os.environ.setdefault("SECRET_KEY", "test-secret-key-not-for-production")

from eventapp import create_app
from eventapp.extensions import db

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
DEMO_FILE = ROOT / "eventapp" / "demo" / "first-global-wen-meeting.json"
DEMO_SLUG = "first-global-wen-meeting"


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


def demo_document() -> dict[str, Any]:
    """A fresh copy of the demo meeting's document, to change at will."""
    return copy.deepcopy(_demo_cache())


_DEMO: dict[str, Any] = {}


def _demo_cache() -> dict[str, Any]:
    if not _DEMO:
        _DEMO.update(json.loads(DEMO_FILE.read_text("utf-8")))
    return _DEMO


@pytest.fixture
def demo_doc() -> dict[str, Any]:
    return demo_document()


def load(doc: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Import a document through the service and commit, as the CLI does."""
    from eventapp.interchange import import_meeting

    result = import_meeting(doc)
    db.session.commit()
    return result.meeting


@pytest.fixture
def demo_meeting(demo_doc: dict[str, Any]):  # type: ignore[no-untyped-def]
    return load(demo_doc)


# -- accounts ---------------------------------------------------------------------------------

PASSWORD = "correct horse battery"


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token of the client's session, read from a form page as a browser would."""
    import re

    html = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    token = csrf_token(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def make_account(email: str, role: str = "participant", meeting=None, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    from eventapp.accounts import service
    from eventapp.models import AccountRole

    user = service.create_user(email, AccountRole(role), meeting=meeting, password=password)
    db.session.commit()
    return user


@pytest.fixture(autouse=True)
def _fresh_rate_limits(app: Flask) -> Iterator[None]:
    from eventapp.extensions import limiter

    limiter.reset()
    yield
