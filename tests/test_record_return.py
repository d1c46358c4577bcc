"""The status flow of a record: submit, approve, send back with a comment, reopen; and the
reports, which only approved records reach."""

from __future__ import annotations

import re
from typing import Any

import pytest
import sqlalchemy as sa

from eventapp.extensions import db
from eventapp.lookups import find_session
from eventapp.models import (
    AuditEntry,
    Meeting,
    RecordStatus,
    ReportKind,
    RevisionChange,
    Session,
    User,
)
from eventapp.records import service
from eventapp.reports.render import report_html
from tests.factories import DEMO_SLUG, make_account
from tests.helpers import assert_error, bearer, form_fields, sign_in

RECORDS = f"/meetings/{DEMO_SLUG}/records"
SUMMARY = "The networks agreed on a common alert format."
DECISION = "Adopt the common alert format by June."

DRAFT, SUBMITTED, APPROVED = RecordStatus.DRAFT, RecordStatus.SUBMITTED, RecordStatus.APPROVED
SAVED, RETURNED, REOPENED = RevisionChange.SAVED, RevisionChange.RETURNED, RevisionChange.REOPENED


@pytest.fixture
def people(demo_meeting: Meeting) -> dict[str, User]:
    """The rapporteur of s-close and s-open, the meeting's chair and an organiser."""
    return {
        "rapporteur": make_account("rapp-2@example.org"),
        "chair": make_account("chair@example.org"),
        "organiser": make_account("org@example.org", "organiser", meeting=demo_meeting),
    }


def session_of(meeting: Meeting, ref: str = "s-close") -> Session:
    db.session.expire_all()
    session = find_session(meeting, ref)
    assert session is not None
    return session


def save(meeting: Meeting, user: User, status: RecordStatus, **fields: Any) -> None:
    """The record of s-close written whole by `user`, and committed."""
    data = {
        "status": status.value,
        "summary": SUMMARY,
        "outcomes": [{"kind": "decision", "text": DECISION}],
        **fields,
    }
    service.replace(meeting, session_of(meeting), data, user=user, read_current=lambda tag: True)
    db.session.commit()


def sent_back(session: Session) -> service.SentBack | None:
    return service.sent_back(session, service.revisions(session))


def send_back(meeting: Meeting, user: User, change: RevisionChange, comment: str) -> None:
    service.send_back(meeting, session_of(meeting), change, comment, user=user)
    db.session.commit()


# -- the flow, as a table ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "change", "wanted", "approver", "edited", "after"),
    [
        (None, SAVED, DRAFT, False, True, DRAFT),
        (DRAFT, SAVED, SUBMITTED, False, True, SUBMITTED),
        (SUBMITTED, SAVED, DRAFT, False, True, DRAFT),
        (SUBMITTED, SAVED, APPROVED, True, False, APPROVED),
        (APPROVED, SAVED, APPROVED, False, False, None),  # saved unchanged: stays approved
        (APPROVED, SAVED, APPROVED, False, True, SUBMITTED),  # changed: back to the chair
        (APPROVED, SAVED, APPROVED, True, True, APPROVED),
        (SUBMITTED, RETURNED, DRAFT, True, False, DRAFT),
        (APPROVED, RETURNED, DRAFT, True, False, DRAFT),
        (APPROVED, REOPENED, DRAFT, True, False, DRAFT),
    ],
)
def test_the_status_flow(current, change, wanted, approver, edited, after):  # type: ignore[no-untyped-def]
    assert service.next_status(current, change, wanted, approver=approver, edited=edited) is after


@pytest.mark.parametrize(
    ("current", "change", "wanted", "approver", "refusal"),
    [
        (DRAFT, SAVED, APPROVED, False, service.NotAllowed),
        (SUBMITTED, SAVED, APPROVED, False, service.NotAllowed),
        (SUBMITTED, RETURNED, DRAFT, False, service.NotAllowed),
        (APPROVED, REOPENED, DRAFT, False, service.NotAllowed),
        (DRAFT, RETURNED, DRAFT, True, service.WrongStatus),
        (None, RETURNED, DRAFT, True, service.WrongStatus),
        (SUBMITTED, REOPENED, DRAFT, True, service.WrongStatus),
        (DRAFT, REOPENED, DRAFT, True, service.WrongStatus),
    ],
)
def test_what_the_flow_refuses(current, change, wanted, approver, refusal):  # type: ignore[no-untyped-def]
    with pytest.raises(refusal):
        service.next_status(current, change, wanted, approver=approver, edited=True)


