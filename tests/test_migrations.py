"""The migrations are the schema: one head, and models and migrations agree."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import current_app

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
