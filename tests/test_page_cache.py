"""Public pages are served from a cache that no change to the meeting can outlive."""

from __future__ import annotations

import sqlalchemy as sa

from eventapp.agenda import versions
from eventapp.extensions import db
from eventapp.models import Meeting, Outcome, Participant
from eventapp.pagecache import pages
from tests.conftest import DEMO_SLUG, make_account, sign_in

PARTICIPANTS = f"/meetings/{DEMO_SLUG}/participants"


def version() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(Meeting.content_version))


def test_every_kind_of_change_raises_the_content_version(demo_meeting):
    start = version()
    person = db.session.scalar(sa.select(Participant).where(Participant.ref == "p-freeland"))
    person.list_consent = True
    db.session.commit()
    after_participant = version()
    assert after_participant > start
    outcome = db.session.scalars(sa.select(Outcome)).first()
    outcome.text = "Changed wording."
    db.session.commit()
    after_outcome = version()
    assert after_outcome > after_participant
    meeting = db.session.scalar(sa.select(Meeting))
    meeting.title = "Renamed"
    db.session.commit()
    assert version() > after_outcome


def test_a_change_is_never_served_stale(client, demo_meeting):
    first = client.get(PARTICIPANTS).get_data(as_text=True)
    assert "O&#39;Brien" not in first and "O'Brien" not in first
    renders = pages.renders
    again = client.get(PARTICIPANTS).get_data(as_text=True)
    assert again == first
    assert pages.renders == renders  # served from the cache
    person = db.session.scalar(sa.select(Participant).where(Participant.ref == "p-freeland"))
    person.list_consent = True
    db.session.commit()
    changed = client.get(PARTICIPANTS).get_data(as_text=True)
    assert "Brien" in changed
    assert pages.renders == renders + 1


def test_languages_are_cached_apart(client, demo_meeting):
    english = client.get(PARTICIPANTS + "?lang=en").get_data(as_text=True)
    french = client.get(PARTICIPANTS + "?lang=fr").get_data(as_text=True)
    assert '<html lang="en"' in english and '<html lang="fr"' in french