# -- only approved records reach the reports (contract section 5) -------------------------------


def _returned(meeting: Meeting, people: dict[str, User]) -> None:
    save(meeting, people["rapporteur"], SUBMITTED)
    save(meeting, people["chair"], APPROVED)
    send_back(meeting, people["chair"], RETURNED, "Name the networks that agreed.")


def _reopened(meeting: Meeting, people: dict[str, User]) -> None:
    save(meeting, people["chair"], APPROVED)
    send_back(meeting, people["organiser"], REOPENED, "The date of June is disputed.")


STAGES = {
    "draft": lambda meeting, people: save(meeting, people["rapporteur"], DRAFT),
    "submitted": lambda meeting, people: save(meeting, people["rapporteur"], SUBMITTED),
    "returned": _returned,
    "reopened": _reopened,
}


def _in_reports(meeting: Meeting) -> tuple[bool, bool]:
    """Whether the full report shows the summary, and the chair's summary the decision."""
    db.session.expire_all()
    full = report_html(meeting, ReportKind.FULL_REPORT, "en", preview=True)
    chair = report_html(meeting, ReportKind.CHAIR_SUMMARY, "en", preview=True)
    return SUMMARY in full, DECISION in chair


@pytest.mark.parametrize("stage", list(STAGES))
def test_only_approved_records_reach_the_reports(demo_meeting, people, stage):  # type: ignore[no-untyped-def]
    STAGES[stage](demo_meeting, people)
    assert session_of(demo_meeting).record.status is DRAFT if stage != "submitted" else SUBMITTED
    assert _in_reports(demo_meeting) == (False, False)
    # The same record approved is in both: the text is what the reports would show.
    save(demo_meeting, people["chair"], APPROVED)
    assert _in_reports(demo_meeting) == (True, True)


# -- sending back and reopening ------------------------------------------------------------------


def test_the_chair_sends_an_approved_record_back_with_a_comment(demo_meeting, people):  # type: ignore[no-untyped-def]
    save(demo_meeting, people["chair"], APPROVED)
    send_back(demo_meeting, people["chair"], RETURNED, "  Name the networks that agreed.  ")
    session = session_of(demo_meeting)
    assert session.record.status is DRAFT
    assert session.record.summary == SUMMARY  # the text is the rapporteur's to correct
    newest = service.revisions(session)[-1]
    assert (newest.change, newest.status, newest.saved_by) == (
        RETURNED,
        DRAFT,
        "chair@example.org",
    )
    assert newest.comment == "Name the networks that agreed."
    assert newest.document == service.document(session)
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "record.returned"))
    assert entry is not None and entry.actor == "chair@example.org"
    assert entry.details == {
        "from": "approved",
        "comment": "Name the networks that agreed.",
        "revision": newest.number,
    }
    shown = sent_back(session)
    assert shown is not None
    assert (shown.change, shown.comment, shown.by) == (
        RETURNED,
        "Name the networks that agreed.",
        "chair@example.org",
    )


def test_the_comment_stays_in_view_until_the_record_is_submitted(demo_meeting, people):  # type: ignore[no-untyped-def]
    save(demo_meeting, people["rapporteur"], SUBMITTED)
    assert sent_back(session_of(demo_meeting)) is None
    send_back(demo_meeting, people["organiser"], RETURNED, "Add the attendance.")
    save(demo_meeting, people["rapporteur"], DRAFT, attendance=40)  # still working on it
    shown = sent_back(session_of(demo_meeting))
    assert shown is not None and shown.comment == "Add the attendance."
    save(demo_meeting, people["rapporteur"], SUBMITTED, attendance=41)
    assert sent_back(session_of(demo_meeting)) is None
    # The comment is kept in the history all the same.
    kept = [r.comment for r in service.revisions(session_of(demo_meeting))]
    assert "Add the attendance." in kept


