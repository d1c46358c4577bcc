"""Adding sessions to the agenda, and the conflicts a schedule must not have.

Conflicts come back as data (as pretalx does), so the API and the pages can say exactly which
session stands in the way; a double-booked room stops a change, a double-booked person is a
warning an organiser may accept.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from .. import audit, localtime
from ..extensions import db
from ..interchange.importer import build_session
from ..interchange.validate import (
    Problem,
    check_item,
    record_problems,
    session_time_problems,
)
from ..locking import lock_meeting
from ..models import (
    Delegation,
    Meeting,
    Participant,
    Room,
    Session,
    SessionKind,
)


@dataclass(frozen=True)
class Conflict:
    """Another session that overlaps in the same room (`kind` room) or with the same person."""

    kind: str
    path: str
    message: str
    other_ref: str


class SessionProblems(ValueError):
    """The session cannot be stored as given: every problem with its JSON path."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s) in the session")
        self.problems = problems


class SessionConflicts(ValueError):
    """The session would double-book a room, or its ref is taken."""

    def __init__(self, conflicts: list[Conflict]):
        super().__init__("; ".join(c.message for c in conflicts))
        self.conflicts = conflicts


def _overlapping(meeting: Meeting, start: datetime, end: datetime) -> list[Session]:
    return list(
        db.session.scalars(
            sa.select(Session)
            .where(
                Session.meeting_id == meeting.id,
                Session.start_local < end,
                Session.end_local > start,
            )
            .options(selectinload(Session.room), selectinload(Session.people))
        )
    )


def conflicts_for(
    meeting: Meeting,
    start: datetime,
    end: datetime,
    room: Room | None,
    people: set[int],
    *,
    ignore_ref: str | None = None,
) -> list[Conflict]:
    """Room clashes and person clashes of a session placed from start to end."""
    found: list[Conflict] = []
    for other in _overlapping(meeting, start, end):
        if other.ref == ignore_ref:
            continue
        starts = localtime.format_local(other.start_local).replace("T", " ")
        when = f"{starts}–{other.end_local:%H:%M}"
        if room is not None and other.room_id == room.id:
            found.append(
                Conflict(
                    "room",
                    "$.room",
                    f"{room.name} is booked {when} by session {other.ref} ({other.title})",
                    other.ref,
                )
            )
        clashing = people & {p.participant_id for p in other.people}
        if other.rapporteur_id is not None and other.rapporteur_id in people:
            clashing.add(other.rapporteur_id)
        if clashing:
            found.append(
                Conflict(
                    "person",
                    "$.chairs",
                    f"{len(clashing)} person(s) also take part in session {other.ref} {when}",
                    other.ref,
                )
            )
    return found


def create_session(meeting: Meeting, data: Any) -> tuple[Session, list[Conflict]]:
    """Add a session from schema-shaped data; returns it with the warnings (person clashes)."""
    problems = check_item("session", data)
    if problems:
        raise SessionProblems(problems)
    # Everything below is read under the meeting's lock: two requests for the same room and
    # time cannot both find it free, and a replacement of the meeting cannot come between.
    lock_meeting(meeting)
    tz = localtime.zone(meeting.timezone)
    rooms = _by_ref(meeting, Room)
    people = _by_ref(meeting, Participant)
    delegations = _by_ref(meeting, Delegation)
    problems = list(_meaning(meeting, data, tz, rooms, people, delegations))
    if problems:
        raise SessionProblems(problems)
    start = localtime.parse_local(data["start"])
    end = localtime.parse_local(data["end"])
    room = rooms.get(data.get("room") or "")
    involved = {people[ref].id for ref in [*data.get("chairs", []), *data.get("speakers", [])]}
    if data.get("rapporteur"):
        involved.add(people[data["rapporteur"]].id)
    taken = db.session.scalar(
        sa.select(Session.id).where(Session.meeting_id == meeting.id, Session.ref == data["ref"])
    )
    clashes = conflicts_for(meeting, start, end, room, involved)
    blocking = [c for c in clashes if c.kind == "room"]
    if taken is not None:
        blocking.insert(
            0, Conflict("ref", "$.ref", f"a session with ref {data['ref']!r} exists", data["ref"])
        )
    if blocking:
        raise SessionConflicts(blocking)
    session = build_session(meeting, data, tz, rooms, people, delegations)
    db.session.add(session)
    db.session.flush()
    audit.log("session.created", meeting=meeting, target=f"{session.ref} ({session.title})")
    return session, [c for c in clashes if c.kind != "room"]


def _by_ref(meeting: Meeting, model: Any) -> dict[str, Any]:
    """The meeting's rows of a kind as they stand now (not as an earlier read cached them)."""
    rows = db.session.scalars(
        sa.select(model)
        .where(model.meeting_id == meeting.id)
        .execution_options(populate_existing=True)
    )
    return {row.ref: row for row in rows}


def _meaning(
    meeting: Meeting,
    data: dict[str, Any],
    tz: Any,
    rooms: dict[str, Room],
    people: dict[str, Participant],
    delegations: dict[str, Any],
) -> Iterator[Problem]:
    room = data.get("room")
    if room and room not in rooms:
        yield Problem("$.room", f"no room has ref {room!r}")
    for key in ("chairs", "speakers"):
        for n, ref in enumerate(data.get(key) or []):
            if ref not in people:
                yield Problem(f"$.{key}[{n}]", f"no participant has ref {ref!r}")
    if data.get("rapporteur") and data["rapporteur"] not in people:
        yield Problem("$.rapporteur", f"no participant has ref {data['rapporteur']!r}")
    yield from session_time_problems("$", data, tz, meeting.start_date, meeting.end_date)
    if "record" in data:
        yield from record_problems("$.record", data["record"], delegations, people)


@dataclass(frozen=True)
class DraftRow:
    """A session as the organisers' agenda lists it: closed ones included, in local time."""

    ref: str
    number: str | None
    title: str
    kind: SessionKind
    is_public: bool
    start_local: datetime
    end_local: datetime
    room: str | None
    rapporteur: str | None


def draft_agenda(meeting: Meeting) -> list[DraftRow]:
    """Every session of the meeting as it stands, in time order, rooms and rapporteurs loaded."""
    sessions = db.session.scalars(
        sa.select(Session)
        .where(Session.meeting_id == meeting.id)
        .options(selectinload(Session.room), selectinload(Session.rapporteur))
        .order_by(Session.start_local, Session.id)
    )
    return [
        DraftRow(
            ref=s.ref,
            number=s.number,
            title=s.title,
            kind=s.kind,
            is_public=s.is_public,
            start_local=s.start_local,
            end_local=s.end_local,
            room=s.room.name if s.room else None,
            rapporteur=(
                f"{s.rapporteur.given_name} {s.rapporteur.family_name}" if s.rapporteur else None
            ),
        )
        for s in sessions
    ]
