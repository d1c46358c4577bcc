"""Draft and published agenda: the sessions table is the organisers' draft; the public pages, the
calendar and the schedules show the newest published version, and calendars follow each one."""

from __future__ import annotations

import shutil
import subprocess
import threading
from datetime import timedelta
from typing import Any

import icalendar
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from eventapp.agenda import published, versions
from eventapp.extensions import db
from eventapp.models import (
    AgendaVersion,
    Meeting,
    Participant,
    Session,
    SessionPerson,
    SessionRole,
)
from eventapp.models.types import utcnow
from tests.factories import DEMO_SLUG, make_account, new_session
from tests.helpers import assert_error, bearer, libical_events
from tests.helpers import organiser_headers as organiser

API = f"/api/v1/meetings/{DEMO_SLUG}"
PUBLISH = f"{API}/agenda/publish"
VERSIONS = f"{API}/agenda/versions"
PUBLIC = [f"/meetings/{DEMO_SLUG}/{p}" for p in ("agenda", "agenda.ics", "schedule.json")]


def _session(ref: str) -> Session:
    found = db.session.scalar(sa.select(Session).where(Session.ref == ref))
    assert found is not None
    return found


def _events(client: FlaskClient) -> dict[str, Any]:
    response = client.get(f"/meetings/{DEMO_SLUG}/agenda.ics")
    assert response.status_code == 200
    cal = icalendar.Calendar.from_ical(response.data)
    return {str(e["uid"]).split(".")[0]: e for e in cal.walk("VEVENT")}


def _public(client: FlaskClient) -> list[bytes]:
    return [client.get(path).data for path in PUBLIC]


def _change_the_draft(client: FlaskClient, headers: dict[str, str]) -> None:
    """One of each kind of change, as an organiser makes them (new session through the API)."""
    net = _session("s-net")
    net.title = "Networks report, revised"
    opening = _session("s-open")
    opening.start_local -= timedelta(minutes=15)
    opening.end_local -= timedelta(minutes=15)
    opening.start_utc -= timedelta(minutes=15)
    opening.end_utc -= timedelta(minutes=15)
    _session("s-break").cancelled_at = utcnow()
    # A speaker added: the people changed.
    speaker = db.session.scalar(sa.select(Participant).where(Participant.ref == "p-wco"))
    assert speaker is not None
    iccwc = _session("s-iccwc")
    iccwc.people.append(SessionPerson(role=SessionRole.SPEAKER, participant=speaker, position=9))
    db.session.commit()
    response = client.post(f"{API}/sessions", json=new_session(), headers=headers)
    assert response.status_code == 201, response.get_json()


def test_an_import_publishes_version_1_and_the_public_pages_show_it(
    client: FlaskClient, demo_meeting: Meeting, demo_doc: dict[str, Any]
) -> None:
    answer = client.get(VERSIONS, headers=organiser(demo_meeting))
    assert answer.status_code == 200
    (first,) = answer.get_json()
    assert first["version"] == 1
    refs = [s["ref"] for s in demo_doc["sessions"]]
    assert {c["ref"] for c in first["changes"]} == set(refs)
    assert {c["change"] for c in first["changes"]} == {"added"}
    events = _events(client)
    assert {int(e["sequence"]) for e in events.values()} == {0}
    assert {str(e["status"]) for e in events.values()} == {"CONFIRMED"}
    # What the page shows is what version 1 holds.
    assert published.published_agenda(demo_meeting).version == 1


