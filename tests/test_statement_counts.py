"""Organisers' pages cost the same number of SQL statements for a small and a large meeting.

A page whose statements grow with the meeting walks the database from its view or template, one
row at a time; the service that gathers the page's data loads what it shows at once instead.
"""

from __future__ import annotations

from flask.testing import FlaskClient

from bench.generate import generate_meeting
from eventapp.accounts import service as accounts
from eventapp.extensions import db
from eventapp.models import AccountRole, Meeting
from tests.factories import load, make_account
from tests.helpers import counted, sign_in

SCALES = (1, 3)
ORGANISER = "desk@example.org"
PAGES = (
    "/meetings/{slug}/manage/",
    "/meetings/{slug}/manage/?q=a&sort=organisation",
    "/meetings/{slug}/manage/registrations.csv",
    "/meetings/{slug}/manage/agenda",
    "/meetings/{slug}/manage/agenda/sessions/{record}",
    "/meetings/{slug}/manage/agenda/rooms",
    "/meetings/{slug}/manage/agenda/versions/1",
    "/meetings/{slug}/manage/agenda/people?q=a",
    "/meetings/{slug}/manage/settings",
    "/meetings/{slug}/manage/organisations",
    "/meetings/{slug}/manage/team",
    "/meetings/{slug}/manage/log",
    "/meetings/{slug}/manage/reports",
    "/meetings/{slug}/records",
    "/meetings/{slug}/records/{record}",
    "/meetings/{slug}/actions?earlier=y",
    "/meetings/{slug}/actions.csv",
)


def _meeting_of_scale(scale: int) -> tuple[Meeting, str]:
    """A synthetic meeting, a team that grows with it, and a session with the longest record."""
    meeting = load(generate_meeting(scale, seed=1))
    for n in range(2 * scale):
        accounts.appoint(
            accounts.find_or_invite(f"rapp-{scale}-{n}@example.org"),
            meeting,
            AccountRole.RAPPORTEUR,
        )
    db.session.commit()
    recorded = [s for s in meeting.sessions if s.record is not None]
    longest = max(recorded, key=lambda s: (len(s.record.outcomes), s.ref))  # type: ignore[union-attr]
    return meeting, longest.ref


def _statements(client: FlaskClient, path: str) -> int:
    client.get(path)  # once to warm what a first visit fills (the meeting's cached pages)
    with counted() as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(statements)


def test_each_organiser_page_costs_the_same_statements_at_both_sizes(client: FlaskClient) -> None:
    meetings = {scale: _meeting_of_scale(scale) for scale in SCALES}
    user = make_account(ORGANISER, "organiser", meeting=meetings[SCALES[0]][0])
    for meeting, _ in meetings.values():
        accounts.appoint(user, meeting, AccountRole.ORGANISER)
    db.session.commit()
    sign_in(client, ORGANISER)

    counts = {
        page: tuple(
            _statements(client, page.format(slug=meeting.slug, record=record))
            for meeting, record in meetings.values()
        )
        for page in PAGES
    }
    growing = {page: n for page, n in counts.items() if len(set(n)) > 1}
    assert growing == {}, f"statements at scales {SCALES}: {growing}"
