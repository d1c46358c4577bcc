"""Rapporteurs write records in the browser; the chair approves them."""

from __future__ import annotations

import sqlalchemy as sa

from eventapp.extensions import db
from eventapp.models import Record, RecordStatus, Session
from tests.factories import DEMO_SLUG, make_account
from tests.helpers import csrf_token, form_fields, sign_in

RECORDS = f"/meetings/{DEMO_SLUG}/records"


def record_of(ref: str) -> Record:
    db.session.expire_all()
    return db.session.scalar(sa.select(Record).join(Session).where(Session.ref == ref))


def test_a_rapporteur_sees_and_edits_only_their_sessions(client, demo_meeting):
    make_account("rapp-2@example.org")
    sign_in(client, "rapp-2@example.org")
    listing = client.get(RECORDS).get_data(as_text=True)
    assert "Closing of the meeting" in listing  # rapp-2's
    assert "Presentations by the Wildlife" not in listing  # rapp-1's
    assert client.get(f"{RECORDS}/s-net").status_code == 403

    page = client.get(f"{RECORDS}/s-close").get_data(as_text=True)
    assert "DRAFT – not yet approved: closing remarks." in page
    assert 'value="approved"' not in page  # a rapporteur cannot approve
    data = form_fields(page)
    data.update(
        {
            "summary": "The Chair closed the meeting.",
            "status": "submitted",
            "outcomes-1-kind": "action",
            "outcomes-1-text": "Circulate the report to all networks.",
            "outcomes-1-owner": "cites",
            "outcomes-1-due": "2013-04-30",
        }
    )
    response = client.post(f"{RECORDS}/s-close", data=data)
    html = response.get_data(as_text=True)
    assert response.status_code == 303, html[html.find("<main") :][:3000]
    record = record_of("s-close")
    assert record.status is RecordStatus.SUBMITTED
    assert record.summary == "The Chair closed the meeting."
    assert [o.text for o in record.outcomes] == [
        "DRAFT – not yet approved: closing remarks.",
        "Circulate the report to all networks.",
    ]
    assert record.outcomes[1].owner.ref == "cites"


def test_a_rapporteur_cannot_approve_and_a_stale_form_is_refused(client, demo_meeting):
    make_account("rapp-2@example.org")
    sign_in(client, "rapp-2@example.org")
    data = form_fields(client.get(f"{RECORDS}/s-close").get_data(as_text=True))
    approve = {**data, "status": "approved"}
    assert client.post(f"{RECORDS}/s-close", data=approve).status_code == 400
    unknown = {**data, "outcomes-1-text": "Something.", "outcomes-1-owner": "atlantis"}
    response = client.post(f"{RECORDS}/s-close", data=unknown)
    assert response.status_code == 400
    assert 'href="#outcomes-1-owner"' in response.get_data(as_text=True)
    assert record_of("s-close").status is RecordStatus.DRAFT
    # Someone else saves first; the form opened before is refused and changes nothing.
    first = {**data, "summary": "First save."}
    assert client.post(f"{RECORDS}/s-close", data=first).status_code == 303
    late = {**data, "summary": "Late save."}
    response = client.post(f"{RECORDS}/s-close", data=late)
    assert response.status_code == 409
    assert "after you opened it" in response.get_data(as_text=True)
    assert record_of("s-close").summary == "First save."


def test_the_chair_approves_in_the_browser(client, demo_meeting):
    make_account("chair@example.org")
    sign_in(client, "chair@example.org")
    listing = client.get(RECORDS).get_data(as_text=True)
    assert "Presentations by the Wildlife" in listing and "Closing of the meeting" in listing
    data = form_fields(client.get(f"{RECORDS}/s-close").get_data(as_text=True))
    data["status"] = "approved"
    assert client.post(f"{RECORDS}/s-close", data=data).status_code == 303
    assert record_of("s-close").status is RecordStatus.APPROVED


def test_participants_have_no_access(client, demo_meeting):
    make_account("p-th-1@example.org")
    sign_in(client, "p-th-1@example.org")
    assert client.get(RECORDS).status_code == 403
    assert client.get(f"{RECORDS}/s-close").status_code == 403
    token = csrf_token(client, "/account")
    assert client.post(f"{RECORDS}/s-close", data={"csrf_token": token}).status_code == 403
