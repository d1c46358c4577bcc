"""The password-reset mail is in the language of the person's most recent registration (an
account has none of its own), else in the language of the page it was asked from."""

from __future__ import annotations

from email.message import EmailMessage

from flask import Flask
from flask.testing import FlaskClient

from tests.factories import demo_document, load, make_account, open_meeting
from tests.helpers import REGISTER, csrf_token, delivered_to, mail_text, registration_form

FORGOT = "/password/forgot"
MALEE = "malee@example.org"  # who registration_form registers
SUBJECTS = {
    "en": "Reset your WEN Global Meetings password",
    "fr": "Réinitialisation de votre mot de passe des Réunions mondiales des WEN",
    "es": "Restablecimiento de su contraseña de las Reuniones mundiales de las WEN",
}


def _ask(client: FlaskClient, address: str, lang: str = "en") -> str:
    """Ask for a reset from the forgot-password page in `lang`; the answer page's text."""
    page = f"{FORGOT}?lang={lang}"
    response = client.post(page, data={"email": address, "csrf_token": csrf_token(client, page)})
    assert response.status_code == 200
    return response.get_data(as_text=True)


def _reset_mails(app: Flask, address: str) -> list[EmailMessage]:
    return [m for m in delivered_to(app, address) if "/password/reset/" in mail_text(m)]


def test_a_registrant_gets_the_reset_mail_in_their_registration_language(
    app: Flask, client: FlaskClient
) -> None:
    open_meeting()
    assert client.post(REGISTER, data=registration_form(client, language="fr")).status_code == 303
    answer = _ask(client, MALEE)
    (message,) = _reset_mails(app, MALEE)
    assert message["Subject"] == SUBJECTS["fr"]
    assert "Pour choisir un nouveau mot de passe" in mail_text(message)
    html = message.get_body(preferencelist=("html",))
    assert isinstance(html, EmailMessage) and 'lang="fr"' in html.get_content()
    # The page stays in its own language, and says what it says to an address nobody has.
    assert "If malee@example.org belongs to an account" in answer
    unknown = _ask(client, "ghost@example.org")
    assert unknown.replace("ghost@example.org", MALEE) == answer
    assert delivered_to(app, "ghost@example.org") == []


def test_without_a_registration_the_page_language_is_used(app: Flask, client: FlaskClient) -> None:
    make_account("nobody@example.org")
    _ask(client, "nobody@example.org", lang="es")
    (message,) = _reset_mails(app, "nobody@example.org")
    assert message["Subject"] == SUBJECTS["es"]
    assert "Para elegir una nueva contraseña" in mail_text(message)


def test_the_most_recent_registration_that_chose_a_language_decides(
    app: Flask, client: FlaskClient
) -> None:
    open_meeting()
    later = demo_document()
    later["meeting"].update(slug="second-wen-meeting", title="Second global WEN meeting")
    later["meeting"].pop("registration_opens")
    later["meeting"].pop("registration_closes")
    load(later)
    client.post(REGISTER, data=registration_form(client, language="es"))
    second = "/meetings/second-wen-meeting/register"
    response = client.post(second, data=registration_form(client, token_from=second, language="fr"))
    assert response.status_code == 303
    _ask(client, MALEE, lang="en")
    (message,) = _reset_mails(app, MALEE)
    assert message["Subject"] == SUBJECTS["fr"]
