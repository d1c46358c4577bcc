"""`user create`, `token create` and `demo load` (contract, section 3)."""

from __future__ import annotations

import sqlalchemy as sa

from eventapp.accounts import service as accounts
from eventapp.extensions import db
from eventapp.models import ApiToken, MeetingRole, User


def test_user_create_with_password_from_stdin(runner, demo_meeting):
    result = runner.invoke(
        args=[
            "user",
            "create",
            "Org@Example.org",
            "--role",
            "organiser",
            "--meeting",
            demo_meeting.slug,
            "--password-stdin",
        ],
        input="a-long-enough-password\n",
    )
    assert result.exit_code == 0, result.output
    user = accounts.find_user("org@example.ORG")
    assert user is not None
    assert accounts.check_password(user, "a-long-enough-password")
    assert not accounts.check_password(user, "wrong-password")
    assert "a-long-enough-password" not in (user.password_hash or "")
    role = db.session.scalar(sa.select(MeetingRole).where(MeetingRole.user_id == user.id))
    assert role is not None and role.meeting_id == demo_meeting.id


def test_user_create_refuses_duplicates_case_insensitively(runner):
    assert runner.invoke(args=["user", "create", "a@example.org", "--role", "admin"]).exit_code == 0
    result = runner.invoke(args=["user", "create", "A@EXAMPLE.org", "--role", "admin"])
    assert result.exit_code == 1
    assert "exists already" in result.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 1


def test_user_create_reports_bad_input(runner):
    result = runner.invoke(args=["user", "create", "not-an-address", "--role", "admin"])
    assert result.exit_code == 1 and "not a valid e-mail address" in result.output
    result = runner.invoke(args=["user", "create", "o@example.org", "--role", "organiser"])
    assert result.exit_code == 1 and "--meeting" in result.output
    result = runner.invoke(
        args=["user", "create", "o@example.org", "--role", "organiser", "--meeting", "nope"]
    )
    assert result.exit_code == 1 and "no meeting" in result.output
    result = runner.invoke(
        args=["user", "create", "s@example.org", "--role", "admin", "--password-stdin"],
        input="short\n",
    )
    assert result.exit_code == 1 and "at least" in result.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_token_create_prints_a_token_stored_hashed(runner):
    runner.invoke(args=["user", "create", "t@example.org", "--role", "admin"])
    result = runner.invoke(args=["token", "create", "t@example.org"])
    assert result.exit_code == 0, result.output
    token = result.output.strip()
    assert len(token) > 30
    stored = db.session.scalars(sa.select(ApiToken.token_hash)).all()
    assert stored == [accounts.token_digest(token)]
    assert token not in stored


def test_token_create_for_unknown_account(runner):
    result = runner.invoke(args=["token", "create", "ghost@example.org"])
    assert result.exit_code == 1
    assert "no account" in result.output


def test_demo_load_is_idempotent_and_prints_accounts(runner):
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "demo meeting loaded" in first.output
    assert "admin@example.org" in first.output
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0
    assert "demo meeting present" in second.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 4
