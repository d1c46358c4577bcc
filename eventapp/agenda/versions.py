"""Publishing the agenda: the organisers' draft (the sessions table) becomes version N+1.

A version is immutable: every session as published, each with the sequence calendars follow
(RFC 5545 SEQUENCE: raised in each version that changes the session) and the time of that
change, and the changes since the version before. A session removed from the draft stays in
the versions as cancelled, so calendars that hold it learn of the cancellation.

Snapshot entry keys: ref, number, title, kind, description, start_local, end_local (ISO, wall
clock), start_utc, end_utc (ISO, UTC), room (ref), public (as disclosure decided), chairs,
speakers (refs, in order), rapporteur (ref), cancelled, sequence, modified (ISO, UTC).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from .. import audit, disclosure
from ..extensions import db
from ..locking import lock_meeting
from ..models import AgendaVersion, Change, Meeting, Participant, Session, SessionPerson
from ..models.types import utcnow
from .notify import tell_people as notify_people

# Which fields of an entry make which change; any of them raises the session's sequence.
_MOVED = ("start_local", "end_local", "start_utc", "end_utc", "room")
_RETITLED = ("title",)
_CHANGED = ("number", "kind", "description", "public", "chairs", "speakers", "rapporteur")


class NothingToPublish(ValueError):
    """The draft is the newest version as it stands: publishing would make an empty version."""

    def __init__(self, number: int | None):
        super().__init__(
            f"Nothing has changed since version {number} of the agenda."
            if number
            else "The agenda has no sessions to publish."
        )
        self.number = number


def newest(meeting: Meeting) -> AgendaVersion | None:
    """The meeting's newest published version, or None before its first publication."""
    return db.session.scalar(
        sa.select(AgendaVersion)
        .where(AgendaVersion.meeting_id == meeting.id)
        .order_by(AgendaVersion.number.desc())
        .limit(1)
    )


def published_versions(meeting: Meeting) -> list[AgendaVersion]:
    """Every published version of the meeting's agenda, newest first."""
    return list(
        db.session.scalars(
            sa.select(AgendaVersion)
            .where(AgendaVersion.meeting_id == meeting.id)
            .order_by(AgendaVersion.number.desc())
        )
    )


def publish(
    meeting: Meeting,
    *,
    by: str | None = None,
    always: bool = False,
    notify: bool | None = None,
) -> AgendaVersion:
    """Publish the draft as the next version; NothingToPublish when it changes nothing.

    `always` publishes even an unchanged draft: an import is a publication of what it read.
    `notify` (by default unless `always`) mails each approved participant whose own sessions
    the version changed; the messages leave only if the publication is committed. An import
    tells nobody: it loads a meeting, nobody changed it.
    """
    # Under the meeting's lock two publications cannot both claim the next number, and no
    # session can change between reading the draft and writing the version.
    lock_meeting(meeting)
    previous = newest(meeting)
    now = utcnow()
    entries, changes = _compare(previous.sessions if previous else [], _draft(meeting), now)
    if not changes and not always:
        raise NothingToPublish(previous.number if previous else None)
    version = AgendaVersion(
        meeting_id=meeting.id,
        number=previous.number + 1 if previous else 1,
        published_at=now,
        published_by=by,
        sessions=entries,
        changes=changes,
    )
    db.session.add(version)
    meeting.agenda_published_at = now
    db.session.flush()
    audit.log(
        "agenda.published",
        meeting=meeting,
        target=f"version {version.number}",
        details={"changes": len(changes)},
    )
    if notify if notify is not None else not always:
        notify_people(meeting, previous.sessions if previous else [], version)
    return version


@dataclass(frozen=True)
class ChangeLine:
    ref: str
    title: str
    change: Change


@dataclass(frozen=True)
class VersionLine:
    number: int
    published_at: datetime
    published_by: str | None
    changes: list[ChangeLine]


@dataclass(frozen=True)
class Publication:
    """Where the organisers' draft stands against the public agenda: their page's data."""

    newest: VersionLine | None
    pending: list[ChangeLine]
    earlier: list[VersionLine]


def _lines(changes: list[dict[str, str]]) -> list[ChangeLine]:
    return [ChangeLine(c["ref"], c.get("title", c["ref"]), Change(c["change"])) for c in changes]


