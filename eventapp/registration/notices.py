"""What registrants are told by e-mail, in their own words: sent after the change is committed.

Each message is in the recipient's language (theirs, else the meeting's first one), whoever
clicked; an approval carries the published agenda as an .ics file.
"""

from __future__ import annotations

from collections.abc import Callable, Collection

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import mail
from ..agenda import ical, published
from ..agenda.notify import meeting_title, recipient_language
from ..models import Meeting, Participant, RegistrationStatus


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


def agenda_attachment(meeting: Meeting) -> mail.Attachment | None:
    """The published agenda as an .ics file, or None while no agenda is published."""
    if meeting.agenda_published_at is None:
        return None
    return mail.Attachment(
        filename=f"{meeting.slug}-agenda.ics",
        content=ical.calendar(published.published_agenda(meeting)),
        mimetype="text/calendar",
        params=(("method", "PUBLISH"),),
    )


class _Agenda:
    """The agenda file, made once for all the messages of one call (a bulk approval)."""

    def __init__(self) -> None:
        self._made: dict[int, mail.Attachment | None] = {}

    def __call__(self, meeting: Meeting) -> mail.Attachment | None:
        if meeting.id not in self._made:
            self._made[meeting.id] = agenda_attachment(meeting)
        return self._made[meeting.id]


def tell(
    person: Participant,
    opening: Callable[[str], str],
    reason: str | None = None,
    agenda: Callable[[Meeting], mail.Attachment | None] | None = None,
) -> None:
    """One message to the person, written in their language; `opening` gets the meeting's
    title in that language."""
    meeting = person.meeting
    base = current_app.config["BASE_URL"]
    lang = recipient_language(meeting, person)
    with force_locale(lang):
        title = meeting_title(meeting, lang)
        status = status_sentence(person)
        if reason:
            status += "\n\n" + _("The organisers' reason: %(reason)s", reason=reason)
        body = _(
            "Dear %(name)s,\n\n%(opening)s\n\n%(status)s\n\nYour reference: %(ref)s\n\n"
            "To follow or change your registration, sign in at %(account)s with this e-mail "
            "address. If you have no password yet, choose one at %(password)s.",
            name=f"{person.given_name} {person.family_name}",
            opening=opening(title),
            status=status,
            ref=person.ref,
            account=f"{base}/account",
            password=f"{base}/password/forgot",
        )
        attachments = []
        if person.status is RegistrationStatus.APPROVED:
            file = (agenda or agenda_attachment)(meeting)
            if file is not None:
                attachments.append(file)
                body += "\n\n" + _(
                    "The agenda is attached as a calendar file (.ics): open it to add the "
                    "sessions to your calendar."
                )
        subject = _("Registration: %(meeting)s", meeting=title)
        mail.send(mail.compose(person.email, subject, body, attachments=attachments))


def confirm_registration(person: Participant) -> None:
    tell(person, lambda title: _("Thank you for registering for %(meeting)s.", meeting=title))


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
    agenda = _Agenda()
    for person in changed:
        if person.id in told:
            continue
        told.add(person.id)
        tell(
            person,
            lambda title: _("Your registration for %(meeting)s has changed.", meeting=title),
            reason if person.id in given else None,
            agenda,
        )
