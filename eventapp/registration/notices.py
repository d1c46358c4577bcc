"""What registrants are told by e-mail, in their own words: sent after the change is committed."""

from __future__ import annotations

from collections.abc import Collection

from flask import current_app
from flask_babel import gettext as _

from .. import mail
from ..models import Participant, RegistrationStatus


def status_sentence(person: Participant) -> str:
    status = person.status
    if status is RegistrationStatus.APPROVED:
        return _("Your registration is approved.")
    if status is RegistrationStatus.WAITLISTED:
        return _(
            "The places for your organisation or the meeting are taken: you are on the "
            "waiting list, and will be told if a place becomes free."
        )
    if status is RegistrationStatus.DECLINED:
        return _("The organisers could not accept your registration.")
    if status is RegistrationStatus.CANCELLED:
        return _("Your registration is cancelled.")
    return _("Your registration is received: the organisers will confirm it.")


def _send(person: Participant, opening: str, reason: str | None = None) -> None:
    base = current_app.config["BASE_URL"]
    status = status_sentence(person)
    if reason:
        status += "\n\n" + _("The organisers' reason: %(reason)s", reason=reason)
    body = _(
        "Dear %(name)s,\n\n%(opening)s\n\n%(status)s\n\nYour reference: %(ref)s\n\n"
        "To follow or change your registration, sign in at %(account)s with this e-mail "
        "address. If you have no password yet, choose one at %(password)s.",
        name=f"{person.given_name} {person.family_name}",
        opening=opening,
        status=status,
        ref=person.ref,
        account=f"{base}/account",
        password=f"{base}/password/forgot",
    )
    subject = _("Registration: %(meeting)s", meeting=person.meeting.title)
    mail.send(mail.compose(person.email, subject, body))


def confirm_registration(person: Participant) -> None:
    _send(person, _("Thank you for registering for %(meeting)s.", meeting=person.meeting.title))


def tell_status(
    changed: list[Participant],
    *,
    reason: str | None = None,
    decided: Collection[Participant] = (),
) -> None:
    """A word to each registration whose status changed (the one decided, and any promoted),
    once each however often it changed; `reason` goes to those `decided`, not to the promoted."""
    told: set[int] = set()
    given = {d.id for d in decided}
    for person in changed:
        if person.id in told:
            continue
        told.add(person.id)
        _send(
            person,
            _("Your registration for %(meeting)s has changed.", meeting=person.meeting.title),
            reason if person.id in given else None,
        )
