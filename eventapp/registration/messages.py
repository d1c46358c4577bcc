"""Organisers write to a filtered set of participants.

The recipients are the desk's own query (status, kind, organisation), so a message reaches the
people the desk lists. Subject and body may name each person through placeholders; each person
gets one message in the outbox, its frame (the closing line, the HTML part) in their language.

A message has an id, made when the organiser starts writing it and carried by the form through
the preview and the confirmation. Sending takes the meeting's lock and looks for that id in the
audit log first: a second POST of the same message (a double click, the back button) finds it
and sends nothing again.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import audit, mail
from ..agenda.notify import meeting_title, recipient_language
from ..extensions import db
from ..locking import lock_meeting
from ..models import (
    AuditEntry,
    Delegation,
    Meeting,
    OrganisationKind,
    Participant,
    RegistrationStatus,
)
from ..vocabulary import label
from . import desk

ACTION = "message.sent"
PLACEHOLDERS = ("given_name", "family_name", "organisation", "reference")
MESSAGE_ID = re.compile(r"^[0-9a-f]{32}$")
# A placeholder is a name in braces; any other brace is text.
_PLACEHOLDER = re.compile(r"\{([^{}\n]{0,40})\}")


class MessageError(ValueError):
    """The message cannot be sent as it stands; the text says why, to the organiser."""


class AlreadySent(MessageError):
    """This message (by its id) was sent already: nothing is sent again."""

    def __init__(self, sent: SentMessage):
        super().__init__(
            _(
                "This message was sent already, to %(num)d people: nobody receives it twice.",
                num=sent.recipients,
            )
        )
        self.sent = sent


class RecipientsChanged(MessageError):
    """The matching registrations changed between the confirmation page and the sending."""

    def __init__(self, count: int):
        super().__init__(
            _(
                "The registrations matching your choice changed since the preview: "
                "%(num)d people now. Check the message again before sending it.",
                num=count,
            )
        )
        self.count = count


def new_message_id() -> str:
    """The id of a message being written (kept by the form until it is sent)."""
    return uuid.uuid4().hex


def unknown_placeholders(text: str) -> list[str]:
    """The placeholders in the text that no person can fill, each once, as written."""
    found: list[str] = []
    for match in _PLACEHOLDER.finditer(text):
        if match.group(1) not in PLACEHOLDERS and match.group(0) not in found:
            found.append(match.group(0))
    return found


def values_of(person: Participant) -> dict[str, str]:
    """What each placeholder stands for in the person's message."""
    return {
        "given_name": person.given_name,
        "family_name": person.family_name,
        "organisation": person.delegation.display_name,
        "reference": person.ref,
    }


def fill(text: str, person: Participant) -> str:
    """The text with the person's values in place of its placeholders."""
    values = values_of(person)
    return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), text)


@dataclass(frozen=True)
class Draft:
    """A message as the organiser wrote it, and to whom (the desk's filters)."""

    message_id: str
    subject: str
    body: str
    status: RegistrationStatus | None = None
    kind: OrganisationKind | None = None
    organisation: str = ""

    @property
    def query(self) -> desk.DeskQuery:
        return desk.DeskQuery(status=self.status, kind=self.kind, organisation=self.organisation)


@dataclass(frozen=True)
class Letter:
    """One person's message, as it will leave."""

    person: Participant
    subject: str
    body: str


def letter(meeting: Meeting, draft: Draft, person: Participant) -> Letter:
    """The person's message: the draft filled in, and a closing line in their language."""
    lang = recipient_language(meeting, person)
    with force_locale(lang):
        closing = _(
            "You receive this message from the organisers of %(meeting)s because you "
            "registered for it (your reference: %(ref)s).",
            meeting=meeting_title(meeting, lang),
            ref=person.ref,
        )
    body = fill(draft.body, person).rstrip() + "\n\n-- \n" + closing
    return Letter(person, mail.one_line(fill(draft.subject, person)), body)


@dataclass(frozen=True)
class Preview:
    """How many the message goes to, and the first one's message."""

    count: int
    first: Letter | None


