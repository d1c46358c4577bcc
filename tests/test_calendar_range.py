"""A registration window at the edge of the calendar: accepted only where every page can show
it in the meeting's time zone (the last hours of 9999 in UTC are year 10000 in Bangkok)."""

from __future__ import annotations

from flask.testing import FlaskClient

from eventapp.interchange import check_document
from eventapp.models import Meeting
from tests.factories import DEMO_SLUG, demo_document, open_meeting
from tests.helpers import organiser_headers

API = f"/api/v1/meetings/{DEMO_SLUG}"
EDGE = "9999-12-31T23:00:00Z"  # 9999-12-31 23:00 UTC: 10000-01-01 06:00 in Bangkok


def test_patch_refuses_a_window_the_meetings_zone_cannot_show(client: FlaskClient) -> None:
    meeting = open_meeting()  # Asia/Bangkok
    headers = organiser_headers(meeting)
    response = client.patch(API, json={"registration_closes": EDGE}, headers=headers)
    assert response.status_code == 422, response.get_data(as_text=True)
    fields = response.get_json()["error"]["fields"]
    assert "Asia/Bangkok" in fields["$.registration_closes"]
    assert client.get(f"/meetings/{DEMO_SLUG}/register").status_code == 200


def test_the_same_instant_is_fine_in_utc(client: FlaskClient) -> None:
    meeting = open_meeting(timezone="UTC")
    headers = organiser_headers(meeting)
    response = client.patch(API, json={"registration_opens": EDGE}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    page = client.get(f"/meetings/{DEMO_SLUG}/register")
    assert page.status_code == 200 and "9999" in page.get_data(as_text=True)


def test_an_import_names_the_instant_its_zone_cannot_show(demo_meeting: Meeting) -> None:
    doc = demo_document()
    doc["meeting"]["registration_closes"] = EDGE
    problems = {p.path: p.message for p in check_document(doc)}
    assert "Asia/Bangkok" in problems["$.meeting.registration_closes"]
