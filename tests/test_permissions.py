"""Deny by default: every route declares who may use it, and the rules hold for every role."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from eventapp.accounts.permissions import PUBLIC, rule_of
from eventapp.extensions import db
from tests.conftest import csrf_token, demo_document, load, make_account, sign_in
from tests.factories import make_focal_point

PERSONAS = (
    "anonymous",
    "participant",
    "focal_point",
    "rapporteur",
    "other_organiser",
    "organiser",
    "admin",
)


def _routes(app: Flask):  # type: ignore[no-untyped-def]
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or rule.endpoint.endswith(".static"):
            continue
        yield rule


def test_every_route_declares_who_may_use_it(app):
    undeclared = sorted(r.rule for r in _routes(app) if rule_of(app, r.endpoint) is None)
    assert undeclared == []


def test_a_route_without_a_rule_is_refused(app):
    from eventapp import create_app

    fresh = create_app({"SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"]})

    @fresh.get("/__undeclared_for_test")
    def undeclared() -> str:
        return "should never be served"

    with fresh.app_context():
        response = fresh.test_client().get("/__undeclared_for_test")
        assert response.status_code == 403
        assert b"should never be served" not in response.data
        db.engine.dispose()


@pytest.fixture
def world():  # type: ignore[no-untyped-def]
    """The demo meeting, another meeting, and one account per persona."""
    meeting = load(demo_document())
    other_doc = demo_document()
    other_doc["meeting"]["slug"] = "another-meeting"
    other = load(other_doc)
    accounts = {
        "participant": make_account("p-th-1@example.org"),
        "focal_point": make_focal_point("focal@example.org", meeting, "asean-wen"),
        "rapporteur": make_account("rapp-1@example.org", "rapporteur", meeting=meeting),
        "other_organiser": make_account("o2@example.org", "organiser", meeting=other),
        "organiser": make_account("o1@example.org", "organiser", meeting=meeting),
        "admin": make_account("root@example.org", "admin"),
    }
    return {"meeting": meeting, "accounts": accounts}


def _sample_url(rule, world) -> str:  # type: ignore[no-untyped-def]
    values = {}
    for name in rule.arguments:
        if name == "slug":
            values[name] = world["meeting"].slug
        elif name == "user_id":
            values[name] = world["accounts"]["rapporteur"].id
        elif name == "role":
            values[name] = "rapporteur"
        elif name == "token":
            values[name] = "x"
        elif name == "action":
            values[name] = "approve"
        elif name == "ref" and "/delegations/" in rule.rule:
            values[name] = "asean-wen"  # the focal point's organisation
        elif name == "ref" and ("/sessions/" in rule.rule or "/records/" in rule.rule):
            values[name] = "s-net"  # rapp-1 is its rapporteur
        elif name == "ref":
            values[name] = "p-pending"
        else:
            # No such row: the request must pass the access rule, then find nothing.
            values[name] = 999999
    return rule.build(values, append_unknown=False)[1]


def _expected(rule_name: str, persona: str) -> str:
    if rule_name == PUBLIC.name:
        return "allowed"
    if persona == "anonymous":
        return "sign-in"
    if rule_name == "any signed-in account":
        return "allowed"
    if rule_name == "administrators":
        return "allowed" if persona == "admin" else "forbidden"
    if rule_name.startswith("the meeting's organisers, administrators and the focal points"):
        return "allowed" if persona in ("focal_point", "organiser", "admin") else "forbidden"
    if rule_name.startswith("the organisation's focal points"):
        return "allowed" if persona in ("focal_point", "organiser", "admin") else "forbidden"
    if rule_name == "the meeting's organisers and administrators":
        return "allowed" if persona in ("organiser", "admin") else "forbidden"
    if rule_name.startswith("the meeting's rapporteurs"):
        return "allowed" if persona in ("rapporteur", "organiser", "admin") else "forbidden"
    if rule_name.startswith("the meeting's chair"):
        return "allowed" if persona in ("organiser", "admin") else "forbidden"
    if rule_name.startswith("the session's rapporteur"):
        return "allowed" if persona in ("rapporteur", "organiser", "admin") else "forbidden"
    raise AssertionError(f"no expectation written for rule {rule_name!r}")


def _outcome(response, api: bool) -> str:  # type: ignore[no-untyped-def]
    if response.status_code == 401 or (
        not api and response.status_code == 302 and "/login" in response.headers["Location"]
    ):
        return "sign-in"
    if response.status_code == 403:
        return "forbidden"
    return "allowed"


@pytest.mark.parametrize("persona", PERSONAS)
def test_authorization_matrix(app, world, persona):
    from eventapp.accounts import service

    client = app.test_client()
    headers = {}
    if persona != "anonymous":
        user = world["accounts"][persona]
        assert sign_in(client, user.email).status_code == 302
        token = service.create_token(user)
        db.session.commit()
        headers = {"Authorization": f"Bearer {token}"}
    form_token = csrf_token(client, "/login")
    failures = []
    checked = 0
    for rule in _routes(app):
        access = rule_of(app, rule.endpoint)
        if access is None or access.name == PUBLIC.name:
            continue
        url = _sample_url(rule, world)
        api = url.startswith("/api/")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            if method == "GET":
                response = client.get(url, headers=headers if api else None)
            else:
                body = {} if api else {"csrf_token": form_token}
                response = client.open(
                    url,
                    method=method,
                    headers=headers if api else None,
                    **({"json": body} if api else {"data": body}),
                )
            checked += 1
            want = _expected(access.name, persona)
            got = _outcome(response, api)
            if got != want:
                failures.append(f"{method} {url}: expected {want}, got {response.status_code}")
    assert checked > 0
    assert failures == [], json.dumps(failures, indent=1)


def test_organiser_of_another_meeting_sees_nothing_of_this_one(client, world):
    sign_in(client, "o2@example.org")
    page = client.get(f"/meetings/{world['meeting'].slug}/manage/")
    assert page.status_code == 403
    assert b"p-th-1@example.org" not in page.data


def test_organiser_sees_everything_about_their_meeting(client, world):
    sign_in(client, "o1@example.org")
    page = client.get(f"/meetings/{world['meeting'].slug}/manage/").get_data(as_text=True)
    # Personal data the public never sees: addresses, the non-consenting, the pending.
    assert "p-freeland@example.org" in page
    assert "Fifita" in page
    assert "Wongsa" in page


def test_unknown_meeting_is_404_for_organisers_and_admins(client, world):
    sign_in(client, "root@example.org")
    assert client.get("/meetings/no-such-meeting/manage/").status_code == 404
