"""Changing the agenda: adding, editing, moving, cancelling and numbering sessions; rooms.

Every change takes the meeting's lock first and reads what it checks under it, so two
organisers cannot both find a room free. A double-booked room stops a change (SessionConflicts
names the session in the way); what an organiser may accept comes back as warnings, computed by
agenda/warnings.py for the session as stored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import selectinload

from .. import audit, localtime
from ..extensions import db
from ..interchange.exporter import session_document
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
    SessionPerson,
    SessionRole,
)
from .warnings import SessionWarning, session_warnings

# Agenda items get numbers; a break or a side event is not an item of the agenda.
NUMBERED_KINDS = frozenset(set(SessionKind) - {SessionKind.BREAK, SessionKind.SIDE_EVENT})
# `"number": "auto"` asks for the agenda to be numbered in time order.
AUTO_NUMBER = "auto"
# What PATCH may change; the ref is the session's name in URLs, the record has its own address.
CHANGEABLE = frozenset(
    {
        "title",
        "kind",
        "description",
        "number",
        "start",
        "end",
        "room",
        "public",
        "chairs",
        "speakers",
        "rapporteur",
        "translations",
    }
)


@dataclass(frozen=True)
class Conflict:
    """What stops a change: another session in the room then (`room`), or the ref taken."""

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
        super().__init__(" ".join(c.message for c in conflicts))
        self.conflicts = conflicts


class SessionGone(LookupError):
    """No session of the meeting has that ref, or it was cancelled."""


def room_clashes(
    meeting: Meeting,
    start: datetime,
    end: datetime,
    room: Room | None,
    *,
    ignore: Session | None = None,
) -> list[Conflict]:
    """The live sessions that hold the room during [start, end), each as a sentence."""
    if room is None:
        return []
    query = sa.select(Session).where(
        Session.meeting_id == meeting.id,
        Session.room_id == room.id,
        Session.cancelled_at.is_(None),
        Session.start_local < end,
        Session.end_local > start,
    )
    if ignore is not None:
        query = query.where(Session.id != ignore.id)
    lang = localtime.page_language()
    return [
        Conflict(
            "room",
            "$.room",
            gettext(
                "%(room)s is booked by “%(title)s” (%(ref)s) on %(day)s, %(start)s–%(end)s.",
                room=room.name,
                title=other.title,
                ref=other.ref,
                day=localtime.format_date(other.start_local.date(), lang),
                start=localtime.format_clock(other.start_local, lang),
                end=localtime.format_clock(other.end_local, lang),
            ),
            other.ref,
        )
        for other in db.session.scalars(query.order_by(Session.start_local, Session.id))
    ]


# -- adding --------------------------------------------------------------------------------------


def create_session(meeting: Meeting, data: Any) -> tuple[Session, list[SessionWarning]]:
    """Add a session from schema-shaped data (`ref` may be left out: one is made from the
    title); returns it with its warnings."""
    # The ref is checked when given; a stand-in lets the rest of the session be checked alone.
    given_ref = not isinstance(data, dict) or "ref" in data
    problems = check_item("session", data if given_ref else {"ref": "s-new", **data})
    if problems:
        raise SessionProblems(problems)
    # Everything below is read under the meeting's lock: two requests for the same room and
    # time cannot both find it free, and a replacement of the meeting cannot come between.
    lock_meeting(meeting)
    rooms = _by_ref(meeting, Room)
    people = _by_ref(meeting, Participant)
    delegations = _by_ref(meeting, Delegation)
    problems = list(_meaning(meeting, data, rooms, people, delegations, check_days=True))
    if problems:
        raise SessionProblems(problems)
    item = dict(data)
    if not given_ref:
        item["ref"] = new_ref(meeting, item["title"])
    auto = item.get("number") == AUTO_NUMBER
    if auto:
        item.pop("number")
    start = localtime.parse_local(item["start"])
    end = localtime.parse_local(item["end"])
    blocking = room_clashes(meeting, start, end, rooms.get(item.get("room") or ""))
    taken = db.session.scalar(
        sa.select(Session).where(Session.meeting_id == meeting.id, Session.ref == item["ref"])
    )
    if taken is not None:
        message = gettext(
            "Another session, “%(title)s”, already has the ref %(ref)s.",
            title=taken.title,
            ref=taken.ref,
        )
        blocking.insert(0, Conflict("ref", "$.ref", message, taken.ref))
    if blocking:
        raise SessionConflicts(blocking)
    session = build_session(meeting, item, meeting.zone, rooms, people, delegations)
    db.session.add(session)
    db.session.flush()
    if auto:
        number_agenda(meeting)
    audit.log("session.created", meeting=meeting, target=f"{session.ref} ({session.title})")
    return session, session_warnings(session)


def new_ref(meeting: Meeting, title: str) -> str:
    """A readable ref from the title, free in the meeting: 's-opening', then 's-opening-2'."""
    base = f"s-{_slug(title) or 'session'}"
    # Cancelled sessions keep their refs: a URL once given out never names another session.
    taken = set(
        db.session.scalars(
            sa.select(Session.ref).where(
                Session.meeting_id == meeting.id, Session.ref.like(f"{base}%")
            )
        )
    )
    ref, n = base, 1
    while ref in taken:
        n += 1
        ref = f"{base}-{n}"
    return ref


def _slug(text: str, limit: int = 40) -> str:
    """'Opening of the meeting' -> 'opening-of-the-meeting': ASCII, cut at a word's end."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    if len(slug) > limit:
        cut = slug[: limit + 1]
        slug = cut.rsplit("-", 1)[0] if "-" in cut else slug[:limit]
    return slug


