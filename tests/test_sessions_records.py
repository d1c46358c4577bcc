"""The agenda's sessions and their records through the API: conflicts, ETags, approval."""

from __future__ import annotations

import sqlalchemy as sa

from eventapp.extensions import db
from eventapp.models import AuditEntry, Record, RecordStatus
from tests.factories import DEMO_SLUG, make_account, new_session
from tests.helpers import SESSIONS, assert_error, bearer
from tests.helpers import organiser_headers as organiser


def test_organiser_lists_every_session_closed_ones_too(client, demo_meeting, demo_doc):
    response = client.get(SESSIONS, headers=organiser(demo_meeting))
    assert response.status_code == 200
    refs = [s["ref"] for s in response.get_json()]
    assert refs == [s["ref"] for s in demo_doc["sessions"]]
    assert "s-closed" in refs


def test_add_a_session_and_see_it_on_the_public_agenda(client, demo_meeting):
    headers = organiser(demo_meeting)
    assert "forensics" not in client.get(f"/meetings/{DEMO_SLUG}/agenda").get_data(as_text=True)
    response = client.post(SESSIONS, json=new_session(), headers=headers)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["title"] == new_session()["title"]
    assert client.get(response.headers["Location"], headers=headers).get_json()["ref"] == "s-side"
    agenda = client.get(f"/meetings/{DEMO_SLUG}/agenda").get_data(as_text=True)
    assert "forensics" not in agenda  # in the draft until published
    assert (
        client.post(f"/api/v1/meetings/{DEMO_SLUG}/agenda/publish", headers=headers).status_code
        == 201
    )
    agenda = client.get(f"/meetings/{DEMO_SLUG}/agenda").get_data(as_text=True)
    assert "&lt;i&gt;forensics&lt;/i&gt;" in agenda
    assert db.session.scalar(sa.select(AuditEntry.id).where(AuditEntry.action == "session.created"))


def test_a_double_booked_room_is_409_with_the_conflict(client, demo_meeting):
    body = new_session(start="2013-03-05T09:15", end="2013-03-05T10:00", room="plenary")
    error = assert_error(
        client.post(SESSIONS, json=body, headers=organiser(demo_meeting)), 409, "conflict"
    )
    assert "s-open" in error["fields"]["$.room"] and "s-net" in error["fields"]["$.room"]
    assert "s-net" in error["message"]


def test_a_taken_ref_is_409(client, demo_meeting):
    error = assert_error(
        client.post(SESSIONS, json=new_session(ref="s-open"), headers=organiser(demo_meeting)),
        409,
        "conflict",
    )
    assert "$.ref" in error["fields"]


def test_bad_sessions_are_422_with_every_problem(client, demo_meeting):
    headers = organiser(demo_meeting)
    body = new_session(
        start="2013-03-05T14:00", end="2013-03-05T13:00", room="attic", speakers=["ghost"]
    )
    error = assert_error(
        client.post(SESSIONS, json=body, headers=headers),
        422,
        "unprocessable_entity",
    )
    assert set(error["fields"]) == {"$.end", "$.room", "$.speakers[0]"}
    outside = new_session(start="2013-03-09T09:00", end="2013-03-09T10:00")
    error = assert_error(
        client.post(SESSIONS, json=outside, headers=headers),
        422,
        "unprocessable_entity",
    )
    assert "outside the meeting" in error["fields"]["$.start"]


def test_a_person_in_two_sessions_at_once_is_a_warning(client, demo_meeting):
    body = new_session(start="2013-03-05T11:15", end="2013-03-05T12:00", chairs=["chair"])
    response = client.post(SESSIONS, json=body, headers=organiser(demo_meeting))
    assert response.status_code == 201
    assert "s-non" in response.headers["Warning"]


# -- records ---------------------------------------------------------------------------------


RECORD = f"{SESSIONS}/s-open/record"  # approved in the demo; rapporteur: rapp-2
DRAFT = f"{SESSIONS}/s-close/record"  # a draft in the demo; rapporteur: rapp-2


def rapporteur(meeting):  # type: ignore[no-untyped-def]
    make_account("rapp-2@example.org", "participant")
    return bearer("rapp-2@example.org")


def test_rapporteur_reads_the_record_with_an_etag(client, demo_meeting, demo_doc):
    response = client.get(RECORD, headers=rapporteur(demo_meeting))
    assert response.status_code == 200
    assert response.get_json() == demo_doc["sessions"][0]["record"]
    assert response.headers["ETag"]


