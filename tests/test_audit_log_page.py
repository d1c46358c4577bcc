"""The meeting's audit log page: who acted, 50 entries a page, a filter by kind, local times."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from eventapp import audit
from eventapp.extensions import db
from eventapp.models import AuditEntry, Meeting
from tests.factories import DEMO_SLUG, make_account, open_meeting
from tests.helpers import REGISTER, registration_form, sign_in

LOG = f"/meetings/{DEMO_SLUG}/manage/log"
ORGANISER = "org@example.org"


@pytest.fixture
def meeting(client: FlaskClient) -> Meeting:
    """The demo meeting, open for registration, with an organiser (not signed in yet)."""
    meeting = open_meeting()
    make_account(ORGANISER, "organiser", meeting=meeting)
    return meeting


def _entries(html: str) -> list[str]:
    """The actions the page lists, in its order."""
    return re.findall(r"<code>([^<]+)</code>", html)


def _fill(meeting: Meeting, count: int, action: str = "session.changed") -> None:
    for n in range(count):
        audit.log(action, meeting=meeting, target=f"entry {n + 1}")
    db.session.commit()


def test_an_online_registration_is_logged_as_the_participants_own(client, meeting):
    response = client.post(REGISTER, data=registration_form(client))
    assert response.status_code == 303, response.get_data(as_text=True)
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "registration.created")
    )
    assert entry is not None
    assert entry.actor == "Malee Suksawat" and entry.actor_id is None
    sign_in(client, ORGANISER)
    page = client.get(f"{LOG}?kind=registration").get_data(as_text=True)
    assert "<strong>Malee Suksawat (participant)</strong>" in page
    assert "system" not in page
    assert "actor_participant" not in page  # how the page knows, not something to show


def test_an_account_acting_is_named_whoever_the_entry_is_about(meeting):
    from eventapp.accounts.service import find_user

    person = meeting.participants[0]
    organiser = find_user(ORGANISER)
    entry = audit.log("registration.updated", meeting=meeting, actor=organiser, participant=person)
    assert entry.actor == ORGANISER and entry.details is None
    entry = audit.log("registration.updated", meeting=meeting)
    assert entry.actor == audit.SYSTEM_ACTOR


def test_fifty_entries_a_page_newest_first(client, meeting):
    before = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEntry))
    _fill(meeting, 120 - before)  # 120 in all, with what loading the meeting logged
    sign_in(client, ORGANISER)
    first = client.get(LOG).get_data(as_text=True)
    assert first.count('<li class="session">') == 50
    newest = 120 - before
    assert f"entry {newest}<" in first and f"entry {newest - 49}<" in first
    assert f"entry {newest - 50}<" not in first
    assert "120 changes, newest first. Page 1 of 3." in first
    assert f'href="{LOG}?page=2" rel="next"' in first and 'rel="prev"' not in first
    last = client.get(f"{LOG}?page=3").get_data(as_text=True)
    assert last.count('<li class="session">') == 20
    assert "meeting.imported" in last and 'rel="next"' not in last
    assert f'href="{LOG}?page=2" rel="prev"' in last
    # A page beyond the last, or not a number, shows the nearest page that exists.
    assert "Page 3 of 3." in client.get(f"{LOG}?page=99").get_data(as_text=True)
    assert "Page 1 of 3." in client.get(f"{LOG}?page=x").get_data(as_text=True)


def test_the_log_is_filtered_by_kind_of_action(client, meeting):
    _fill(meeting, 3, "session.changed")
    _fill(meeting, 2, "team.appointed")
    audit.log("team", meeting=meeting)  # a bare kind counts as its own kind
    audit.log("teams.other", meeting=meeting)
    db.session.commit()
    sign_in(client, ORGANISER)
    page = client.get(f"{LOG}?kind=team").get_data(as_text=True)
    assert _entries(page) == ["team", "team.appointed", "team.appointed"]
    assert '<option value="team" selected>Team</option>' in page
    assert '<option value="session">Sessions</option>' in page
    # Pages keep the filter.
    _fill(meeting, 60, "team.dismissed")
    page = client.get(f"{LOG}?kind=team").get_data(as_text=True)
    assert f'href="{LOG}?kind=team&amp;page=2"' in page
    assert "Nothing of this kind" in client.get(f"{LOG}?kind=nothing").get_data(as_text=True)


def test_times_are_the_meetings_local_time(client, meeting):
    entry = audit.log("session.changed", meeting=meeting, target="timed")
    entry.at = datetime(2013, 3, 5, 2, 30, 15, tzinfo=UTC)
    db.session.commit()
    sign_in(client, ORGANISER)
    page = client.get(LOG).get_data(as_text=True)
    # Bangkok is seven hours ahead of UTC.
    assert '<time datetime="2013-03-05T09:30:15+07:00">2013-03-05 09:30:15' in page
    assert "UTC+07:00" in page and "Asia/Bangkok" in page


def test_what_the_log_holds_is_shown_as_text(client, meeting):
    audit.log(
        "session.changed",
        meeting=meeting,
        target="<script>alert('target')</script>",
        details={"<b>key</b>": "<img src=x onerror=alert(1)>", "title": "a " * 200},
    )
    db.session.commit()
    sign_in(client, ORGANISER)
    page = client.get(LOG).get_data(as_text=True)
    assert "<script>alert" not in page and "<img src=x" not in page and "<b>key" not in page
    assert "&lt;script&gt;alert(&#39;target&#39;)&lt;/script&gt;" in page
    assert "&lt;b&gt;key&lt;/b&gt;: &lt;img src=x onerror=alert(1)&gt;" in page


def test_lists_and_mappings_read_as_words_and_messages_have_a_filter(client, meeting):
    audit.log(
        "message.sent",
        meeting=meeting,
        target="message 1",
        details={"fields": ["position", "language"], "filters": {"status": "approved"}},
    )
    db.session.commit()
    sign_in(client, ORGANISER)
    page = client.get(LOG).get_data(as_text=True)
    assert "fields: position, language" in page and "filters: status: approved" in page
    assert "[&#39;" not in page and "{&#39;" not in page
    assert '<option value="message">Messages</option>' in page


def test_the_log_is_for_the_meetings_organisers(client, meeting):
    make_account("someone@example.org")
    sign_in(client, "someone@example.org")
    assert client.get(LOG).status_code == 403