# -- editing and moving --------------------------------------------------------------------------


def live_session(meeting: Meeting, ref: str) -> Session:
    """The meeting's session with that ref as stored now; SessionGone if none or cancelled."""
    session = db.session.scalar(
        sa.select(Session)
        .where(Session.meeting_id == meeting.id, Session.ref == ref)
        .options(
            selectinload(Session.room),
            selectinload(Session.rapporteur),
            selectinload(Session.people).selectinload(SessionPerson.participant),
        )
        .execution_options(populate_existing=True)
    )
    if session is None:
        raise SessionGone(gettext("The meeting has no session %(ref)s.", ref=ref))
    if session.cancelled_at is not None:
        raise SessionGone(gettext("The session “%(title)s” was cancelled.", title=session.title))
    return session


def change_session(
    meeting: Meeting, ref: str, changes: Any
) -> tuple[Session, list[SessionWarning]]:
    """Change the fields given of a session (a move is a new start, end or room); a field
    given as null is removed. Returns the session with its warnings; its record is untouched."""
    if not isinstance(changes, dict):
        raise SessionProblems([Problem("$", "must be an object of the fields to change")])
    lock_meeting(meeting)
    session = live_session(meeting, ref)
    item = session_document(session)
    item.pop("record", None)
    problems: list[Problem] = []
    for key, value in changes.items():
        if key == "ref":
            if value != session.ref:
                problems.append(Problem("$.ref", "a session's ref cannot be changed"))
        elif key == "record":
            problems.append(
                Problem("$.record", "the record is changed at the session's record address")
            )
        elif value is None:
            item.pop(key, None)
        else:
            item[key] = value
    problems.extend(p for p in check_item("session", item) if p.path not in {"$.ref", "$.record"})
    if problems:
        raise SessionProblems(sorted(set(problems), key=lambda p: p.path))
    rooms = _by_ref(meeting, Room)
    people = _by_ref(meeting, Participant)
    # A session already outside the meeting's days may be retitled; a new time must be inside.
    moved_in_time = "start" in changes or "end" in changes
    problems = list(_meaning(meeting, item, rooms, people, {}, check_days=moved_in_time))
    if problems:
        raise SessionProblems(problems)
    start = localtime.parse_local(item["start"])
    end = localtime.parse_local(item["end"])
    room = rooms.get(item.get("room") or "")
    blocking = room_clashes(meeting, start, end, room, ignore=session)
    if blocking:
        raise SessionConflicts(blocking)
    auto = item.get("number") == AUTO_NUMBER
    tz = meeting.zone
    session.title = item["title"]
    session.kind = SessionKind(item["kind"])
    session.description = item.get("description")
    session.number = None if auto else item.get("number")
    session.start_local, session.end_local = start, end
    session.start_utc, session.end_utc = localtime.to_utc(start, tz), localtime.to_utc(end, tz)
    session.room = room
    session.public = item.get("public")
    session.rapporteur = people[item["rapporteur"]] if item.get("rapporteur") else None
    session.translations = item.get("translations")
    _set_people(session, item, people)
    db.session.flush()
    if auto:
        number_agenda(meeting)
    audit.log(
        "session.changed",
        meeting=meeting,
        target=f"{session.ref} ({session.title})",
        details={"fields": sorted(set(changes) & CHANGEABLE)},
    )
    return session, session_warnings(session)


def _set_people(session: Session, item: dict[str, Any], people: dict[str, Participant]) -> None:
    # The rows of people who stay are kept (their key is who and in what role), the rest go.
    existing = {(p.role, p.participant_id): p for p in session.people}
    parts: list[SessionPerson] = []
    for role, key in ((SessionRole.CHAIR, "chairs"), (SessionRole.SPEAKER, "speakers")):
        for position, ref in enumerate(item.get(key) or []):
            person = people[ref]
            part = existing.pop((role, person.id), None)
            if part is None:
                part = SessionPerson(role=role, participant=person)
            part.position = position
            parts.append(part)
    session.people = parts