def preview(meeting: Meeting, draft: Draft) -> Preview:
    """The count of recipients and the first person's message (in the desk's name order)."""
    found = desk.listing(meeting, draft.query, per_page=1)
    first = letter(meeting, draft, found.people[0]) if found.people else None
    return Preview(found.total, first)


def recipients(meeting: Meeting, draft: Draft) -> list[Participant]:
    """Everyone the draft goes to, each once, in the desk's name order."""
    return list(db.session.scalars(desk.matching(meeting, draft.query)).unique())


@dataclass(frozen=True)
class SentMessage:
    """A message sent, as the audit log keeps it."""

    message_id: str
    at: datetime
    actor: str
    subject: str
    recipients: int
    filters: dict[str, str]


def _sent(entry: AuditEntry) -> SentMessage:
    details = entry.details or {}
    return SentMessage(
        message_id=str(details.get("message_id", "")),
        at=entry.at,
        actor=entry.actor,
        subject=str(details.get("subject", "")),
        recipients=int(details.get("recipients", 0)),
        filters=dict(details.get("filters") or {}),
    )


def _target(message_id: str) -> str:
    return f"message {message_id}"


def find_sent(meeting: Meeting, message_id: str) -> SentMessage | None:
    """The message of that id, if it was sent."""
    entry = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.meeting_id == meeting.id,
            AuditEntry.action == ACTION,
            AuditEntry.target == _target(message_id),
        )
    ).first()
    return _sent(entry) if entry is not None else None


def sent_messages(meeting: Meeting) -> list[SentMessage]:
    """The meeting's messages sent so far, newest first."""
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(AuditEntry.meeting_id == meeting.id, AuditEntry.action == ACTION)
        .order_by(AuditEntry.id.desc())
    )
    return [_sent(e) for e in entries]


def send(meeting: Meeting, draft: Draft, *, expected: int | None = None) -> SentMessage:
    """One message per recipient into the outbox, and the audit entry that names the message.

    Raises AlreadySent when the message's id was sent before, RecipientsChanged when the
    count differs from the one the organiser confirmed (`expected`), MessageError when nobody
    matches. Nothing is written then.
    """
    if not MESSAGE_ID.match(draft.message_id):
        raise MessageError(_("This message cannot be sent: start writing it again."))
    bad = unknown_placeholders(draft.subject + "\n" + draft.body)
    if bad:
        raise MessageError(_("Unknown placeholders: %(names)s.", names=", ".join(bad)))
    lock_meeting(meeting)
    # Under the lock, so that two POSTs of one message cannot both miss the other.
    earlier = find_sent(meeting, draft.message_id)
    if earlier is not None:
        raise AlreadySent(earlier)
    people = recipients(meeting, draft)
    if expected is not None and len(people) != expected:
        raise RecipientsChanged(len(people))
    if not people:
        raise MessageError(_("No registration matches your choice: nobody would receive it."))
    for person in people:
        one = letter(meeting, draft, person)
        with force_locale(recipient_language(meeting, person)):
            mail.send(mail.compose(person.email, one.subject, one.body))
    filters = draft.query.args()
    entry = audit.log(
        ACTION,
        meeting=meeting,
        target=_target(draft.message_id),
        details={
            "message_id": draft.message_id,
            "subject": draft.subject,
            "body": draft.body,
            "recipients": len(people),
            "filters": filters,
        },
    )
    db.session.flush()
    return _sent(entry)


def describe(meeting: Meeting, filters: dict[str, Any]) -> list[str]:
    """The filters of a message in words: 'Status: Approved', 'Organisation: …'."""
    words = []
    if filters.get("status"):
        words.append(_("Status: %(value)s", value=label(RegistrationStatus(filters["status"]))))
    if filters.get("kind"):
        words.append(
            _("Kind of organisation: %(value)s", value=label(OrganisationKind(filters["kind"])))
        )
    if filters.get("organisation"):
        name = db.session.scalar(
            sa.select(Delegation.name).where(
                Delegation.meeting_id == meeting.id, Delegation.ref == filters["organisation"]
            )
        )
        words.append(_("Organisation: %(value)s", value=name or filters["organisation"]))
    return words
