"""What registrants who named an organisation the meeting did not list are told, once an
organiser has confirmed it or merged it into another: written in each person's language
(theirs, else the meeting's first), queued in the outbox with the change."""

from __future__ import annotations

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import mail
from ..models import Delegation, Participant
from .notices import status_sentence


def _language(person: Participant) -> str:
    return person.language or next(iter(person.meeting.languages or ()), None) or "en"


def _send(person: Participant, opening: str) -> None:
    base = current_app.config["BASE_URL"]
    body = _(
        "Dear %(name)s,\n\n%(opening)s\n\n%(status)s\n\nYour reference: %(ref)s\n\n"
        "To follow or change your registration, sign in at %(account)s with this e-mail "
        "address. If you have no password yet, choose one at %(password)s.",
        name=person.full_name,
        opening=opening,
        status=status_sentence(person),
        ref=person.ref,
        account=f"{base}/account",
        password=f"{base}/password/forgot",
    )
    subject = _("Registration: %(meeting)s", meeting=person.meeting.title)
    mail.send(mail.compose(person.email, subject, body))


def tell_confirmed(people: list[Participant], delegation: Delegation) -> None:
    """Each registrant of a newly confirmed organisation: it is confirmed, and their status."""
    for person in people:
        with force_locale(_language(person)):
            _send(
                person,
                _(
                    "The organisers of %(meeting)s have confirmed %(organisation)s, the "
                    "organisation you named when you registered.",
                    meeting=person.meeting.title,
                    organisation=delegation.display_name,
                ),
            )


def tell_merged(people: list[Participant], target: Delegation) -> None:
    """Each registrant whose named organisation was merged into one the meeting lists."""
    for person in people:
        with force_locale(_language(person)):
            _send(
                person,
                _(
                    "The organisers of %(meeting)s have found the organisation you named when "
                    "you registered among the meeting's organisations: you are now registered "
                    "for %(organisation)s.",
                    meeting=person.meeting.title,
                    organisation=target.display_name,
                ),
            )
