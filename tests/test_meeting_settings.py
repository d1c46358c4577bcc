"""The meeting's settings: the organisers' page and PATCH /api/v1/meetings/<slug>, one service."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from eventapp.extensions import db
from eventapp.models import AuditEntry, Meeting, Participant, RegistrationStatus, Session
from eventapp.registration.service import registration_state
from tests.factories import DEMO_SLUG, make_account, participant
from tests.helpers import (
    REGISTRATIONS,
    assert_error,
    bearer,
    csrf_token,
    form_fields,
    organiser_headers,
    registration_count,
    sign_in,
)

SETTINGS = f"/meetings/{DEMO_SLUG}/manage/settings"
API = f"/api/v1/meetings/{DEMO_SLUG}"


@pytest.fixture
def organiser(client: FlaskClient, demo_meeting: Meeting) -> FlaskClient:
    make_account("org@example.org", "organiser", meeting=demo_meeting)
    sign_in(client, "org@example.org")
    return client


def _meeting() -> Meeting:
    db.session.expire_all()
    meeting = db.session.scalar(sa.select(Meeting).where(Meeting.slug == DEMO_SLUG))
    assert meeting is not None
    return meeting


def _form(client: FlaskClient, **changes: Any) -> dict[str, Any]:
    """The settings form as the page fills it in, with the changes made."""
    fields: dict[str, Any] = form_fields(client.get(SETTINGS).get_data(as_text=True))
    fields["other_languages"] = ["fr", "es"]
    # A browser drops the line break that opens a textarea (HTML parsing; WTForms writes CRLF).
    fields["description"] = fields["description"].removeprefix("\r\n")
    fields.update(changes)
    return fields


def _settings_entries() -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action == "meeting.settings_changed")
        )
    )


def _approve(client: FlaskClient, headers: dict[str, str], ref: str) -> str:
    response = client.post(f"{REGISTRATIONS}/{ref}/approve", headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    return str(response.get_json()["status"])


# -- the page ---------------------------------------------------------------------------------


def test_the_page_groups_the_settings_and_shows_the_window_in_local_time(organiser):
    html = organiser.get(SETTINGS).get_data(as_text=True)
    for legend in ("The meeting", "Dates and place", "Registration", "Quotas", "Languages"):
        assert f"<legend>{legend}</legend>" in html
    fields = form_fields(html)
    # 2013-03-01T23:59:59Z is 06:59:59 the next morning in Bangkok.
    assert fields["registration_closes"] == "2013-03-02T06:59:59"
    assert fields["registration_opens"] == "2013-01-15T07:00"
    assert fields["timezone"] == "Asia/Bangkok"
    assert fields["venue_country"] == "TH"
    assert fields["quota_country"] == "2" and fields["quota_other"] == ""
    assert fields["original_language"] == "en"
    assert "Registration is closed." in html
    nav = organiser.get(f"/meetings/{DEMO_SLUG}/manage/agenda").get_data(as_text=True)
    assert f'href="{SETTINGS}"' in nav and "/manage/organisations" in nav


def test_reopening_registration_is_saved_named_and_audited(organiser):
    assert registration_state(_meeting()) == "closed"
    response = organiser.post(
        SETTINGS, data=_form(organiser, registration_closes="2099-06-30T18:00")
    )
    assert response.status_code == 303
    page = organiser.get(SETTINGS).get_data(as_text=True)
    assert "The settings are saved. Changed: close of registration." in page
    meeting = _meeting()
    # 18:00 in Bangkok (UTC+7) is 11:00 UTC.
    assert meeting.registration_closes == datetime(2099, 6, 30, 11, 0, tzinfo=UTC)
    assert registration_state(meeting) == "open"
    [entry] = _settings_entries()
    assert entry.actor == "org@example.org"
    assert entry.details == {
        "registration_closes": {"from": "2013-03-01T23:59:59Z", "to": "2099-06-30T11:00:00Z"}
    }
    assert "Registration is open." in page


def test_sending_the_form_unchanged_changes_nothing(organiser):
    response = organiser.post(SETTINGS, data=_form(organiser), follow_redirects=True)
    assert "Nothing was changed" in response.get_data(as_text=True)
    assert _settings_entries() == []


def test_every_setting_of_the_page_is_stored(organiser):
    data = _form(
        organiser,
        title="Second Global Meeting",
        description="Line one.\n\nLine two.",
        start_date="2013-03-04",
        end_date="2013-03-06",
        venue_name="Palais des Nations",
        venue_city="Geneva",
        venue_country="CH",
        registration_opens="",
        approval="automatic",
        capacity="",
        quota_wen="5",
        quota_country="",
        quota_other="1",
        original_language="fr",
        other_languages=["en"],
    )
    response = organiser.post(SETTINGS, data=data, follow_redirects=True)
    assert response.status_code == 200
    message = response.get_data(as_text=True)
    assert "Changed: title, description, first day, last day, venue, city, country" in message
    meeting = _meeting()
    assert meeting.title == "Second Global Meeting"
    assert meeting.description == "Line one.\n\nLine two."
    assert (meeting.venue_name, meeting.venue_city, meeting.venue_country) == (
        "Palais des Nations",
        "Geneva",
        "CH",
    )
    assert meeting.registration_opens is None
    assert meeting.approval.value == "automatic"
    assert meeting.capacity is None
    assert meeting.quotas == {"wen": 5, "igo": 4, "cso": 2, "donor": 2, "other": 1}
    assert meeting.languages == ["fr", "en"]
    [entry] = _settings_entries()
    assert set(entry.details) == {
        "title",
        "description",
        "start_date",
        "end_date",
        "venue_name",
        "venue_city",
        "venue_country",
        "registration_opens",
        "approval",
        "capacity",
        "quotas",
        "languages",
    }


@pytest.mark.parametrize(
    ("changes", "field", "status"),
    [
        ({"title": ""}, "title", 400),
        ({"end_date": "2013-03-01"}, "end_date", 422),
        ({"end_date": "2014-03-06"}, "end_date", 422),
        ({"capacity": "0"}, "capacity", 400),
        ({"quota_cso": "-1"}, "quota_cso", 400),
        ({"quota_cso": "many"}, "quota_cso", 400),
        ({"venue_country": "ZZ"}, "venue_country", 400),
        ({"timezone": "Mars/Olympus"}, "timezone", 400),
        (
            {"registration_opens": "2099-01-01T00:00", "registration_closes": "2098-01-01T00:00"},
            "registration_closes",
            422,
        ),
        ({"registration_closes": "tomorrow"}, "registration_closes", 400),
        ({"original_language": "de"}, "original_language", 400),
        ({"title": "Two\nlines"}, "title", 422),
        ({"venue_city": "x" * 121}, "venue_city", 422),
    ],
)
def test_bad_values_are_shown_at_their_field_and_nothing_is_stored(
    organiser, changes, field, status
):
    before = _meeting().updated_at
    data = _form(organiser, **{"title": "A new title that must not be stored", **changes})
    response = organiser.post(SETTINGS, data=data)
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert f'id="{field}-error"' in html, html
    assert f'href="#{field}"' in html  # the summary links to it
    meeting = _meeting()
    assert meeting.title == "First Global Meeting of the Wildlife Enforcement Networks"
    assert meeting.updated_at == before
    assert _settings_entries() == []


def test_the_form_shows_its_own_problems_and_the_services_at_once(organiser):
    response = organiser.post(
        SETTINGS, data=_form(organiser, end_date="2013-03-01", quota_cso="-3")
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'id="quota_cso-error"' in html
    assert 'id="end_date-error"' in html and "The last day is before the first day." in html
    assert html.count('id="end_date-error"') == 1
    assert _settings_entries() == []


def test_a_time_the_new_zone_skips_is_refused_at_the_field(organiser):
    # 31 March 2013, 02:30: the clocks of Zurich go from 02:00 to 03:00.
    data = _form(
        organiser,
        timezone="Europe/Zurich",
        end_date="2013-03-31",
        registration_opens="",
        registration_closes="2013-03-31T02:30",
    )
    response = organiser.post(SETTINGS, data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="registration_closes-error"' in html and "does not exist in Europe/Zurich" in html
    assert _meeting().timezone == "Asia/Bangkok"


def test_the_form_needs_its_csrf_token(organiser):
    data = _form(organiser, title="Forged")
    data.pop("csrf_token")
    assert organiser.post(SETTINGS, data=data).status_code == 400
    assert _meeting().title != "Forged"


# -- time zone and days -----------------------------------------------------------------------


def test_a_new_zone_keeps_the_sessions_local_times_and_says_to_publish(organiser):
    response = organiser.post(
        SETTINGS, data=_form(organiser, timezone="Europe/Zurich"), follow_redirects=True
    )
    html = response.get_data(as_text=True)
    assert "Changed: time zone" in html
    assert "keep their local times, now in Europe/Zurich" in html
    db.session.expire_all()
    opening = db.session.scalar(sa.select(Session).where(Session.ref == "s-open"))
    assert opening is not None
    assert opening.start_local == datetime(2013, 3, 5, 9, 0)
    assert opening.start_utc == datetime(2013, 3, 5, 8, 0, tzinfo=UTC)  # CET, UTC+1
    assert opening.end_utc == datetime(2013, 3, 5, 8, 30, tzinfo=UTC)
    # The registration window kept its local times too: 06:59:59 on 2 March, now in Zurich.
    assert _meeting().registration_closes == datetime(2013, 3, 2, 5, 59, 59, tzinfo=UTC)


def test_a_zone_where_a_session_cannot_happen_is_refused(organiser, demo_meeting):
    from eventapp.agenda import sessions
    from eventapp.meetings import service

    service.change_settings(demo_meeting, {"end_date": datetime(2013, 3, 31).date()})
    sessions.create_session(
        demo_meeting,
        {
            "ref": "s-night",
            "title": "Night watch",
            "kind": "side_event",
            "start": "2013-03-31T02:15",
            "end": "2013-03-31T02:45",
        },
    )
    db.session.commit()
    response = organiser.post(SETTINGS, data=_form(organiser, timezone="Europe/Zurich"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="timezone-error"' in html and "“Night watch”" in html
    assert _meeting().timezone == "Asia/Bangkok"


def test_new_days_warn_of_the_sessions_left_outside(organiser):
    data = _form(organiser, start_date="2013-03-06", end_date="2013-03-07")
    html = organiser.post(SETTINGS, data=data, follow_redirects=True).get_data(as_text=True)
    assert (
        "The sessions “Opening of the meeting and adoption of the agenda”, “Presentations by "
        "the Wildlife Enforcement Networks”" in html
    )
    assert "and 2 others are now outside the meeting&#39;s days: move or cancel them" in html
    assert _meeting().start_date.isoformat() == "2013-03-06"


# -- limits -----------------------------------------------------------------------------------


def test_a_capacity_below_the_approved_count_unapproves_nobody_and_approves_nobody_more(client):
    from tests.factories import open_meeting

    meeting = open_meeting()
    headers = organiser_headers(meeting)
    approved = registration_count(RegistrationStatus.APPROVED)
    response = client.patch(API, json={"capacity": 5}, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert "more than the capacity of 5" in response.headers["Warning"]
    assert registration_count(RegistrationStatus.APPROVED) == approved
    ref = client.post(REGISTRATIONS, json=participant(1, "ke"), headers=headers).get_json()["ref"]
    assert _approve(client, headers, ref) == "waitlisted"
    assert registration_count(RegistrationStatus.APPROVED) == approved


def test_a_kind_quota_below_the_approved_count_keeps_them_and_stops_more(client):
    from tests.factories import open_meeting

    meeting = open_meeting()
    headers = organiser_headers(meeting)
    response = client.patch(API, json={"quotas": {"igo": 1}}, headers=headers)
    assert response.status_code == 200
    # CITES has three approved, UNODC two: both over a quota of one, nobody is unapproved.
    assert "Over their quotas" in response.headers["Warning"]
    cites = db.session.scalars(
        sa.select(Participant.status)
        .join(Participant.delegation)
        .where(Participant.delegation.has(ref="cites"))
    ).all()
    assert cites == [RegistrationStatus.APPROVED] * 3
    ref = client.post(REGISTRATIONS, json=participant(1, "cites"), headers=headers).get_json()[
        "ref"
    ]
    assert _approve(client, headers, ref) == "waitlisted"
    # Countries have no quota now: Kenya's second is approved.
    ref = client.post(REGISTRATIONS, json=participant(2, "ke"), headers=headers).get_json()["ref"]
    assert _approve(client, headers, ref) == "approved"


# -- the API ----------------------------------------------------------------------------------


def test_patch_changes_the_settings_given_and_answers_as_get(client, demo_meeting):
    headers = organiser_headers(demo_meeting)
    body = {
        "registration_opens": "2026-01-01T00:00:00Z",
        "registration_closes": "2099-01-01T12:00:00+01:00",
        "approval": "automatic",
        "capacity": 300,
        "quotas": {"country": 4, "wen": 3},
        "title": "GWEN, reopened",
        "venue": {"name": "UN City", "city": "Copenhagen", "country": "DK"},
        "description": "New text.",
        "languages": ["fr", "en"],
    }
    response = client.patch(API, json=body, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json() == client.get(API, headers=headers).get_json()
    stated = response.get_json()["meeting"]
    assert stated["registration_closes"] == "2099-01-01T11:00:00Z"
    assert stated["quotas"] == {"wen": 3, "country": 4}
    assert stated["venue"] == {"name": "UN City", "city": "Copenhagen", "country": "DK"}
    assert stated["languages"] == ["fr", "en"] and stated["approval"] == "automatic"
    assert stated["title"] == "GWEN, reopened" and stated["capacity"] == 300
    assert registration_state(_meeting()) == "open"
    [entry] = _settings_entries()
    assert entry.details["capacity"] == {"from": 120, "to": 300}
    assert entry.details["venue_city"] == {"from": "Bangkok", "to": "Copenhagen"}


def test_patch_with_null_removes_a_setting(client, demo_meeting):
    headers = organiser_headers(demo_meeting)
    response = client.patch(
        API, json={"capacity": None, "registration_closes": None}, headers=headers
    )
    assert response.status_code == 200
    stated = response.get_json()["meeting"]
    assert "capacity" not in stated and "registration_closes" not in stated
    assert _meeting().capacity is None


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"shoe_size": 42}, "$.shoe_size"),
        ({"timezone": "Europe/Zurich"}, "$.timezone"),
        ({"slug": "another"}, "$.slug"),
        ({"capacity": "ten"}, "$.capacity"),
        ({"capacity": 0}, "$.capacity"),
        ({"quotas": {"alien": 3}}, "$.quotas"),
        ({"quotas": {"cso": -2}}, "$.quotas.cso"),
        ({"approval": "sometimes"}, "$.approval"),
        ({"languages": ["en", "de"]}, "$.languages[1]"),
        ({"languages": []}, "$.languages"),
        ({"title": None}, "$.title"),
        ({"title": "Two\nlines"}, "$.title"),
        ({"venue": {"country": "ZZ"}}, "$.venue.country"),
        ({"venue": {"floor": 3}}, "$.venue.floor"),
        ({"registration_closes": "2001-01-01T00:00:00Z"}, "$.registration_closes"),
        ({"registration_opens": "next monday"}, "$.registration_opens"),
    ],
)
def test_patch_refuses_bad_values_located_and_stores_nothing(client, demo_meeting, body, path):
    headers = organiser_headers(demo_meeting)
    before = client.get(API, headers=headers).get_json()
    error = assert_error(
        client.patch(API, json={"capacity": 99, **body}, headers=headers),
        422,
        "unprocessable_entity",
    )
    assert path in error["fields"], error
    assert client.get(API, headers=headers).get_json() == before
    assert _settings_entries() == []


def test_patch_needs_a_json_object(client, demo_meeting):
    headers = organiser_headers(demo_meeting)
    assert_error(client.patch(API, json=[1], headers=headers), 422, "unprocessable_entity")
    assert_error(client.patch(API, data="x", headers=headers), 415, "unsupported_media_type")
    assert_error(
        client.patch("/api/v1/meetings/no-such-meeting", json={}, headers=headers),
        404,
        "not_found",
    )


def test_the_description_names_the_patch(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    patch = spec["paths"]["/meetings/{slug}"]["patch"]
    assert patch["operationId"] == "changeMeeting"
    schema = spec["components"]["schemas"]["MeetingChanges"]
    assert set(schema["properties"]) == {
        "registration_opens",
        "registration_closes",
        "approval",
        "capacity",
        "quotas",
        "title",
        "venue",
        "description",
        "languages",
    }
    assert schema["additionalProperties"] is False


# -- who may ----------------------------------------------------------------------------------


def test_participants_rapporteurs_and_strangers_cannot_change_the_settings(client, demo_meeting):
    make_account("chair@example.org", "participant")
    make_account("rap@example.org", "rapporteur", meeting=demo_meeting)
    for email in ("chair@example.org", "rap@example.org"):
        other = client.application.test_client()
        sign_in(other, email)
        assert other.get(SETTINGS).status_code == 403
        token = csrf_token(other, "/account")
        assert other.post(SETTINGS, data={"csrf_token": token, "title": "Mine"}).status_code == 403
        assert_error(
            client.patch(API, json={"title": "Mine"}, headers=bearer(email)), 403, "forbidden"
        )
    anonymous = client.get(SETTINGS)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    assert_error(client.patch(API, json={"title": "Mine"}), 401, "unauthorized")
    assert _meeting().title != "Mine"


def test_a_closed_registration_page_shows_organisers_the_way_to_reopen_it(organiser, app):
    """The demo's registration closed in 2013: its organiser is led to the settings, nobody else."""
    settings = f"/meetings/{DEMO_SLUG}/manage/settings#registration"
    page = organiser.get(f"/meetings/{DEMO_SLUG}/register").get_data(as_text=True)
    assert "Registration for this meeting is closed." in page
    assert f'href="{settings}"' in page
    anonymous = app.test_client().get(f"/meetings/{DEMO_SLUG}/register").get_data(as_text=True)
    assert "Registration for this meeting is closed." in anonymous
    assert "manage/settings" not in anonymous


def test_a_registration_not_yet_open_says_when_it_opens(client, demo_meeting):
    demo_meeting.registration_opens = datetime(2999, 1, 1, 8, 0, tzinfo=UTC)
    demo_meeting.registration_closes = datetime(2999, 2, 1, 8, 0, tzinfo=UTC)
    db.session.commit()
    page = client.get(f"/meetings/{DEMO_SLUG}/register").get_data(as_text=True)
    # In the meeting's local time (Asia/Bangkok, UTC+7), as the settings page gives it.
    assert "Registration opens on 1 January 2999 at 15:00 (Asia/Bangkok)." in page
    assert "closed" not in page
