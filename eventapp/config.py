"""Settings from the environment (contract, section 2).

Development gets safe defaults that need no set-up; production refuses weak ones.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigurationError(RuntimeError):
    """Raised at start-up when the environment cannot run the application safely."""


def _secret_key(instance_path: Path, production: bool) -> str:
    key = os.environ.get("SECRET_KEY", "").strip()
    if key:
        return key
    if production:
        raise ConfigurationError(
            "SECRET_KEY must be set when EVENTAPP_ENV=production "
            "(e.g. export SECRET_KEY=$(python -c 'import secrets; print(secrets.token_hex(32))'))."
        )
    # Development: generated once and kept, so sign-ins survive restarts.
    key_file = instance_path / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


def _database_url(instance_path: Path) -> str:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        return f"sqlite:///{instance_path / 'eventapp.db'}"
    # Hosting platforms hand out postgres:// URLs; SQLAlchemy wants the driver named.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def _seconds(name: str, default: int) -> int:
    """A whole number of seconds from the environment, or the default when it is not set."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or not 0 < int(value) <= 86_400:
        raise ConfigurationError(f"{name} must be a whole number of seconds from 1 to 86400.")
    return int(value)


def _uploads_dir(instance_path: Path) -> Path:
    """The folder of uploaded files (letters of nomination), made now if it is missing."""
    folder = Path(os.environ.get("UPLOADS_DIR") or instance_path / "uploads").resolve()
    try:
        folder.mkdir(mode=0o750, parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(
            f"UPLOADS_DIR {folder} cannot be made: {exc.strerror or exc}. "
            "Point UPLOADS_DIR at a folder the application may write."
        ) from exc
    return folder


def _byte_count(name: str, default: int, most: int) -> int:
    """A whole number of bytes from the environment, or the default when it is not set."""
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or not 0 < int(value) <= most:
        raise ConfigurationError(f"{name} must be a whole number of bytes from 1 to {most}.")
    return int(value)


# Used only while MAIL_FROM is unset: .invalid never delivers, so no one is written to by mistake.
DEVELOPMENT_SENDER = "eventapp <no-reply@eventapp.invalid>"


def _mail_from() -> str:
    """The sender of every message: 'Name <address>' or a bare address, checked at start-up."""
    value = os.environ.get("MAIL_FROM", "").strip()
    if not value:
        return DEVELOPMENT_SENDER
    from email.headerregistry import Address
    from email.utils import parseaddr

    from email_validator import EmailNotValidError, validate_email

    name, address = parseaddr(value)
    problem = "" if address else "it names no address"
    if address and not problem:
        try:
            validate_email(address, check_deliverability=False, allow_smtputf8=True)
        except EmailNotValidError as exc:
            problem = str(exc)
    if problem or any(ch in value for ch in "\r\n"):
        raise ConfigurationError(
            f"MAIL_FROM is not a valid sender ({problem or 'it has a line break'}): "
            'write it as "Name <address@example.org>" or address@example.org.'
        )
    if not name:
        return address
    try:
        return str(Address(display_name=name, addr_spec=address))
    except ValueError:  # a UTF-8 local part: kept as written, the SMTPUTF8 path sends it
        return value


def load_config(instance_path: Path) -> dict[str, object]:
    """Build the Flask configuration from the environment."""
    instance_path.mkdir(parents=True, exist_ok=True)
    production = os.environ.get("EVENTAPP_ENV", "development").strip().lower() == "production"
    return {
        "EVENTAPP_ENV": "production" if production else "development",
        "SECRET_KEY": _secret_key(instance_path, production),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "REPORTS_DIR": Path(os.environ.get("REPORTS_DIR") or PROJECT_ROOT / "reports").resolve(),
        # Uploaded files, by content (eventapp/uploads.py): outside the database and the code.
        "UPLOADS_DIR": _uploads_dir(instance_path),
        # A letter of nomination's largest size; the request itself may be up to MAX_CONTENT_LENGTH.
        "NOMINATION_LETTER_MAX_BYTES": _byte_count(
            "NOMINATION_LETTER_MAX_BYTES", 5 * 1024 * 1024, 15 * 1024 * 1024
        ),
        "REDIS_URL": os.environ.get("REDIS_URL") or None,
        "MAIL_URL": os.environ.get("MAIL_URL") or None,
        "MAIL_FROM": _mail_from(),
        "OUTBOX_DIR": instance_path / "outbox",
        # Seconds an SMTP conversation may take before the message waits for a later delivery.
        "MAIL_TIMEOUT": _seconds("MAIL_TIMEOUT", 10),
        # Seconds a SQLite writer waits for another one's lock before the answer is 503.
        "SQLITE_BUSY_TIMEOUT": _seconds("SQLITE_BUSY_TIMEOUT", 30),
        # Seconds a client is asked to wait (Retry-After) while the database does not answer.
        "UNAVAILABLE_RETRY_AFTER": _seconds("UNAVAILABLE_RETRY_AFTER", 5),
        "BASE_URL": (os.environ.get("BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
        "LANGUAGES": ("en", "fr", "es"),
        "BABEL_DEFAULT_LOCALE": "en",
        "BABEL_DEFAULT_TIMEZONE": "UTC",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": production,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SECURE": production,
        # Whole-meeting documents of thousands of participants fit; anything larger is refused.
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "API_MAX_BODY": 8 * 1024 * 1024,
        "WTF_CSRF_TIME_LIMIT": None,
        # Counted in the database, by every worker alike, with or without Redis (attempts.py).
        "RATELIMIT_STORAGE_URI": "eventapp+db://",
        "RATELIMIT_STRATEGY": "moving-window",
        # A count that cannot be read or written lets the request through (it is logged).
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_HEADERS_ENABLED": True,
        # Failed sign-ins allowed before 429: per account, and per client address.
        "LOGIN_LIMIT_ACCOUNT": "5 per 15 minutes",
        "LOGIN_LIMIT_ADDRESS": "20 per 15 minutes",
    }


def engine_options(database_url: str) -> dict[str, object]:
    """Connection settings suited to the database in use."""
    options: dict[str, object] = {}  # idle connections are pinged (extensions.py)
    if database_url.startswith("sqlite"):
        # Several threads (dev server, tests' live server) share one SQLite file.
        options["connect_args"] = {"timeout": 30}
    return options
