"""The migrations are the schema: one head, models and migrations agree, and no row is lost.

On SQLite, env.py runs the migrations with foreign keys off in one transaction and checks every
reference before committing: copying a table (batch_alter_table) drops the old one, and with
foreign keys on, the drop would cascade to every table that refers to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask, current_app

from eventapp import create_app
from eventapp.extensions import db


def _scripts() -> ScriptDirectory:
    config = current_app.extensions["migrate"].migrate.get_config()
    return ScriptDirectory.from_config(config)


def test_one_head():
    assert len(_scripts().get_heads()) == 1


def test_models_match_migrations():
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_database_is_at_head():
    with db.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    assert current == _scripts().get_current_head()


def test_empty_sqlite_database_upgrades_and_downgrades(tmp_path):
    from flask_migrate import downgrade, upgrade

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'fresh.db'}"})
    with app.app_context():
        upgrade()
        assert "meetings" in sa.inspect(db.engine).get_table_names()
        downgrade(revision="base")
        assert "meetings" not in sa.inspect(db.engine).get_table_names()
        upgrade()
        assert "participants" in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()


# Upgrades and downgrades of an SQLite database that holds a meeting: no row may go.
# Rows are written as SQL at the revision the test starts from, one set of values for every
# revision: a column the revision does not have yet is left out.

MIGRATIONS = Path(__file__).resolve().parents[1] / "migrations"
REVISIONS = [s.revision for s in reversed(list(ScriptDirectory(str(MIGRATIONS)).walk_revisions()))]
_AT = "2026-03-01 08:00:00.000000"

ROWS: dict[str, list[dict[str, Any]]] = {
    "meetings": [
        {
            "id": 1,
            "slug": "wen-9",
            "title": "Ninth meeting",
            "timezone": "Europe/Geneva",
            "start_date": "2026-03-02",
            "end_date": "2026-03-04",
            "languages": '["en", "fr"]',
            "approval": "manual",
            "agenda_published_at": _AT,
            "translations": '{"fr": {"title": "Neuvième réunion"}}',
            "created_at": _AT,
            "updated_at": _AT,
        }
    ],
    "organisations": [
        {"id": 1, "kind": "country", "name": "Norway", "name_key": "norway", "country": "NO"},
        {"id": 2, "kind": "igo", "name": "UNEP", "name_key": "unep"},
    ],
    "users": [
        {
            "id": i,
            "email": f"user{i}@example.org",
            "email_key": f"user{i}@example.org",
            "is_admin": 0,
            "active": 1,
            "created_at": _AT,
            "calendar_key": f"calendar-{i}",
        }
        for i in (1, 2)
    ],
    "api_tokens": [
        {"id": i, "user_id": i, "token_hash": f"{i:064d}", "created_at": _AT} for i in (1, 2)
    ],
    "delegations": [
        {
            "id": 1,
            "meeting_id": 1,
            "organisation_id": 1,
            "ref": "no",
            "name": "Norway",
            "kind": "country",
            "country": "NO",
            "quota": 3,
        },
        {
            "id": 2,
            "meeting_id": 1,
            "organisation_id": 2,
            "ref": "unep",
            "name": "UNEP",
            "kind": "igo",
        },
    ],
    "meeting_roles": [
        {"user_id": 1, "meeting_id": 1, "role": "organiser"},
        {"user_id": 2, "meeting_id": 1, "role": "rapporteur"},
    ],
    "report_versions": [
        {
            "id": 1,
            "meeting_id": 1,
            "kind": "chair-summary",
            "language": "en",
            "version": 1,
            "sha256": "0" * 64,
            "filename": "chair-summary-v1.pdf",
            "size": 10,
            "published_at": _AT,
        }
    ],
    "rooms": [{"id": 1, "meeting_id": 1, "ref": "plenary-hall", "name": "Plenary hall"}],
    "participants": [
        {
            "id": i,
            "meeting_id": 1,
            "delegation_id": 1 if i < 3 else 2,
            "ref": f"p{i}",
            "given_name": f"Given{i}",
            "family_name": f"Family{i}",
            "email": f"user{i}@example.org",
            "email_key": f"user{i}@example.org",
            "role": "head_of_delegation" if i == 1 else "delegate",
            "status": "approved",
            "language": "fr",
            "registered_at": _AT,
        }
        for i in (1, 2, 3)
    ],
    "sessions": [
        {
            "id": i,
            "meeting_id": 1,
            "ref": f"s{i}",
            "title": f"Session {i}",
            "kind": "plenary",
            "start_local": f"2026-03-0{i + 1} 10:00:00.000000",
            "end_local": f"2026-03-0{i + 1} 12:00:00.000000",
            "start_utc": f"2026-03-0{i + 1} 09:00:00.000000",
            "end_utc": f"2026-03-0{i + 1} 11:00:00.000000",
            "room_id": 1,
            "public": 1,
            "rapporteur_id": 2,
            "cancelled_at": _AT if i == 2 else None,
        }
        for i in (1, 2)
    ],
    "record_revisions": [
        {
            "id": 1,
            "session_id": 1,
            "number": 1,
            "saved_at": _AT,
            "saved_by_id": 2,
            "saved_by": "user2@example.org",
            "change": "saved",
            "status": "submitted",
            "document": '{"status": "submitted", "outcomes": []}',
        }
    ],
    "records": [
        {"id": 1, "session_id": 1, "status": "approved", "summary": "Agreed.", "updated_at": _AT}
    ],
    "session_people": [
        {"session_id": 1, "role": "chair", "participant_id": 1, "position": 0},
        {"session_id": 1, "role": "speaker", "participant_id": 3, "position": 0},
        {"session_id": 2, "role": "chair", "participant_id": 1, "position": 0},
    ],
    "outcomes": [
        {"id": 1, "record_id": 1, "position": 0, "kind": "decision", "text": "Adopted."},
        {
            "id": 2,
            "record_id": 1,
            "position": 1,
            "kind": "action",
            "text": "Report back.",
            "owner_id": 1,
            "speaker_id": 3,
            "due": "2026-06-01",
            "done": 0,
        },
    ],
    "audit_log": [
        {
            "id": 1,
            "at": _AT,
            "actor_id": 1,
            "actor": "user1@example.org",
            "meeting_id": 1,
            "action": "participant.approve",
            "target": "p1",
        }
    ],
    "outbox": [
        {
            "id": 1,
            "created_at": _AT,
            "recipient": "user1@example.org",
            "message": b"Subject: hello",
            "attempts": 0,
            "next_attempt_at": _AT,
        }
    ],
    "attempts": [{"id": 1, "key": "login:user1@example.org", "at": _AT, "expires_at": _AT}],
    "agenda_versions": [
        {
            "id": 1,
            "meeting_id": 1,
            "number": 1,
            "published_at": _AT,
            "sessions": "[]",
            "changes": "[]",
        }
    ],
}


def _sqlite_app(path: Path) -> Flask:
    return create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})


def _fill(conn: sa.Connection) -> None:
    """Write ROWS into the tables the database has, in the columns it has."""
    inspector = sa.inspect(conn)
    present = set(inspector.get_table_names())
    for name, rows in ROWS.items():
        if name in present:
            # Untyped columns: the values go to the driver as written.
            table = sa.table(name, *(sa.column(c["name"]) for c in inspector.get_columns(name)))
            for row in rows:
                conn.execute(table.insert().values({k: v for k, v in row.items() if k in table.c}))
    conn.execute(sa.text("UPDATE meetings SET chair_id = 1"))
    conn.execute(sa.text("UPDATE sessions SET rapporteur_id = 2"))


def _snapshot(conn: sa.Connection) -> dict[str, list[tuple[tuple[str, Any], ...]]]:
    """Every row of every table, as stored (the driver's values), in no particular order."""
    tables: dict[str, list[tuple[tuple[str, Any], ...]]] = {}
    for name in sa.inspect(conn).get_table_names():
        if name != "alembic_version":
            result = conn.exec_driver_sql(f'SELECT * FROM "{name}"')
            keys = list(result.keys())
            tables[name] = sorted((tuple(zip(keys, row, strict=True)) for row in result), key=repr)
    return tables


def _columns(conn: sa.Connection) -> dict[str, set[str]]:
    inspector = sa.inspect(conn)
    return {
        name: {c["name"] for c in inspector.get_columns(name)}
        for name in inspector.get_table_names()
    }


def _within(columns: dict[str, set[str]], snapshot: dict) -> dict:
    """The snapshot's rows of the given tables, in the given columns, so two revisions compare."""
    return {
        name: sorted(
            (tuple((c, v) for c, v in row if c in columns[name]) for row in rows), key=repr
        )
        for name, rows in snapshot.items()
        if name in columns
    }


def _counts(snapshot: dict) -> dict[str, int]:
    return {name: len(rows) for name, rows in snapshot.items()}


def _broken_references(conn: sa.Connection) -> list[Any]:
    return list(conn.exec_driver_sql("PRAGMA foreign_key_check"))


@pytest.mark.parametrize("revision", REVISIONS[:-1])
def test_sqlite_upgrade_keeps_every_row(tmp_path: Path, revision: str) -> None:
    from flask_migrate import upgrade

    app = _sqlite_app(tmp_path / "old.db")
    with app.app_context():
        upgrade(revision=revision)
        with db.engine.begin() as conn:
            _fill(conn)
        with db.engine.connect() as conn:
            before, columns = _snapshot(conn), _columns(conn)
        assert all(
            before[name]
            for name in (
                "meetings",
                "participants",
                "session_people",
                "records",
                "outcomes",
                "api_tokens",
            )
        )
        upgrade()
        with db.engine.connect() as conn:
            after = _snapshot(conn)
            assert _broken_references(conn) == []
            foreign_keys = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
        db.engine.dispose()
    assert _counts(_within(columns, after)) == _counts(before)
    assert _within(columns, after) == before
    assert foreign_keys == 1  # the app's connections enforce references again


# Tables a migration creates, and whose downgrade is meant to drop them with their rows.
CREATED_BY_MIGRATIONS = {
    "audit_log",
    "outbox",
    "attempts",
    "agenda_versions",
    "record_revisions",
    "focal_points",
    "nomination_letters",
}


@pytest.mark.parametrize("revision", REVISIONS[:-1])
def test_sqlite_downgrade_and_upgrade_again_keep_every_row(tmp_path: Path, revision: str) -> None:
    from flask_migrate import downgrade, upgrade

    app = _sqlite_app(tmp_path / "head.db")
    with app.app_context():
        upgrade()
        with db.engine.begin() as conn:
            _fill(conn)
        with db.engine.connect() as conn:
            at_head = _snapshot(conn)
        downgrade(revision=revision)
        with db.engine.connect() as conn:
            down, columns = _snapshot(conn), _columns(conn)
            assert _broken_references(conn) == []
        upgrade()
        with db.engine.connect() as conn:
            again = _snapshot(conn)
            assert _broken_references(conn) == []
        db.engine.dispose()
    # What a downgrade takes is only what its migrations added: their tables and columns.
    assert set(at_head) - set(down) <= CREATED_BY_MIGRATIONS
    assert _counts(down) == _counts(_within(columns, at_head))
    assert _within(columns, at_head) == down
    assert _within(columns, again) == down
    # The upgrade publishes version 1 again of the agenda published before (0008).
    assert _counts(again)["agenda_versions"] == 1


def test_sqlite_upgrade_with_a_broken_reference_stops_and_changes_nothing(tmp_path: Path) -> None:
    from flask_migrate import upgrade

    app = _sqlite_app(tmp_path / "broken.db")
    with app.app_context():
        upgrade(revision="a4c0e1d00008")
        with db.engine.begin() as conn:
            _fill(conn)
        # A token of an account that is gone, as a database written without foreign keys has.
        with db.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.exec_driver_sql("UPDATE api_tokens SET user_id = 99 WHERE id = 2")
            conn.commit()
            conn.exec_driver_sql("PRAGMA foreign_keys=ON")
            before = _snapshot(conn)
        result = app.test_cli_runner().invoke(args=["db", "upgrade"])
        with db.engine.connect() as conn:
            after = _snapshot(conn)
            revision = MigrationContext.configure(conn).get_current_revision()
            foreign_keys = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
        db.engine.dispose()
    assert result.exit_code == 1
    assert "api_tokens row 2: user_id=99 refers to no row of users" in result.output
    assert "Nothing was migrated, the database is unchanged" in result.output
    assert revision == "a4c0e1d00008"
    assert after == before  # 0009's copy of users was rolled back with the rest
    assert foreign_keys == 1


def test_the_test_database_was_migrated_with_foreign_keys_back_on():
    # The fixture's upgrade() ran through env.py on a pooled connection that the tests reuse.
    with db.engine.connect() as conn:
        if conn.dialect.name != "sqlite":
            pytest.skip("foreign keys are a pragma on SQLite only")
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
