"""The public changelog of the agenda (/meetings/<slug>/agenda/changes) and what agenda.ics says of
each session's people: only what the public may see, as disclosure decides."""

from __future__ import annotations

from typing import Any

import icalendar
import sqlalchemy as sa
from flask.testing import FlaskClient

from eventapp import pagecache
from eventapp.extensions import db
from eventapp.models import AgendaVersion, Meeting
from tests.factories import DEMO_SLUG, load, new_session
from tests.helpers import organiser_headers

API = f"/api/v1/meetings/{DEMO_SLUG}"
CHANGES = f"/meetings/{DEMO_SLUG}/agenda/changes"


def _changes(client: FlaskClient) -> str:
    response = client.get(CHANGES)
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    return response.get_data(as_text=True)


def _publish(client: FlaskClient, headers: dict[str, str]) -> dict[str, Any]:
    response = client.post(f"{API}/agenda/publish", headers=headers)
    assert response.status_code == 201, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def _session(doc: dict[str, Any], ref: str) -> dict[str, Any]:
    return next(s for s in doc["sessions"] if s["ref"] == ref)


def test_version_1_is_summarised_and_the_agenda_links_to_the_changes(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    html = _changes(client)
    assert "<h1>Changes to the agenda</h1>" in html
    assert "Version 1" in html
    # Six public sessions; the closed one is not counted, and nothing is listed as added.
    assert "First published, with 6 public sessions." in html
    assert "Added" not in html
    agenda = client.get(f"/meetings/{DEMO_SLUG}/agenda").get_data(as_text=True)
    assert f'href="{CHANGES}"' in agenda


def test_a_published_change_is_listed_newest_first_and_a_closed_one_is_not(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    headers = organiser_headers(demo_meeting)
    for ref, title in (
        ("s-net", "Networks report, revised"),
        ("s-closed", "Secret heads of networks talk"),
    ):
        response = client.patch(f"{API}/sessions/{ref}", json={"title": title}, headers=headers)
        assert response.status_code == 200, response.get_json()
    _publish(client, headers)
    response = client.post(f"{API}/sessions", json=new_session(), headers=headers)
    assert response.status_code == 201, response.get_json()
    _publish(client, headers)

    html = _changes(client)
    assert html.index("Version 3") < html.index("Version 2") < html.index("Version 1")
    version_3 = html[html.index("Version 3") : html.index("Version 2")]
    assert "<strong>Added</strong>" in version_3
    assert f'<a href="/meetings/{DEMO_SLUG}/sessions/s-side">' in version_3
    # Markup in a title is text.
    assert "Side event: &lt;i&gt;forensics&lt;/i&gt; for wildlife crime" in version_3
    version_2 = html[html.index("Version 2") : html.index("Version 1")]
    assert "<strong>New title</strong>" in version_2
    assert f'<a href="/meetings/{DEMO_SLUG}/sessions/s-net">Networks report, revised</a>' in (
        version_2
    )
    assert "Secret heads of networks talk" not in html
    assert "s-closed" not in html


def test_a_session_made_not_public_has_no_change_shown(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    headers = organiser_headers(demo_meeting)
    response = client.patch(
        f"{API}/sessions/s-iccwc",
        json={"public": False, "title": "ICCWC, behind doors"},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    body = _publish(client, headers)
    assert {c["ref"] for c in body["changes"]} == {"s-iccwc"}
    html = _changes(client)
    assert "ICCWC, behind doors" not in html and "s-iccwc" not in html
    assert "No changes to public sessions." in html


def test_the_page_is_served_from_the_cache_until_the_agenda_changes(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    first = _changes(client)
    renders = pagecache.pages.renders
    assert _changes(client) == first
    assert pagecache.pages.renders == renders
    headers = organiser_headers(demo_meeting)
    client.patch(f"{API}/sessions/s-net", json={"title": "Renamed"}, headers=headers)
    _publish(client, headers)
    assert "Renamed" in _changes(client)


def test_not_found_for_an_unknown_meeting_or_an_unpublished_agenda(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    assert client.get("/meetings/no-such-meeting/agenda/changes").status_code == 404
    assert client.get(CHANGES).status_code == 200
    db.session.execute(sa.delete(AgendaVersion))
    db.session.execute(sa.update(Meeting).values(agenda_published_at=None))
    db.session.commit()
    response = client.get(CHANGES)
    assert response.status_code == 404
    assert "Version 1" not in response.get_data(as_text=True)


def _descriptions(client: FlaskClient) -> dict[str, str]:
    response = client.get(f"/meetings/{DEMO_SLUG}/agenda.ics")
    assert response.status_code == 200
    cal = icalendar.Calendar.from_ical(response.data)
    return {str(e["uid"]).split(".")[0]: str(e.get("description", "")) for e in cal.walk("VEVENT")}


def test_the_calendar_description_names_chairs_and_speakers_then_the_description(
    client: FlaskClient, demo_doc: dict[str, Any]
) -> None:
    speaker = next(p for p in demo_doc["participants"] if p["ref"] == "p-naweg-1")
    speaker["family_name"] = "<b>Woodward</b>"
    # A speaker who did not consent to be listed is not named.
    _session(demo_doc, "s-non")["speakers"].append("p-freeland")
    load(demo_doc)
    described = _descriptions(client)
    net = described["s-net"].split("\n")
    assert net[0] == "Chair: Mr John E. Scanlon"
    assert net[1].startswith("Speakers: ") and "Somchai" in net[1]
    assert "William <b>Woodward</b>" in net[1]  # markup stays text
    assert net[2] == ""
    assert net[3].startswith("Short presentations by each network")
    non = described["s-non"]
    assert "Speakers: " in non and "Marchetti" in non
    assert "O'Brien" not in non and "Tomás" not in non
