"""Personal data rights: what the system holds about a participant, erasing a registration,
and the organisers' purge of a meeting's personal details once it is over.

What published reports need stays: a report version is an immutable file, and it keeps the
name it was published with. Everything else that names a person (the registration's
details, the audit log's targets, unsent e-mail) is rewritten or removed here, in one place.
"""

from __future__ import annotations

import email
import email.policy
import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from .. import audit, localtime, mail
from ..extensions import db
from ..locking import lock_meeting
from ..mailbox import mailbox_key
from ..models import (
    AuditEntry,
    FocalPoint,
    Meeting,
    OutboxMessage,
    Outcome,
    Participant,
    Record,
    Session,
    SessionPerson,
    User,
)
from ..models.types import utcnow
from . import service

FORMAT = "eventapp-personal-data/1"
# What an erased registration is called from then on: in lists, on the agenda, in the log.
ERASED_GIVEN_NAME = "—"
ERASED_FAMILY_NAME = "(erased)"
# The same words for the pages that explain erasing, in the reader's language.
ERASED_NAME_SHOWN = _l("— (erased)")
ERASED_ACTION = "registration.erased"
PURGED_ACTION = "meeting.personal_data_purged"
# Registration columns that are keys between rows, not something the person told us.
_INTERNAL = frozenset({"id", "meeting_id", "delegation_id", "nominated_by_id", "email_key"})


def erased_address(ref: str) -> str:
    """The address an erased registration keeps: unique in its meeting, never delivered."""
    return f"erased-{ref}@erased.invalid"


def purged_address(ref: str) -> str:
    """The address a registration keeps after its meeting's purge: unique, never delivered."""
    return f"purged-{ref}@purged.invalid"


# -- what the system holds about a person ------------------------------------------------------


def _plain(value: Any) -> Any:
    """A column's value as JSON writes it: enums by value, times in ISO 8601."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _registration(person: Participant) -> dict[str, Any]:
    """Every field of the registration (new columns included as they come), its organisation
    and who nominated the person."""
    columns = Participant.__table__.columns
    data = {c.key: _plain(getattr(person, c.key)) for c in columns if c.key not in _INTERNAL}
    d = person.delegation
    data["organisation"] = {
        "ref": d.ref,
        "name": d.name,
        "acronym": d.acronym,
        "kind": _plain(d.kind),
        "country": d.country,
    }
    nominator = db.session.get(User, person.nominated_by_id) if person.nominated_by_id else None
    data["nominated_by"] = nominator.email if nominator is not None else None
    return data


def _account(user: User | None) -> dict[str, Any] | None:
    """The account of the same address: never its password's hash nor its tokens' hashes."""
    if user is None:
        return None
    return {
        "email": user.email,
        "created_at": _plain(user.created_at),
        "password_set": user.password_hash is not None,
        "active": user.active,
        "administrator": user.is_admin,
        "meeting_roles": [
            {"meeting": r.meeting.slug, "role": _plain(r.role)} for r in user.meeting_roles
        ],
        "api_tokens": [
            {
                "label": t.label,
                "created_at": _plain(t.created_at),
                "last_used_at": _plain(t.last_used_at),
                "revoked_at": _plain(t.revoked_at),
            }
            for t in user.tokens
        ],
    }


def _focal_points(user: User | None) -> list[dict[str, Any]]:
    if user is None:
        return []
    rows = db.session.scalars(
        sa.select(FocalPoint)
        .where(FocalPoint.user_id == user.id)
        .options(selectinload(FocalPoint.delegation))
        .order_by(FocalPoint.id)
    )
    return [
        {
            "meeting": f.delegation.meeting.slug,
            "organisation": f.delegation.ref,
            "organisation_name": f.delegation.name,
            "appointed_at": _plain(f.appointed_at),
        }
        for f in rows
    ]


def _agenda(person: Participant) -> list[dict[str, Any]]:
    """The sessions the person chairs, speaks at or reports on, in the draft agenda."""
    roles: list[tuple[Session, str]] = [
        (sp.session, sp.role.value)
        for sp in db.session.scalars(
            sa.select(SessionPerson)
            .where(SessionPerson.participant_id == person.id)
            .options(selectinload(SessionPerson.session))
        )
    ]
    roles += [
        (s, "rapporteur")
        for s in db.session.scalars(sa.select(Session).where(Session.rapporteur_id == person.id))
    ]
    roles.sort(key=lambda r: (r[0].start_local, r[0].ref, r[1]))
    return [
        {
            "session": s.ref,
            "number": s.number,
            "title": s.title,
            "role": role,
            "start": _plain(s.start_local),
            "end": _plain(s.end_local),
            "cancelled": s.cancelled_at is not None,
        }
        for s, role in roles
    ]


def _statements(person: Participant) -> list[dict[str, Any]]:
    """The outcomes of records that name the person as their speaker."""
    rows = db.session.execute(
        sa.select(Outcome, Session.ref)
        .join(Record, Outcome.record_id == Record.id)
        .join(Session, Record.session_id == Session.id)
        .where(Outcome.speaker_id == person.id)
        .order_by(Session.start_local, Outcome.position)
    )
    return [
        {
            "session": ref,
            "kind": _plain(o.kind),
            "text": o.text,
            "record_status": _plain(o.record.status),
        }
        for o, ref in rows
    ]


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _about_registration(person: Participant) -> sa.ColumnElement[bool]:
    """Log entries naming the registration: "ref" or "ref (address as it was then)"."""
    return sa.or_(
        AuditEntry.target == person.ref,
        AuditEntry.target.like(f"{_escaped(person.ref)} (%", escape="\\"),
    )


def _history(person: Participant, user: User | None) -> list[dict[str, Any]]:
    """The log's entries about the registration (and about the account of the same address),
    as organisers see them: what, when, by whom."""
    about = _about_registration(person)
    query = sa.select(AuditEntry).where(
        sa.or_(
            sa.and_(AuditEntry.meeting_id == person.meeting_id, about),
            AuditEntry.target == user.email if user is not None else sa.false(),
        )
    )
    return [
        {"at": _plain(e.at), "action": e.action, "by": e.actor, "details": _details_of(e)}
        for e in db.session.scalars(query.order_by(AuditEntry.id))
    ]


def _details_of(entry: AuditEntry) -> dict[str, Any]:
    return {k: v for k, v in (entry.details or {}).items() if k != audit.ACTOR_PARTICIPANT}


def _is_to(row: OutboxMessage, people: dict[int, Participant], addresses: dict[str, str]) -> bool:
    """Whether an unsent message is to one of `people` (by id) about their registration: a
    notice naming the registration, or a written message to their address naming its ref."""
    notice = row.notice or {}
    if notice.get("participant") in people:
        return True
    ref = addresses.get(row.recipient.casefold())
    if ref is None or row.notice is not None or row.message is None:
        return False
    return ref in _text_of(row.message)


def _text_of(raw: bytes) -> str:
    """A stored message's subject and text, decoded (its parts may be quoted-printable)."""
    message = email.message_from_bytes(raw, policy=email.policy.default)
    parts = [str(message.get("Subject", ""))]
    for part in message.walk():
        if part.get_content_maintype() == "text":
            try:
                parts.append(str(part.get_content()))  # type: ignore[attr-defined]
            except (LookupError, ValueError):
                continue
    return "\n".join(parts)