def test_revalidation_answers_304(client, demo_meeting):
    response = client.get(PARTICIPANTS)
    etag = response.headers["ETag"]
    again = client.get(PARTICIPANTS, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""


def test_signed_in_visits_are_not_served_from_the_cache(client, demo_meeting):
    make_account("someone@example.org")
    sign_in(client, "someone@example.org")
    renders = pages.renders
    html = client.get(PARTICIPANTS).get_data(as_text=True)
    assert "someone@example.org" in html  # the header names the account
    client.get(PARTICIPANTS)
    assert pages.renders == renders


def test_bulk_statements_raise_the_content_version_of_their_meeting_only(demo_meeting, demo_doc):
    from eventapp.models import Session
    from tests.conftest import load

    other = dict(demo_doc, meeting={**demo_doc["meeting"], "slug": "another-meeting"})
    load(other)
    versions = dict(db.session.execute(sa.select(Meeting.slug, Meeting.content_version)).all())
    db.session.execute(
        sa.update(Session)
        .where(Session.meeting_id == demo_meeting.id, Session.ref == "s-open")
        .values(title="Opening, as amended")
    )
    db.session.commit()
    db.session.expire_all()
    after = dict(db.session.execute(sa.select(Meeting.slug, Meeting.content_version)).all())
    assert after[DEMO_SLUG] > versions[DEMO_SLUG]
    assert after["another-meeting"] == versions["another-meeting"]


def test_the_cache_is_bounded_by_size_and_count():
    from eventapp.pagecache import PageCache

    cache = PageCache(max_pages=3, max_bytes=1000)
    for n in range(5):
        cache.get(("page", n), lambda: "x" * 100)
    assert cache.get(("page", 4), lambda: "new")[0] == b"x" * 100  # still kept
    assert cache.get(("page", 0), lambda: "again")[0] == b"again"  # evicted: oldest first
    cache.get(("big",), lambda: "y" * 900)
    # Over the byte budget: older pages go until it fits again.
    assert cache.get(("page", 4), lambda: "gone")[0] == b"gone"


AGENDA = f"/meetings/{DEMO_SLUG}/agenda"
PUBLIC_URLS = (
    f"/meetings/{DEMO_SLUG}/",
    AGENDA,
    PARTICIPANTS,
    f"/meetings/{DEMO_SLUG}/agenda.ics",
    f"/meetings/{DEMO_SLUG}/schedule.json",
)


def etags(client) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {url: client.get(url).headers["ETag"] for url in PUBLIC_URLS}


def test_changes_the_public_cannot_see_keep_every_public_etag(client, demo_meeting):
    from eventapp.models import Record, RecordStatus, Session
    from eventapp.registration.service import RegistrationRequest, register

    before = etags(client)
    start = version()
    # The draft record of a closed session...
    closed = db.session.scalar(sa.select(Session).where(Session.ref == "s-closed"))
    if closed.record is None:
        closed.record = Record(status=RecordStatus.DRAFT, summary="Confidential notes")
    else:
        closed.record.summary = "Confidential notes, amended"
        closed.record.status = RecordStatus.DRAFT
    db.session.commit()
    # ...and a pending registration.
    register(
        demo_meeting,
        RegistrationRequest(
            organisation="th", given_name="Nobody", family_name="Yet", email="n@example.org"
        ),
        by_organiser=True,
    )
    db.session.commit()
    assert version() == start
    assert etags(client) == before


def test_a_change_the_public_sees_changes_the_etag_of_the_page_that_shows_it(client, demo_meeting):
    from eventapp.models import Session

    before = etags(client)
    opening = db.session.scalar(sa.select(Session).where(Session.ref == "s-open"))
    opening.title = "Opening of the meeting, as amended"
    versions.publish(demo_meeting)
    db.session.commit()
    after = etags(client)
    assert after[AGENDA] != before[AGENDA]
    assert "as amended" in client.get(AGENDA).get_data(as_text=True)
    # The participants page shows no session: it renders the same and keeps its ETag.
    assert after[PARTICIPANTS] == before[PARTICIPANTS]


# -- the agenda reaches the public through its published versions only ---------------------------

API = f"/api/v1/meetings/{DEMO_SLUG}"
SESSION_PAGE = f"/meetings/{DEMO_SLUG}/sessions/s-open"


def pages_and_renders(client) -> tuple[dict[str, str], int]:  # type: ignore[no-untyped-def]
    found = etags(client)
    found[SESSION_PAGE] = client.get(SESSION_PAGE).headers["ETag"]
    return found, pages.renders


def test_draft_edits_leave_every_public_page_and_its_etag_alone(client, demo_meeting):
    from tests.factories import new_session
    from tests.helpers import organiser_headers

    headers = organiser_headers(demo_meeting)
    before, renders = pages_and_renders(client)
    start = version()
    edits = [
        client.patch(
            f"{API}/sessions/s-open", json={"title": "Opening, as amended"}, headers=headers
        ),
        client.patch(
            f"{API}/sessions/s-iccwc",
            json={"room": "room-b", "start": "2013-03-05T15:30", "end": "2013-03-05T16:30"},
            headers=headers,
        ),
        client.patch(f"{API}/sessions/s-non", json={"speakers": ["p-wco"]}, headers=headers),
        client.post(f"{API}/sessions", json=new_session(), headers=headers),
        client.delete(f"{API}/sessions/s-close", headers=headers),
    ]
    assert [e.status_code for e in edits] == [200, 200, 200, 201, 204]
    assert version() == start
    assert pages_and_renders(client) == (before, renders)  # nothing rendered again


def test_rooms_count_where_the_published_agenda_names_them(client, demo_meeting):
    from eventapp.agenda import sessions

    start = version()
    # A new room, and a capacity, are nowhere on the public pages.
    sessions.add_room(demo_meeting, "Room C", 20)
    sessions.set_room_capacity(demo_meeting, "plenary", 250)
    db.session.commit()
    assert version() == start
    sessions.remove_room(demo_meeting, "room-c")
    db.session.commit()
    assert version() == start
    # The published sessions in Room B show its name: a new one is seen at once.
    before = client.get(AGENDA).headers["ETag"]
    sessions.rename_room(demo_meeting, "plenary", "Main hall")
    db.session.commit()
    assert version() > start
    page = client.get(AGENDA)
    assert page.headers["ETag"] != before and "Main hall" in page.get_data(as_text=True)


def test_publishing_changes_the_public_agendas_etag(client, demo_meeting):
    from tests.helpers import organiser_headers

    headers = organiser_headers(demo_meeting)
    change = {"title": "Opening, as amended"}
    assert client.patch(f"{API}/sessions/s-open", json=change, headers=headers).status_code == 200
    before, start = etags(client), version()
    assert client.post(f"{API}/agenda/publish", headers=headers).status_code == 201
    assert version() > start
    after = etags(client)
    assert after[AGENDA] != before[AGENDA]
    assert "Opening, as amended" in client.get(AGENDA).get_data(as_text=True)


def _opening_outcome() -> Outcome:
    from eventapp.models import Record, Session

    return db.session.scalars(
        sa.select(Outcome)
        .join(Record, Record.id == Outcome.record_id)
        .join(Session, Session.id == Record.session_id)
        .where(Session.ref == "s-open")
    ).first()


def test_an_approved_outcome_of_a_public_session_changes_its_page(client, demo_meeting):
    before = client.get(SESSION_PAGE).headers["ETag"]
    start = version()
    _opening_outcome().text = "The agenda was adopted as amended."
    db.session.commit()
    assert version() > start
    page = client.get(SESSION_PAGE)
    assert page.headers["ETag"] != before
    assert "The agenda was adopted as amended." in page.get_data(as_text=True)


def test_an_outcome_counts_while_the_published_session_is_public_whatever_the_draft_says(
    client, demo_meeting
):
    from tests.helpers import organiser_headers

    headers = organiser_headers(demo_meeting)
    # Closed in the draft only: the public still reads the session's page, outcomes and all.
    change = {"public": False}
    assert client.patch(f"{API}/sessions/s-open", json=change, headers=headers).status_code == 200
    start = version()
    _opening_outcome().text = "The agenda was adopted as amended."
    db.session.commit()
    assert version() > start
    assert "adopted as amended" in client.get(SESSION_PAGE).get_data(as_text=True)


def test_a_meeting_published_without_versions_counts_its_rows_as_before(client, demo_meeting):
    from eventapp.models import AgendaVersion, Session

    # As a meeting published before versions were kept: the public pages read the rows.
    db.session.execute(sa.delete(AgendaVersion))
    db.session.commit()
    start = version()
    opening = db.session.scalar(sa.select(Session).where(Session.ref == "s-open"))
    opening.title = "Opening, as amended"
    db.session.commit()
    assert version() > start
    assert "Opening, as amended" in client.get(AGENDA).get_data(as_text=True)
