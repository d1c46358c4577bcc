"""Signing in and out, password reset and change, API tokens in the web interface."""

from __future__ import annotations

import re
from pathlib import Path

import sqlalchemy as sa
from flask import Flask

from eventapp.extensions import db
from eventapp.models import ApiToken, AuditEntry
from tests.conftest import PASSWORD, csrf_token, make_account, sign_in
from tests.helpers import mail_text


def test_sign_in_and_out(client):
    make_account("someone@example.org")
    response = sign_in(client, "Someone@Example.org")
    assert response.status_code == 302
    page = client.get("/account")
    assert page.status_code == 200
    assert "someone@example.org" in page.get_data(as_text=True)
    token = csrf_token(client, "/account")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert client.get("/account").status_code == 302


def test_wrong_password_and_unknown_account_get_the_same_answer(client):
    make_account("someone@example.org")
    wrong = sign_in(client, "someone@example.org", "not the password")
    unknown = sign_in(client, "nobody@example.org", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    message = "The e-mail address or the password is not right."
    assert message in wrong.get_data(as_text=True)
    assert message in unknown.get_data(as_text=True)
    assert client.get("/account").status_code == 302


def test_sign_in_needs_csrf_token(client):
    make_account("someone@example.org")
    response = client.post("/login", data={"email": "someone@example.org", "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/account").status_code == 302


def test_repeated_failures_for_one_account_are_slowed_down(client):
    make_account("target@example.org")
    statuses = [sign_in(client, "target@example.org", f"guess {n}").status_code for n in range(6)]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    # Even the right password waits now: the account is under attack.
    assert sign_in(client, "target@example.org").status_code == 429
    # Another account from the same address is not yet blocked.
    make_account("other@example.org")
    assert sign_in(client, "other@example.org").status_code == 302


def test_repeated_failures_from_one_address_are_slowed_down(client):
    statuses = [
        sign_in(client, f"person{n}@example.org", "wrong password").status_code for n in range(21)
    ]
    assert statuses[:20] == [401] * 20
    assert statuses[20] == 429


def test_successful_sign_ins_do_not_count(client):
    make_account("regular@example.org")
    for _ in range(8):
        assert sign_in(client, "regular@example.org").status_code == 302


def test_next_only_leads_within_the_site(client):
    make_account("someone@example.org")
    token = csrf_token(client)
    data = {"email": "someone@example.org", "password": PASSWORD, "csrf_token": token}
    response = client.post("/login?next=https://evil.example/x", data=data)
    assert response.headers["Location"] == "/account"
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    token = csrf_token(client)
    data["csrf_token"] = token
    response = client.post("/login?next=/account%23tokens", data=data)
    assert response.headers["Location"].startswith("/account")


def _outbox_link(app: Flask) -> str:
    files = sorted(Path(app.config["OUTBOX_DIR"]).glob("*.eml"), key=lambda p: p.stat().st_mtime)
    body = mail_text(files[-1].read_bytes())
    found = re.search(r"(http://\S+/password/reset/\S+)", body)
    assert found, body
    return found.group(1)


def test_password_reset_by_mail_link_works_once(app, client):
    make_account("forgetful@example.org")
    token = csrf_token(client, "/password/forgot")
    response = client.post(
        "/password/forgot", data={"email": "forgetful@example.org", "csrf_token": token}
    )
    assert response.status_code == 200
    link = _outbox_link(app)
    path = link.split("127.0.0.1:5000", 1)[1]
    page = client.get(path)
    assert page.status_code == 200
    token = csrf_token(client, path)
    new = "a brand new password"
    response = client.post(path, data={"password": new, "confirm": new, "csrf_token": token})
    assert response.status_code == 302
    assert sign_in(client, "forgetful@example.org", new).status_code == 302
    # Used once: the same link no longer works.
    assert client.get(path).status_code == 400


def test_password_reset_for_unknown_address_says_the_same_and_sends_nothing(app, client):
    outbox = Path(app.config["OUTBOX_DIR"])
    before = len(list(outbox.glob("*.eml"))) if outbox.exists() else 0
    token = csrf_token(client, "/password/forgot")
    response = client.post(
        "/password/forgot", data={"email": "ghost@example.org", "csrf_token": token}
    )
    assert response.status_code == 200
    assert "If ghost@example.org belongs to an account" in response.get_data(as_text=True)
    after = len(list(outbox.glob("*.eml"))) if outbox.exists() else 0
    assert after == before


def test_forged_or_expired_reset_link_is_refused(app, client):
    from itsdangerous import URLSafeTimedSerializer

    user = make_account("someone@example.org")
    assert client.get("/password/reset/not-a-token").status_code == 400
    forged = URLSafeTimedSerializer("another secret", salt="password-reset").dumps({"u": user.id})
    assert client.get(f"/password/reset/{forged}").status_code == 400


def test_change_password_signs_out_other_browsers(app, client):
    make_account("mover@example.org")
    other = app.test_client()
    assert sign_in(other, "mover@example.org").status_code == 302
    assert sign_in(client, "mover@example.org").status_code == 302
    token = csrf_token(client, "/account")
    new = "another long password"
    response = client.post(
        "/account/password",
        data={"current": PASSWORD, "password": new, "confirm": new, "csrf_token": token},
    )
    assert response.status_code == 302
    assert client.get("/account").status_code == 200
    assert other.get("/account").status_code == 302


def test_change_password_with_wrong_current_password_changes_nothing(client):
    make_account("mover@example.org")
    sign_in(client, "mover@example.org")
    token = csrf_token(client, "/account")
    response = client.post(
        "/account/password",
        data={
            "current": "wrong one!",
            "password": "x" * 12,
            "confirm": "x" * 12,
            "csrf_token": token,
        },
    )
    assert response.status_code == 400
    assert "The current password is not right." in response.get_data(as_text=True)
    client.post("/logout", data={"csrf_token": csrf_token(client, "/account")})
    assert sign_in(client, "mover@example.org").status_code == 302


def test_tokens_are_created_shown_once_and_revoked(client):
    make_account("scripter@example.org")
    sign_in(client, "scripter@example.org")
    token = csrf_token(client, "/account")
    page = client.post("/account/tokens", data={"label": "import script", "csrf_token": token})
    html = page.get_data(as_text=True)
    shown = re.search(r'<code class="token">([^<]+)</code>', html).group(1)
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {shown}"}).status_code == 200
    assert shown not in client.get("/account").get_data(as_text=True)
    row = db.session.scalar(sa.select(ApiToken))
    token = csrf_token(client, "/account")
    response = client.post(f"/account/tokens/{row.id}/revoke", data={"csrf_token": token})
    assert response.status_code == 302
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {shown}"}).status_code == 401


def test_nobody_revokes_another_accounts_token(client):
    from eventapp.accounts import service

    owner = make_account("owner@example.org")
    service.create_token(owner, "owner's")
    db.session.commit()
    row = db.session.scalar(sa.select(ApiToken))
    make_account("intruder@example.org")
    sign_in(client, "intruder@example.org")
    token = csrf_token(client, "/account")
    assert (
        client.post(f"/account/tokens/{row.id}/revoke", data={"csrf_token": token}).status_code
        == 404
    )
    db.session.refresh(row)
    assert row.revoked_at is None


def test_deactivated_account_cannot_sign_in(client):
    from eventapp.accounts import service

    user = make_account("gone@example.org")
    service.set_active(user, False)
    db.session.commit()
    assert sign_in(client, "gone@example.org").status_code == 401


def test_admin_creates_accounts_and_appointments_are_audited(client, demo_meeting):
    make_account("admin@example.org", "admin")
    sign_in(client, "admin@example.org")
    token = csrf_token(client, "/admin/accounts")
    response = client.post(
        "/admin/accounts", data={"email": "New@Example.org", "csrf_token": token}
    )
    assert response.status_code == 302
    token = csrf_token(client, f"/meetings/{demo_meeting.slug}/manage/team")
    response = client.post(
        f"/meetings/{demo_meeting.slug}/manage/team",
        data={"person": "new@example.org", "role": "organiser", "csrf_token": token},
    )
    assert response.status_code == 303
    log = client.get(f"/meetings/{demo_meeting.slug}/manage/log").get_data(as_text=True)
    assert "team.appointed" in log, log
    assert "new@example.org" in log.lower() and "admin@example.org" in log
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "team.appointed"))
    assert entry.details == {"role": "organiser"}


def test_organisers_appoint_rapporteurs_but_not_organisers(client, demo_meeting):
    make_account("org@example.org", "organiser", meeting=demo_meeting)
    sign_in(client, "org@example.org")
    path = f"/meetings/{demo_meeting.slug}/manage/team"
    token = csrf_token(client, path)
    response = client.post(
        path, data={"person": "r@example.org", "role": "organiser", "csrf_token": token}
    )
    assert response.status_code == 403
    response = client.post(
        path, data={"person": "r@example.org", "role": "rapporteur", "csrf_token": token}
    )
    assert response.status_code == 303
    assert "r@example.org" in client.get(path).get_data(as_text=True)


def test_sign_ins_without_a_csrf_token_count_as_failures_too(client):
    make_account("target@example.org")
    data = {"email": "target@example.org", "password": "guess"}
    statuses = [client.post("/login", data=data).status_code for _ in range(6)]
    assert statuses[:5] == [400] * 5
    assert statuses[5] == 429