def _unsent_to(people: Iterable[Participant]) -> list[OutboxMessage]:
    """The outbox's messages to these registrations, not yet delivered."""
    by_id = {p.id: p for p in people}
    if not by_id:
        return []
    addresses = {mail.envelope_address(p.email)[0].casefold(): p.ref for p in by_id.values()}
    rows = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id))
    return [row for row in rows if _is_to(row, by_id, addresses)]


def _messages(person: Participant) -> list[dict[str, Any]]:
    found = []
    for row in _unsent_to([person]):
        subject = None
        if row.message is not None:
            parsed = email.message_from_bytes(row.message, policy=email.policy.default)
            subject = str(parsed.get("Subject", "")) or None
        found.append(
            {
                "to": row.recipient,
                "created_at": _plain(row.created_at),
                "subject": subject,
                "about": (row.notice or {}).get("kind"),
                "state": "retrying" if row.attempts else "waiting",
                "attempts": row.attempts,
            }
        )
    return found


def download(person: Participant) -> dict[str, Any]:
    """Everything the system holds about the person of this registration, as one document;
    the download is logged."""
    user = db.session.scalar(sa.select(User).where(User.email_key == person.email_key))
    meeting = person.meeting
    document = {
        "format": FORMAT,
        "generated_at": _plain(utcnow()),
        "meeting": {
            "slug": meeting.slug,
            "title": meeting.title,
            "start_date": _plain(meeting.start_date),
            "end_date": _plain(meeting.end_date),
        },
        "registration": _registration(person),
        "account": _account(user),
        "focal_point_for": _focal_points(user),
        "meeting_chair": meeting.chair_id == person.id,
        "agenda": _agenda(person),
        "statements": _statements(person),
        "history": _history(person, user),
        "messages": _messages(person),
    }
    audit.log(
        "registration.data_downloaded",
        meeting=meeting,
        target=f"{person.ref} ({person.email})",
    )
    return document


