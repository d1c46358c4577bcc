"""Command-line failures are sentences, never tracebacks."""

from __future__ import annotations

from eventapp import create_app
from eventapp.extensions import db


def test_a_database_without_the_schema_is_explained(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'empty.db'}"})
    with app.app_context():
        result = app.test_cli_runner().invoke(args=["meeting", "export", "anything"])
        db.engine.dispose()
    assert result.exit_code == 1
    assert "db upgrade" in result.output
    assert "Traceback" not in result.output
