"""Keeping Meeting.content_version in step with every change to what the public sees of it.

One listener on every flush, rather than a call in each service: a change cannot forget it.
The version keys the public pages and exports (pagecache.py), so it counts changes the
public could see and no others: a pending registration, the draft record of a closed session
or an organiser's edit of the draft agenda leaves every public page, and its ETag, as it was.
Where a flush does not say enough to be sure, the change counts.

The public reads the agenda from its newest published version (agenda/published.py), which
publishing writes (and so counts). Of the live agenda rows only these reach it: room names,
looked up by the refs the version holds; a public session's record and outcomes, found through
the session row with the ref the version shows; and, for a meeting published before versions
existed, the rows themselves, as then.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from ..batched import write_with_commit
from .agenda import Room, Session, SessionKind, SessionPerson
from .agenda_version import AgendaVersion
from .meeting import Meeting
from .organisation import Delegation
from .participant import Participant, RegistrationStatus
from .record import Outcome, Record
from .report import ReportVersion

# Rows of a meeting whose every change counts (AgendaVersion: a publication).
_BY_MEETING_ID = (AgendaVersion, Delegation, Participant, ReportVersion)
_meetings = sa.table(
    "meetings",
    sa.column("id"),
    sa.column("content_version"),
    sa.column("agenda_published_at"),
)
_sessions = sa.table(
    "sessions",
    sa.column("id"),
    sa.column("meeting_id"),
    sa.column("ref"),
    sa.column("public"),
    sa.column("kind"),
)
_records = sa.table("records", sa.column("id"), sa.column("session_id"))
_versions = sa.table(
    "agenda_versions",
    sa.column("meeting_id"),
    sa.column("number"),
    sa.column("sessions", sa.JSON),
)
_UNKNOWN = object()


def _before_and_after(obj: Any, name: str, *, new: bool) -> tuple[Any, Any]:
    """An attribute's value before and after this flush; _UNKNOWN where it was not loaded."""
    history = sa.inspect(obj).attrs[name].history
    if history.unchanged:
        return history.unchanged[0], history.unchanged[0]
    after = history.added[0] if history.added else _UNKNOWN
    if new:
        return after, after
    return (history.deleted[0] if history.deleted else _UNKNOWN), after


def _publicly_shown(obj: Any, *, new: bool) -> bool:
    """Could this row, before or after the flush, appear on a public page?"""
    if isinstance(obj, Participant):
        # Only approved participants are ever named or counted in public.
        status = _before_and_after(obj, "status", new=new)
        return RegistrationStatus.APPROVED in status or _UNKNOWN in status
    if isinstance(obj, Session):
        public = _before_and_after(obj, "public", new=new)
        kind = _before_and_after(obj, "kind", new=new)
        return any(
            p is _UNKNOWN or k is _UNKNOWN or (p is not False and k is not SessionKind.CLOSED)
            for p, k in zip(public, kind, strict=True)
        )
    return True


class _Touched:
    """What one flush changed, sorted by how the public could see it."""

    def __init__(self) -> None:
        # Meetings whose change counts whatever their agenda holds.
        self.meetings: set[int] = set()
        # Meetings with draft changes that count only where the agenda was published before
        # versions were kept (the public pages then read the rows themselves).
        self.unversioned: set[int] = set()
        self.people_of: set[int] = set()  # sessions whose chairs or speakers changed
        # Refs the newest version may name: sessions that came or went (their record is found
        # by ref) and rooms whose name shows, by meeting.
        self.session_refs: dict[int, set[str]] = {}
        self.room_refs: dict[int, set[str]] = {}
        self.record_sessions: set[int] = set()
        self.outcome_records: set[int] = set()

    def __bool__(self) -> bool:
        return any(
            (
                self.meetings,
                self.unversioned,
                self.people_of,
                self.session_refs,
                self.room_refs,
                self.record_sessions,
                self.outcome_records,
            )
        )


def _refs(obj: Session | Room, *, new: bool, deleted: bool) -> set[str]:
    """The refs a session or room had or has, when it came, went or changed its ref."""
    before, after = _before_and_after(obj, "ref", new=new)
    if new or deleted or before != after:
        return {r for r in (before, after, obj.ref) if isinstance(r, str)}
    return set()


