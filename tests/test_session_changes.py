"""Changing the agenda through the API: add without a ref, edit, move, cancel, number.

The rules are the agenda service's (eventapp/agenda/sessions.py); these tests drive them over
HTTP, on SQLite and PostgreSQL alike, and check what was stored, not only what was answered.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from eventapp.extensions import db
from eventapp.models import AuditEntry, Meeting, Session
from tests.factories import DEMO_SLUG, new_session
from tests.helpers import SESSIONS, assert_error
from tests.helpers import organiser_headers as organiser


@pytest.fixture
def headers(demo_meeting: Meeting) -> dict[str, str]:
    return organiser(demo_meeting)


def stored(ref: str) -> Session:
    db.session.expire_all()
    session = db.session.scalar(sa.select(Session).where(Session.ref == ref))
    assert session is not None, ref
    return session


def audit_actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


# -- adding ------------------------------------------------------------------------------------


def test_a_session_without_a_ref_gets_a_readable_one(client, headers):
    body = new_session(title="Opening of the side events")
    del body["ref"]
    first = client.post(SESSIONS, json=body, headers=headers)
    assert first.status_code == 201, first.get_json()
    assert first.get_json()["ref"] == "s-opening-of-the-side-events"
    assert first.headers["Location"].endswith("/sessions/s-opening-of-the-side-events")
    again = client.post(
        SESSIONS,
        json={**body, "start": "2013-03-05T17:00", "end": "2013-03-05T18:00"},
        headers=headers,
    )
    assert again.status_code == 201, again.get_json()
    assert again.get_json()["ref"] == "s-opening-of-the-side-events-2"
    assert stored("s-opening-of-the-side-events-2").title == "Opening of the side events"


def test_a_title_without_latin_letters_still_gets_a_ref(client, headers):
    body = new_session(title="野生动物执法")
    del body["ref"]
    response = client.post(SESSIONS, json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["ref"] == "s-session"


def test_post_answers_the_session_with_its_warnings(client, headers):
    response = client.post(SESSIONS, json=new_session(), headers=headers)
    assert response.status_code == 201
    assert response.get_json()["warnings"] == []


# -- editing and moving ------------------------------------------------------------------------


def test_patch_changes_only_the_fields_given(client, headers):
    before = client.get(f"{SESSIONS}/s-net", headers=headers).get_json()
    response = client.patch(
        f"{SESSIONS}/s-net",
        json={"title": "Networks of the world", "description": "All of them.", "public": False},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["title"] == "Networks of the world"
    assert body["description"] == "All of them."
    assert body["public"] is False
    assert isinstance(body["warnings"], list)
    # Everything else, the record included, is as it was.
    unchanged = {k: v for k, v in before.items() if k not in {"title", "description", "public"}}
    assert {k: body[k] for k in unchanged} == unchanged
    assert stored("s-net").title == "Networks of the world"
    assert "session.changed" in audit_actions()


def test_moving_a_session_to_another_room_and_time(client, headers):
    response = client.patch(
        f"{SESSIONS}/s-closed",
        json={"room": "plenary", "start": "2013-03-05T12:45", "end": "2013-03-05T13:30"},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    session = stored("s-closed")
    assert session.room is not None and session.room.ref == "plenary"
    assert session.start_utc.isoformat() == "2013-03-05T05:45:00+00:00"  # Bangkok, UTC+7
    # Its old place is free again.
    free = new_session(start="2013-03-05T14:00", end="2013-03-05T15:00", room="room-b")
    assert client.post(SESSIONS, json=free, headers=headers).status_code == 201


def test_people_are_replaced_and_the_rapporteur_removed(client, headers):
    response = client.patch(
        f"{SESSIONS}/s-non",
        json={"chairs": ["p-traffic"], "speakers": ["p-wco", "p-interpol"], "rapporteur": None},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["chairs"] == ["p-traffic"]
    assert body["speakers"] == ["p-wco", "p-interpol"]
    assert "rapporteur" not in body
    session = stored("s-non")
    assert [p.ref for p in session.speakers] == ["p-wco", "p-interpol"]
    assert session.rapporteur is None


def test_moving_into_a_taken_room_is_409_naming_the_other_session(client, headers):
    response = client.patch(
        f"{SESSIONS}/s-closed",
        json={"room": "plenary", "start": "2013-03-05T10:00", "end": "2013-03-05T10:30"},
        headers=headers,
    )
    error = assert_error(response, 409, "conflict")
    assert "Presentations by the Wildlife Enforcement Networks" in error["message"]
    assert "09:30" in error["message"] and "11:00" in error["message"]
    assert "$." not in error["message"]
    session = stored("s-closed")
    assert session.room is not None and session.room.ref == "room-b"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"end": "2013-03-05T13:00"}, "$.end"),  # before its start (14:00)
        ({"room": "attic"}, "$.room"),
        ({"speakers": ["ghost"]}, "$.speakers[0]"),
        ({"title": None}, "$.title"),
        ({"kind": "party"}, "$.kind"),
        ({"ref": "s-other"}, "$.ref"),
        ({"record": {"status": "draft"}}, "$.record"),
        ({"nickname": "x"}, "$.nickname"),
        ({"start": "2013-03-09T09:00", "end": "2013-03-09T10:00"}, "$.start"),
    ],
)
def test_bad_values_are_422_located_and_change_nothing(client, headers, body, field):
    before = client.get(f"{SESSIONS}/s-closed", headers=headers).get_json()
    error = assert_error(
        client.patch(f"{SESSIONS}/s-closed", json=body, headers=headers),
        422,
        "unprocessable_entity",
    )
    assert field in error["fields"], error
    assert client.get(f"{SESSIONS}/s-closed", headers=headers).get_json() == before


def test_patch_of_a_body_that_is_not_an_object_is_422(client, headers):
    assert_error(
        client.patch(f"{SESSIONS}/s-closed", json=["title"], headers=headers),
        422,
        "unprocessable_entity",
    )


def test_patch_of_an_unknown_session_is_404(client, headers):
    assert_error(
        client.patch(f"{SESSIONS}/nope", json={"title": "x"}, headers=headers), 404, "not_found"
    )


def test_the_record_is_untouched_by_a_patch(client, headers):
    record = client.get(f"{SESSIONS}/s-open/record", headers=headers)
    client.patch(f"{SESSIONS}/s-open", json={"title": "Opening, renamed"}, headers=headers)
    after = client.get(f"{SESSIONS}/s-open/record", headers=headers)
    assert after.get_json() == record.get_json()
    assert after.headers["ETag"] == record.headers["ETag"]


# -- cancelling --------------------------------------------------------------------------------


def test_delete_cancels_the_session_and_keeps_its_record(client, headers):
    response = client.delete(f"{SESSIONS}/s-close", headers=headers)
    assert response.status_code == 204
    assert response.get_data() == b""
    session = stored("s-close")
    assert session.cancelled_at is not None
    assert session.record is not None
    assert "session.cancelled" in audit_actions()
    # Left out of the organisers' listing and the export (the public pages show it until the
    # draft is published: agenda/versions.py).
    refs = [s["ref"] for s in client.get(SESSIONS, headers=headers).get_json()]
    assert "s-close" not in refs and "s-open" in refs
    exported = client.get(f"/api/v1/meetings/{DEMO_SLUG}", headers=headers).get_json()
    assert "s-close" not in [s["ref"] for s in exported["sessions"]]
    # Its record can still be read by those who keep it.
    assert client.get(f"{SESSIONS}/s-close/record", headers=headers).status_code == 200


def test_a_cancelled_session_no_longer_holds_its_room(client, headers):
    assert client.delete(f"{SESSIONS}/s-close", headers=headers).status_code == 204
    body = new_session(room="plenary", start="2013-03-05T16:30", end="2013-03-05T17:00")
    assert client.post(SESSIONS, json=body, headers=headers).status_code == 201


def test_a_cancelled_session_is_404_to_delete_patch_and_get_again(client, headers):
    assert client.delete(f"{SESSIONS}/s-close", headers=headers).status_code == 204
    error = assert_error(client.delete(f"{SESSIONS}/s-close", headers=headers), 404, "not_found")
    assert "cancelled" in error["message"]
    assert_error(
        client.patch(f"{SESSIONS}/s-close", json={"title": "x"}, headers=headers), 404, "not_found"
    )
    assert_error(client.get(f"{SESSIONS}/s-close", headers=headers), 404, "not_found")
    assert_error(client.delete(f"{SESSIONS}/nope", headers=headers), 404, "not_found")


def test_a_cancelled_sessions_ref_stays_taken(client, headers):
    assert client.delete(f"{SESSIONS}/s-close", headers=headers).status_code == 204
    body = new_session(ref="s-close")
    assert_error(client.post(SESSIONS, json=body, headers=headers), 409, "conflict")


# -- numbering ---------------------------------------------------------------------------------


def numbers(client: Any, headers: dict[str, str]) -> dict[str, str | None]:
    return {s["ref"]: s.get("number") for s in client.get(SESSIONS, headers=headers).get_json()}


def test_auto_numbers_the_agenda_items_in_time_order(client, headers):
    body = new_session(
        ref="s-extra",
        kind="plenary",
        start="2013-03-05T12:45",
        end="2013-03-05T13:45",
        number="auto",
    )
    response = client.post(SESSIONS, json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["number"] == "4"
    assert numbers(client, headers) == {
        "s-open": "1",
        "s-net": "2",
        "s-break": None,  # breaks are not agenda items
        "s-non": "3",
        "s-extra": "4",
        "s-closed": "5",
        "s-iccwc": "6",
        "s-close": "7",
    }
    side = client.post(
        SESSIONS,
        json=new_session(number="auto", start="2013-03-05T17:00", end="2013-03-05T18:00"),
        headers=headers,
    )
    assert side.status_code == 201
    assert "number" not in side.get_json()  # side events are not numbered either


def test_a_number_by_hand_is_kept_and_auto_on_patch_renumbers(client, headers):
    response = client.patch(f"{SESSIONS}/s-net", json={"number": "2 bis"}, headers=headers)
    assert response.get_json()["number"] == "2 bis"
    assert client.delete(f"{SESSIONS}/s-net", headers=headers).status_code == 204
    response = client.patch(f"{SESSIONS}/s-non", json={"number": "auto"}, headers=headers)
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["number"] == "2"
    assert numbers(client, headers)["s-close"] == "5"


# -- at the same moment ------------------------------------------------------------------------


def test_two_moves_into_one_slot_at_once_one_wins(app: Flask, headers):
    slot = {"room": "room-b", "start": "2013-03-05T12:45", "end": "2013-03-05T13:30"}
    barrier = threading.Barrier(2)
    codes: dict[str, int] = {}

    def move(ref: str) -> None:
        client = app.test_client()
        barrier.wait()
        codes[ref] = client.patch(f"{SESSIONS}/{ref}", json=slot, headers=headers).status_code

    threads = [threading.Thread(target=move, args=(ref,)) for ref in ("s-break", "s-closed")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(codes.values()) == [200, 409], codes
    db.session.expire_all()
    in_slot = [
        s.ref
        for s in db.session.scalars(sa.select(Session))
        if s.room is not None and s.room.ref == "room-b" and s.start_local.hour == 12
    ]
    assert len(in_slot) == 1, in_slot


# -- duplicating and rooms (service functions; the builder's pages will call them) -------------


def meeting_document(client: Any, headers: dict[str, str]) -> dict[str, Any]:
    return client.get(f"/api/v1/meetings/{DEMO_SLUG}", headers=headers).get_json()


def test_a_duplicate_is_a_new_session_at_the_same_time_without_room_or_record(
    client, headers, demo_meeting
):
    from eventapp.agenda import sessions

    copy, _ = sessions.duplicate_session(demo_meeting, "s-non")
    db.session.commit()
    assert copy.ref == "s-towards-a-network-of-the-wildlife"
    body = client.get(f"{SESSIONS}/{copy.ref}", headers=headers).get_json()
    original = client.get(f"{SESSIONS}/s-non", headers=headers).get_json()
    assert "room" not in body and "record" not in body and "number" not in body
    for key in ("title", "kind", "start", "end", "chairs", "speakers", "rapporteur"):
        assert body[key] == original[key], key
    assert "session.duplicated" in audit_actions()


def test_rooms_are_added_renamed_given_a_capacity_and_removed_when_unused(
    client, headers, demo_meeting
):
    from eventapp.agenda import sessions

    room = sessions.add_room(demo_meeting, "  Meeting   Room C ", 25)
    db.session.commit()
    assert room.ref == "room-meeting-room-c"
    sessions.rename_room(demo_meeting, room.ref, "Salle C")
    sessions.set_room_capacity(demo_meeting, room.ref, 30)
    db.session.commit()
    rooms = {r["ref"]: r for r in meeting_document(client, headers)["rooms"]}
    assert rooms["room-meeting-room-c"] == {
        "ref": "room-meeting-room-c",
        "name": "Salle C",
        "capacity": 30,
    }
    with pytest.raises(sessions.RoomInUse, match="Closed session of heads of networks"):
        sessions.remove_room(demo_meeting, "room-b")
    db.session.rollback()
    sessions.remove_room(demo_meeting, room.ref)
    db.session.commit()
    refs = [r["ref"] for r in meeting_document(client, headers)["rooms"]]
    assert refs == ["plenary", "room-b"]
    for bad in ({"name": " "}, {"name": "x" * 301}):
        with pytest.raises(sessions.RoomProblem):
            sessions.add_room(demo_meeting, **bad)
        db.session.rollback()
    with pytest.raises(sessions.RoomProblem):
        sessions.set_room_capacity(demo_meeting, "plenary", -1)
    db.session.rollback()