def test_the_draft_stays_private_until_published_then_calendars_follow(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    headers = organiser(demo_meeting)
    before = _public(client)
    events_before = _events(client)
    _change_the_draft(client, headers)
    assert _public(client) == before

    response = client.post(PUBLISH, headers=headers)
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["version"] == 2
    assert {(c["ref"], c["change"]) for c in body["changes"]} == {
        ("s-net", "retitled"),
        ("s-open", "moved"),
        ("s-break", "cancelled"),
        ("s-iccwc", "changed"),
        ("s-side", "added"),
    }

    page = client.get(PUBLIC[0]).get_data(as_text=True)
    assert "Networks report, revised" in page
    assert "&lt;i&gt;forensics&lt;/i&gt;" in page
    assert 'id="session-s-break"' not in page
    events = _events(client)
    # Every UID stays; the new session is added; a cancelled one stays, as cancelled.
    assert set(events_before) < set(events)
    assert set(events) - set(events_before) == {"s-side"}
    sequences = {ref: int(e["sequence"]) for ref, e in events.items()}
    changed = {"s-net", "s-open", "s-break", "s-iccwc"}
    assert {ref for ref, n in sequences.items() if n == 1} == changed
    assert {ref for ref, n in sequences.items() if n == 0} == set(events) - changed
    assert str(events["s-break"]["status"]) == "CANCELLED"
    assert {str(events[r]["status"]) for r in set(events) - {"s-break"}} == {"CONFIRMED"}
    # LAST-MODIFIED: the publication of the version that last changed the session.
    second, first = versions.published_versions(demo_meeting)
    assert events["s-net"]["last-modified"].dt == second.published_at.replace(microsecond=0)
    assert events["s-close"]["last-modified"].dt == first.published_at.replace(microsecond=0)
    wco = db.session.scalar(sa.select(Participant).where(Participant.ref == "p-wco"))
    assert wco is not None
    assert wco.family_name not in str(events_before["s-iccwc"]["description"])
    assert wco.family_name in str(events["s-iccwc"]["description"])
    assert str(events["s-net"]["url"]).endswith(f"/meetings/{DEMO_SLUG}/sessions/s-net")

    # A third version changing one session raises that session's sequence alone.
    _session("s-net").title = "Networks report, final"
    db.session.commit()
    assert client.post(PUBLISH, headers=headers).get_json()["changes"] == [
        {"ref": "s-net", "title": "Networks report, final", "change": "retitled"}
    ]
    again = {ref: int(e["sequence"]) for ref, e in _events(client).items()}
    assert again == {**sequences, "s-net": 2}


def test_a_session_gone_from_the_draft_stays_in_the_feed_as_cancelled(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    headers = organiser(demo_meeting)
    db.session.delete(_session("s-close"))
    db.session.commit()
    body = client.post(PUBLISH, headers=headers).get_json()
    assert body["changes"] == [
        {"ref": "s-close", "title": "Closing of the meeting", "change": "cancelled"}
    ]
    event = _events(client)["s-close"]
    assert str(event["status"]) == "CANCELLED"
    assert int(event["sequence"]) == 1
    # Published again with another change: the cancelled session neither leaves nor changes.
    _session("s-net").title = "Networks report, revised"
    db.session.commit()
    assert client.post(PUBLISH, headers=headers).status_code == 201
    event = _events(client)["s-close"]
    assert (str(event["status"]), int(event["sequence"])) == ("CANCELLED", 1)


def test_nothing_to_publish_is_409_and_the_versions_come_newest_first(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    headers = organiser(demo_meeting)
    assert_error(client.post(PUBLISH, headers=headers), 409, "conflict")
    # A change the public never sees is still a change of the agenda.
    _session("s-closed").title = "Heads of networks, closed"
    db.session.commit()
    assert client.post(PUBLISH, headers=headers).status_code == 201
    assert_error(client.post(PUBLISH, headers=headers), 409, "conflict")
    listed = client.get(VERSIONS, headers=headers).get_json()
    assert [v["version"] for v in listed] == [2, 1]
    assert listed[0]["changes"] == [
        {"ref": "s-closed", "title": "Heads of networks, closed", "change": "retitled"}
    ]
    assert listed[0]["published_by"] == "org@example.org"
    assert listed[0]["published_at"] > listed[1]["published_at"]
    assert "Heads of networks" not in client.get(PUBLIC[0]).get_data(as_text=True)


def test_only_organisers_publish_or_read_the_versions(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    make_account("someone@example.org", "participant")
    make_account("rapp@example.org", "rapporteur", meeting=demo_meeting)
    _session("s-net").title = "Changed"
    db.session.commit()
    for email in ("someone@example.org", "rapp@example.org"):
        headers = bearer(email)
        assert_error(client.post(PUBLISH, headers=headers), 403, "forbidden")
        assert_error(client.get(VERSIONS, headers=headers), 403, "forbidden")
    assert client.post(PUBLISH).status_code == 401
    assert db.session.scalar(sa.select(sa.func.count(AgendaVersion.id))) == 1
    assert client.post(PUBLISH, headers=organiser(demo_meeting)).status_code == 201


def test_two_publications_at_once_never_share_a_number(app: Flask, demo_meeting: Meeting) -> None:
    headers = organiser(demo_meeting)
    _session("s-net").title = "Changed"
    db.session.commit()
    barrier = threading.Barrier(2)
    answers: list[Any] = [None, None]

    def publish(index: int) -> None:
        client = app.test_client()
        barrier.wait()
        answers[index] = client.post(PUBLISH, headers=headers)

    threads = [threading.Thread(target=publish, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [201, 409]
    db.session.expire_all()
    numbers = db.session.scalars(sa.select(AgendaVersion.number).order_by(AgendaVersion.number))
    assert list(numbers) == [1, 2]


def test_a_publication_is_a_new_etag_for_the_public_exports(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    first = client.get(PUBLIC[1])
    _session("s-net").title = "Networks report, revised"
    db.session.commit()
    unchanged = client.get(PUBLIC[1], headers={"If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304
    assert client.post(PUBLISH, headers=organiser(demo_meeting)).status_code == 201
    changed = client.get(PUBLIC[1], headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    (net,) = [
        e for e in icalendar.Calendar.from_ical(changed.data).walk("VEVENT") if "s-net" in e["uid"]
    ]
    assert str(net["summary"]) == "2. Networks report, revised"


def test_a_replacing_import_is_the_next_version(
    client: FlaskClient, demo_meeting: Meeting, demo_doc: dict[str, Any]
) -> None:
    demo_doc["sessions"] = [s for s in demo_doc["sessions"] if s["ref"] != "s-close"]
    response = client.put(API, json=demo_doc, headers=organiser(demo_meeting))
    assert response.status_code == 200, response.get_json()
    newest = versions.newest(demo_meeting)
    assert newest is not None and newest.number == 2
    assert newest.changes == [
        {"ref": "s-close", "title": "Closing of the meeting", "change": "cancelled"}
    ]
    assert str(_events(client)["s-close"]["status"]) == "CANCELLED"


def test_libical_reads_sequences_and_cancellations(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    python = shutil.which("python3", path="/usr/bin")
    probe = [python or "python3", "-c", "import gi; gi.require_version('ICalGLib', '3.0')"]
    if python is None or subprocess.run(probe, capture_output=True).returncode:
        pytest.skip("libical's GObject binding (gir1.2-ical-3.0) is not installed")
    _session("s-break").cancelled_at = utcnow()
    db.session.commit()
    assert client.post(PUBLISH, headers=organiser(demo_meeting)).status_code == 201
    text = client.get(PUBLIC[1]).get_data(as_text=True)
    errors, read = libical_events(text)
    assert errors == 0
    assert read["s-break"] == (1, "cancelled")
    assert read["s-open"] == (0, "confirmed")
    assert set(read) == {"s-open", "s-net", "s-break", "s-non", "s-iccwc", "s-close"}


def test_the_upgrade_publishes_version_1_of_every_published_agenda(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    from flask_migrate import downgrade, upgrade

    imported = versions.newest(demo_meeting)
    assert imported is not None
    page = client.get(PUBLIC[0]).data
    db.session.remove()
    # The database as it was before agenda versions existed, meeting and sessions kept.
    downgrade(revision="a4c0e1d00007")
    db.engine.dispose()
    upgrade()
    upgraded = db.session.scalars(sa.select(AgendaVersion)).all()
    assert [v.number for v in upgraded] == [1]
    assert upgraded[0].sessions == imported.sessions
    assert upgraded[0].changes == imported.changes
    assert client.get(PUBLIC[0]).data == page


def test_changes_made_through_the_api_are_published_with_their_kinds(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    headers = organiser(demo_meeting)
    sessions = f"{API}/sessions"
    before = _public(client)
    moved = {"start": "2013-03-05T15:00", "end": "2013-03-05T16:00", "room": "room-b"}
    for ref, body in (("s-net", {"title": "Networks of the world"}), ("s-close", moved)):
        response = client.patch(f"{sessions}/{ref}", json=body, headers=headers)
        assert response.status_code == 200, response.get_json()
    people = {"speakers": ["p-wco"]}
    assert client.patch(f"{sessions}/s-non", json=people, headers=headers).status_code == 200
    assert client.delete(f"{sessions}/s-break", headers=headers).status_code == 204
    assert _public(client) == before

    body = client.post(PUBLISH, headers=headers).get_json()
    assert {(c["ref"], c["change"]) for c in body["changes"]} == {
        ("s-net", "retitled"),
        ("s-close", "moved"),
        ("s-non", "changed"),
        ("s-break", "cancelled"),
    }
    events = _events(client)
    assert str(events["s-break"]["status"]) == "CANCELLED"
    assert str(events["s-net"]["summary"]) == "2. Networks of the world"
    assert str(events["s-close"]["location"]).startswith("Meeting Room B")
    assert events["s-close"]["dtstart"].dt.hour == 15
