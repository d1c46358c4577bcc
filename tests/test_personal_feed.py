"""The personal calendar feed: each participant's own sessions, at a private, renewable URL."""

from __future__ import annotations

import threading
from typing import Any
from urllib.parse import urlsplit

import icalendar
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from eventapp.extensions import db
from eventapp.models import Meeting, Session
from tests.factories import DEMO_SLUG, make_account
from tests.helpers import bearer, csrf_token, libical_events, sign_in
from tests.helpers import organiser_headers as organiser

API = f"/api/v1/meetings/{DEMO_SLUG}"
# rapp-2 reports on these in the demo meeting; s-closed is a closed session.
RAPP_2_SESSIONS = {"s-open", "s-closed", "s-iccwc", "s-close"}


def _feed_path(client: FlaskClient, email: str) -> str:
    """The path of the account's one feed, as GET /api/v1/me gives its URL."""
    answer = client.get("/api/v1/me", headers=bearer(email))
    assert answer.status_code == 200
    (calendar,) = answer.get_json()["calendars"]
    assert calendar["slug"] == DEMO_SLUG
    return urlsplit(calendar["url"]).path


def _refs(client: FlaskClient, path: str) -> dict[str, str]:
    """Session ref -> STATUS of every event in the feed."""
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/calendar"
    cal = icalendar.Calendar.from_ical(response.data)
    return {str(e["uid"]).split(".")[0]: str(e["status"]) for e in cal.walk("VEVENT")}


