"""Writing and reading the audit log: one call from each service that changes something."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from . import localtime
from .batched import write_with_commit
from .extensions import db
from .models import AuditEntry, Meeting, Participant, User
from .models.audit import shortened_target
from .models.types import utcnow

SYSTEM_ACTOR = "system (command line)"
# In `details`: the ref of the participant who made the change themselves, without an account.
ACTOR_PARTICIPANT = "actor_participant"
PAGE_SIZE = 50


def current_actor() -> User | None:
    """The signed-in account of this request, if any (None on the command line)."""
    from flask import has_request_context

    if not has_request_context():
        return None
    from flask import g
    from flask_login import current_user

    user = getattr(g, "api_user", None) or current_user
    return user if getattr(user, "is_authenticated", False) else None


def entry(
    action: str,
    *,
    meeting: Meeting | None = None,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    actor: User | None = None,
    participant: Participant | None = None,
) -> dict[str, Any]:
    """The columns of one entry, timed now, for log() or write(): who acted (`participant`
    when no account is behind it), what, on what."""
    actor = actor or current_actor()
    name = actor.email if actor else SYSTEM_ACTOR
    if actor is None and participant is not None:
        name = participant.full_name
        details = {**(details or {}), ACTOR_PARTICIPANT: participant.ref}
    values: dict[str, Any] = {
        "at": utcnow(),
        "actor_id": actor.id if actor else None,
        "actor": name,
        "meeting_id": meeting.id if meeting else None,
        "action": action,
        "target": shortened_target(target),
    }
    if details is not None:  # a JSON column would keep None as JSON's null, not NULL
        values["details"] = details
    return values


def log(
    action: str,
    *,
    meeting: Meeting | None = None,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    actor: User | None = None,
    participant: Participant | None = None,
) -> AuditEntry:
    """Record a change; flushed with the change itself, so both commit or neither does.

    `participant`: the registration the change is about. When no account is behind the change
    (the public registration form), that person made it, and the log names them.
    """
    row = AuditEntry(
        **entry(
            action,
            meeting=meeting,
            target=target,
            details=details,
            actor=actor,
            participant=participant,
        )
    )
    db.session.add(row)
    return row


_INSERT = sa.insert(cast(sa.Table, AuditEntry.__table__)).inline()  # no id read back


def write(*entries: dict[str, Any]) -> None:
    """Record entries in order, by one statement rather than at the next flush: for the
    changes made under the meeting's lock with Core statements (a registration), where the
    unit of work's bookkeeping would cost more than the rows. Same transaction: the entries
    and the change commit together or not at all (on PostgreSQL they leave with the COMMIT,
    eventapp/batched.py: nothing reads them back before)."""
    for _, group in itertools.groupby(entries, key=lambda e: sorted(e)):
        write_with_commit(_INSERT, list(group))


def kind_of(action: str) -> str:
    """'registration.created' -> 'registration': what the filter of the log page offers."""
    return action.partition(".")[0]


@dataclass(frozen=True)
class LogPage:
    """One page of a meeting's log, newest first, and what the page's links need."""

    entries: list[AuditEntry]
    page: int
    pages: int
    total: int
    kinds: list[str]  # every kind of action the meeting's log holds, for the filter


def meeting_log_page(meeting: Meeting, *, page: int = 1, kind: str | None = None) -> LogPage:
    """The page-th page (PAGE_SIZE entries) of the meeting's log, of one kind of action if given."""
    of_meeting = AuditEntry.meeting_id == meeting.id
    actions = db.session.scalars(sa.select(AuditEntry.action).where(of_meeting).distinct())
    kinds = sorted({kind_of(a) for a in actions})
    query = sa.select(AuditEntry).where(of_meeting)
    if kind:
        prefix = AuditEntry.action.startswith(kind + ".", autoescape=True)
        query = query.where(sa.or_(AuditEntry.action == kind, prefix))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    entries = db.session.scalars(
        query.order_by(AuditEntry.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    )
    return LogPage(list(entries), page, pages, total, kinds)


@dataclass(frozen=True)
class LogLine:
    """An entry as the log page shows it: its time in the meeting's zone, who acted (an
    account's address, a participant's name, or the command line), and its details."""

    at: datetime
    offset: str  # 'UTC+07:00' at that time
    actor: str
    by_participant: bool
    action: str
    target: str | None
    details: list[tuple[str, str]]


def line(entry: AuditEntry, zone: ZoneInfo) -> LogLine:
    details = dict(entry.details or {})
    by_participant = details.pop(ACTOR_PARTICIPANT, None) is not None
    at = entry.at.astimezone(zone)
    return LogLine(
        at=at,
        offset=localtime.utc_offset_label(zone, at.replace(tzinfo=None)),
        actor=entry.actor,
        by_participant=by_participant,
        action=entry.action,
        target=entry.target,
        details=[(str(k), _shown(v)) for k, v in details.items()],
    )


def _shown(value: object) -> str:
    """A detail as a person reads it: a list by its items, a mapping as "key: value" pairs,
    rather than as Python writes them (['position', 'language'], {'status': 'approved'})."""
    if value is None:
        return ""
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_shown(v)}" for k, v in value.items())
    if isinstance(value, list | tuple):
        return ", ".join(_shown(v) for v in value)
    return str(value)
