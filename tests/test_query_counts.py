"""The SQL a page sends does not grow with the agenda: no query per session, person or change.

Each public surface of the agenda is rendered for the first time (the response cache emptied)
for a meeting of 5 sessions and one of 50, every session with a chair, speakers and a
rapporteur, and every one of them changed in a second published version; the statements the
engine sends are counted (before_cursor_execute) and must be as many for both.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from eventapp import pagecache
from eventapp.agenda import feeds, versions
from eventapp.extensions import db
from eventapp.models import Meeting, Session
from tests.factories import DEMO_SLUG, demo_document, load, make_account
from tests.helpers import counted

SIZES = (5, 50)
PERSON_EMAIL = "chair@example.org"  # the demo's chair: chairs every session here
PAGES = {
    "agenda page": "/meetings/{slug}/agenda",
    "agenda.ics": "/meetings/{slug}/agenda.ics",
    "schedule.xml": "/meetings/{slug}/schedule.xml",
    "schedule.json": "/meetings/{slug}/schedule.json",
    "session page": "/meetings/{slug}/sessions/s-000",
    "changes page": "/meetings/{slug}/agenda/changes",
    "personal feed": "/meetings/{slug}/calendar/{key}.ics",
}


def _meeting(sessions: int) -> dict[str, Any]:
    """The demo meeting with that many public sessions, in two rooms, each with people."""
    doc = demo_document()
    people = [p["ref"] for p in doc["participants"] if p["ref"] != "chair"]
    start = datetime(2013, 3, 5, 7, 0)
    doc["sessions"] = []
    for n in range(sessions):
        begins = start + timedelta(minutes=15 * (n // 2))
        session: dict[str, Any] = {
            "ref": f"s-{n:03d}",
            "number": str(n + 1),
            "title": f"Session {n + 1}",
            "kind": "plenary",
            "start": begins.strftime("%Y-%m-%dT%H:%M"),
            "end": (begins + timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M"),
            "room": ("plenary", "room-b")[n % 2],
            "public": True,
            "chairs": ["chair"],
            "speakers": [people[n % len(people)], people[(n + 1) % len(people)]],
            "rapporteur": "rapp-1",
            "description": f"What session {n + 1} is about.",
        }
        if n == 0:
            session["record"] = {
                "status": "approved",
                "attendance": 40,
                "summary": "The session met.",
                "outcomes": [{"kind": "conclusion", "text": "It concluded."}],
            }
        doc["sessions"].append(session)
    return doc


def _publish_changes(meeting: Meeting) -> None:
    """Version 2: every session retitled, so the changes page lists one line per session."""
    for session in db.session.scalars(sa.select(Session).where(Session.meeting_id == meeting.id)):
        session.title = f"{session.title}, revised"
    versions.publish(meeting)
    db.session.commit()


def _meetings() -> tuple[dict[int, str], str]:
    """A meeting of each size (slug by size) and the feed key of the chair of all sessions."""
    slugs = {}
    for size in SIZES:
        doc = _meeting(size)
        doc["meeting"]["slug"] = slugs[size] = f"{DEMO_SLUG}-{size}"
        _publish_changes(load(doc))
    key = feeds.calendar_key(make_account(PERSON_EMAIL))
    db.session.commit()
    return slugs, key


def _count(client: FlaskClient, path: str, sessions: int, page: str) -> int:
    """Statements sent by the first render of a page (the response cache emptied)."""
    pagecache.pages.clear()
    db.session.remove()  # a request starts with an empty session
    with counted() as statements:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status)
    # The page shows every session (the session page its one): the sizes really differ.
    assert response.data.count(b"revised") >= (1 if page == "session page" else sessions)
    return len(statements)


def test_the_statements_of_a_first_render_do_not_grow_with_the_agenda(
    client: FlaskClient,
) -> None:
    slugs, key = _meetings()
    counts = {
        page: [
            _count(client, pattern.format(slug=slugs[size], key=key), size, page) for size in SIZES
        ]
        for page, pattern in PAGES.items()
    }
    growing = {page: found for page, found in counts.items() if len(set(found)) > 1}
    assert not growing, f"statements for {SIZES} sessions: {growing}"
    # And few: a handful per page, whatever the meeting.
    assert all(found[0] <= 12 for found in counts.values()), counts
