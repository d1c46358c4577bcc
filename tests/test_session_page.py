"""The public page of a session (contract 4.1): what the published agenda and its approved record
show of it, and a 404 for anything the public may not see."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from eventapp.models import Meeting
from tests.factories import DEMO_SLUG, load, new_session
from tests.helpers import organiser_headers

AGENDA = f"/meetings/{DEMO_SLUG}/agenda"
API = f"/api/v1/meetings/{DEMO_SLUG}"


def url(ref: str) -> str:
    return f"/meetings/{DEMO_SLUG}/sessions/{ref}"


def page(client: FlaskClient, ref: str) -> str:
    response = client.get(url(ref))
    assert response.status_code == 200, ref
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def session(doc: dict[str, Any], ref: str) -> dict[str, Any]:
    return next(s for s in doc["sessions"] if s["ref"] == ref)


def test_the_page_shows_time_room_people_and_description(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    html = page(client, "s-net")
    assert "<h1>" in html and "Presentations by the Wildlife Enforcement Networks" in html
    # Local time in the meeting's zone, with its day and zone.
    assert '<time datetime="2013-03-05T09:30+07:00">09:30</time>' in html
    assert '<time datetime="2013-03-05T11:00+07:00">11:00</time>' in html
    assert "Tuesday, 5 March 2013" in html
    assert "Asia/Bangkok" in html and "UTC+07:00" in html
    assert "Plenary Hall, Queen Sirikit National Convention Center" in html
    assert "Scanlon" in html  # the chair
    assert "Somchai" in html and "Woodward" in html  # speakers
    assert "Short presentations by each network" in html
    assert '<bdi class="person-name">' in html
    assert f'href="{AGENDA}#session-s-net"' in html  # back to the agenda, at the session


def test_markup_in_a_title_is_shown_as_text(client: FlaskClient, demo_doc: dict[str, Any]) -> None:
    session(demo_doc, "s-net")["title"] = "<script>alert(1)</script> Networks"
    session(demo_doc, "s-net")["description"] = "<b>bold</b> claims"
    load(demo_doc)
    html = page(client, "s-net")
    assert "&lt;script&gt;alert(1)&lt;/script&gt; Networks" in html
    assert "&lt;b&gt;bold&lt;/b&gt; claims" in html
    assert "<script>alert" not in html and "<b>bold" not in html


@pytest.mark.parametrize("ref", ["s-closed", "no-such-session", "S-NET"])
def test_a_closed_or_unknown_session_is_not_found(
    client: FlaskClient, demo_meeting: Meeting, ref: str
) -> None:
    response = client.get(url(ref))
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "Closed session of heads of networks" not in body
    assert "focal point contact details" not in body  # the closed session's approved outcome


def test_a_session_marked_not_public_is_not_found(
    client: FlaskClient, demo_doc: dict[str, Any]
) -> None:
    session(demo_doc, "s-iccwc")["public"] = False
    load(demo_doc)
    response = client.get(url("s-iccwc"))
    assert response.status_code == 404
    assert "Support from ICCWC" not in response.get_data(as_text=True)


def test_an_unknown_meeting_is_not_found(client: FlaskClient, demo_meeting: Meeting) -> None:
    assert client.get("/meetings/no-such-meeting/sessions/s-net").status_code == 404


def test_a_draft_session_has_no_page_until_published(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    headers = organiser_headers(demo_meeting)
    created = client.post(f"{API}/sessions", json=new_session(ref="s-new"), headers=headers)
    assert created.status_code == 201, created.get_json()
    assert client.get(url("s-new")).status_code == 404
    assert client.post(f"{API}/agenda/publish", headers=headers).status_code == 201
    html = page(client, "s-new")
    assert "&lt;i&gt;forensics&lt;/i&gt;" in html
    assert "Meeting Room B" in html


def test_an_unpublished_agenda_has_no_session_pages(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    from eventapp.extensions import db

    demo_meeting.agenda_published_at = None
    db.session.commit()
    assert client.get(url("s-net")).status_code == 404


def test_approved_outcomes_are_shown_under_their_headings(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    html = page(client, "s-non")
    assert "Outcomes" in html
    assert "Recommendations" in html and "Conclusions" in html
    assert "A formal structure for such a network is not necessary." in html
    # The approved summary, as the reports show it: paragraphs of escaped text.
    assert "<p>Participants suggested increased interaction amongst WENs" in html
    actions = page(client, "s-iccwc")
    assert "ICCWC partners to develop a strategy" in actions
    assert "2014-03-31" in actions or "31 March 2014" in actions


def test_a_draft_record_shows_nothing_of_itself(client: FlaskClient, demo_meeting: Meeting) -> None:
    html = page(client, "s-close")
    assert "Closing of the meeting" in html
    assert "Draft: closing remarks" not in html
    assert "DRAFT – not yet approved" not in html
    assert "Outcomes" not in html


def test_a_speaker_without_consent_is_a_representative_of_their_organisation(
    client: FlaskClient, demo_doc: dict[str, Any]
) -> None:
    opening = session(demo_doc, "s-open")
    opening["record"]["outcomes"][1]["speaker"] = "p-freeland"
    load(demo_doc)
    html = page(client, "s-open")
    assert "A representative of Freeland Foundation" in html
    assert "The meeting is an important step" in html
    assert "Brien" not in html


def test_markup_in_a_summary_or_outcome_is_shown_as_text(
    client: FlaskClient, demo_doc: dict[str, Any]
) -> None:
    record = session(demo_doc, "s-net")["record"]
    record["summary"] = "First <img src=x onerror=alert(1)>\n\nSecond paragraph"
    record["outcomes"][0]["text"] = "<script>x()</script> agreed"
    load(demo_doc)
    html = page(client, "s-net")
    assert "<p>First &lt;img src=x onerror=alert(1)&gt;</p>" in html
    assert "<p>Second paragraph</p>" in html
    assert "&lt;script&gt;x()&lt;/script&gt; agreed" in html
    assert "<img src=x" not in html and "<script>x()" not in html


def test_a_cancelled_session_says_so_without_its_people(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    headers = organiser_headers(demo_meeting)
    assert client.delete(f"{API}/sessions/s-non", headers=headers).status_code == 204
    # Cancelled in the draft only: the public still sees it as published.
    assert "Marchetti" in page(client, "s-non")
    assert client.post(f"{API}/agenda/publish", headers=headers).status_code == 201
    html = page(client, "s-non")
    assert "This session was cancelled." in html
    assert "Towards a network of the wildlife enforcement networks" in html
    assert '<time datetime="2013-03-05T11:15+07:00">11:15</time>' in html
    assert "Marchetti" not in html and "Scanlon" not in html
    assert "A formal structure" not in html


def test_the_page_revalidates_with_its_etag(client: FlaskClient, demo_meeting: Meeting) -> None:
    first = client.get(url("s-net"))
    assert first.status_code == 200
    etag = first.headers["ETag"]
    assert etag
    again = client.get(url("s-net"), headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    # Another language is another page, with its own tag.
    french = client.get(url("s-net") + "?lang=fr")
    assert french.status_code == 200
    assert french.headers["ETag"] != etag


def test_the_agenda_links_each_session_to_its_page(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    html = client.get(AGENDA).get_data(as_text=True)
    for ref in ("s-open", "s-net", "s-break", "s-iccwc"):
        assert f'href="{url(ref)}"' in html, ref
    assert url("s-closed") not in html


def test_a_session_has_its_own_calendar_file(client: FlaskClient, demo_meeting: Meeting) -> None:
    import icalendar

    assert f'href="{url("s-net")}.ics"' in page(client, "s-net")
    response = client.get(url("s-net") + ".ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(response.data)
    events = cal.walk("VEVENT")
    assert [str(e["uid"]) for e in events] == [f"s-net.{DEMO_SLUG}@eventapp"]
    assert str(events[0]["url"]).endswith(url("s-net"))
    assert [str(z["tzid"]) for z in cal.walk("VTIMEZONE")] == ["Asia/Bangkok"]
    etag = response.headers["ETag"]
    assert client.get(url("s-net") + ".ics", headers={"If-None-Match": etag}).status_code == 304
    for hidden in ("s-closed", "no-such-session"):
        assert client.get(url(hidden) + ".ics").status_code == 404
