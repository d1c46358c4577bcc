"""Who is told of a change of a record's status, by e-mail, in their language, with a link to it.

A submitted record is for the meeting's chair and its organisers to approve; an approved, a
returned or a reopened one is its rapporteur's news. Each person is told once for one change,
never of their own; the change stores one notice per person in its transaction, and the
message is written when it leaves the outbox (the session's title then, the person's language).
"""

from __future__ import annotations

import enum
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import mail
from ..agenda.notify import meeting_title, recipient_language
from ..extensions import db
from ..models import (
    AccountRole,
    Meeting,
    MeetingRole,
    Participant,
    RegistrationStatus,
    Session,
    User,
)


class Told(enum.StrEnum):
    """What happened to the record, as its notice says."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"
    REOPENED = "reopened"


def _approvers(meeting: Meeting) -> list[tuple[str, str, Participant | None]]:
    """(mailbox key, address, registration) of the meeting's chair and its organisers."""
    found: list[tuple[str, str, Participant | None]] = []
    chair = meeting.chair
    if chair is not None and chair.status is RegistrationStatus.APPROVED:
        found.append((chair.email_key, chair.email, chair))
    organisers = db.session.execute(
        sa.select(User.email_key, User.email)
        .join(MeetingRole, MeetingRole.user_id == User.id)
        .where(
            MeetingRole.meeting_id == meeting.id,
            MeetingRole.role == AccountRole.ORGANISER,
            User.active.is_(True),
        )
        .order_by(User.id)
    ).all()
    registered = {
        p.email_key: p
        for p in db.session.scalars(
            sa.select(Participant).where(
                Participant.meeting_id == meeting.id,
                Participant.email_key.in_([key for key, _ in organisers]),
            )
        )
    }
    found += [(key, address, registered.get(key)) for key, address in organisers]
    return found


def tell(
    meeting: Meeting,
    session: Session,
    what: Told,
    *,
    actor: User,
    comment: str | None = None,
) -> int:
    """Queue the notices of one change of the session's record; how many people are told."""
    if what is Told.SUBMITTED:
        people = _approvers(meeting)
    elif (rapporteur := session.rapporteur) is not None:
        people = [(rapporteur.email_key, rapporteur.email, rapporteur)]
    else:
        people = []
    by = db.session.scalar(
        sa.select(Participant).where(
            Participant.meeting_id == meeting.id, Participant.email_key == actor.email_key
        )
    )
    told = {actor.email_key}  # nobody is told of what they did themselves
    for key, address, person in people:
        if key in told:
            continue
        told.add(key)
        mail.send_notice(
            address,
            "record",
            address=address,
            session=session.id,
            what=what.value,
            participant=person.id if person is not None else None,
            by=by.full_name if by is not None else actor.email,
            comment=comment,
        )
    return len(told) - 1


def _session_title(session: Session, lang: str) -> str:
    return ((session.translations or {}).get(lang) or {}).get("title") or session.title


def _record_url(session: Session) -> str:
    """The record's page, absolute: from BASE_URL, as no request may be at hand."""
    base = str(current_app.config["BASE_URL"]).rstrip("/")
    path = current_app.url_map.bind("localhost").build(
        "records.edit", {"slug": session.meeting.slug, "ref": session.ref}
    )
    return base + path


def _what_happened(what: Told, by: str, session: str, meeting: str) -> str:
    names = {"by": by, "session": session, "meeting": meeting}
    if what is Told.SUBMITTED:
        return _(
            "%(by)s submitted the record of the session “%(session)s” of %(meeting)s: it "
            "waits for your approval.",
            **names,
        )
    if what is Told.APPROVED:
        return _(
            "%(by)s approved your record of the session “%(session)s” of %(meeting)s: it goes "
            "into the reports.",
            **names,
        )
    if what is Told.RETURNED:
        return _(
            "%(by)s sent your record of the session “%(session)s” of %(meeting)s back to you "
            "as a draft, with this comment:",
            **names,
        )
    return _(
        "%(by)s reopened your record of the session “%(session)s” of %(meeting)s as a draft, "
        "with this reason:",
        **names,
    )


def _subject(what: Told, session: str) -> str:
    if what is Told.SUBMITTED:
        return _("Record to approve: %(session)s", session=session)
    if what is Told.APPROVED:
        return _("Record approved: %(session)s", session=session)
    if what is Told.RETURNED:
        return _("Record sent back: %(session)s", session=session)
    return _("Record reopened: %(session)s", session=session)


@mail.notice_writer("record")
def write_record_notice(notice: dict[str, Any]) -> EmailMessage | None:
    """The message of a record notice; None once the session is gone."""
    session = db.session.get(Session, notice.get("session"))
    if session is None:
        return None
    meeting = session.meeting
    person = db.session.get(Participant, notice["participant"]) if notice["participant"] else None
    lang = (
        recipient_language(meeting, person)
        if person is not None
        else mail.language(*(meeting.languages or ()))
    )
    what = Told(notice["what"])
    with force_locale(lang):
        title = _session_title(session, lang)
        parts = [
            _("Dear %(name)s,", name=person.full_name) if person is not None else _("Hello,"),
            _what_happened(what, str(notice["by"]), title, meeting_title(meeting, lang)),
        ]
        if notice.get("comment") and what in (Told.RETURNED, Told.REOPENED):
            parts.append(str(notice["comment"]))
        parts.append(
            _(
                "The record: %(url)s\nSign in with this e-mail address to open it.",
                url=_record_url(session),
            )
        )
        return mail.compose(str(notice["address"]), _subject(what, title), "\n\n".join(parts))