def test_an_organiser_reopens_an_approved_record_with_a_reason(demo_meeting, people):  # type: ignore[no-untyped-def]
    _reopened(demo_meeting, people)
    session = session_of(demo_meeting)
    assert session.record.status is DRAFT
    shown = sent_back(session)
    assert shown is not None
    assert (shown.change, shown.comment) == (REOPENED, "The date of June is disputed.")
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "record.reopened"))
    assert entry is not None and entry.details["from"] == "approved"


@pytest.mark.parametrize("comment", ["", "   \n ", "x" * (service.COMMENT_LENGTH + 1)])
def test_a_comment_is_needed_and_bounded(demo_meeting, people, comment):  # type: ignore[no-untyped-def]
    save(demo_meeting, people["rapporteur"], SUBMITTED)
    with pytest.raises(service.CommentMissing):
        send_back(demo_meeting, people["chair"], RETURNED, comment)
    db.session.rollback()
    assert session_of(demo_meeting).record.status is SUBMITTED


def test_refusals_change_nothing(demo_meeting, people):  # type: ignore[no-untyped-def]
    save(demo_meeting, people["rapporteur"], SUBMITTED)
    count = len(service.revisions(session_of(demo_meeting)))
    with pytest.raises(service.NotAllowed):
        send_back(demo_meeting, people["rapporteur"], RETURNED, "I take it back.")
    db.session.rollback()
    with pytest.raises(service.WrongStatus, match="Only an approved record"):
        send_back(demo_meeting, people["chair"], REOPENED, "Reopen it.")
    db.session.rollback()
    with pytest.raises(service.WrongStatus, match="no record yet"):
        service.send_back(
            demo_meeting, session_of(demo_meeting, "s-break"), RETURNED, "?", user=people["chair"]
        )
    db.session.rollback()
    assert session_of(demo_meeting).record.status is SUBMITTED
    assert len(service.revisions(session_of(demo_meeting))) == count
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(
                AuditEntry.action.in_(["record.returned", "record.reopened"])
            )
        )
        == 0
    )


# -- the rapporteur's page of an approved record -----------------------------------------------


def test_a_rapporteur_saves_an_approved_record_without_choosing_again(client, demo_meeting, people):  # type: ignore[no-untyped-def]
    sign_in(client, "rapp-2@example.org")
    page = client.get(f"{RECORDS}/s-open").get_data(as_text=True)  # approved in the demo
    chosen = re.findall(r'<input[^>]*name="status"[^>]*>', page)
    assert [tag for tag in chosen if "checked" in tag] == [
        tag for tag in chosen if 'value="approved"' in tag
    ]
    data = form_fields(page)
    assert data["status"] == "approved"
    # Saved as it is: no "Not a valid choice", and it stays approved.
    response = client.post(f"{RECORDS}/s-open", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)
    assert session_of(demo_meeting, "s-open").record.status is APPROVED
    # Changed: it goes back to the chair as submitted.
    data = form_fields(client.get(f"{RECORDS}/s-open").get_data(as_text=True))
    data["attendance"] = "120"
    assert client.post(f"{RECORDS}/s-open", data=data).status_code == 303
    record = session_of(demo_meeting, "s-open").record
    assert (record.status, record.attendance) == (SUBMITTED, 120)


# -- POST …/record/return (contract 4.5) -------------------------------------------------------

API_RECORD = f"/api/v1/meetings/{DEMO_SLUG}/sessions/s-close/record"


def test_the_chair_returns_a_submitted_record_through_the_api(client, demo_meeting, people):  # type: ignore[no-untyped-def]
    save(demo_meeting, people["rapporteur"], SUBMITTED)
    chair = bearer("chair@example.org")
    etag = client.get(API_RECORD, headers=chair).headers["ETag"]
    response = client.post(
        f"{API_RECORD}/return", json={"comment": "Add the attendance."}, headers=chair
    )
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {**client.get(API_RECORD, headers=chair).get_json()}
    assert response.get_json()["status"] == "draft"
    assert response.get_json()["summary"] == SUMMARY
    assert response.headers["ETag"] not in (None, etag)
    newest = client.get(f"{API_RECORD}/revisions", headers=chair).get_json()[-1]
    assert (newest["change"], newest["status"], newest["comment"], newest["saved_by"]) == (
        "returned",
        "draft",
        "Add the attendance.",
        "chair@example.org",
    )