# -- cancelling ----------------------------------------------------------------------------------


def cancel_session(meeting: Meeting, ref: str) -> Session:
    """Cancel a session: it stays, with its record, but holds no room and leaves the agenda."""
    lock_meeting(meeting)
    session = live_session(meeting, ref)
    session.cancelled_at = datetime.now(UTC)
    db.session.flush()
    audit.log("session.cancelled", meeting=meeting, target=f"{session.ref} ({session.title})")
    return session


# -- duplicating ---------------------------------------------------------------------------------


def duplicate_session(meeting: Meeting, ref: str) -> tuple[Session, list[SessionWarning]]:
    """A copy of a session at the same time, without a room (so it clashes with nothing) and
    without a record or number, under a ref of its own: the organiser then moves it."""
    lock_meeting(meeting)
    original = live_session(meeting, ref)
    copy = Session(
        meeting=meeting,
        ref=new_ref(meeting, original.title),
        title=original.title,
        kind=original.kind,
        description=original.description,
        start_local=original.start_local,
        end_local=original.end_local,
        start_utc=original.start_utc,
        end_utc=original.end_utc,
        public=original.public,
        rapporteur=original.rapporteur,
        translations=original.translations,
        people=[
            SessionPerson(role=p.role, participant=p.participant, position=p.position)
            for p in original.people
        ],
    )
    db.session.add(copy)
    db.session.flush()
    audit.log(
        "session.duplicated",
        meeting=meeting,
        target=f"{copy.ref} ({copy.title})",
        details={"from": original.ref},
    )
    return copy, session_warnings(copy)


# -- rooms ---------------------------------------------------------------------------------------


class RoomProblem(ValueError):
    """A room cannot be stored as asked: the sentence says why."""


class RoomInUse(RoomProblem):
    """The room holds sessions: it cannot be removed."""


NAME_LENGTH = 300  # rooms.name
MAX_ROOM_CAPACITY = 1_000_000  # the schema's bound


@dataclass(frozen=True)
class RoomRow:
    """A room as the organisers' list shows it; `sessions` counts what stops its removal."""

    ref: str
    name: str
    capacity: int | None
    sessions: int


def room_list(meeting: Meeting) -> list[RoomRow]:
    """The meeting's rooms by name, each with how many sessions (cancelled ones too) use it."""
    used = (
        sa.select(sa.func.count(Session.id))
        .where(Session.room_id == Room.id)
        .correlate(Room)
        .scalar_subquery()
    )
    rows = db.session.execute(
        sa.select(Room.ref, Room.name, Room.capacity, used)
        .where(Room.meeting_id == meeting.id)
        .order_by(Room.name, Room.ref)
    )
    return [RoomRow(ref, name, capacity, count) for ref, name, capacity, count in rows]


def find_room(meeting: Meeting, ref: str) -> RoomRow | None:
    """One room of the meeting as room_list() shows it; None for an unknown ref."""
    return next((row for row in room_list(meeting) if row.ref == ref), None)


def _room(meeting: Meeting, ref: str) -> Room:
    room = db.session.scalar(
        sa.select(Room)
        .where(Room.meeting_id == meeting.id, Room.ref == ref)
        .execution_options(populate_existing=True)
    )
    if room is None:
        raise RoomProblem(gettext("The meeting has no room %(ref)s.", ref=ref))
    return room


def _room_name(name: str) -> str:
    name = " ".join(name.split())
    if not name:
        raise RoomProblem(gettext("A room needs a name."))
    if len(name) > NAME_LENGTH:
        raise RoomProblem(gettext("A room's name is at most %(n)d characters.", n=NAME_LENGTH))
    return name


def _unique_name(meeting: Meeting, name: str, ref: str | None = None) -> str:
    """The name, if no other room of the meeting has it: organisers pick rooms by name."""
    query = sa.select(Room.name).where(Room.meeting_id == meeting.id)
    if ref is not None:
        query = query.where(Room.ref != ref)
    if any(other.casefold() == name.casefold() for other in db.session.scalars(query)):
        raise RoomProblem(
            gettext(
                "The meeting already has a room called %(name)s: give this one another name.",
                name=name,
            )
        )
    return name


