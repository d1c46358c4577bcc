"""Configuration from the environment (contract, section 2)."""

from __future__ import annotations

import pytest

from eventapp import create_app
from eventapp.config import ConfigurationError


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("EVENTAPP_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="SECRET_KEY"):
        create_app()


def test_production_with_secret_key_sets_secure_cookies(monkeypatch):
    monkeypatch.setenv("EVENTAPP_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    app = create_app()
    assert app.config["SECRET_KEY"] == "x" * 64
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_development_generates_and_keeps_a_secret_key(monkeypatch, tmp_path):
    from eventapp.config import load_config

    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("EVENTAPP_ENV", raising=False)
    first = load_config(tmp_path)["SECRET_KEY"]
    second = load_config(tmp_path)["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_environment_variables_are_read(monkeypatch, tmp_path):
    from eventapp.config import load_config

    monkeypatch.setenv("DATABASE_URL", "postgres://u@db.example/x")
    monkeypatch.setenv("REPORTS_DIR", str(tmp_path / "published"))
    monkeypatch.setenv("BASE_URL", "https://meetings.example.org/")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    config = load_config(tmp_path)
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@db.example/x"
    assert config["REPORTS_DIR"] == tmp_path / "published"
    assert config["BASE_URL"] == "https://meetings.example.org"
    assert config["REDIS_URL"] == "redis://127.0.0.1:6379/0"


def test_defaults(monkeypatch, tmp_path):
    from eventapp.config import PROJECT_ROOT, load_config

    for name in ("DATABASE_URL", "REPORTS_DIR", "BASE_URL", "REDIS_URL", "MAIL_URL"):
        monkeypatch.delenv(name, raising=False)
    config = load_config(tmp_path)
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'eventapp.db'}"
    assert config["REPORTS_DIR"] == PROJECT_ROOT / "reports"
    assert config["BASE_URL"] == "http://127.0.0.1:5000"
    assert config["REDIS_URL"] is None
    assert config["OUTBOX_DIR"] == tmp_path / "outbox"


def test_timeouts_come_from_the_environment_and_nonsense_is_refused(monkeypatch, tmp_path):
    from eventapp.config import load_config

    monkeypatch.setenv("SQLITE_BUSY_TIMEOUT", "2")
    monkeypatch.setenv("MAIL_TIMEOUT", "7")
    monkeypatch.delenv("UNAVAILABLE_RETRY_AFTER", raising=False)
    config = load_config(tmp_path)
    assert (config["SQLITE_BUSY_TIMEOUT"], config["MAIL_TIMEOUT"]) == (2, 7)
    assert config["UNAVAILABLE_RETRY_AFTER"] == 5
    for nonsense in ("soon", "-1", "0", "1e3"):
        monkeypatch.setenv("UNAVAILABLE_RETRY_AFTER", nonsense)
        with pytest.raises(ConfigurationError, match="UNAVAILABLE_RETRY_AFTER"):
            load_config(tmp_path)