# -- erasing one registration ------------------------------------------------------------------


def _replaced(value: Any, names: Iterable[str], by: str) -> Any:
    """`value` with every occurrence of the names (addresses, a person's name) put as `by`."""
    if isinstance(value, str):
        for name in names:
            if name and name in value:
                value = value.replace(name, by)
        return value
    if isinstance(value, dict):
        return {k: _replaced(v, names, by) for k, v in value.items()}
    if isinstance(value, list):
        return [_replaced(v, names, by) for v in value]
    return value


def _names_of(person: Participant) -> list[str]:
    """How the log may have named the person, longest first (so that a part is not replaced
    inside a longer name before that one is)."""
    names = {
        person.email,
        person.email_key,
        person.full_name,
        f"{person.honorific} {person.full_name}" if person.honorific else "",
    }
    return sorted((n for n in names if n), key=len, reverse=True)


def _scrub_log(person: Participant, names: list[str], target: str, since: int) -> None:
    """The meeting's log entries about the registration name it by `target` from now on;
    wherever else the log names the person (address, name), the ref stands instead. Entries
    after `since` (an id) are the erasure's own (a seat passed on): made by the ref too."""
    ref = person.ref
    details_text = sa.cast(AuditEntry.details, sa.Text)
    mentions = [
        _about_registration(person),
        details_text.contains(f'"{ref}"', autoescape=True),
        AuditEntry.id > since,
    ]
    for name in names:
        mentions += [
            AuditEntry.target.contains(name, autoescape=True),
            sa.func.lower(AuditEntry.actor) == name.casefold(),
            details_text.contains(name, autoescape=True),
        ]
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.meeting_id == person.meeting_id, sa.or_(*mentions))
    )
    lowered = {n.casefold() for n in names}
    for entry in entries:
        details = dict(entry.details or {})
        about = (
            entry.target is not None
            and (entry.target == ref or entry.target.startswith(ref + " ("))
        ) or details.get(audit.ACTOR_PARTICIPANT) == ref
        if about and entry.target is not None and entry.target.startswith(ref):
            entry.target = target
        elif entry.target is not None:
            entry.target = _replaced(entry.target, names, ref)
        by_person = details.get(audit.ACTOR_PARTICIPANT) == ref  # by name, perhaps an old one
        if (about or entry.id > since) and (by_person or entry.actor.casefold() in lowered):
            entry.actor = ref
        if entry.details is not None:
            scrubbed = _replaced(details, names, ref)
            if scrubbed != entry.details:
                entry.details = scrubbed


def erase(person: Participant) -> list[Participant]:
    """Cancel the registration (a freed seat goes to the waiting list) and remove the person's
    details from it, the log and the outbox. Returns the registrations promoted meanwhile, to
    tell once committed. A registration erased already is left as it is ([]).

    The row stays, under a neutral name, for what refers to it: the agenda, outcomes, the log.
    The account of the address stays too (it may serve other meetings).
    """
    meeting = person.meeting
    promoted: list[Participant] = []
    lock_meeting(meeting)
    db.session.refresh(person)  # as it stands now that the meeting is locked
    since = db.session.scalar(sa.select(sa.func.max(AuditEntry.id))) or 0
    if person.erased_at is None and person.status in service.TRANSITIONS["cancel"]:
        changed = service.change(meeting, person, "cancel", by_participant=True)
        promoted = [p for p in changed if p.id != person.id]
    if person.erased_at is not None:
        return []
    names = _names_of(person)
    for row in _unsent_to([person]):
        db.session.delete(row)
    address = erased_address(person.ref)
    person.honorific = None
    person.given_name = ERASED_GIVEN_NAME
    person.family_name = ERASED_FAMILY_NAME
    person.position = None
    person.email = address
    person.email_key = mailbox_key(address)
    person.dietary = None
    person.accessibility = None
    person.needs_visa_letter = None
    person.travel_support_requested = None
    person.travel_support_note = None
    person.language = None
    person.list_consent = False
    person.erased_at = utcnow()
    db.session.flush()
    target = f"{person.ref} ({address})"
    _scrub_log(person, names, target, since)
    entry = audit.log(
        ERASED_ACTION,
        meeting=meeting,
        target=target,
        details={audit.ACTOR_PARTICIPANT: person.ref},
    )
    # The account that asked is the person's: the entry names the registration only.
    entry.actor, entry.actor_id = person.ref, None
    db.session.flush()
    return promoted


# -- the organisers' purge of a meeting ----------------------------------------------------------


