"""GET /api/v1/meetings/<slug>/actions: every action item of the meeting's records."""

from __future__ import annotations

from typing import Any

import pytest

from tests.factories import DEMO_SLUG, demo_document, load, make_account
from tests.helpers import SESSIONS, assert_error, bearer, organiser_headers

ACTIONS = f"/api/v1/meetings/{DEMO_SLUG}/actions"
ICCWC_ACTIONS = [
    {
        "session": "s-iccwc",
        "text": "ICCWC to facilitate increased interaction amongst WENs and provide them with "
        "further opportunities to strengthen relationships, standardize practices and "
        "cooperate on an international level.",
        "owner": "iccwc",
        "due": "2013-12-31",
        "done": False,
        "record_status": "approved",
    },
    {
        "session": "s-iccwc",
        "text": "ICCWC partners to develop a strategy to continue support to the networks and "
        "increase communication and coordination amongst them.",
        "owner": "iccwc",
        "due": "2014-03-31",
        "done": False,
        "record_status": "approved",
    },
]


@pytest.fixture
def organiser(demo_meeting) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return organiser_headers(demo_meeting)


def add_outcomes(client, headers: dict[str, str], *outcomes: dict[str, Any]) -> None:  # type: ignore[no-untyped-def]
    """The draft record of s-close, with these outcomes added after its own."""
    url = f"{SESSIONS}/s-close/record"
    current = client.get(url, headers=headers)
    body = current.get_json()
    body["outcomes"] = [*body["outcomes"], *outcomes]
    response = client.put(url, json=body, headers={**headers, "If-Match": current.headers["ETag"]})
    assert response.status_code == 200, response.get_json()


def test_every_action_of_the_meeting_in_agenda_order(client, organiser):  # type: ignore[no-untyped-def]
    response = client.get(ACTIONS, headers=organiser)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.get_json() == ICCWC_ACTIONS  # the demo's only actions
    add_outcomes(
        client,
        organiser,
        {"kind": "decision", "text": "Not an action."},
        {"kind": "action", "text": "Circulate the report.", "owner": "cites", "done": True},
        {"kind": "action", "text": "Someone should follow up."},
    )
    # A draft record's actions too, with the record's status; an action without owner or date.
    assert client.get(ACTIONS, headers=organiser).get_json() == [
        *ICCWC_ACTIONS,
        {
            "session": "s-close",
            "text": "Circulate the report.",
            "owner": "cites",
            "due": None,
            "done": True,
            "record_status": "draft",
        },
        {
            "session": "s-close",
            "text": "Someone should follow up.",
            "owner": None,
            "due": None,
            "done": False,
            "record_status": "draft",
        },
    ]


def test_owner_filters_by_organisation_ref(client, organiser):  # type: ignore[no-untyped-def]
    add_outcomes(client, organiser, {"kind": "action", "text": "Circulate it.", "owner": "cites"})
    by_cites = client.get(f"{ACTIONS}?owner=cites", headers=organiser).get_json()
    assert [a["text"] for a in by_cites] == ["Circulate it."]
    assert client.get(f"{ACTIONS}?owner=iccwc", headers=organiser).get_json() == ICCWC_ACTIONS
    assert client.get(f"{ACTIONS}?owner=interpol", headers=organiser).get_json() == []


@pytest.mark.parametrize("owner", ["atlantis", "", "ICCWC", "x" * 5000, "%F0%9F%90%98"])
def test_an_unknown_owner_is_400(client, organiser, owner):  # type: ignore[no-untyped-def]
    error = assert_error(
        client.get(f"{ACTIONS}?owner={owner}", headers=organiser), 400, "bad_request"
    )
    assert "owner" in error["fields"]


def test_only_this_meetings_actions(client, organiser, demo_meeting):  # type: ignore[no-untyped-def]
    other = demo_document()
    other["meeting"]["slug"] = "second-global-wen-meeting"
    load(other)
    response = client.get(f"{ACTIONS}?owner=iccwc", headers=organiser)
    assert response.get_json() == ICCWC_ACTIONS  # not twice
    second = client.get("/api/v1/meetings/second-global-wen-meeting/actions", headers=organiser)
    assert_error(second, 403, "forbidden")  # an organiser of the first meeting only


def test_only_organisers_see_the_actions(client, demo_meeting):  # type: ignore[no-untyped-def]
    make_account("chair@example.org")
    make_account("rapp-2@example.org", "rapporteur", meeting=demo_meeting)
    for email in ("chair@example.org", "rapp-2@example.org"):
        assert_error(client.get(ACTIONS, headers=bearer(email)), 403, "forbidden")
    assert_error(client.get(ACTIONS), 401, "unauthorized")
    make_account("admin@example.org", "admin")
    assert client.get(ACTIONS, headers=bearer("admin@example.org")).get_json() == ICCWC_ACTIONS
    assert_error(
        client.get("/api/v1/meetings/nope/actions", headers=bearer("admin@example.org")),
        404,
        "not_found",
    )