def _capacity(capacity: int | None) -> int | None:
    # As the schema bounds it, so that every room can be exported and imported again.
    if capacity is not None and (
        isinstance(capacity, bool) or not 1 <= capacity <= MAX_ROOM_CAPACITY
    ):
        raise RoomProblem(
            gettext(
                "A capacity is a number of places from %(min)d to %(max)d.",
                min=1,
                max=MAX_ROOM_CAPACITY,
            )
        )
    return capacity


def add_room(meeting: Meeting, name: str, capacity: int | None = None) -> Room:
    """A new room of the meeting, its ref made from its name ('room-b', 'room-b-2')."""
    lock_meeting(meeting)
    name, capacity = _unique_name(meeting, _room_name(name)), _capacity(capacity)
    slug = _slug(name)
    base = slug if slug.startswith("room") else f"room-{slug or 'new'}"
    taken = set(db.session.scalars(sa.select(Room.ref).where(Room.meeting_id == meeting.id)))
    ref, n = base, 1
    while ref in taken:
        n += 1
        ref = f"{base}-{n}"
    room = Room(meeting=meeting, ref=ref, name=name, capacity=capacity)
    db.session.add(room)
    db.session.flush()
    db.session.expire(meeting, ["rooms"])
    audit.log("room.added", meeting=meeting, target=f"{room.ref} ({room.name})")
    return room


def rename_room(meeting: Meeting, ref: str, name: str) -> Room:
    """The room under a new name; its sessions follow it."""
    lock_meeting(meeting)
    room = _room(meeting, ref)
    room.name = _unique_name(meeting, _room_name(name), ref)
    db.session.flush()
    audit.log("room.renamed", meeting=meeting, target=f"{room.ref} ({room.name})")
    return room


def set_room_capacity(meeting: Meeting, ref: str, capacity: int | None) -> Room:
    """The room's number of places (None: not known)."""
    lock_meeting(meeting)
    room = _room(meeting, ref)
    room.capacity = _capacity(capacity)
    db.session.flush()
    audit.log(
        "room.capacity", meeting=meeting, target=room.ref, details={"capacity": room.capacity}
    )
    return room


def remove_room(meeting: Meeting, ref: str) -> None:
    """Remove a room no session uses (cancelled ones included: their record names it)."""
    lock_meeting(meeting)
    room = _room(meeting, ref)
    users = list(
        db.session.scalars(
            sa.select(Session.title).where(Session.room_id == room.id).order_by(Session.start_local)
        )
    )
    if users:
        raise RoomInUse(
            gettext(
                "%(room)s holds %(count)d session(s), among them “%(title)s”: move them first.",
                room=room.name,
                count=len(users),
                title=users[0],
            )
        )
    db.session.delete(room)
    db.session.flush()
    db.session.expire(meeting, ["rooms"])
    audit.log("room.removed", meeting=meeting, target=f"{room.ref} ({room.name})")


# -- numbering -----------------------------------------------------------------------------------


def number_agenda(meeting: Meeting) -> list[Session]:
    """Number the agenda items (every live session but breaks and side events) 1, 2, 3… in
    time order, replacing the numbers they had; returns the sessions whose number changed.

    The caller holds the meeting's lock. Other sessions keep whatever number they were given.
    """
    items = db.session.scalars(
        sa.select(Session)
        .where(
            Session.meeting_id == meeting.id,
            Session.cancelled_at.is_(None),
            Session.kind.in_(NUMBERED_KINDS),
        )
        .order_by(Session.start_local, Session.end_local, Session.id)
    )
    changed = []
    for n, session in enumerate(items, start=1):
        if session.number != str(n):
            session.number = str(n)
            changed.append(session)
    db.session.flush()
    if changed:
        audit.log("agenda.numbered", meeting=meeting, details={"renumbered": len(changed)})
    return changed


# -- checks ----------------------------------------------------------------------------------------


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
    rooms: dict[str, Room],
    people: dict[str, Participant],
    delegations: dict[str, Any],
    *,
    check_days: bool,
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
    first, last = (meeting.start_date, meeting.end_date) if check_days else (None, None)
    yield from session_time_problems("$", data, meeting.zone, first, last)
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
    chairs: tuple[str, ...] = ()
    speakers: tuple[str, ...] = ()


def draft_agenda(meeting: Meeting) -> list[DraftRow]:
    """Every live (not cancelled) session, in time order, with its room and people."""
    sessions = db.session.scalars(
        sa.select(Session)
        .where(Session.meeting_id == meeting.id, Session.cancelled_at.is_(None))
        .options(
            selectinload(Session.room),
            selectinload(Session.rapporteur),
            selectinload(Session.people).selectinload(SessionPerson.participant),
        )
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
            chairs=tuple(p.full_name for p in s.chairs),
            speakers=tuple(p.full_name for p in s.speakers),
        )
        for s in sessions
    ]
