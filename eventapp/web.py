"""Wiring of the web layer: extensions, blueprints, errors, headers, template helpers."""

from __future__ import annotations

from datetime import date, datetime

from flask import Flask, has_request_context, render_template, request, session
from flask_babel import get_locale
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from . import localtime
from .extensions import babel, csrf, db, limiter, login_manager, migrate

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)


def select_locale() -> str:
    """?lang= first (remembered for the visit), then the browser's preference."""
    from flask import current_app

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]  # command line, background jobs
    asked = request.args.get("lang")
    if asked in languages:
        session["lang"] = asked
        return asked
    remembered = session.get("lang")
    if remembered in languages:
        return remembered
    return request.accept_languages.best_match(languages) or "en"


def register_extensions(app: Flask) -> None:
    from . import models  # noqa: F401  (the models must be known before migrations run)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(app.config.get("MIGRATIONS_DIR", _migrations_dir())))
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    limiter.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "basic"
    login_manager.user_loader(_load_user)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.json.ensure_ascii = False  # type: ignore[attr-defined]


def _load_user(session_id: str):  # type: ignore[no-untyped-def]
    from .models import User

    user_id, _, fingerprint = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_fingerprint != fingerprint:
        return None
    return user


def _migrations_dir() -> str:
    from .config import PROJECT_ROOT

    return str(PROJECT_ROOT / "migrations")


def register_blueprints(app: Flask) -> None:
    from .accounts.permissions import enforce
    from .accounts.routes import bp as accounts_bp
    from .agenda.routes import bp as agenda_bp
    from .api.routes import bp as api_bp
    from .public.routes import bp as public_bp
    from .records.routes import bp as records_bp
    from .registration.routes import bp as registration_bp
    from .reports.routes import bp as reports_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(registration_bp)
    app.register_blueprint(records_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(reports_bp)
    app.register_blueprint(agenda_bp)
    # Deny by default: every request meets its view's declared rule first.
    app.before_request(enforce)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):  # type: ignore[no-untyped-def]
        code = exc.code or 500
        if _wants_json():
            from .api.errors import from_http_exception

            return from_http_exception(exc)
        return render_template("errors/error.html", code=code, error=exc), code

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception):  # type: ignore[no-untyped-def]
        # Never a traceback to a user: log it, roll back, answer plainly.
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        db.session.rollback()
        if _wants_json():
            from .api.errors import error_response

            return error_response(500, "Internal error.")
        return render_template("errors/error.html", code=500, error=None), 500


def register_response_headers(app: Flask) -> None:
    @app.after_request
    def security_headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response

    @app.teardown_request
    def end_transaction(exc: BaseException | None) -> None:
        # One transaction per request: anything not committed by the view is discarded.
        if exc is not None:
            db.session.rollback()


def register_template_helpers(app: Flask) -> None:
    def locale() -> str:
        return str(get_locale() or "en")

    @app.template_filter("day")
    def day_filter(value: date) -> str:
        return localtime.format_day(value, locale())

    @app.template_filter("longdate")
    def longdate_filter(value: date) -> str:
        return localtime.format_date(value, locale())

    @app.template_filter("clock")
    def clock_filter(value: datetime) -> str:
        return localtime.format_clock(value, locale())

    @app.template_filter("nl2p")
    def nl2p_filter(value: str | None) -> Markup:
        """Paragraphs from plain text, every piece escaped."""
        if not value:
            return Markup("")
        paragraphs = [p.strip() for p in value.replace("\r\n", "\n").split("\n\n") if p.strip()]
        return Markup("\n").join(
            Markup("<p>{}</p>").format(Markup("<br>").join(p.split("\n"))) for p in paragraphs
        )

    @app.context_processor
    def globals_for_templates() -> dict[str, object]:
        return {"current_locale": locale(), "languages": app.config["LANGUAGES"]}
