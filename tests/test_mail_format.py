"""E-mail people can read: the configured sender, text with an HTML alternative, each message
in its recipient's language, and the agenda attached to an approval."""

from __future__ import annotations

from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path

import icalendar
import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from eventapp import mail
from eventapp.config import DEVELOPMENT_SENDER, ConfigurationError, load_config
from eventapp.extensions import db
from eventapp.models import Meeting, Participant
from tests.factories import DEMO_SLUG, make_account, open_meeting, participant
from tests.helpers import (
    REGISTER,
    REGISTRATIONS,
    another_app,
    csrf_token,
    delivered_to,
    mail_text,
    organiser_headers,
    registration_form,
    sign_in,
    smtp_server,
)

ORGANISER = "desk@example.org"
PENDING = "p-pending"  # the demo meeting's pending registration (p-pending@example.org)


def _person(ref: str) -> Participant:
    db.session.expire_all()
    person = db.session.scalar(sa.select(Participant).where(Participant.ref == ref))
    assert person is not None, ref
    return person


def _speaks(ref: str, language: str | None) -> None:
    person = _person(ref)
    person.language = language
    db.session.commit()


def _parts(message: EmailMessage) -> list[str]:
    return [part.get_content_type() for part in message.walk()]


def _html(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert part is not None, _parts(message)
    return str(part.get_content())  # type: ignore[attr-defined]


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")


def _elements(html: str) -> _Elements:
    found = _Elements()
    found.feed(html)
    return found


# -- MAIL_FROM -----------------------------------------------------------------------------------


def test_mail_from_is_read_and_checked_at_start_up(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.delenv("MAIL_FROM", raising=False)
    assert load_config(tmp_path)["MAIL_FROM"] == DEVELOPMENT_SENDER
    monkeypatch.setenv("MAIL_FROM", "  WEN Meetings <meetings@example.org> ")
    assert load_config(tmp_path)["MAIL_FROM"] == "WEN Meetings <meetings@example.org>"
    monkeypatch.setenv("MAIL_FROM", "meetings@example.org")
    assert load_config(tmp_path)["MAIL_FROM"] == "meetings@example.org"
    for bad in ("WEN Meetings", "meetings@", "WEN <meetings@example.org>\nBcc: x@example.org"):
        monkeypatch.setenv("MAIL_FROM", bad)
        with pytest.raises(ConfigurationError, match="MAIL_FROM"):
            load_config(tmp_path)


def test_messages_leave_from_mail_from_in_header_and_envelope(app: Flask) -> None:
    open_meeting()
    with (
        smtp_server() as (port, received),
        another_app(
            app,
            MAIL_FROM="WEN Meetings <meetings@example.org>",
            MAIL_URL=f"smtp://127.0.0.1:{port}",
        ) as other,
        other.test_client() as client,
    ):
        response = client.post(REGISTER, data=registration_form(client, email="new@example.org"))
        assert response.status_code == 303
        response.close()  # the delivery begins once the answer has left
    [message] = received.messages()
    assert message["From"] == "WEN Meetings <meetings@example.org>"
    assert message["Message-ID"].endswith("@example.org>")
    [(envelope_from, rcpts, _, _)] = received.envelopes
    assert (envelope_from, rcpts) == ("meetings@example.org", ["new@example.org"])


# -- text and HTML ---------------------------------------------------------------------------------


def test_a_message_is_text_first_then_the_same_as_html(app: Flask, client: FlaskClient) -> None:
    open_meeting()
    form = registration_form(client, email="html@example.org")
    assert client.post(REGISTER, data=form).status_code == 303
    [message] = delivered_to(app, "html@example.org")
    assert message.get_content_type() == "multipart/alternative"
    assert _parts(message)[1:] == ["text/plain", "text/html"]
    text, html = mail_text(message).replace("\r\n", "\n"), _html(message)
    assert "Thank you for registering for" in text
    found = _elements(html)
    # Every paragraph of the text is in the HTML, and its links are links.
    assert found.tags.count("p") == len([p for p in text.split("\n\n") if p.strip()])
    assert "http://127.0.0.1:5000/account" in found.links
    assert "http://127.0.0.1:5000/password/forgot" in found.links
    assert 'lang="en"' in html and "<style" not in html and "<link" not in html


def test_names_are_escaped_in_the_html_part(app: Flask, client: FlaskClient) -> None:
    open_meeting()
    form = registration_form(
        client,
        email="script@example.org",
        given_name="<script>alert(1)</script>",
        family_name='"><img src=x onerror=alert(2)>',
    )
    assert client.post(REGISTER, data=form).status_code == 303
    [message] = delivered_to(app, "script@example.org")
    html = _html(message)
    assert "script" not in _elements(html).tags and "img" not in _elements(html).tags
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)</script>" in mail_text(message)


def test_links_are_cut_from_the_punctuation_that_follows_them(app: Flask) -> None:
    with app.test_request_context():
        message = mail.compose(
            "a@example.org", "Links", "See https://example.org/a?b=1&c=2. Or (http://x.org/)."
        )
    html = _html(message)
    assert _elements(html).links == ["https://example.org/a?b=1&c=2", "http://x.org/"]
    assert 'href="https://example.org/a?b=1&amp;c=2"' in html


# -- the recipient's language ----------------------------------------------------------------------


def test_an_approval_clicked_on_a_french_page_is_in_the_participants_spanish(
    app: Flask, client: FlaskClient
) -> None:
    meeting = open_meeting()
    make_account(ORGANISER, "organiser", meeting=meeting)
    _speaks(PENDING, "es")
    assert sign_in(client, ORGANISER).status_code == 302
    detail = f"/meetings/{DEMO_SLUG}/manage/registrations/{PENDING}"
    page = client.get(detail + "?lang=fr")
    assert 'lang="fr"' in page.get_data(as_text=True)
    token = csrf_token(client, detail)
    response = client.post(f"{detail}/approve", data={"csrf_token": token})
    assert response.status_code == 303
    # The organiser reads French...
    assert "approuvée" in client.get(detail).get_data(as_text=True).lower()
    # ...the participant Spanish, in both parts.
    message = delivered_to(app, "p-pending@example.org")[-1]
    assert message["Subject"].startswith("Inscripción: ")
    text = mail_text(message)
    assert "Se ha aprobado su inscripción." in text
    assert "approuvée" not in text and "is approved" not in text
    assert 'lang="es"' in _html(message)


def test_without_a_language_of_their_own_people_get_the_meetings_first_one(
    app: Flask, client: FlaskClient
) -> None:
    meeting = open_meeting(languages=["fr", "en"])
    _speaks(PENDING, None)
    response = client.post(f"{REGISTRATIONS}/{PENDING}/approve", headers=organiser_headers(meeting))
    assert response.status_code == 200
    message = delivered_to(app, "p-pending@example.org")[-1]
    assert "Votre inscription est approuvée." in mail_text(message)


# -- the agenda, attached --------------------------------------------------------------------------


def _calendar(message: EmailMessage) -> icalendar.Calendar | None:
    files = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]
    if not files:
        return None
    [file] = files
    assert file.get_filename() == f"{DEMO_SLUG}-agenda.ics"
    assert file.get_param("method") == "PUBLISH"
    return icalendar.Calendar.from_ical(file.get_content())