def publication(meeting: Meeting) -> Publication:
    """The newest version, what publishing now would change, and the versions before."""
    versions = [
        VersionLine(v.number, v.published_at, v.published_by, _lines(v.changes))
        for v in published_versions(meeting)
    ]
    return Publication(
        newest=versions[0] if versions else None,
        pending=_lines(pending_changes(meeting)),
        earlier=versions[1:],
    )


def pending_changes(meeting: Meeting) -> list[dict[str, str]]:
    """What publishing now would change, against the newest version: for the organisers' page."""
    previous = newest(meeting)
    _, changes = _compare(previous.sessions if previous else [], _draft(meeting), utcnow())
    return changes


def version_document(version: AgendaVersion) -> dict[str, Any]:
    """A version as the API shows it to organisers."""
    return {
        "version": version.number,
        "published_at": version.published_at.astimezone(UTC).isoformat(),
        "published_by": version.published_by,
        "changes": version.changes,
    }


def _draft(meeting: Meeting) -> list[dict[str, Any]]:
    """The draft's sessions as snapshot entries (without sequence), in agenda order."""
    sessions = db.session.scalars(
        sa.select(Session)
        .where(Session.meeting_id == meeting.id)
        .options(
            selectinload(Session.room),
            selectinload(Session.rapporteur).load_only(Participant.ref),
            selectinload(Session.people)
            .selectinload(SessionPerson.participant)
            .load_only(Participant.ref),
        )
        .order_by(Session.start_local, Session.end_local, Session.id)
        # As the rows stand under the lock, not as an earlier read of this request cached them.
        .execution_options(populate_existing=True)
    )
    return [entry(s) for s in sessions]


def entry(s: Session) -> dict[str, Any]:
    """One session as a version keeps it (sequence and modified are the comparison's)."""
    return {
        "ref": s.ref,
        "number": s.number,
        "title": s.title,
        "kind": s.kind.value,
        "description": s.description,
        "start_local": s.start_local.isoformat(),
        "end_local": s.end_local.isoformat(),
        "start_utc": s.start_utc.astimezone(UTC).isoformat(),
        "end_utc": s.end_utc.astimezone(UTC).isoformat(),
        "room": s.room.ref if s.room else None,
        "public": disclosure.is_public(s),
        "chairs": [p.ref for p in s.chairs],
        "speakers": [p.ref for p in s.speakers],
        "rapporteur": s.rapporteur.ref if s.rapporteur else None,
        "cancelled": s.cancelled_at is not None,
    }


def changes_between(old: dict[str, Any] | None, new: dict[str, Any]) -> list[Change]:
    """What publishing `new` changes of a session published as `old` (None: not before)."""
    if old is None or (old["cancelled"] and not new["cancelled"]):
        return [Change.ADDED]
    if new["cancelled"]:
        # A cancelled session's details no longer matter to anyone.
        return [] if old["cancelled"] else [Change.CANCELLED]
    found = []
    for change, fields in (
        (Change.MOVED, _MOVED),
        (Change.RETITLED, _RETITLED),
        (Change.CHANGED, _CHANGED),
    ):
        if any(old.get(name) != new[name] for name in fields):
            found.append(change)
    return found


def _compare(
    before: list[dict[str, Any]], draft: list[dict[str, Any]], now: datetime
) -> tuple[list[dict[str, Any]], list[dict[str, str]]]:
    """The next version's entries and its changes, from the newest version and the draft."""
    published = {e["ref"]: e for e in before}
    stamp = now.astimezone(UTC).isoformat()
    entries: list[dict[str, Any]] = []
    changes: list[dict[str, str]] = []

    def keep(old: dict[str, Any] | None, new: dict[str, Any]) -> None:
        found = changes_between(old, new)
        if old is not None and not found:
            entries.append(old)  # unchanged: its sequence and time of change stay
            return
        sequence = old["sequence"] + 1 if old is not None else 0
        entries.append({**new, "sequence": sequence, "modified": stamp})
        changes.extend({"ref": new["ref"], "title": new["title"], "change": c} for c in found)

    for new in draft:
        keep(published.pop(new["ref"], None), new)
    # Sessions gone from the draft are cancelled: they stay, so feeds can say so.
    for old in published.values():
        keep(old, {**old, "cancelled": True})
    return entries, changes
