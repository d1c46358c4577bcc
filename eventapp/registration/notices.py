"""What registrants are told by e-mail, in their own words: sent after the change is committed.

Each message is in the recipient's language (theirs, else the meeting's first one), whoever
clicked; an approval carries the published agenda as an .ics file. The change stores a notice
(who, what happened, the status it left); the message is written when it leaves the outbox.
"""

from __future__ import annotations

from collections.abc import Collection
from email.message import EmailMessage
from typing import Any

from flask import current_app, g
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import mail
from ..agenda import ical, published
from ..agenda.notify import meeting_title, recipient_language
from ..extensions import db
from ..models import Meeting, Participant, RegistrationStatus


def status_sentence(status: RegistrationStatus | None) -> str:
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


def _agenda_file(meeting: Meeting) -> mail.Attachment | None:
    """The agenda file, made once for all the notices of one round of deliveries (the same
    file for every registrant of a bulk approval)."""
    made: dict[int, mail.Attachment | None] = g.setdefault("agenda_files", {})
    if meeting.id not in made:
        made[meeting.id] = agenda_attachment(meeting)
    return made[meeting.id]


def _opening(kind: str, title: str, organisation: str) -> str:
    """The first sentence of a registration notice, by what happened."""
    if kind == "registered":
        return _("Thank you for registering for %(meeting)s.", meeting=title)
    if kind == "organisation-confirmed":
        return _(
            "The organisers of %(meeting)s have confirmed %(organisation)s, the "
            "organisation you named when you registered.",
            meeting=title,
            organisation=organisation,
        )
    if kind == "organisation-merged":
        return _(
            "The organisers of %(meeting)s have found the organisation you named when "
            "you registered among the meeting's organisations: you are now registered "
            "for %(organisation)s.",
            meeting=title,
            organisation=organisation,
        )
    return _("Your registration for %(meeting)s has changed.", meeting=title)


def tell(
    person: Participant,
    opening: str,
    reason: str | None = None,
    organisation: str | None = None,
) -> None:
    """One notice to the person, written in their language when it leaves (registration
    notices are many and come from changes under the meeting's lock). `opening` says what
    happened: registered, changed, organisation-confirmed or organisation-merged; the status
    told is the one the registration has now."""
    mail.send_notice(
        person.email,
        "registration",
        participant=person.id,
        status=person.status.value if person.status else None,
        opening=opening,
        reason=reason or None,
        organisation=organisation,
    )


@mail.notice_writer("registration")
def write_registration_notice(notice: dict[str, Any]) -> EmailMessage | None:
    """The message of a registration notice; None once the registration is gone."""
    person = db.session.get(Participant, notice.get("participant"))
    if person is None:
        return None
    meeting = person.meeting
    status = RegistrationStatus(notice["status"]) if notice.get("status") else None
    base = current_app.config["BASE_URL"]
    lang = recipient_language(meeting, person)
    with force_locale(lang):
        title = meeting_title(meeting, lang)
        told = status_sentence(status)
        reason = notice.get("reason")
        if reason:
            told += "\n\n" + _("The organisers' reason: %(reason)s", reason=reason)
        body = _(
            "Dear %(name)s,\n\n%(opening)s\n\n%(status)s\n\nYour reference: %(ref)s\n\n"
            "To follow or change your registration, sign in at %(account)s with this e-mail "
            "address. If you have no password yet, choose one at %(password)s.",
            name=f"{person.given_name} {person.family_name}",
            opening=_opening(
                str(notice.get("opening")), title, str(notice.get("organisation") or "")
            ),
            status=told,
            ref=person.ref,
            account=f"{base}/account",
            password=f"{base}/password/forgot",
        )
        attachments = []
        if status is RegistrationStatus.APPROVED:
            file = _agenda_file(meeting)
            if file is not None:
                attachments.append(file)
                body += "\n\n" + _(
                    "The agenda is attached as a calendar file (.ics): open it to add the "
                    "sessions to your calendar."
                )
        subject = _("Registration: %(meeting)s", meeting=title)
        return mail.compose(person.email, subject, body, attachments=attachments)


def confirm_registration(person: Participant) -> None:
    tell(person, "registered")


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
        tell(person, "changed", reason if person.id in given else None)