def test_an_organiser_returns_an_approved_record(client, demo_meeting, people):  # type: ignore[no-untyped-def]
    url = f"/api/v1/meetings/{DEMO_SLUG}/sessions/s-open/record"  # approved in the demo
    headers = bearer("org@example.org")
    response = client.post(f"{url}/return", json={"comment": "Wrong speaker."}, headers=headers)
    assert response.status_code == 200
    assert response.get_json()["status"] == "draft"
    assert session_of(demo_meeting, "s-open").record.status is DRAFT
    lines = client.get(f"{url}/revisions", headers=headers).get_json()
    assert [(line["change"], line["status"]) for line in lines] == [
        ("earlier", "approved"),
        ("returned", "draft"),
    ]


def test_a_draft_cannot_be_returned(client, demo_meeting, people):  # type: ignore[no-untyped-def]
    chair = bearer("chair@example.org")
    error = assert_error(
        client.post(f"{API_RECORD}/return", json={"comment": "No."}, headers=chair),
        409,
        "conflict",
    )
    assert "Draft" in error["message"]
    unwritten = f"/api/v1/meetings/{DEMO_SLUG}/sessions/s-break/record/return"
    assert_error(client.post(unwritten, json={"comment": "No."}, headers=chair), 409, "conflict")
    assert client.get(f"{API_RECORD}/revisions", headers=chair).get_json() == []


def test_its_rapporteur_may_not_return_it(client, demo_meeting, people):  # type: ignore[no-untyped-def]
    save(demo_meeting, people["rapporteur"], SUBMITTED)
    rapporteur = bearer("rapp-2@example.org")
    for body in ({"comment": "Let me fix it."}, {"comment": ""}, {}, ["?"]):
        assert_error(
            client.post(f"{API_RECORD}/return", json=body, headers=rapporteur), 403, "forbidden"
        )
    make_account("p-th-1@example.org")  # a participant who keeps no record
    assert_error(
        client.post(
            f"{API_RECORD}/return", json={"comment": "?"}, headers=bearer("p-th-1@example.org")
        ),
        403,
        "forbidden",
    )
    assert_error(client.post(f"{API_RECORD}/return", json={"comment": "?"}), 401, "unauthorized")
    assert session_of(demo_meeting).record.status is SUBMITTED


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({}, 422, "$.comment"),
        ({"comment": None}, 422, "$.comment"),
        ({"comment": 5}, 422, "$.comment"),
        ({"comment": "   "}, 422, "$.comment"),
        ({"comment": "x" * (service.COMMENT_LENGTH + 1)}, 422, "$.comment"),
        ({"comment": "Fine.", "status": "draft"}, 422, "$.status"),
        (["comment"], 422, "$"),
        ("comment", 422, "$"),
    ],
)
def test_bad_bodies_are_json_4xx(client, demo_meeting, people, body, status, field):  # type: ignore[no-untyped-def]
    save(demo_meeting, people["rapporteur"], SUBMITTED)
    error = assert_error(
        client.post(f"{API_RECORD}/return", json=body, headers=bearer("chair@example.org")),
        status,
        "unprocessable_entity",
    )
    assert field in error["fields"]
    assert session_of(demo_meeting).record.status is SUBMITTED


def test_bodies_that_are_not_json_are_refused(client, demo_meeting, people):  # type: ignore[no-untyped-def]
    chair = bearer("chair@example.org")
    url = f"{API_RECORD}/return"
    assert_error(client.post(url, data="comment=x", headers=chair), 415, "unsupported_media_type")
    not_json = {**chair, "Content-Type": "application/json"}
    assert_error(client.post(url, data="{comment", headers=not_json), 400, "bad_request")
    assert_error(client.get(url, headers=chair), 405, "method_not_allowed")
    nowhere = f"/api/v1/meetings/{DEMO_SLUG}/sessions/nope/record/return"
    assert_error(client.post(nowhere, json={"comment": "?"}, headers=chair), 404, "not_found")
