"""The records' pages: the chair sends back or reopens, the rapporteur reads the comment and
the history of the record, and any earlier revision."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from eventapp.extensions import db
from eventapp.models import AuditEntry, Record, RecordStatus, Session
from tests.factories import DEMO_SLUG, make_account
from tests.helpers import form_fields, sign_in

RECORDS = f"/meetings/{DEMO_SLUG}/records"
APPROVED = f"{RECORDS}/s-iccwc"  # approved in the demo; rapporteur: rapp-2
DRAFT = f"{RECORDS}/s-close"  # a draft in the demo; rapporteur: rapp-2


def status_of(ref: str) -> RecordStatus:
    db.session.expire_all()
    status = db.session.scalar(sa.select(Record.status).join(Session).where(Session.ref == ref))
    assert status is not None
    return status


def main(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


@pytest.fixture
def chair(client, demo_meeting):  # type: ignore[no-untyped-def]
    make_account("chair@example.org")
    make_account("rapp-2@example.org")
    sign_in(client, "chair@example.org")
    return client


def send_back(client, url: str, how: str, comment: str):  # type: ignore[no-untyped-def]
    data = form_fields(client.get(f"{url}/{how}").get_data(as_text=True))
    data["comment"] = comment
    return client.post(f"{url}/{how}", data=data)


def test_the_chair_is_offered_what_the_status_allows(chair):  # type: ignore[no-untyped-def]
    approved = main(chair.get(APPROVED).get_data(as_text=True))
    assert f'href="{APPROVED}/return"' in approved and f'href="{APPROVED}/reopen"' in approved
    draft = main(chair.get(DRAFT).get_data(as_text=True))
    assert "/return" not in draft and "/reopen" not in draft
    # A draft cannot be sent back: the page says so and changes nothing.
    response = chair.get(f"{DRAFT}/return")
    assert response.status_code == 303 and response.headers["Location"].endswith(DRAFT)
    assert "nothing was done" in chair.get(DRAFT).get_data(as_text=True)
    assert status_of("s-close") is RecordStatus.DRAFT


def test_sending_back_is_confirmed_on_its_own_page_with_a_comment(chair):  # type: ignore[no-untyped-def]
    page = main(chair.get(f"{APPROVED}/return").get_data(as_text=True))
    assert "leaves the Chair's summary and the report" in page
    assert '<label for="comment">' in page and 'name="csrf_token"' in page
    # Without a comment: the page again, the field at fault named, nothing changed.
    blank = send_back(chair, APPROVED, "return", "   ")
    assert blank.status_code == 400
    html = blank.get_data(as_text=True)
    assert 'aria-invalid="true"' in html and "Write a few words to the rapporteur" in html
    assert status_of("s-iccwc") is RecordStatus.APPROVED
    # Without the CSRF token: refused.
    refused = chair.post(f"{APPROVED}/return", data={"comment": "Forged."})
    assert refused.status_code == 400
    assert status_of("s-iccwc") is RecordStatus.APPROVED

    done = send_back(chair, APPROVED, "return", "Give the due dates <i>again</i>.")
    assert done.status_code == 303 and done.headers["Location"].endswith(APPROVED)
    assert status_of("s-iccwc") is RecordStatus.DRAFT
    assert (
        db.session.scalar(sa.select(AuditEntry.actor).where(AuditEntry.action == "record.returned"))
        == "chair@example.org"
    )


def test_the_rapporteur_reads_the_comment_and_the_history(chair, client, app):  # type: ignore[no-untyped-def]
    assert (
        send_back(chair, APPROVED, "return", "Give the due dates <i>again</i>.").status_code == 303
    )
    rapporteur = app.test_client()
    sign_in(rapporteur, "rapp-2@example.org")
    listing = main(rapporteur.get(RECORDS).get_data(as_text=True))
    row = re.search(r"<tr>(?:(?!</tr>).)*Support from ICCWC(?:(?!</tr>).)*</tr>", listing, re.S)
    assert row is not None and "Sent back" in row.group(0)

    page = main(rapporteur.get(APPROVED).get_data(as_text=True))
    assert "Sent back to its rapporteur" in page
    assert "Give the due dates &lt;i&gt;again&lt;/i&gt;." in page  # shown as text
    assert "chair@example.org" in page
    assert f'href="{APPROVED}/return"' not in page  # not theirs to do
    history = page[page.index('id="history"') :]
    assert [int(n) for n in re.findall(r"/revisions/(\d+)\"", history)] == [1, 2]
    # Submitted again, the comment leaves the page but stays in the history.
    data = form_fields(rapporteur.get(APPROVED).get_data(as_text=True))
    data.update({"status": "submitted", "summary": "With the due dates."})
    assert rapporteur.post(APPROVED, data=data).status_code == 303
    page = main(rapporteur.get(APPROVED).get_data(as_text=True))
    assert "Sent back to its rapporteur" not in page
    assert "Give the due dates" in page[page.index('id="history"') :]


def test_any_revision_can_be_read(chair, client):  # type: ignore[no-untyped-def]
    before = main(chair.get(APPROVED).get_data(as_text=True))
    assert "No save of this record has been kept yet" in before
    data = form_fields(chair.get(APPROVED).get_data(as_text=True))
    data["summary"] = "A new summary."
    assert chair.post(APPROVED, data=data).status_code == 303
    first = chair.get(f"{APPROVED}/revisions/1")
    assert first.status_code == 200
    html = main(first.get_data(as_text=True))
    assert "ICCWC partners discussed how to support the networks" in html  # as it stood
    assert "As it stood before its first save" in html and "not known" in html
    assert "due 31 December 2013" in html and "International Consortium" in html
    second = main(chair.get(f"{APPROVED}/revisions/2").get_data(as_text=True))
    assert "A new summary." in second and "chair@example.org" in second
    for missing in ("3", "0", "99999999999999999999"):
        assert chair.get(f"{APPROVED}/revisions/{missing}").status_code == 404


def test_an_organiser_reopens_an_approved_record(client, demo_meeting):  # type: ignore[no-untyped-def]
    make_account("org@example.org", "organiser", meeting=demo_meeting)
    sign_in(client, "org@example.org")
    page = main(client.get(f"{APPROVED}/reopen").get_data(as_text=True))
    assert "Reopen the record of" in page and "Your reason is kept" in page
    assert send_back(client, APPROVED, "reopen", "A date is disputed.").status_code == 303
    assert status_of("s-iccwc") is RecordStatus.DRAFT
    page = main(client.get(APPROVED).get_data(as_text=True))
    assert "Reopened" in page and "A date is disputed." in page
    # Once a draft, there is nothing to reopen or send back.
    assert f'href="{APPROVED}/reopen"' not in page


def test_the_rapporteur_and_others_may_not_send_back(client, demo_meeting):  # type: ignore[no-untyped-def]
    make_account("rapp-2@example.org")
    sign_in(client, "rapp-2@example.org")
    for how in ("return", "reopen"):
        assert client.get(f"{APPROVED}/{how}").status_code == 403
        data = form_fields(client.get(APPROVED).get_data(as_text=True))
        data["comment"] = "Mine to undo."
        assert client.post(f"{APPROVED}/{how}", data=data).status_code == 403
    assert client.get(f"{RECORDS}/s-net/revisions/1").status_code == 403  # rapp-1's session
    assert client.get(f"{APPROVED}/undo").status_code == 404
    assert status_of("s-iccwc") is RecordStatus.APPROVED
