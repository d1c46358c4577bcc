"""The language of a registrant's e-mails: chosen on the form (default the page's), or given to
the API as `language` (contract 4.2), kept in Participant.language."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from eventapp.extensions import db
from eventapp.models import Participant
from tests.factories import open_meeting, participant
from tests.helpers import (
    REGISTER,
    REGISTRATIONS,
    assert_error,
    organiser_headers,
    registration_form,
)


def _language(address: str = "malee@example.org") -> str | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Participant.language).where(Participant.email == address))


def test_the_form_offers_the_three_languages_the_page_language_chosen(client):
    open_meeting()
    english = client.get(REGISTER).get_data(as_text=True)
    assert "Language for e-mails" in english
    for value, name in (("en", "English"), ("fr", "Français"), ("es", "Español")):
        assert (
            f'<option {"selected " if value == "en" else ""}value="{value}">{name}</option>'
            in english
        )
    spanish = client.get(f"{REGISTER}?lang=es").get_data(as_text=True)
    assert '<option selected value="es">Español</option>' in spanish


@pytest.mark.parametrize("lang", ["fr", "es", "en"])
def test_the_language_chosen_is_kept(client, lang):
    open_meeting()
    response = client.post(REGISTER, data=registration_form(client, language=lang))
    assert response.status_code == 303
    assert _language() == lang


def test_an_unknown_language_is_an_error_at_its_field_and_nothing_is_stored(client):
    open_meeting()
    response = client.post(REGISTER, data=registration_form(client, language="de"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert 'id="language-error"' in html and "Choose one of the languages offered." in html
    assert _language() is None
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Participant.id)).where(Participant.email == "malee@example.org")
        )
        == 0
    )


def test_the_api_takes_language(client):
    meeting = open_meeting()
    headers = organiser_headers(meeting)
    response = client.post(REGISTRATIONS, json=participant(1, language="es"), headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["language"] == "es"
    assert _language("person1@example.org") == "es"
    wrong = client.post(REGISTRATIONS, json=participant(2, language="de"), headers=headers)
    assert_error(wrong, 422, "unprocessable_entity")
