"""eventapp: the meeting system of the Wildlife Enforcement Networks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask

from .config import PROJECT_ROOT, engine_options, load_config


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, errors, commands."""
    app = Flask(
        __name__,
        instance_path=str(PROJECT_ROOT / "instance"),
        template_folder=str(PROJECT_ROOT / "templates"),
    )
    app.config.from_mapping(load_config(Path(app.instance_path)))
    if test_config:
        app.config.update(test_config)
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    )

    from . import web

    web.register_extensions(app)
    web.register_blueprints(app)
    web.register_error_handlers(app)
    web.register_response_headers(app)
    web.register_template_helpers(app)

    from .cli import register_commands

    register_commands(app)
    return app
