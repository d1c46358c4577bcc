"""Organisers write to a filtered set of participants: preview, confirmation, one message per
person and never twice, delivered through a real SMTP server (and through RQ with Redis)."""

from __future__ import annotations

import re
from collections import Counter
from email.message import EmailMessage

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from eventapp.extensions import db
from eventapp.models import (
    AuditEntry,
    Delegation,
    Meeting,
    OrganisationKind,
    Participant,
    RegistrationStatus,
)
from eventapp.registration import messages
from tests.factories import DEMO_SLUG, make_account, open_meeting
from tests.helpers import (
    DESK_ORGANISER,
    csrf_token,
    mail_text,
    outbox_rows,
    redis_or_skip,
    sign_in,
    smtp_server,
)

PAGE = f"/meetings/{DEMO_SLUG}/manage/messages"
ORGANISER = DESK_ORGANISER  # signed in by the `desk` fixture (tests/conftest.py)
REDIS_URL = "redis://127.0.0.1:6379/8"
BODY = "Dear {given_name} {family_name},\n\nYour badge for {organisation} ({reference}) is ready."


def _message_id(html: str) -> str:
    found = re.search(r'name="message_id" type="hidden" value="([0-9a-f]{32})"', html)
    assert found, "no message id on the page"
    return found.group(1)


def _form(client: FlaskClient, **fields: str) -> dict[str, str]:
    html = client.get(PAGE).get_data(as_text=True)
    data = {
        "csrf_token": csrf_token(client, PAGE),
        "message_id": _message_id(html),
        "status": "approved",
        "kind": "",
        "organisation": "",
        "subject": "Your badge, {given_name}",
        "body": BODY,
        "step": "preview",
    }
    data.update(fields)
    return data


def _matching(status: str | None = None, kind: str | None = None) -> list[Participant]:
    db.session.expire_all()
    query = sa.select(Participant).join(Participant.delegation)
    if status:
        query = query.where(Participant.status == RegistrationStatus(status))
    if kind:
        query = query.where(Delegation.kind == OrganisationKind(kind))
    return list(db.session.scalars(query))


def _hidden(html: str) -> dict[str, str]:
    """The confirmation form's hidden fields, as the browser sends them back."""
    import html as entities

    return {
        name: entities.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html)
    } | {"csrf_token": re.findall(r'name="csrf_token" type="hidden" value="([^"]+)"', html)[0]}


def _recipients(messages_: list[EmailMessage]) -> Counter[str]:
    return Counter(str(m["To"]) for m in messages_)


def test_the_page_documents_the_placeholders_and_links_from_the_menu(
    client: FlaskClient, desk: Meeting
) -> None:
    page = client.get(PAGE)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for name in messages.PLACEHOLDERS:
        assert f"<code>{{{name}}}</code>" in html
    assert f'<a href="{PAGE}" aria-current="page">' in html
    assert "No message has been sent yet." in html
    # A fresh id for each message being written.
    assert _message_id(html) != _message_id(client.get(PAGE).get_data(as_text=True))


def test_only_organisers_of_the_meeting_write(app: Flask, client: FlaskClient) -> None:
    meeting = open_meeting()
    assert client.get(PAGE).status_code == 302  # to the sign-in page
    make_account("someone@example.org", "participant")
    make_account("rapp@example.org", "rapporteur", meeting=meeting)
    for who in ("someone@example.org", "rapp@example.org"):
        sign_in(client, who)
        assert client.get(PAGE).status_code == 403
        token = csrf_token(client, "/account")
        answer = client.post(PAGE, data={"csrf_token": token, "step": "send", "subject": "x"})
        assert answer.status_code == 403
        client.post("/logout", data={"csrf_token": token})
    assert outbox_rows() == []


