"""The JSON API's foundation: bearer tokens, one error shape, the OpenAPI description."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa
from openapi_spec_validator import validate

from eventapp.accounts import service
from eventapp.extensions import db
from eventapp.models import Meeting
from tests.factories import DEMO_SLUG, demo_document, make_account
from tests.helpers import assert_error, bearer, normalised


@pytest.fixture
def organiser(demo_meeting):  # type: ignore[no-untyped-def]
    make_account("org@example.org", "organiser", meeting=demo_meeting)
    return bearer("org@example.org")


def test_organiser_gets_the_meeting_document(client, organiser, demo_doc):
    response = client.get(f"/api/v1/meetings/{DEMO_SLUG}", headers=organiser)
    assert response.status_code == 200
    assert normalised(response.get_json()) == normalised(demo_doc)


def test_no_token_bad_token_revoked_token(client, organiser):
    url = f"/api/v1/meetings/{DEMO_SLUG}"
    response = client.get(url)
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert_error(client.get(url, headers={"Authorization": "Bearer nope"}), 401, "unauthorized")
    assert_error(client.get(url, headers={"Authorization": "Basic abc"}), 401, "unauthorized")
    user = service.find_user("org@example.org")
    for token in user.tokens:
        service.revoke_token(user, token.id)
    db.session.commit()
    assert_error(client.get(url, headers=organiser), 401, "unauthorized")


def test_session_cookie_does_not_authenticate_the_api(client, demo_meeting):
    from tests.conftest import sign_in

    make_account("org@example.org", "organiser", meeting=demo_meeting)
    assert sign_in(client, "org@example.org").status_code == 302
    assert_error(client.get(f"/api/v1/meetings/{DEMO_SLUG}"), 401, "unauthorized")


def test_organiser_of_another_meeting_is_forbidden(client, demo_meeting):
    other = demo_document()
    other["meeting"]["slug"] = "other-meeting"
    from tests.conftest import load

    load(other)
    make_account(
        "o2@example.org",
        "organiser",
        meeting=db.session.scalar(sa.select(Meeting).where(Meeting.slug == "other-meeting")),
    )
    response = client.get(f"/api/v1/meetings/{DEMO_SLUG}", headers=bearer("o2@example.org"))
    assert_error(response, 403, "forbidden")
    assert b"@example.org" not in response.data


def test_unknown_meeting_and_path_and_method(client, demo_meeting):
    make_account("root@example.org", "admin")
    headers = bearer("root@example.org")
    assert_error(client.get("/api/v1/meetings/nope", headers=headers), 404, "not_found")
    assert_error(client.get("/api/v1/nothing-here", headers=headers), 404, "not_found")
    response = client.delete(f"/api/v1/meetings/{DEMO_SLUG}", headers=headers)
    assert_error(response, 405, "method_not_allowed")
    assert "GET" in response.headers["Allow"]


def test_admin_creates_a_meeting_and_bad_bodies_are_4xx(client):
    make_account("root@example.org", "admin")
    headers = bearer("root@example.org")
    doc = demo_document()
    response = client.post("/api/v1/meetings", json=doc, headers=headers)
    assert response.status_code == 201
    assert response.headers["Location"].endswith(f"/api/v1/meetings/{DEMO_SLUG}")
    assert_error(client.post("/api/v1/meetings", json=doc, headers=headers), 409, "conflict")
    response = client.post(
        "/api/v1/meetings", data="<xml/>", content_type="application/xml", headers=headers
    )
    assert_error(response, 415, "unsupported_media_type")
    response = client.post(
        "/api/v1/meetings", data="{broken", content_type="application/json", headers=headers
    )
    assert_error(response, 400, "bad_request")
    bad = demo_document()
    bad["meeting"]["slug"] = "another"
    bad["participants"][0]["email"] = "nope"
    error = assert_error(
        client.post("/api/v1/meetings", json=bad, headers=headers), 422, "unprocessable_entity"
    )
    assert "$.participants[0].email" in error["fields"]
    assert db.session.scalar(sa.select(sa.func.count(Meeting.id))) == 1


def test_body_over_the_limit_is_413(app, client):
    make_account("root@example.org", "admin")
    headers = bearer("root@example.org")
    big = json.dumps({"padding": "x" * (app.config["API_MAX_BODY"] + 1)})
    response = client.post(
        "/api/v1/meetings", data=big, content_type="application/json", headers=headers
    )
    assert_error(response, 413, "payload_too_large")


def test_organiser_replaces_their_meeting(client, organiser, demo_doc):
    demo_doc["meeting"]["title"] = "Renamed"
    response = client.put(f"/api/v1/meetings/{DEMO_SLUG}", json=demo_doc, headers=organiser)
    assert response.status_code == 200
    assert response.get_json()["meeting"]["title"] == "Renamed"
    demo_doc["meeting"]["slug"] = "elsewhere"
    response = client.put(f"/api/v1/meetings/{DEMO_SLUG}", json=demo_doc, headers=organiser)
    error = assert_error(response, 422, "unprocessable_entity")
    assert "$.meeting.slug" in error["fields"]


def test_organiser_may_not_create_meetings(client, organiser):
    doc = demo_document()
    doc["meeting"]["slug"] = "mine-now"
    assert_error(client.post("/api/v1/meetings", json=doc, headers=organiser), 403, "forbidden")


def test_me(client, organiser):
    response = client.get("/api/v1/me", headers=organiser)
    assert response.get_json() == {
        "email": "org@example.org",
        "admin": False,
        "meetings": [{"slug": DEMO_SLUG, "role": "organiser"}],
        # An organiser who is no participant has no personal calendar.
        "calendars": [],
    }


def test_openapi_is_valid_3_1(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.get_json()
    assert spec["openapi"] == "3.1.0"
    validate(spec)


def test_openapi_describes_exactly_the_routes(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    described = {
        (path, method.upper())
        for path, operations in spec["paths"].items()
        for method in operations
    }
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len("/api/v1") :])
        served |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert described == served


def test_api_audits_changes_with_the_token_owner(client, organiser, demo_doc):
    from eventapp.models import AuditEntry

    client.put(f"/api/v1/meetings/{DEMO_SLUG}", json=demo_doc, headers=organiser)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "meeting.replaced"))
    assert entry.actor == "org@example.org"
