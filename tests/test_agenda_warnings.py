"""What an organiser should know about a session but may accept: warnings, as data.

Each warning has a stable code and a sentence naming the session and the people by title and
name (eventapp/agenda/warnings.py); POST and PATCH answer them in `warnings`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa

from eventapp.agenda.warnings import session_warnings
from eventapp.extensions import db
from eventapp.models import Meeting, Session
from tests.factories import new_session
from tests.helpers import SESSIONS
from tests.helpers import organiser_headers as organiser


@pytest.fixture
def headers(demo_meeting: Meeting) -> dict[str, str]:
    return organiser(demo_meeting)


def patched(client: Any, headers: dict[str, str], ref: str, **body: Any) -> list[dict[str, str]]:
    response = client.patch(f"{SESSIONS}/{ref}", json=body, headers=headers)
    assert response.status_code == 200, response.get_json()
    warnings = response.get_json()["warnings"]
    for warning in warnings:
        assert set(warning) == {"code", "message"}
        # A sentence for people, never a location for programs.
        assert "$." not in warning["message"] and warning["message"].endswith(".")
    return list(warnings)


def codes(warnings: list[dict[str, str]]) -> list[str]:
    return [w["code"] for w in warnings]


def test_a_session_as_it_should_be_has_no_warnings(client, headers):
    assert patched(client, headers, "s-net", title="Presentations") == []


def test_a_person_in_two_places_at_once_is_named(client, headers):
    # The chair also chairs s-non, 11:15-12:45.
    warnings = patched(
        client, headers, "s-closed", start="2013-03-05T11:30", end="2013-03-05T12:00"
    )
    assert codes(warnings) == ["person_double_booked"]
    message = warnings[0]["message"]
    assert "John E. Scanlon" in message
    assert "Towards a network of the wildlife enforcement networks" in message
    assert "11:15" in message and "12:45" in message


def test_the_post_warning_header_stays_with_the_body(client, headers):
    body = new_session(start="2013-03-05T11:15", end="2013-03-05T12:00", chairs=["chair"])
    response = client.post(SESSIONS, json=body, headers=headers)
    assert response.status_code == 201
    assert codes(response.get_json()["warnings"]) == ["person_double_booked"]
    assert response.headers["Warning"].isascii()
    assert "John E. Scanlon" in response.headers["Warning"]


def test_a_chair_or_speaker_who_is_not_approved(client, headers):
    warnings = patched(client, headers, "s-net", chairs=["p-pending"], speakers=["p-late"])
    assert codes(warnings) == ["person_not_approved", "person_not_approved"]
    assert "Sione Fifita" in warnings[0]["message"]
    assert "Anan Wongsa" in warnings[1]["message"]


def test_attendance_over_the_rooms_capacity(client, headers):
    # s-net's record counts 75 present; Meeting Room B has 40 places.
    warnings = patched(client, headers, "s-net", room="room-b")
    assert codes(warnings) == ["over_capacity"]
    assert "75" in warnings[0]["message"] and "40" in warnings[0]["message"]
    assert "Meeting Room B" in warnings[0]["message"]


def test_a_session_without_a_rapporteur(client, headers):
    warnings = patched(client, headers, "s-net", rapporteur=None)
    assert codes(warnings) == ["no_rapporteur"]
    assert "Presentations by the Wildlife Enforcement Networks" in warnings[0]["message"]
    # A break needs none.
    assert patched(client, headers, "s-break", title="Tea") == []


def test_a_session_outside_the_meetings_days(client, headers, demo_meeting):
    # The meeting moved a day later after its agenda was made.
    demo_meeting.start_date = date(2013, 3, 6)
    demo_meeting.end_date = date(2013, 3, 7)
    db.session.commit()
    warnings = patched(client, headers, "s-net", title="Presentations")
    assert codes(warnings) == ["outside_meeting_days"]
    assert "Presentations" in warnings[0]["message"]


def test_one_function_gives_a_sessions_warnings(client, headers):
    patched(client, headers, "s-net", rapporteur=None)
    session = db.session.scalar(sa.select(Session).where(Session.ref == "s-net"))
    assert session is not None
    assert [w.code for w in session_warnings(session)] == ["no_rapporteur"]


def test_a_cancelled_session_warns_no_one(client, headers):
    assert client.delete(f"{SESSIONS}/s-non", headers=headers).status_code == 204
    warnings = patched(
        client, headers, "s-closed", start="2013-03-05T11:30", end="2013-03-05T12:00"
    )
    assert warnings == []