def test_others_may_not_read_it(client, demo_meeting):
    make_account("p-th-1@example.org")
    assert_error(client.get(RECORD, headers=bearer("p-th-1@example.org")), 403, "forbidden")
    make_account("rapp-1@example.org")  # rapporteur of other sessions, not this one
    assert_error(client.get(RECORD, headers=bearer("rapp-1@example.org")), 403, "forbidden")
    assert_error(
        client.get(f"{SESSIONS}/nope/record", headers=organiser(demo_meeting)), 404, "not_found"
    )


def test_a_session_without_record_reads_as_a_blank_draft(client, demo_meeting):
    response = client.get(f"{SESSIONS}/s-break/record", headers=organiser(demo_meeting))
    assert response.get_json() == {"status": "draft", "outcomes": []}


def test_put_needs_if_match_and_refuses_a_stale_one(client, demo_meeting):
    headers = rapporteur(demo_meeting)
    first = client.get(DRAFT, headers=headers)
    body = {**first.get_json(), "status": "submitted", "summary": "Revised summary."}
    assert_error(client.put(DRAFT, json=body, headers=headers), 428, "precondition_required")
    etag = first.headers["ETag"]
    ok = client.put(DRAFT, json=body, headers={**headers, "If-Match": etag})
    assert ok.status_code == 200
    assert ok.get_json()["summary"] == "Revised summary."
    assert ok.headers["ETag"] != etag
    # A second writer who read the old version is refused, and changes nothing.
    stale = {**body, "summary": "Someone else's summary."}
    assert_error(
        client.put(DRAFT, json=stale, headers={**headers, "If-Match": etag}), 409, "conflict"
    )
    assert client.get(DRAFT, headers=headers).get_json()["summary"] == "Revised summary."


def test_only_the_chair_or_an_organiser_approves(client, demo_meeting):
    from eventapp.models import ReportKind
    from eventapp.reports.render import report_html

    headers = rapporteur(demo_meeting)
    close = DRAFT
    current = client.get(close, headers=headers)
    body = {**current.get_json(), "status": "approved", "summary": "Closing remarks, final."}
    error = assert_error(
        client.put(close, json=body, headers={**headers, "If-Match": current.headers["ETag"]}),
        403,
        "forbidden",
    )
    assert "chair" in error["message"]
    make_account("chair@example.org")
    chair = bearer("chair@example.org")
    current = client.get(close, headers=chair)
    approved = client.put(close, json=body, headers={**chair, "If-Match": current.headers["ETag"]})
    assert approved.status_code == 200
    status = db.session.scalar(
        sa.select(Record.status).join(Record.session).where(Record.session.has(ref="s-close"))
    )
    assert status is RecordStatus.APPROVED
    db.session.expire_all()
    html = report_html(demo_meeting, ReportKind.FULL_REPORT, "en", preview=True)
    assert "Closing remarks, final." in html
    # Once approved, a change by the rapporteur sends it back to the chair: out of the reports.
    current = client.get(close, headers=headers)
    same = client.put(
        close, json=current.get_json(), headers={**headers, "If-Match": current.headers["ETag"]}
    )
    assert same.status_code == 200 and same.get_json()["status"] == "approved"
    edit = {**current.get_json(), "summary": "Quietly changed."}
    changed = client.put(close, json=edit, headers={**headers, "If-Match": current.headers["ETag"]})
    assert changed.status_code == 200
    assert changed.get_json()["status"] == "submitted"
    db.session.expire_all()
    html = report_html(demo_meeting, ReportKind.FULL_REPORT, "en", preview=True)
    assert "Quietly changed." not in html and "Closing remarks, final." not in html


def test_bad_records_are_422(client, demo_meeting):
    headers = rapporteur(demo_meeting)
    current = client.get(DRAFT, headers=headers)
    body = {
        "status": "submitted",
        "outcomes": [
            {"kind": "action", "text": "Do it.", "owner": "atlantis", "due": "2013-02-30"}
        ],
    }
    error = assert_error(
        client.put(DRAFT, json=body, headers={**headers, "If-Match": current.headers["ETag"]}),
        422,
        "unprocessable_entity",
    )
    assert set(error["fields"]) == {"$.outcomes[0].owner", "$.outcomes[0].due"}
