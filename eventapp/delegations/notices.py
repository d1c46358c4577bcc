"""What focal points and the people they nominate are told by e-mail, in their language.

Each is a notice in the outbox, stored with the change and written when it leaves: a link to
choose a password is made then, so that its fortnight starts with the message.
"""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any

from flask import current_app, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import mail
from ..accounts.permissions import participant_of
from ..accounts.service import find_user, invitation_link
from ..agenda.notify import meeting_title, recipient_language
from ..extensions import db
from ..models import Delegation, Meeting, Participant, RegistrationStatus, User
from ..registration.notices import status_sentence
from ..registration.service import speaks_for


def _base() -> str:
    return str(current_app.config["BASE_URL"]).rstrip("/")


def _how_to_sign_in(user: User | None) -> str:
    """Sign in, or first choose a password: a link that works once, for a fortnight."""
    base = _base()
    if user is not None and user.password_hash:
        return _("Sign in at %(login)s with this e-mail address.", login=f"{base}/login")
    if user is None:  # not seen: registering makes the account
        return _(
            "Choose a password at %(forgot)s with this e-mail address, then sign in.",
            forgot=f"{base}/password/forgot",
        )
    return _(
        "You have no password yet. Choose one with this link, which works once and for two "
        "weeks:\n%(link)s\n\nIf it has expired, ask for a new one at %(forgot)s, then sign in "
        "with this e-mail address.",
        link=invitation_link(user),
        forgot=f"{base}/password/forgot",
    )


def _name_of(meeting: Meeting, user: User | None) -> str:
    """How a focal point is named to others: their name if registered, else their address."""
    if user is None:
        return ""
    own = participant_of(user, meeting)
    return own.full_name if own is not None else user.email


def _focal_point_of(user: User | None, person: Participant) -> bool:
    """Whether the account that acted speaks for the person's delegation (else it was an
    organiser, and the message says the organisers did it)."""
    return user is not None and speaks_for(user, person.delegation)


# -- a focal point named ----------------------------------------------------------------------


def tell_focal_point(meeting: Meeting, delegation: Delegation, user: User) -> None:
    """The account is told it now speaks for the delegation (after the commit)."""
    mail.send_notice(
        user.email,
        "focal-point-named",
        user=user.id,
        delegation=delegation.id,
        page=url_for("delegations.delegation", slug=meeting.slug, ref=delegation.ref),
    )


@mail.notice_writer("focal-point-named")
def write_focal_point_notice(notice: dict[str, Any]) -> EmailMessage | None:
    user = db.session.get(User, notice.get("user"))
    delegation = db.session.get(Delegation, notice.get("delegation"))
    if user is None or delegation is None:
        return None
    meeting = delegation.meeting
    own = participant_of(user, meeting)
    lang = (
        recipient_language(meeting, own)
        if own is not None
        else mail.language(*(meeting.languages or ()))
    )
    with force_locale(lang):
        title = meeting_title(meeting, lang)
        body = "\n\n".join(
            [
                _("Dear %(name)s,", name=own.full_name) if own is not None else _("Hello,"),
                _(
                    "The organisers of %(meeting)s have named you a focal point of "
                    "%(organisation)s: you nominate the people of its delegation, name its "
                    "head of delegation, and replace or withdraw its people.",
                    meeting=title,
                    organisation=delegation.display_name,
                ),
                _how_to_sign_in(user),
                _("Your delegation's page: %(url)s", url=_base() + str(notice.get("page"))),
            ]
        )
        subject = _(
            "You are a focal point of %(organisation)s at %(meeting)s",
            organisation=delegation.display_name,
            meeting=title,
        )
        return mail.compose(user.email, subject, body)


# -- people nominated, replaced ---------------------------------------------------------------


def tell_nominated(person: Participant, by: User, *, replaces: Participant | None = None) -> None:
    """The person is told who registered them and how to complete their details."""
    mail.send_notice(
        person.email,
        "nominated",
        participant=person.id,
        by=by.id,
        status=person.status.value,
        replaces=replaces.full_name if replaces is not None else None,
        own=url_for("registration.own_details", participant_id=person.id),
    )


@mail.notice_writer("nominated")
def write_nominated_notice(notice: dict[str, Any]) -> EmailMessage | None:
    person = db.session.get(Participant, notice.get("participant"))
    if person is None:
        return None
    meeting = person.meeting
    lang = recipient_language(meeting, person)
    by = db.session.get(User, notice.get("by"))
    with force_locale(lang):
        title = meeting_title(meeting, lang)
        if _focal_point_of(by, person):
            opening = _(
                "%(focal_point)s, for %(organisation)s, has registered you for %(meeting)s.",
                focal_point=_name_of(meeting, by),
                organisation=person.delegation.display_name,
                meeting=title,
            )
        else:
            opening = _(
                "The organisers of %(meeting)s have registered you, for %(organisation)s.",
                organisation=person.delegation.display_name,
                meeting=title,
            )
        if notice.get("replaces"):
            opening += " " + _(
                "You take the place of %(name)s in the delegation.", name=notice["replaces"]
            )
        body = "\n\n".join(
            [
                _("Dear %(name)s,", name=person.full_name),
                opening,
                status_sentence(RegistrationStatus(notice["status"])),
                _("Your reference: %(ref)s", ref=person.ref),
                _(
                    "Please check your details and complete them (your needs, and whether your "
                    "name may appear in the published list of participants) at %(url)s",
                    url=_base() + str(notice.get("own")),
                ),
                _how_to_sign_in(find_user(person.email)),
            ]
        )
        subject = _("Registration: %(meeting)s", meeting=title)
        return mail.compose(person.email, subject, body)


def tell_replaced(person: Participant, by: User, newcomer: Participant) -> None:
    """The replaced person is told that their registration is cancelled, and by whom."""
    mail.send_notice(
        person.email,
        "replaced",
        participant=person.id,
        by=by.id,
        newcomer=newcomer.full_name,
    )


@mail.notice_writer("replaced")
def write_replaced_notice(notice: dict[str, Any]) -> EmailMessage | None:
    person = db.session.get(Participant, notice.get("participant"))
    if person is None:
        return None
    meeting = person.meeting
    lang = recipient_language(meeting, person)
    by = db.session.get(User, notice.get("by"))
    with force_locale(lang):
        title = meeting_title(meeting, lang)
        body = "\n\n".join(
            [
                _("Dear %(name)s,", name=person.full_name),
                _(
                    "%(focal_point)s, for %(organisation)s, has given your place in the "
                    "delegation to %(meeting)s to %(newcomer)s.",
                    focal_point=_name_of(meeting, by),
                    organisation=person.delegation.display_name,
                    meeting=title,
                    newcomer=notice.get("newcomer") or "",
                )
                if _focal_point_of(by, person)
                else _(
                    "The organisers of %(meeting)s have given your place in the delegation of "
                    "%(organisation)s to %(newcomer)s.",
                    organisation=person.delegation.display_name,
                    meeting=title,
                    newcomer=notice.get("newcomer") or "",
                ),
                status_sentence(RegistrationStatus.CANCELLED),
                _("Your reference: %(ref)s", ref=person.ref),
                _(
                    "If this is a mistake, please write to your organisation's focal point or "
                    "to the organisers."
                ),
            ]
        )
        subject = _("Registration: %(meeting)s", meeting=title)
        return mail.compose(person.email, subject, body)
