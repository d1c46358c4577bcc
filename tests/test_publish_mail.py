"""Publishing a version tells each approved participant whose own sessions it changed."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from eventapp.agenda import versions
from eventapp.extensions import db
from eventapp.models import Meeting, Participant, RegistrationStatus
from tests.factories import DEMO_SLUG, make_account
from tests.helpers import (
    AGENDA_MANAGE,
    csrf_token,
    delivered_to,
    eml_files,
    mail_text,
    organiser_headers,
    outbox_rows,
    sign_in,
    smtp_server,
)

API = f"/api/v1/meetings/{DEMO_SLUG}"
PUBLISH = f"{API}/agenda/publish"
# In the demo meeting: s-iccwc (15:00–16:30, plenary) is chaired by `chair`, has the speakers
# p-cites-2, p-wb and p-dos, and rapp-2 reports on it; s-closed is a closed session.
ICCWC = {"chair", "p-cites-2", "p-wb", "p-dos", "rapp-2"}


@pytest.fixture
def headers(demo_meeting: Meeting) -> dict[str, str]:
    return organiser_headers(demo_meeting)


def address(ref: str) -> str:
    return f"{ref}@example.org"


def mailed(app: Flask) -> dict[str, list[EmailMessage]]:
    """Recipient -> the messages delivered to them (without MAIL_URL, as .eml files)."""
    found: dict[str, list[EmailMessage]] = {}
    for path in eml_files(app):
        to = path.read_bytes().split(b"\r\nTo: ", 1)[1].split(b"\r\n", 1)[0].decode()
        found.setdefault(to, [])
    return {to: delivered_to(app, to) for to in found}


def body(message: EmailMessage) -> str:
    return " ".join(mail_text(message).split())


def publish(client: FlaskClient, headers: dict[str, str]) -> dict[str, Any]:
    response = client.post(PUBLISH, headers=headers)
    assert response.status_code == 201, response.get_json()
    return dict(response.get_json())


def set_status(ref: str, status: RegistrationStatus) -> None:
    person = db.session.scalar(sa.select(Participant).where(Participant.ref == ref))
    person.status = status
    db.session.commit()


def test_an_import_tells_nobody(app: Flask, demo_meeting: Meeting) -> None:
    assert outbox_rows() == [] and eml_files(app) == []


def test_a_move_is_mailed_once_to_each_approved_person_of_the_session(
    app: Flask, client: FlaskClient, headers: dict[str, str]
) -> None:
    set_status("p-wb", RegistrationStatus.CANCELLED)
    set_status("p-dos", RegistrationStatus.PENDING)
    moved = client.patch(
        f"{API}/sessions/s-iccwc",
        json={"room": "room-b", "start": "2013-03-05T15:30", "end": "2013-03-05T16:30"},
        headers=headers,
    )
    assert moved.status_code == 200, moved.get_json()
    assert eml_files(app) == []  # a draft change tells nobody
    assert [(c["ref"], c["change"]) for c in publish(client, headers)["changes"]] == [
        ("s-iccwc", "moved")
    ]
    got = mailed(app)
    assert set(got) == {address(r) for r in ICCWC - {"p-wb", "p-dos"}}
    assert all(len(messages) == 1 for messages in got.values())
    [message] = got[address("p-cites-2")]
    assert message["Subject"] == (
        "Changes to your sessions: First Global Meeting of the Wildlife Enforcement Networks"
    )
    text = body(message)
    base = app.config["BASE_URL"].rstrip("/")
    person = db.session.scalar(sa.select(Participant).where(Participant.ref == "p-cites-2"))
    assert text.startswith(f"Dear {person.given_name} {person.family_name},")
    assert "Version 2 of the agenda" in text
    assert (
        "* 5. Support from ICCWC to the networks Tuesday, 5 March 2013, 15:30–16:30 (UTC+07:00), "
        "Meeting Room B Your part: speaker What changed: Moved"
    ) in text
    assert f"{base}/meetings/{DEMO_SLUG}/sessions/s-iccwc" in text
    assert f"{base}/account#calendars" in text
    assert "Your part: chair" in body(got[address("chair")][0])
    assert "Your part: rapporteur" in body(got[address("rapp-2")][0])


def test_one_message_lists_every_changed_session_of_a_person(
    app: Flask, client: FlaskClient, headers: dict[str, str]
) -> None:
    for ref, change in (("s-open", {"title": "Opening"}), ("s-close", {"description": "Bye."})):
        assert (
            client.patch(f"{API}/sessions/{ref}", json=change, headers=headers).status_code == 200
        )
    publish(client, headers)
    got = mailed(app)
    # The chair chairs both, rapp-2 reports on both; nobody else is in either.
    assert set(got) == {address("chair"), address("rapp-2")}
    [message] = got[address("chair")]
    text = body(message)
    assert "It changes 2 sessions you chair, speak at or report on" in text
    assert text.index(". Opening Tuesday") < text.index(". Closing of the meeting Tuesday")
    assert "What changed: New title" in text and "What changed: Details changed" in text


def test_people_added_and_taken_off_a_session_are_told(
    app: Flask, client: FlaskClient, headers: dict[str, str]
) -> None:
    response = client.patch(
        f"{API}/sessions/s-non",
        json={"chairs": ["p-traffic"], "speakers": ["p-interpol", "p-unodc"]},
        headers=headers,
    )
    assert response.status_code == 200, response.get_json()
    publish(client, headers)
    got = mailed(app)
    # The chair and p-wco are taken off; p-traffic is added; the others' session changed.
    assert set(got) == {
        address(r) for r in ("chair", "p-wco", "p-traffic", "p-interpol", "p-unodc", "rapp-1")
    }
    assert "You are no longer listed in this session." in body(got[address("p-wco")][0])
    assert "Your part: chair" in body(got[address("p-traffic")][0])
    assert "Your part: speaker" in body(got[address("p-interpol")][0])


def test_the_people_of_a_closed_session_are_told_without_a_public_link(
    app: Flask, client: FlaskClient, headers: dict[str, str]
) -> None:
    change = {"start": "2013-03-05T13:30", "end": "2013-03-05T14:30"}
    assert client.patch(f"{API}/sessions/s-closed", json=change, headers=headers).status_code == 200
    publish(client, headers)
    got = mailed(app)
    assert set(got) == {address("chair"), address("rapp-2")}
    text = body(got[address("rapp-2")][0])
    assert "Closed session of heads of networks Tuesday, 5 March 2013, 13:30–14:30" in text
    assert "A closed session: it is not shown on the public pages." in text
    assert "/sessions/s-closed" not in text


def test_a_cancellation_says_so(app: Flask, client: FlaskClient, headers: dict[str, str]) -> None:
    assert client.delete(f"{API}/sessions/s-iccwc", headers=headers).status_code == 204
    publish(client, headers)
    got = mailed(app)
    assert set(got) == {address(r) for r in ICCWC}
    assert (
        "* 5. Support from ICCWC to the networks Cancelled. It was to be held on Tuesday, "
        "5 March 2013, 15:00–16:30 (UTC+07:00)."
    ) in body(got[address("p-dos")][0])


def test_a_version_that_leaves_someones_sessions_alone_sends_them_nothing(
    app: Flask, client: FlaskClient, headers: dict[str, str]
) -> None:
    # The coffee break has nobody: publishing its change mails no one.
    change = {"title": "Coffee and tea"}
    assert client.patch(f"{API}/sessions/s-break", json=change, headers=headers).status_code == 200
    publish(client, headers)
    assert mailed(app) == {}
    assert outbox_rows() == []


def test_the_message_is_in_the_participants_language_else_the_meetings(
    app: Flask, client: FlaskClient, headers: dict[str, str], demo_meeting: Meeting
) -> None:
    person = db.session.scalar(sa.select(Participant).where(Participant.ref == "p-cites-2"))
    person.language = "fr"
    db.session.get(Meeting, demo_meeting.id).languages = ["es", "en"]
    db.session.commit()
    change = {"start": "2013-03-05T15:30", "end": "2013-03-05T16:30"}
    assert client.patch(f"{API}/sessions/s-iccwc", json=change, headers=headers).status_code == 200
    publish(client, headers)
    got = mailed(app)
    assert "mardi 5 mars 2013, 15:30–16:30" in body(got[address("p-cites-2")][0])
    assert "martes, 5 de marzo de 2013, 15:30–16:30" in body(got[address("p-wb")][0])


def test_a_publication_that_is_not_committed_sends_nothing(
    app: Flask, client: FlaskClient, headers: dict[str, str], demo_meeting: Meeting
) -> None:
    change = {"title": "Opening"}
    assert client.patch(f"{API}/sessions/s-open", json=change, headers=headers).status_code == 200
    versions.publish(db.session.get(Meeting, demo_meeting.id))
    assert len(outbox_rows()) == 2  # the chair's and rapp-2's, waiting for the commit
    db.session.rollback()
    assert outbox_rows() == []
    assert eml_files(app) == []


def test_publishing_from_the_agenda_page_mails_too(
    app: Flask, client: FlaskClient, demo_meeting: Meeting
) -> None:
    make_account("org@example.org", "organiser", meeting=demo_meeting)
    sign_in(client, "org@example.org")
    headers = organiser_headers(demo_meeting, "api-org@example.org")
    change = {"title": "Opening"}
    assert client.patch(f"{API}/sessions/s-open", json=change, headers=headers).status_code == 200
    token = csrf_token(client, AGENDA_MANAGE)
    answer = client.post(f"{AGENDA_MANAGE}/publish", data={"csrf_token": token})
    assert answer.status_code == 303
    assert set(mailed(app)) == {address("chair"), address("rapp-2")}


def test_the_messages_reach_a_real_mail_server(
    app: Flask,
    client: FlaskClient,
    runner: FlaskCliRunner,
    headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    demo_meeting: Meeting,
) -> None:
    change = {"title": "Opening"}
    assert client.patch(f"{API}/sessions/s-open", json=change, headers=headers).status_code == 200
    with smtp_server() as (port, received):
        monkeypatch.setitem(app.config, "MAIL_URL", f"smtp://127.0.0.1:{port}")
        versions.publish(db.session.get(Meeting, demo_meeting.id), by="org@example.org")
        db.session.commit()
        result = runner.invoke(args=["mail", "deliver"])
        assert result.exit_code == 0, result.output
    assert sorted(rcpt for _, rcpts, _, _ in received.envelopes for rcpt in rcpts) == [
        address("chair"),
        address("rapp-2"),
    ]
    for message in received.messages():
        assert "* 1. Opening Tuesday, 5 March 2013, 09:00–09:30 (UTC+07:00)" in body(message)
    assert outbox_rows() == []