def test_the_preview_counts_the_filtered_people_shows_the_first_and_sends_nothing(
    client: FlaskClient, desk: Meeting
) -> None:
    response = client.post(PAGE, data=_form(client, status="approved", kind="igo"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    people = _matching("approved", "igo")
    assert len(people) > 1
    assert f"Send this message to {len(people)} people?" in html
    assert "Status: Approved" in html and "Kind of organisation: Intergovernmental" in html
    first = min(people, key=lambda p: (p.family_name.casefold(), p.given_name.casefold(), p.id))
    assert f"Your badge, {first.given_name}" in html
    assert f"Dear {first.given_name} {first.family_name}," in html
    assert f"({first.ref}) is ready." in html
    assert f'name="expected" value="{len(people)}"' in html
    assert outbox_rows() == []


def test_unknown_placeholders_are_form_errors(client: FlaskClient, desk: Meeting) -> None:
    data = _form(client, subject="Hello {name}", body="Dear {given_name}, {Reference}{x.y}")
    response = client.post(PAGE, data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "{name} is not a placeholder" in html
    assert "{Reference}, {x.y} are not placeholders" in html
    data["step"] = "send"
    assert client.post(PAGE, data=data).status_code == 400
    assert outbox_rows() == []


def test_a_filter_that_matches_nobody_offers_no_sending(client: FlaskClient, desk: Meeting) -> None:
    response = client.post(PAGE, data=_form(client, status="cancelled"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Nobody would receive this message" in html and 'value="send"' not in html
    data = _form(client, status="cancelled", step="send", expected="0")
    assert client.post(PAGE, data=data).status_code == 409
    assert outbox_rows() == []


def test_sending_after_confirmation_is_once_per_person_and_never_again(
    app: Flask, client: FlaskClient, desk: Meeting
) -> None:
    preview = client.post(PAGE, data=_form(client, status="", organisation="asean-wen"))
    confirmed = _hidden(preview.get_data(as_text=True)) | {"step": "send"}
    people = [p for p in _matching() if p.delegation.ref == "asean-wen"]
    assert confirmed["expected"] == str(len(people)) and len(people) >= 2

    sent = client.post(PAGE, data=confirmed)
    assert sent.status_code == 303
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert f"Your message is on its way to {len(people)} people." in page
    delivered = app_messages(app)
    assert _recipients(delivered) == Counter(p.email for p in people)
    for person in people:
        [mine] = [m for m in delivered if m["To"] == person.email]
        assert mine["Subject"] == f"Your badge, {person.given_name}"
        text = mail_text(mine)
        assert f"Dear {person.given_name} {person.family_name}," in text
        assert f"({person.ref}) is ready." in text

    # A double click, the back button: the same message again sends nothing.
    again = client.post(PAGE, data=confirmed)
    assert again.status_code == 303
    page = client.get(again.headers["Location"]).get_data(as_text=True)
    assert "This message was sent already" in page
    assert len(app_messages(app)) == len(delivered)
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "message.sent")
    ).all()
    assert len(entries) == 1
    assert entries[0].actor == ORGANISER
    assert entries[0].details["recipients"] == len(people)
    assert entries[0].details["filters"] == {"organisation": "asean-wen"}
    # The list of messages sent: its subject, whom it went to, how many.
    assert "Your badge, {given_name}" in page and "Organisation: ASEAN" in page


def app_messages(app: Flask) -> list[EmailMessage]:
    """Every delivered message (as .eml files, without MAIL_URL)."""
    import email
    from email import policy
    from pathlib import Path

    folder = Path(app.config["OUTBOX_DIR"])
    return [
        email.message_from_bytes(p.read_bytes(), policy=policy.default)  # type: ignore[misc]
        for p in sorted(folder.glob("*.eml"))
    ]


def test_recipients_that_changed_since_the_confirmation_are_shown_again(
    client: FlaskClient, desk: Meeting
) -> None:
    preview = client.post(PAGE, data=_form(client, status="approved"))
    confirmed = _hidden(preview.get_data(as_text=True)) | {"step": "send"}
    person = _matching("approved")[0]
    person.status = RegistrationStatus.CANCELLED
    db.session.commit()
    response = client.post(PAGE, data=confirmed)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    now = len(_matching("approved"))
    assert f"changed since the preview: {now} people now" in html
    assert f'name="expected" value="{now}"' in html
    assert outbox_rows() == []


def test_a_missing_csrf_token_sends_nothing(client: FlaskClient, desk: Meeting) -> None:
    data = _form(client, step="send", expected=str(len(_matching("approved"))))
    data.pop("csrf_token")
    assert client.post(PAGE, data=data).status_code == 400
    assert outbox_rows() == []


def test_changing_the_message_keeps_what_was_written(client: FlaskClient, desk: Meeting) -> None:
    response = client.post(PAGE, data=_form(client, step="edit", subject="Draft <b>one</b>"))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'value="Draft &lt;b&gt;one&lt;/b&gt;"' in html
    assert "There is a problem" not in html


def test_messages_leave_through_a_real_smtp_server_in_each_persons_language(
    app: Flask, client: FlaskClient, desk: Meeting, runner: FlaskCliRunner, monkeypatch
) -> None:
    french = next(p for p in _matching("approved") if p.delegation.ref == "asean-wen")
    french.language = "fr"
    db.session.commit()
    preview = client.post(PAGE, data=_form(client, status="", organisation="asean-wen"))
    confirmed = _hidden(preview.get_data(as_text=True)) | {"step": "send"}
    with smtp_server() as (port, received):
        monkeypatch.setitem(app.config, "MAIL_URL", f"smtp://127.0.0.1:{port}")
        response = client.post(PAGE, data=confirmed)
        assert response.status_code == 303
        response.close()
        result = runner.invoke(args=["mail", "deliver"])
        assert result.exit_code == 0, result.output
    people = [p for p in _matching() if p.delegation.ref == "asean-wen"]
    assert Counter(r for _, rcpts, _, _ in received.envelopes for r in rcpts) == Counter(
        p.email for p in people
    )
    by_address = {str(m["To"]): m for m in received.messages()}
    html = by_address[french.email].get_body(preferencelist=("html",))
    assert html is not None and 'lang="fr"' in html.get_content()  # type: ignore[attr-defined]
    assert outbox_rows() == []


def test_with_redis_the_messages_are_rq_jobs(
    app: Flask, client: FlaskClient, desk: Meeting, monkeypatch
) -> None:
    from rq import Queue, SimpleWorker

    connection = redis_or_skip(REDIS_URL)
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    preview = client.post(PAGE, data=_form(client, status="", organisation="asean-wen"))
    confirmed = _hidden(preview.get_data(as_text=True)) | {"step": "send"}
    people = [p for p in _matching() if p.delegation.ref == "asean-wen"]
    with smtp_server() as (port, received):
        assert client.post(PAGE, data=confirmed).status_code == 303
        queue = Queue("mail", connection=connection)
        # One job drains the outbox, however many messages wait in it.
        assert queue.count == 1 and len(outbox_rows()) == len(people)
        # The worker builds its application from the environment, as a deployed one does.
        monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
        monkeypatch.setenv("MAIL_URL", f"smtp://127.0.0.1:{port}")
        monkeypatch.setenv("MAIL_FROM", "WEN Meetings <meetings@example.org>")
        monkeypatch.delenv("REDIS_URL", raising=False)
        SimpleWorker([queue], connection=connection).work(burst=True)
    assert Counter(r for _, rcpts, _, _ in received.envelopes for r in rcpts) == Counter(
        p.email for p in people
    )
    assert {sender for sender, *_ in received.envelopes} == {"meetings@example.org"}
    assert outbox_rows() == []
    connection.flushdb()
