"""Every save of a record is kept as a revision, in the browser and through the API."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from eventapp.extensions import db
from eventapp.models import RecordRevision, RecordStatus, RevisionChange, Session
from tests.factories import DEMO_SLUG, make_account
from tests.helpers import SESSIONS, assert_error, bearer, form_fields, sign_in

DRAFT = f"{SESSIONS}/s-close/record"  # a draft in the demo; rapporteur: rapp-2
APPROVED = f"{SESSIONS}/s-open/record"  # approved in the demo; rapporteur: rapp-2
RECORDS = f"/meetings/{DEMO_SLUG}/records"


def stored(ref: str) -> list[RecordRevision]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(RecordRevision)
            .join(Session, Session.id == RecordRevision.session_id)
            .where(Session.ref == ref)
            .order_by(RecordRevision.number)
        )
    )


@pytest.fixture
def rapporteur(demo_meeting):  # type: ignore[no-untyped-def]
    make_account("rapp-2@example.org")
    return bearer("rapp-2@example.org")


def put(client, url, headers, **changes):  # type: ignore[no-untyped-def]
    """PUT the record as last read, with the changes; the answer."""
    current = client.get(url, headers=headers)
    body = {**current.get_json(), **changes}
    return client.put(url, json=body, headers={**headers, "If-Match": current.headers["ETag"]})


def test_every_put_is_a_revision_and_none_is_overwritten(client, rapporteur, demo_doc):
    imported = client.get(DRAFT, headers=rapporteur).get_json()
    before = datetime.now(UTC)
    first = put(client, DRAFT, rapporteur, summary="First words.")
    assert first.status_code == 200
    second = put(client, DRAFT, rapporteur, summary="Second words.", status="submitted")
    assert second.status_code == 200

    revisions = stored("s-close")
    assert [r.number for r in revisions] == [1, 2, 3]
    # The imported record, kept as it stood before its first save: its author is not known.
    earlier = revisions[0]
    assert earlier.change is RevisionChange.EARLIER
    assert earlier.saved_by is None and earlier.saved_by_id is None
    assert earlier.document == imported
    assert earlier.saved_at <= before
    # Each save as the API answered it, by whom and when.
    assert [r.change for r in revisions[1:]] == [RevisionChange.SAVED] * 2
    assert [r.saved_by for r in revisions[1:]] == ["rapp-2@example.org"] * 2
    assert revisions[1].document == first.get_json()
    assert revisions[1].status is RecordStatus.DRAFT
    assert revisions[2].document == second.get_json()
    assert revisions[2].status is RecordStatus.SUBMITTED
    assert before <= revisions[1].saved_at <= revisions[2].saved_at <= datetime.now(UTC)


def test_a_save_in_the_browser_is_a_revision(client, rapporteur):
    sign_in(client, "rapp-2@example.org")
    data = form_fields(client.get(f"{RECORDS}/s-close").get_data(as_text=True))
    data.update({"summary": "Written in the room.", "attendance": "41"})
    assert client.post(f"{RECORDS}/s-close", data=data).status_code == 303
    revisions = stored("s-close")
    assert [r.change for r in revisions] == [RevisionChange.EARLIER, RevisionChange.SAVED]
    assert revisions[1].saved_by == "rapp-2@example.org"
    assert revisions[1].document["summary"] == "Written in the room."
    assert revisions[1].document["attendance"] == 41
    assert "summary" not in revisions[0].document or (
        revisions[0].document["summary"] != "Written in the room."
    )


def test_a_first_record_begins_at_revision_one(client, demo_meeting):
    make_account("org@example.org", "organiser", meeting=demo_meeting)
    headers = bearer("org@example.org")
    url = f"{SESSIONS}/s-break/record"  # no record yet
    response = put(client, url, headers, summary="Coffee was served.")
    assert response.status_code == 200
    revisions = stored("s-break")
    assert [(r.number, r.change, r.saved_by) for r in revisions] == [
        (1, RevisionChange.SAVED, "org@example.org")
    ]
    assert revisions[0].document == response.get_json()


def test_a_save_that_changes_nothing_is_no_revision(client, rapporteur):
    assert put(client, DRAFT, rapporteur, summary="Once.").status_code == 200
    assert len(stored("s-close")) == 2
    assert put(client, DRAFT, rapporteur).status_code == 200  # the same document again
    assert len(stored("s-close")) == 2


def test_a_refused_save_leaves_no_revision(client, rapporteur):
    response = put(client, DRAFT, rapporteur, status="approved")  # only the chair approves
    assert response.status_code == 403
    stale = client.put(DRAFT, json={"status": "draft"}, headers={**rapporteur, "If-Match": '"x"'})
    assert stale.status_code == 409
    assert stored("s-close") == []


def test_a_rapporteurs_change_to_an_approved_record_is_kept_as_submitted(client, rapporteur):
    response = put(client, APPROVED, rapporteur, summary="A late correction.")
    assert response.status_code == 200
    revisions = stored("s-open")
    assert [(r.change, r.status) for r in revisions] == [
        (RevisionChange.EARLIER, RecordStatus.APPROVED),
        (RevisionChange.SAVED, RecordStatus.SUBMITTED),
    ]
    assert revisions[1].document["status"] == "submitted"


def test_revisions_go_with_their_session(client, rapporteur, demo_meeting):
    assert put(client, DRAFT, rapporteur, summary="Kept.").status_code == 200
    assert len(stored("s-close")) == 2
    session = db.session.scalar(sa.select(Session).where(Session.ref == "s-close"))
    db.session.delete(session)
    db.session.commit()
    assert db.session.scalar(sa.select(sa.func.count(RecordRevision.id))) == 0


# -- through the API (contract 4.5) ------------------------------------------------------------

REVISIONS = f"{DRAFT}/revisions"


def test_the_api_lists_every_revision_oldest_first(client, rapporteur, demo_doc):
    assert client.get(REVISIONS, headers=rapporteur).get_json() == []  # never saved here
    first = put(client, DRAFT, rapporteur, summary="First words.")
    second = put(client, DRAFT, rapporteur, summary="Second words.", status="submitted")
    response = client.get(REVISIONS, headers=rapporteur)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    lines = response.get_json()
    assert [
        (line["revision"], line["status"], line["saved_by"], line["change"]) for line in lines
    ] == [
        (1, "draft", None, "earlier"),
        (2, "draft", "rapp-2@example.org", "saved"),
        (3, "submitted", "rapp-2@example.org", "saved"),
    ]
    times = [datetime.fromisoformat(line["saved_at"]) for line in lines]
    assert all(t.tzinfo is not None for t in times) and times == sorted(times)
    # Each revision, as a record document, as the record read then.
    session = next(s for s in demo_doc["sessions"] if s["ref"] == "s-close")
    assert client.get(f"{REVISIONS}/1", headers=rapporteur).get_json() == session["record"]
    assert client.get(f"{REVISIONS}/2", headers=rapporteur).get_json() == first.get_json()
    assert client.get(f"{REVISIONS}/3", headers=rapporteur).get_json() == second.get_json()


def test_revisions_are_for_record_keepers_only(client, rapporteur, demo_meeting):
    assert put(client, DRAFT, rapporteur, summary="Kept.").status_code == 200
    make_account("chair@example.org")
    assert client.get(f"{REVISIONS}/2", headers=bearer("chair@example.org")).status_code == 200
    make_account("org@example.org", "organiser", meeting=demo_meeting)
    assert len(client.get(REVISIONS, headers=bearer("org@example.org")).get_json()) == 2
    make_account("rapp-1@example.org")  # rapporteur of other sessions
    for url in (REVISIONS, f"{REVISIONS}/1"):
        assert_error(client.get(url, headers=bearer("rapp-1@example.org")), 403, "forbidden")
    assert_error(client.get(REVISIONS), 401, "unauthorized")


@pytest.mark.parametrize(
    "tail", ["/0", "/3", "/99999999999999999999999", "/-1", "/two", "/1.5", "s"]
)
def test_a_revision_that_is_not_there_is_a_json_404(client, rapporteur, tail):
    assert put(client, DRAFT, rapporteur, summary="Kept.").status_code == 200
    assert_error(client.get(f"{REVISIONS}{tail}", headers=rapporteur), 404, "not_found")


def test_revisions_of_an_unknown_session_are_404(client, rapporteur):
    assert_error(
        client.get(f"{SESSIONS}/nope/record/revisions", headers=rapporteur), 404, "not_found"
    )