def _room_refs(room: Room, *, new: bool, deleted: bool) -> set[str]:
    refs = _refs(room, new=new, deleted=deleted)
    if not refs:
        before, after = _before_and_after(room, "name", new=new)
        if before != after:
            refs = {room.ref}
    return refs


def _touched(session: OrmSession) -> _Touched:
    found = _Touched()
    new = set(session.new)
    deleted = set(session.deleted)
    # A row is "dirty" when only a collection of it changed (a registration appended to the
    # meeting's participants): what counts is the new row, not the collection's owner.
    dirty = [o for o in session.dirty if session.is_modified(o, include_collections=False)]
    for obj in (*session.new, *dirty, *session.deleted):
        if isinstance(obj, Meeting):
            if obj.id is not None:
                found.meetings.add(obj.id)
        elif isinstance(obj, _BY_MEETING_ID):
            if obj.meeting_id is not None and _publicly_shown(obj, new=obj in new):
                found.meetings.add(obj.meeting_id)
        elif isinstance(obj, Session) and obj.meeting_id is not None:
            if _publicly_shown(obj, new=obj in new):
                found.unversioned.add(obj.meeting_id)
            refs = _refs(obj, new=obj in new, deleted=obj in deleted)
            if refs:
                found.session_refs.setdefault(obj.meeting_id, set()).update(refs)
        elif isinstance(obj, Room) and obj.meeting_id is not None:
            found.unversioned.add(obj.meeting_id)
            refs = _room_refs(obj, new=obj in new, deleted=obj in deleted)
            if refs:
                found.room_refs.setdefault(obj.meeting_id, set()).update(refs)
        elif isinstance(obj, SessionPerson):
            if obj.session_id is not None:
                found.people_of.add(obj.session_id)
        elif isinstance(obj, Record):
            if obj.session_id is not None:
                found.record_sessions.add(obj.session_id)
        elif isinstance(obj, Outcome) and obj.record_id is not None:
            found.outcome_records.add(obj.record_id)
    return found


def _public_session() -> Any:
    # As Session.is_public: unless stated otherwise, a session is public; closed ones never.
    return sa.and_(
        sa.or_(_sessions.c.public.is_(None), _sessions.c.public.is_(True)),
        _sessions.c.kind != SessionKind.CLOSED.value,
    )


def _without_versions() -> Any:
    """Meetings whose agenda is published but has no version: its rows are what is shown."""
    return sa.and_(
        _meetings.c.agenda_published_at.is_not(None),
        ~sa.exists().where(_versions.c.meeting_id == _meetings.c.id),
    )


def _newest_entries(connection: Any, meeting_id: int) -> list[dict[str, Any]] | None:
    """The sessions of the meeting's newest published version; None before the first."""
    entries = connection.execute(
        sa.select(_versions.c.sessions)
        .where(_versions.c.meeting_id == meeting_id)
        .order_by(_versions.c.number.desc())
        .limit(1)
    ).scalar()
    return list(entries) if entries is not None else None


def _shown(entry: dict[str, Any]) -> bool:
    # As the public session page shows it: public, never a closed kind.
    return bool(entry.get("public")) and entry.get("kind") != SessionKind.CLOSED.value


def _versioned(connection: Any, found: _Touched) -> set[int]:
    """Meetings whose newest version shows a session, record or room this flush changed."""
    records: dict[int, set[str]] = {}
    sessions = set(found.record_sessions)
    if found.outcome_records:
        sessions.update(
            connection.execute(
                sa.select(_records.c.session_id).where(_records.c.id.in_(found.outcome_records))
            ).scalars()
        )
    if sessions:
        for meeting_id, ref in connection.execute(
            sa.select(_sessions.c.meeting_id, _sessions.c.ref).where(_sessions.c.id.in_(sessions))
        ):
            records.setdefault(meeting_id, set()).add(ref)
    bump = set()
    for meeting_id in {*found.session_refs, *found.room_refs, *records} - found.meetings:
        entries = _newest_entries(connection, meeting_id)
        if entries is None:
            continue  # never published in versions: _without_versions() decides
        # A record shows on the page of a live public session; a session's ref links it.
        linked = {e["ref"] for e in entries if _shown(e) and not e.get("cancelled")}
        # Room names show wherever the public sees a session, cancelled ones too (calendars).
        rooms = {e["room"] for e in entries if _shown(e) and e.get("room")}
        if linked & (
            found.session_refs.get(meeting_id, set()) | records.get(meeting_id, set())
        ) or rooms & found.room_refs.get(meeting_id, set()):
            bump.add(meeting_id)
    return bump