def test_me_lists_a_calendar_per_meeting_of_a_participant_and_none_otherwise(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    make_account("rapp-2@example.org")
    make_account("nobody@example.org")
    answer = client.get("/api/v1/me", headers=bearer("rapp-2@example.org"))
    (calendar,) = answer.get_json()["calendars"]
    assert calendar["title"] == demo_meeting.title
    assert calendar["url"].startswith("http")
    # The same URL on every request: a subscription keeps working.
    assert _feed_path(client, "rapp-2@example.org") == urlsplit(calendar["url"]).path
    other = client.get("/api/v1/me", headers=bearer("nobody@example.org"))
    assert other.get_json()["calendars"] == []


def test_the_feed_has_exactly_the_persons_sessions_closed_ones_included(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    make_account("rapp-2@example.org")
    make_account("p-wco@example.org")
    assert set(_refs(client, _feed_path(client, "rapp-2@example.org"))) == RAPP_2_SESSIONS
    # A speaker's feed: that session alone.
    assert set(_refs(client, _feed_path(client, "p-wco@example.org"))) == {"s-non"}
    # The chair chairs every session but the break.
    make_account("chair@example.org")
    chair = set(_refs(client, _feed_path(client, "chair@example.org")))
    assert "s-closed" in chair and "s-break" not in chair


def test_an_unknown_key_or_another_meetings_slug_is_404(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    make_account("rapp-2@example.org")
    path = _feed_path(client, "rapp-2@example.org")
    assert client.get(f"/meetings/{DEMO_SLUG}/calendar/not-a-key.ics").status_code == 404
    assert client.get(path.replace(DEMO_SLUG, "no-such-meeting")).status_code == 404


def test_renewing_the_link_makes_the_old_url_404_and_the_new_one_work(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    make_account("rapp-2@example.org")
    old = _feed_path(client, "rapp-2@example.org")
    sign_in(client, "rapp-2@example.org")
    page = client.get("/account").get_data(as_text=True)
    assert old in page
    response = client.post(
        "/account/calendar/renew", data={"csrf_token": csrf_token(client, "/account")}
    )
    assert response.status_code == 303
    new = _feed_path(client, "rapp-2@example.org")
    assert new != old
    assert client.get(old).status_code == 404
    assert set(_refs(client, new)) == RAPP_2_SESSIONS
    assert new in client.get("/account").get_data(as_text=True)


def test_renewing_without_the_csrf_token_changes_nothing(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    make_account("rapp-2@example.org")
    old = _feed_path(client, "rapp-2@example.org")
    sign_in(client, "rapp-2@example.org")
    assert client.post("/account/calendar/renew", data={}).status_code == 400
    assert _feed_path(client, "rapp-2@example.org") == old
    assert client.get(old).status_code == 200


def test_the_feed_follows_publication_not_the_draft(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    make_account("p-wco@example.org")
    path = _feed_path(client, "p-wco@example.org")
    headers = organiser(demo_meeting)
    # p-wco is made rapporteur of s-net in the draft, and s-non is cancelled there.
    change = client.patch(f"{API}/sessions/s-net", json={"rapporteur": "p-wco"}, headers=headers)
    assert change.status_code == 200, change.get_json()
    assert client.delete(f"{API}/sessions/s-non", headers=headers).status_code == 204
    assert _refs(client, path) == {"s-non": "CONFIRMED"}
    assert client.post(f"{API}/agenda/publish", headers=headers).status_code == 201
    assert _refs(client, path) == {"s-net": "CONFIRMED", "s-non": "CANCELLED"}


def test_a_deactivated_accounts_feed_is_404(client: FlaskClient, demo_meeting: Meeting) -> None:
    user = make_account("rapp-2@example.org")
    path = _feed_path(client, "rapp-2@example.org")
    user.active = False
    db.session.commit()
    assert client.get(path).status_code == 404


def test_libical_reads_the_feed_without_errors(client: FlaskClient, demo_meeting: Meeting) -> None:
    make_account("rapp-2@example.org")
    text = client.get(_feed_path(client, "rapp-2@example.org")).get_data(as_text=True)
    errors, events = libical_events(text)
    assert errors == 0
    assert set(events) == RAPP_2_SESSIONS


def test_the_closed_session_is_in_no_public_feed(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    closed = db.session.scalar(sa.select(Session).where(Session.ref == "s-closed"))
    assert closed is not None and not closed.public
    public = client.get(f"/meetings/{DEMO_SLUG}/agenda.ics").get_data(as_text=True)
    assert "s-closed." not in public


def test_first_requests_at_once_agree_on_one_url(
    app: Flask, client: FlaskClient, demo_meeting: Meeting
) -> None:
    make_account("rapp-2@example.org")
    headers = [bearer("rapp-2@example.org") for _ in range(4)]
    barrier = threading.Barrier(len(headers))
    answers: list[Any] = [None] * len(headers)

    def ask(index: int) -> None:
        own = app.test_client()
        barrier.wait()
        answers[index] = own.get("/api/v1/me", headers=headers[index])

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(len(headers))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert [a.status_code for a in answers] == [200] * len(headers)
    urls = {a.get_json()["calendars"][0]["url"] for a in answers}
    assert len(urls) == 1
    # The URL every request gave out is the one that works.
    assert set(_refs(client, urlsplit(urls.pop()).path)) == RAPP_2_SESSIONS


def test_a_closed_session_has_no_url_the_public_ones_their_page(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    make_account("rapp-2@example.org")
    path = _feed_path(client, "rapp-2@example.org")
    cal = icalendar.Calendar.from_ical(client.get(path).data)
    urls = {str(e["uid"]).split(".")[0]: e.get("url") for e in cal.walk("VEVENT")}
    assert set(urls) == RAPP_2_SESSIONS
    # Its public page is 404, to its own people too: no link that cannot be opened.
    assert urls.pop("s-closed") is None
    for ref, url in urls.items():
        assert str(url).endswith(f"/meetings/{DEMO_SLUG}/sessions/{ref}")
        assert client.get(urlsplit(str(url)).path).status_code == 200


def test_a_cancelled_closed_session_stays_without_a_url(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    headers = organiser(demo_meeting)
    assert client.delete(f"{API}/sessions/s-closed", headers=headers).status_code == 204
    assert client.post(f"{API}/agenda/publish", headers=headers).status_code == 201
    make_account("rapp-2@example.org")
    text = client.get(_feed_path(client, "rapp-2@example.org")).get_data(as_text=True)
    errors, events = libical_events(text)
    assert errors == 0 and events["s-closed"][1] == "cancelled"
    cal = icalendar.Calendar.from_ical(text)
    [closed] = [e for e in cal.walk("VEVENT") if str(e["uid"]).startswith("s-closed.")]
    assert closed.get("url") is None
    assert "/sessions/s-closed" not in text.replace("\r\n ", "")
