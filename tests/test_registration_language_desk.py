"""The language of a registrant's e-mails on the organisers' desk: shown, changed, and used."""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from eventapp.extensions import db
from eventapp.models import AuditEntry, Meeting, Participant
from tests.factories import DEMO_SLUG
from tests.helpers import DESK_ORGANISER, csrf_token, delivered_to, form_fields, mail_text

ORGANISER = DESK_ORGANISER  # signed in by the `desk` fixture (tests/conftest.py)
PERSON = "p-pending"  # Sione Fifita, who chose no language: the meeting's first is English
ADDRESS = "p-pending@example.org"


def _detail(ref: str = PERSON) -> str:
    return f"/meetings/{DEMO_SLUG}/manage/registrations/{ref}"


def _edit(ref: str = PERSON) -> str:
    return f"{_detail(ref)}/edit"


def _edit_form(client: FlaskClient, **changes: str) -> dict[str, str]:
    data = form_fields(client.get(_edit()).get_data(as_text=True))
    data.update(changes)
    return data


def _person(ref: str = PERSON) -> Participant:
    db.session.expire_all()
    person = db.session.scalar(sa.select(Participant).where(Participant.ref == ref))
    assert person is not None, ref
    return person


def _updates() -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.action == "registration.updated")
            .order_by(AuditEntry.id)
        )
    )


def test_the_edit_page_shows_the_meeting_language_for_a_person_who_chose_none(
    client: FlaskClient, desk: Meeting
) -> None:
    html = client.get(_edit()).get_data(as_text=True)
    assert '<label for="language">Language for e-mails</label>' in html
    assert '<option selected value="en">English</option>' in html
    assert '<option value="fr">Français</option>' in html
    detail = client.get(_detail()).get_data(as_text=True)
    assert '<span lang="en">English</span> (not chosen: the meeting' in detail


def test_saving_other_details_leaves_an_unchosen_language_unchosen(
    client: FlaskClient, desk: Meeting
) -> None:
    response = client.post(_edit(), data=_edit_form(client, dietary="halal"))
    assert response.status_code == 303
    assert _person().language is None
    (entry,) = _updates()
    assert entry.details is not None
    assert "dietary" in entry.details["fields"] and "language" not in entry.details["fields"]


def test_an_organiser_changes_the_language(client: FlaskClient, desk: Meeting) -> None:
    response = client.post(_edit(), data=_edit_form(client, language="fr"))
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    assert _person().language == "fr"
    (entry,) = _updates()
    assert entry.details is not None and "language" in entry.details["fields"]
    html = client.get(_detail()).get_data(as_text=True)
    assert '<span lang="fr">Français</span>' in html and "not chosen" not in html
    assert re.search(r"Changed: [^<]*Language for e-mails", html)
    # The form now starts from the stored language.
    again = client.get(_edit()).get_data(as_text=True)
    assert '<option selected value="fr">Français</option>' in again


def test_a_language_not_offered_is_an_error_and_changes_nothing(
    client: FlaskClient, desk: Meeting
) -> None:
    response = client.post(_edit(), data=_edit_form(client, language="de", given_name="Sio"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="language-error"' in html and "Choose one of the languages offered." in html
    assert '<a href="#language">Language for e-mails: ' in html  # in the summary too
    person = _person()
    assert (person.language, person.given_name) == (None, "Sione")
    assert _updates() == []


def test_the_next_mail_is_in_the_new_language(
    app: Flask, client: FlaskClient, desk: Meeting
) -> None:
    client.post(_edit(), data=_edit_form(client, language="fr"))
    token = csrf_token(client, _detail())
    response = client.post(f"{_detail()}/approve", data={"csrf_token": token})
    assert response.status_code == 303
    text = mail_text(delivered_to(app, ADDRESS)[-1])
    assert "Votre inscription est approuvée." in text
    assert "Your registration is approved." not in text


def test_an_organiser_adds_a_registration_in_a_language(
    app: Flask, client: FlaskClient, desk: Meeting
) -> None:
    path = f"/meetings/{DEMO_SLUG}/manage/new-registration"
    page = client.get(path).get_data(as_text=True)
    assert '<option selected value="en">English</option>' in page
    response = client.post(
        path,
        data={
            "csrf_token": csrf_token(client, path),
            "organisation": "vn",
            "given_name": "Lan",
            "family_name": "Phạm",
            "email": "lan@example.org",
            "role": "delegate",
            "language": "es",
        },
    )
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    person = db.session.scalar(sa.select(Participant).where(Participant.email == "lan@example.org"))
    assert person is not None and person.language == "es"
    assert "Inscripción: " in delivered_to(app, "lan@example.org")[-1]["Subject"]