def test_an_approval_carries_the_published_agenda_as_ics(app: Flask, client: FlaskClient) -> None:
    meeting = open_meeting()
    response = client.post(f"{REGISTRATIONS}/{PENDING}/approve", headers=organiser_headers(meeting))
    assert response.status_code == 200
    message = delivered_to(app, "p-pending@example.org")[-1]
    assert message.get_content_type() == "multipart/mixed"
    assert _parts(message)[1:4] == ["multipart/alternative", "text/plain", "text/html"]
    calendar = _calendar(message)
    assert calendar is not None
    events = calendar.walk("VEVENT")
    public = client.get(f"/meetings/{DEMO_SLUG}/agenda.ics")
    assert len(events) == public.get_data(as_text=True).count("BEGIN:VEVENT") > 0
    assert {str(e["UID"]) for e in events} == {
        str(e["UID"]) for e in icalendar.Calendar.from_ical(public.data).walk("VEVENT")
    }
    assert "calendar file (.ics)" in mail_text(message)


def test_no_agenda_is_attached_before_approval_or_while_unpublished(
    app: Flask, client: FlaskClient
) -> None:
    meeting = open_meeting()
    headers = organiser_headers(meeting)
    response = client.post(REGISTRATIONS, json=participant(1), headers=headers)
    assert response.status_code == 201
    assert _calendar(delivered_to(app, "person1@example.org")[-1]) is None
    stored = db.session.get(Meeting, meeting.id)
    assert stored is not None
    stored.agenda_published_at = None
    db.session.commit()
    ref = response.get_json()["ref"]
    assert client.post(f"{REGISTRATIONS}/{ref}/approve", headers=headers).status_code == 200
    approved = delivered_to(app, "person1@example.org")[-1]
    assert "Your registration is approved." in mail_text(approved)
    assert _calendar(approved) is None
    assert "calendar file" not in mail_text(approved)


def test_a_signature_is_set_apart_in_the_html_part(app: Flask) -> None:
    with app.test_request_context():
        message = mail.compose("a@example.org", "Hello", "Dear Wei,\n\nHello.\n\n-- \nThe desk")
    html = _html(message)
    assert "--" not in html.split("<body", 1)[1]
    assert html.index("Hello.") < html.index("border-top") < html.index("The desk")
    assert "-- \nThe desk" in mail_text(message).replace("\r\n", "\n")
