"""Wiring of the web layer: extensions, blueprints, errors, headers, template helpers."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask import (
    Flask,
    Response,
    current_app,
    g,
    has_request_context,
    render_template,
    request,
    session,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_login import AnonymousUserMixin
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from . import localtime, mail, unit_of_work
from .extensions import babel, csrf, db, limiter, login_manager, migrate, ping_idle_connections

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
    if isinstance(asked, str) and asked in languages:
        session["lang"] = asked
        return asked
    remembered = session.get("lang")
    if isinstance(remembered, str) and remembered in languages:
        return remembered
    return request.accept_languages.best_match(languages) or "en"


def register_extensions(app: Flask) -> None:
    from . import attempts, models  # noqa: F401  (models for migrations; the limits' storage)
    from .sqlite_writers import QueuedWritersConnection

    uri = str(app.config["SQLALCHEMY_DATABASE_URI"])
    if uri.startswith("sqlite"):
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        busy = app.config.get("SQLITE_BUSY_TIMEOUT", 30)
        options["connect_args"] = {
            **options.get("connect_args", {}),
            "timeout": busy,
            "factory": QueuedWritersConnection,  # writers let in as soon as the lock is free
        }
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    db.init_app(app)
    with app.app_context():
        ping_idle_connections(db.engine)
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


def _load_user(session_id: str) -> Any:
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
    from .delegations.routes import bp as delegations_bp
    from .meetings.routes import bp as meetings_bp
    from .public.routes import bp as public_bp
    from .records import tracker_routes  # noqa: F401  (the action tracker, on the records' bp)
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
    app.register_blueprint(meetings_bp)
    app.register_blueprint(delegations_bp)
    # Deny by default: every request meets its view's declared rule first.
    app.before_request(enforce)
    # One commit per request, made by the unit of work around each view, never by the view.
    unit_of_work.install(app)


def _wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def database_unavailable(exc: BaseException) -> bool:
    """A failure of the database itself (gone, locked, out of connections), not of our query.

    The exceptions it caused count too (a session refusing to go on after a lost connection).
    """
    seen: BaseException | None = exc
    for _depth in range(10):
        if seen is None:
            return False
        lost = sa.exc.OperationalError | sa.exc.InterfaceError | sa.exc.TimeoutError
        if isinstance(seen, lost) or (
            isinstance(seen, sa.exc.DBAPIError) and seen.connection_invalidated
        ):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def register_error_handlers(app: Flask) -> None:
    @app.errorhandler(sa.exc.SQLAlchemyError)
    def database_error(exc: Exception) -> ResponseReturnValue:
        if isinstance(exc, sa.exc.IntegrityError):
            # The rules are checked under the meeting's lock; a constraint that still refuses
            # a row means a change made at the same moment won (the same account twice, say).
            app.logger.info("constraint refused a write on %s: %s", request.path, exc.orig)
            unit_of_work.discard()
            if _wants_json():
                from .api.errors import error_response

                return error_response(
                    409,
                    "The request conflicts with a change made at the same time: "
                    "read again and retry.",
                )
            return render_template("errors/error.html", code=409, error=None), 409
        if not database_unavailable(exc):
            return unexpected_error(exc)
        app.logger.warning(
            "database unavailable on %s %s: %s", request.method, request.path, exc.__class__
        )
        unit_of_work.discard()
        return unavailable_response()

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> ResponseReturnValue:
        code = exc.code or 500
        if _wants_json():
            from .api.errors import from_http_exception

            return from_http_exception(exc)
        return render_template("errors/error.html", code=code, error=exc), code

    @app.errorhandler(Exception)
    def unexpected_error(exc: Exception) -> ResponseReturnValue:
        if database_unavailable(exc):
            return database_error(exc)
        # Never a traceback to a user: log it, roll back, answer plainly.
        app.logger.exception("unhandled error on %s %s", request.method, request.path)
        unit_of_work.discard()
        if _wants_json():
            from .api.errors import error_response

            return error_response(500, "Internal error.")
        return render_template("errors/error.html", code=500, error=None), 500


def unavailable_response() -> Response:
    """503 with Retry-After: a translated page or the API's JSON error, without the database."""
    retry_after = str(current_app.config.get("UNAVAILABLE_RETRY_AFTER", 5))
    if _wants_json():
        from .api.errors import error_response

        response = error_response(503, "The database does not answer; try again shortly.")
    else:
        # The page must not load the signed-in account from the database that is away.
        g._login_user = AnonymousUserMixin()
        try:
            page = render_template("errors/error.html", code=503, error=None)
        except Exception:
            current_app.logger.exception("the 503 page could not be rendered")
            page = "503 Service Unavailable"
        response = Response(page, status=503, mimetype="text/html")
    response.status_code = 503
    response.headers["Retry-After"] = retry_after
    response.headers["Cache-Control"] = "no-store"
    return response


# Letters with accents lose them; punctuation that has an ASCII twin gets it; the rest is "?".
_ASCII_TWINS = str.maketrans(
    {
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2026": "...",
        "\u00a0": " ",
        "\u00df": "ss",
    }
)


def ascii_header_text(text: str) -> str:
    """Text fit for an HTTP header: printable ASCII on one line, transliterated where it can."""
    text = unicodedata.normalize("NFKD", text.translate(_ASCII_TWINS))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return "".join(ch if " " <= ch <= "~" else ("?" if ch > "~" else " ") for ch in text)


# Organisers' and participants' own pages: personal data that no cache may keep.
_PRIVATE_PAGES = re.compile(r"^/(account|admin)(/|$)|^/meetings/[^/]+/(manage|registrations)/")


def register_response_headers(app: Flask) -> None:
    @app.after_request
    def deliver_mail(response: Response) -> Response:
        # The unit of work has committed: the mail leaves now, and a failure never changes
        # the answer. A request rolled back took its messages with it.
        if mail.after_request():
            if app.config.get("REDIS_URL"):
                mail.hand_on(mail.request_outbox_ids())
            elif app.config.get("MAIL_URL"):
                # An SMTP conversation can take seconds: it begins once the answer has left.
                response.call_on_close(lambda: _deliver_in(app))
            else:
                mail.deliver_due()
        return response

    @app.after_request
    def private_pages(response: Response) -> Response:
        if _PRIVATE_PAGES.match(request.path):
            response.headers["Cache-Control"] = "no-store"
        if response.status_code == 503:
            response.headers.setdefault(
                "Retry-After", str(app.config.get("UNAVAILABLE_RETRY_AFTER", 5))
            )
        return response

    @app.after_request
    def ascii_headers(response: Response) -> Response:
        # A header the server cannot encode turns a stored change into its bare 500 page.
        for name, value in list(response.headers.items()):
            if not value.isascii() or "\r" in value or "\n" in value:
                app.logger.warning("header %s was not ASCII on one line; transliterated", name)
                response.headers[name] = ascii_header_text(value)
        return response

    @app.after_request
    def security_headers(response: Response) -> Response:
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
        # One transaction per request: anything the unit of work did not commit is discarded.
        if exc is not None:
            unit_of_work.rollback()


def _deliver_in(app: Flask) -> None:
    try:
        with app.app_context():
            mail.deliver_due()
    except Exception:  # after the answer has left, nobody else would see it
        app.logger.exception("mail delivery after the request failed")


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

    from .vocabulary import label

    # {{ person.status|label }}: the one vocabulary's words for an enum value.
    app.add_template_filter(label, "label")

    from .records.markdown import summary_html

    # {{ record.summary|markdown(top=3) }}: a summary's Markdown as sanitised HTML.
    app.add_template_filter(summary_html, "markdown")

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
