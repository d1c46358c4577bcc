"""Who is told of a record's change: a submitted record tells the meeting's chair and organisers,
an approved, returned or reopened one its rapporteur; by e-mail, in their language, with a link
to the record, once per person, never of their own doing (issue 10)."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any, cast

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from eventapp import mail
from eventapp.extensions import db
from eventapp.lookups import find_session
from eventapp.models import (
    AccountRole,
    Meeting,
    MeetingRole,
    Participant,
    RecordStatus,
    RevisionChange,
    User,
)
from eventapp.records import service
from tests.factories import DEMO_SLUG, demo_document, load, make_account
from tests.helpers import (
    bearer,
    delivered_to,
    eml_files,
    form_fields,
    mail_text,
    outbox_rows,
    sign_in,
    smtp_server,
)

RECORDS = f"/meetings/{DEMO_SLUG}/records"
LINK = f"http://127.0.0.1:5000/meetings/{DEMO_SLUG}/records/s-close"
CHAIR = "chair@example.org"  # John E. Scanlon, the meeting's chair; writes in French
RAPPORTEUR = "rapp-2@example.org"  # Kofi Mensah, rapporteur of s-close; writes in English
ORGANISER = "org@example.org"  # an organiser with no registration: the meeting's first language


@pytest.fixture
def meeting(app: Flask) -> Meeting:
    """The demo meeting in Spanish first; its chair reads French, rapp-2 English; accounts for
    the chair (an organiser too), rapp-2 and an organiser who is not registered."""
    assert app.config["BASE_URL"] == "http://127.0.0.1:5000"
    doc = demo_document()
    doc["meeting"]["languages"] = ["es", "en", "fr"]
    people = {p["ref"]: p for p in doc["participants"]}
    people["chair"]["language"] = "fr"
    people["rapp-2"]["language"] = "en"
    meeting = load(doc)
    make_account(CHAIR, "organiser", meeting=meeting)
    make_account(RAPPORTEUR)
    make_account(ORGANISER, "organiser", meeting=meeting)
    return meeting


def recipients(app: Flask) -> list[str]:
    """The addressee of every message delivered so far (one .eml file each)."""
    import email
    from email import policy

    return sorted(
        str(email.message_from_bytes(p.read_bytes(), policy=policy.default)["To"])
        for p in eml_files(app)
    )


def only_to(app: Flask, address: str) -> EmailMessage:
    [message] = delivered_to(app, address)
    return message


def html_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(cast(EmailMessage, part).get_content())


def submit_in_the_editor(client: FlaskClient, **fields: str) -> None:
    data = form_fields(client.get(f"{RECORDS}/s-close").get_data(as_text=True))
    data.update({"status": "submitted", **fields})
    response = client.post(f"{RECORDS}/s-close", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]


def account(address: str) -> User:
    user = db.session.scalar(sa.select(User).where(User.email == address))
    assert user is not None
    return user


# -- submitted: the chair and the organisers ------------------------------------------------------


def test_a_submitted_record_tells_the_chair_and_organisers_once_each_in_their_language(
    app: Flask, client: FlaskClient, meeting: Meeting
) -> None:
    sign_in(client, RAPPORTEUR)
    submit_in_the_editor(client)
    # The chair is an organiser too: one message. The rapporteur is not told of their own act.
    assert recipients(app) == [CHAIR, ORGANISER]
    chair = only_to(app, CHAIR)
    text = mail_text(chair)
    assert chair["Subject"] == "Compte rendu à approuver : Closing of the meeting"
    assert text.startswith("Bonjour John E. Scanlon,")
    assert "Kofi Mensah a soumis le compte rendu" in text and LINK in text
    assert 'lang="fr"' in html_part(chair) and f'href="{LINK}"' in html_part(chair)
    organiser = only_to(app, ORGANISER)
    assert 'lang="es"' in html_part(organiser)  # no registration: the meeting's first language
    assert organiser["Subject"] == "Acta por aprobar: Closing of the meeting"
    assert mail_text(organiser).startswith("Buenos días:")
    assert "Kofi Mensah ha presentado el acta" in mail_text(organiser)
    assert LINK in mail_text(organiser)
    assert outbox_rows() == []


def test_a_rapporteur_who_is_an_organiser_is_not_told_of_their_own_submission(
    app: Flask, client: FlaskClient, meeting: Meeting
) -> None:
    db.session.add(
        MeetingRole(
            user_id=account(RAPPORTEUR).id, meeting_id=meeting.id, role=AccountRole.ORGANISER
        )
    )
    db.session.commit()
    sign_in(client, RAPPORTEUR)
    submit_in_the_editor(client)
    assert recipients(app) == [CHAIR, ORGANISER]


def test_saves_that_do_not_change_the_status_tell_nobody(
    app: Flask, client: FlaskClient, meeting: Meeting
) -> None:
    sign_in(client, RAPPORTEUR)
    data = form_fields(client.get(f"{RECORDS}/s-close").get_data(as_text=True))
    assert data["status"] == "draft"
    data["summary"] = "Still writing."
    assert client.post(f"{RECORDS}/s-close", data=data).status_code == 303
    assert recipients(app) == []
    submit_in_the_editor(client)
    assert len(recipients(app)) == 2
    submit_in_the_editor(client, summary="Submitted, then corrected.")  # submitted again
    assert len(recipients(app)) == 2
    assert outbox_rows() == []


def test_a_preview_tells_nobody(app: Flask, client: FlaskClient, meeting: Meeting) -> None:
    sign_in(client, RAPPORTEUR)
    data = form_fields(client.get(f"{RECORDS}/s-close").get_data(as_text=True))
    data.update(status="submitted", preview="1")
    assert client.post(f"{RECORDS}/s-close", data=data).status_code == 200
    assert recipients(app) == [] and outbox_rows() == []


# -- approved, returned, reopened: the rapporteur -------------------------------------------------


def test_an_approval_tells_the_rapporteur_alone(
    app: Flask, client: FlaskClient, meeting: Meeting
) -> None:
    sign_in(client, RAPPORTEUR)
    submit_in_the_editor(client)
    before = len(eml_files(app))
    client.post("/logout", data={})
    chair = app.test_client()
    sign_in(chair, CHAIR)
    data = form_fields(chair.get(f"{RECORDS}/s-close").get_data(as_text=True))
    data["status"] = "approved"
    assert chair.post(f"{RECORDS}/s-close", data=data).status_code == 303
    assert len(eml_files(app)) == before + 1
    message = only_to(app, RAPPORTEUR)
    text = mail_text(message)
    assert message["Subject"] == "Record approved: Closing of the meeting"
    assert "John E. Scanlon approved your record" in text and LINK in text
    assert 'lang="en"' in html_part(message)


def test_a_return_tells_the_rapporteur_with_the_comment_through_smtp(
    app: Flask,
    client: FlaskClient,
    meeting: Meeting,
    runner: FlaskCliRunner,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service.replace(
        meeting,
        _session(meeting),
        {"status": "submitted", "summary": "Closed.", "outcomes": []},
        user=account(RAPPORTEUR),
        read_current=lambda tag: True,
    )
    db.session.commit()
    mail.deliver_here()  # the chair and the organiser are told
    sign_in(client, CHAIR)
    comment = "Name the <b>networks</b> that agreed & the date."
    with smtp_server() as (port, received):
        monkeypatch.setitem(app.config, "MAIL_URL", f"smtp://127.0.0.1:{port}")
        page = form_fields(client.get(f"{RECORDS}/s-close/return").get_data(as_text=True))
        response = client.post(f"{RECORDS}/s-close/return", data={**page, "comment": comment})
        assert response.status_code == 303
        response.close()
        result = runner.invoke(args=["mail", "deliver"])
        assert result.exit_code == 0, result.output
    assert [rcpts for _, rcpts, _, _ in received.envelopes] == [[RAPPORTEUR]]
    [message] = received.messages()
    text = mail_text(message)
    assert message["Subject"] == "Record sent back: Closing of the meeting"
    assert "John E. Scanlon sent your record" in text and comment in text and LINK in text
    html = html_part(message)
    assert "&lt;b&gt;networks&lt;/b&gt;" in html and "<b>networks" not in html
    assert outbox_rows() == []


def test_a_reopening_through_the_api_tells_the_rapporteur_in_their_language(
    app: Flask, client: FlaskClient, meeting: Meeting
) -> None:
    _approve(app, meeting)
    rapporteur = db.session.scalar(sa.select(Participant).where(Participant.ref == "rapp-2"))
    assert rapporteur is not None
    rapporteur.language = "fr"
    db.session.commit()
    service.send_back(
        meeting,
        _session(meeting),
        RevisionChange.REOPENED,
        "La date de juin est contestée.",
        user=account(ORGANISER),
    )
    db.session.commit()
    # Written when it leaves, outside any request: the link comes from BASE_URL.
    assert mail.deliver_here().sent == 1
    message = only_to(app, RAPPORTEUR)
    text = mail_text(message)
    assert 'lang="fr"' in html_part(message)
    assert message["Subject"] == "Compte rendu rouvert : Closing of the meeting"
    assert "La date de juin est contestée." in text and LINK in text
    # An organiser without registration is named by their address.
    assert f"{ORGANISER} a rouvert votre compte rendu" in text


def test_the_api_return_tells_the_rapporteur_and_not_the_organiser_who_returned_it(
    app: Flask, client: FlaskClient, meeting: Meeting
) -> None:
    _approve(app, meeting)
    response = client.post(
        f"/api/v1/meetings/{DEMO_SLUG}/sessions/s-close/record/return",
        json={"comment": "Add the attendance."},
        headers=bearer(ORGANISER),
    )
    assert response.status_code == 200, response.get_json()
    assert recipients(app) == [RAPPORTEUR]
    assert "Add the attendance." in mail_text(only_to(app, RAPPORTEUR))


def test_a_notice_whose_session_is_gone_is_dropped(app: Flask, meeting: Meeting) -> None:
    service.replace(
        meeting,
        _session(meeting),
        {"status": "submitted", "outcomes": []},
        user=account(RAPPORTEUR),
        read_current=lambda tag: True,
    )
    db.session.commit()
    assert len(outbox_rows()) == 2
    doc = demo_document()
    doc["sessions"] = [s for s in doc["sessions"] if s["ref"] != "s-close"]
    from eventapp.interchange import import_meeting

    import_meeting(doc, replace=True)
    db.session.commit()
    done = mail.deliver_here()
    assert done.sent == 0 and done.failed == 0
    assert outbox_rows() == [] and eml_files(app) == []


# -- helpers that write through the service, as the CLI and API do -----------------------------


def _session(meeting: Meeting) -> Any:
    db.session.expire_all()
    session = find_session(meeting, "s-close")
    assert session is not None
    return session


def _approve(app: Flask, meeting: Meeting) -> None:
    """s-close approved by the chair, the messages of it delivered and forgotten."""
    service.replace(
        meeting,
        _session(meeting),
        {"status": RecordStatus.APPROVED.value, "summary": "Closed.", "outcomes": []},
        user=account(CHAIR),
        read_current=lambda tag: True,
    )
    db.session.commit()
    mail.deliver_here()
    assert recipients(app) == [RAPPORTEUR]
    for path in eml_files(app):
        path.unlink()
