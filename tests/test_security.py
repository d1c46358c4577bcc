"""Security headers and cookies on every kind of response."""

from __future__ import annotations

import pytest

from tests.conftest import DEMO_SLUG, make_account, sign_in


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/login",
        f"/meetings/{DEMO_SLUG}/",
        "/no-such-page",
        "/api/v1/openapi.json",
        "/api/v1/meetings/x",
        "/healthz",
        "/static/style.css",
    ],
)
def test_security_headers_everywhere(client, demo_meeting, path):
    response = client.get(path)
    response.close()  # static files stream from an open file
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"]


def test_session_cookie_is_httponly_and_lax(client):
    make_account("c@example.org")
    response = sign_in(client, "c@example.org")
    cookies = [v for k, v in response.headers.items() if k == "Set-Cookie"]
    session = next(c for c in cookies if c.startswith("session="))
    assert "HttpOnly" in session
    assert "SameSite=Lax" in session


def test_errors_never_show_a_traceback(client):
    response = client.get("/meetings/%00/")
    assert response.status_code in (400, 404)
    assert b"Traceback" not in response.data


def test_nul_in_urls_and_forms_is_a_400_not_a_500(client, demo_meeting):
    assert client.get("/meetings/x%00y/manage/").status_code == 400
    assert client.get("/meetings/first-global-wen-meeting/agenda?lang=%00").status_code == 400
    from tests.conftest import csrf_token

    token = csrf_token(client)
    response = client.post(
        "/login", data={"email": "a\x00@example.org", "password": "x", "csrf_token": token}
    )
    assert response.status_code == 400
    assert b"Traceback" not in response.data
