"""What an account's owner is told, in their language: a password-reset link, and an appointment
to a meeting's team (sent after the commit with the appointment: the message waits in the outbox).
"""

from __future__ import annotations

from email.message import EmailMessage

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import mail
from ..agenda.notify import meeting_title
from ..models import AccountRole, Meeting, Participant, User
from ..vocabulary import label


def password_reset(address: str, link: str, lang: str) -> EmailMessage:
    """The message carrying a reset link, written in `lang` (the caller decides whether it goes)."""
    with force_locale(lang):
        body = _(
            "Someone asked to reset the password of your WEN Global Meetings account %(email)s.\n\n"
            "To choose a new password, open this link within an hour:\n%(link)s\n\n"
            "The link works once. If you did not ask for this, ignore this message: "
            "your password stays as it is.",
            email=address,
            link=link,
        )
        # Inside the recipient's language: the HTML part is marked with it.
        return mail.compose(address, _("Reset your WEN Global Meetings password"), body)


def _what_they_may_do(role: AccountRole) -> str:
    if role is AccountRole.ORGANISER:
        return _(
            "As an organiser you manage the meeting: registrations, the agenda, organisations, "
            "the team, records, reports and the meeting's settings."
        )
    return _(
        "As a rapporteur you write the records of the meeting's sessions and submit them for "
        "approval."
    )


def tell_appointed(
    user: User, meeting: Meeting, role: AccountRole, participant: Participant | None
) -> None:
    """Queue the message telling `user` of their new role in `meeting`."""
    base = str(current_app.config["BASE_URL"]).rstrip("/")
    lang = mail.language(participant.language if participant else None, *(meeting.languages or ()))
    with force_locale(lang):
        title = meeting_title(meeting, lang)
        greeting = _("Dear %(name)s,", name=participant.full_name) if participant else _("Hello,")
        if user.password_hash:
            start = _(
                "Sign in at %(login)s with this e-mail address to begin.", login=f"{base}/login"
            )
        else:
            start = _(
                "You have no password yet: choose one at %(password)s (with this e-mail "
                "address), then sign in at %(login)s.",
                password=f"{base}/password/forgot",
                login=f"{base}/login",
            )
        if role is AccountRole.ORGANISER:
            pages = url_for("registration.overview", slug=meeting.slug, _external=False)
        else:
            pages = url_for("records.index", slug=meeting.slug, _external=False)
        body = "\n\n".join(
            [
                greeting,
                _(
                    "You are now on the team of %(meeting)s, as: %(role)s.",
                    meeting=title,
                    role=label(role),
                ),
                _what_they_may_do(role),
                start,
                _("Your pages for the meeting: %(url)s", url=base + pages),
            ]
        )
        subject = _("Your role at %(meeting)s: %(role)s", meeting=title, role=label(role))
        # Inside the recipient's language: the HTML part is marked with it.
        mail.send(mail.compose(user.email, subject, body))