class PurgeRefused(ValueError):
    """The meeting's personal details cannot be purged now; the text says why."""


@dataclass(frozen=True)
class PurgePlan:
    """What a purge of the meeting's personal details would clear (or did), and when."""

    dietary: int
    accessibility: int
    visa_letters: int
    travel_notes: int
    addresses: int
    ends: date  # the meeting's last day, in its own time zone
    possible_from: date  # the first day a purge is allowed
    possible: bool
    purged_at: datetime | None


def _today(meeting: Meeting) -> date:
    return datetime.now(localtime.zone(meeting.timezone)).date()


def purge_plan(meeting: Meeting) -> PurgePlan:
    """The counts a purge would clear now, and whether the meeting is over (its last day
    past in its own time zone) and not purged already."""
    p = Participant
    of_meeting = p.meeting_id == meeting.id
    row = db.session.execute(
        sa.select(
            sa.func.count(p.dietary),
            sa.func.count(p.accessibility),
            sa.func.count(p.needs_visa_letter),
            sa.func.count(p.travel_support_note),
            sa.func.count(p.id).filter(p.erased_at.is_(None)),
        ).where(of_meeting)
    ).one()
    possible_from = meeting.end_date + timedelta(days=1)
    # Once purged, nothing is left to purge (what the addresses hold now are purged ones).
    counts = (0,) * 5 if meeting.personal_data_purged_at is not None else tuple(row)
    return PurgePlan(
        dietary=counts[0],
        accessibility=counts[1],
        visa_letters=counts[2],
        travel_notes=counts[3],
        addresses=counts[4],
        ends=meeting.end_date,
        possible_from=possible_from,
        possible=meeting.personal_data_purged_at is None and _today(meeting) >= possible_from,
        purged_at=meeting.personal_data_purged_at,
    )


def _scrub_log_addresses(meeting: Meeting, refs: set[str]) -> None:
    """Log entries name a registration "ref (address)": from now on by its purged address."""
    rows = db.session.execute(
        sa.select(AuditEntry.id, AuditEntry.target).where(
            AuditEntry.meeting_id == meeting.id, AuditEntry.target.like("% (%@%)")
        )
    ).all()
    changes = []
    for entry_id, target in rows:
        ref, _sep, _rest = (target or "").partition(" (")
        if ref in refs:
            changes.append({"id": entry_id, "target": f"{ref} ({purged_address(ref)})"})
    if changes:
        db.session.execute(sa.update(AuditEntry), changes)


def purge(meeting: Meeting) -> PurgePlan:
    """Clear the meeting's dietary, accessibility, visa and travel-support notes and replace
    every address by a purged one, keeping names, organisations, roles, consent and status
    (what published reports and the list of participants need); delete the unsent messages
    to its participants. PurgeRefused before the meeting is over, or once purged. Returns
    what was cleared."""
    lock_meeting(meeting)
    plan = purge_plan(meeting)
    if plan.purged_at is not None:
        raise PurgeRefused(
            _("The personal details of this meeting were purged already: nothing is left.")
        )
    if not plan.possible:
        raise PurgeRefused(
            _("The meeting is not over yet: its personal details can be purged after it.")
        )
    people = db.session.scalars(sa.select(Participant).where(Participant.meeting_id == meeting.id))
    kept = [p for p in people if p.erased_at is None]
    for row in _unsent_to(kept):
        db.session.delete(row)
    db.session.flush()
    p = Participant
    purged = sa.literal("purged-") + p.ref + sa.literal("@purged.invalid")
    # Two statements for the whole meeting, rather than the unit of work row by row.
    unsynchronised = {"synchronize_session": False}
    db.session.execute(
        sa.update(p)
        .where(p.meeting_id == meeting.id)
        .values(dietary=None, accessibility=None, needs_visa_letter=None, travel_support_note=None)
        .execution_options(**unsynchronised)
    )
    db.session.execute(
        sa.update(p)
        .where(p.meeting_id == meeting.id, p.erased_at.is_(None))
        .values(email=purged, email_key=sa.func.lower(purged))
        .execution_options(**unsynchronised)
    )
    _scrub_log_addresses(meeting, {person.ref for person in kept})
    meeting.personal_data_purged_at = utcnow()
    audit.log(
        PURGED_ACTION,
        meeting=meeting,
        target=meeting.slug,
        details={
            "dietary": plan.dietary,
            "accessibility": plan.accessibility,
            "visa_letters": plan.visa_letters,
            "travel_notes": plan.travel_notes,
            "addresses": plan.addresses,
        },
    )
    db.session.flush()
    for person in kept:
        db.session.expire(person)
    return plan