def _any_of(ids: Iterable[int]) -> Any:
    ids = set(ids)
    return _meetings.c.id.in_(ids) if ids else sa.false()


_COUNT_CHANGE = (
    sa.update(_meetings)
    .where(_meetings.c.id == sa.bindparam("meeting_id"))
    .values(content_version=_meetings.c.content_version + 1)
)


def count_public_change(meeting_id: int) -> None:
    """Count a change the public sees that a Core statement made, out of the listener's
    sight (a registration written under the lock: registration/service.py); on PostgreSQL with
    the COMMIT (eventapp/batched.py)."""
    write_with_commit(_COUNT_CHANGE, {"meeting_id": meeting_id})


@event.listens_for(OrmSession, "after_flush")
def _bump_content_versions(session: OrmSession, flush_context: Any) -> None:
    found = _touched(session)
    if not found:
        return
    connection = session.connection()
    # People and records of a session count only where the session is public.
    public_sessions = sa.select(_sessions.c.meeting_id).where(_public_session())
    unversioned = sa.or_(
        _any_of(found.unversioned),
        _meetings.c.id.in_(public_sessions.where(_sessions.c.id.in_(found.people_of)))
        if found.people_of
        else sa.false(),
        _meetings.c.id.in_(
            public_sessions.join(_records, _records.c.session_id == _sessions.c.id).where(
                sa.or_(
                    _records.c.session_id.in_(found.record_sessions),
                    _records.c.id.in_(found.outcome_records),
                )
            )
        )
        if found.record_sessions or found.outcome_records
        else sa.false(),
    )
    ids = sa.or_(
        _any_of(found.meetings | _versioned(connection, found)),
        sa.and_(unversioned, _without_versions()),
    )
    connection.execute(
        sa.update(_meetings).where(ids).values(content_version=_meetings.c.content_version + 1)
    )


def _meetings_affected(entity: type, where: Any) -> sa.Select[Any] | None:
    """The ids of the meetings whose rows a bulk UPDATE or DELETE of `entity` touches."""
    if entity is Meeting:
        query = sa.select(Meeting.id)
    elif entity in (*_BY_MEETING_ID, Room, Session):
        # A bulk statement does not say which columns of which rows it changed: it counts.
        query = sa.select(entity.meeting_id)  # type: ignore[attr-defined]
    elif entity in (SessionPerson, Record):
        query = sa.select(Session.meeting_id).join(entity, entity.session_id == Session.id)  # type: ignore[attr-defined]
    elif entity is Outcome:
        query = (
            sa.select(Session.meeting_id)
            .join(Record, Record.session_id == Session.id)
            .join(Outcome, Outcome.record_id == Record.id)
        )
    else:
        return None
    return query.where(where) if where is not None else query


@event.listens_for(OrmSession, "do_orm_execute")
def _bump_for_bulk_changes(state: Any) -> None:
    """Bulk UPDATE and DELETE statements bypass the flush: count their meetings here."""
    if not (state.is_update or state.is_delete) or state.bind_mapper is None:
        return
    query = _meetings_affected(state.bind_mapper.class_, state.statement.whereclause)
    if query is None:
        return
    connection = state.session.connection()
    ids = {row[0] for row in connection.execute(query)}
    if ids:
        connection.execute(
            sa.update(_meetings)
            .where(_meetings.c.id.in_(ids))
            .values(content_version=_meetings.c.content_version + 1)
        )
