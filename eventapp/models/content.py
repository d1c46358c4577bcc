"""Keeping Meeting.content_version in step with every change to what the public sees of it.

One listener on every flush, rather than a call in each service: a change cannot forget it.
The version keys the public pages and exports (pagecache.py), so it counts changes the
public could see and no others: a pending registration or the draft record of a closed session
leaves every public page, and its ETag, as it was. Where a flush does not say enough to be
sure, the change counts.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from .agenda import Room, Session, SessionKind, SessionPerson
from .agenda_version import AgendaVersion
from .meeting import Meeting
from .organisation import Delegation
from .participant import Participant, RegistrationStatus
from .record import Outcome, Record
from .report import ReportVersion

_BY_MEETING_ID = (AgendaVersion, Delegation, Participant, Room, Session, ReportVersion)
_meetings = sa.table("meetings", sa.column("id"), sa.column("content_version"))
_sessions = sa.table(
    "sessions", sa.column("id"), sa.column("meeting_id"), sa.column("public"), sa.column("kind")
)
_records = sa.table("records", sa.column("id"), sa.column("session_id"))
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


def _touched(session: OrmSession) -> tuple[set[int], set[int], set[int]]:
    meetings: set[int] = set()
    sessions: set[int] = set()
    records: set[int] = set()
    new = set(session.new)
    # A row is "dirty" when only a collection of it changed (a registration appended to the
    # meeting's participants): what counts is the new row, not the collection's owner.
    dirty = [o for o in session.dirty if session.is_modified(o, include_collections=False)]
    for obj in (*session.new, *dirty, *session.deleted):
        if isinstance(obj, Meeting):
            if obj.id is not None:
                meetings.add(obj.id)
        elif isinstance(obj, _BY_MEETING_ID):
            if obj.meeting_id is not None and _publicly_shown(obj, new=obj in new):
                meetings.add(obj.meeting_id)
        elif isinstance(obj, SessionPerson | Record):
            if obj.session_id is not None:
                sessions.add(obj.session_id)
        elif isinstance(obj, Outcome) and obj.record_id is not None:
            records.add(obj.record_id)
    return meetings, sessions, records


def _public_session() -> Any:
    # As Session.is_public: unless stated otherwise, a session is public; closed ones never.
    return sa.and_(
        sa.or_(_sessions.c.public.is_(None), _sessions.c.public.is_(True)),
        _sessions.c.kind != SessionKind.CLOSED.value,
    )


@event.listens_for(OrmSession, "after_flush")
def _bump_content_versions(session: OrmSession, flush_context: Any) -> None:
    meetings, sessions, records = _touched(session)
    if not (meetings or sessions or records):
        return
    # People and records of a session count only where the session is public.
    ids = sa.or_(
        _meetings.c.id.in_(meetings) if meetings else sa.false(),
        _meetings.c.id.in_(
            sa.select(_sessions.c.meeting_id).where(_sessions.c.id.in_(sessions), _public_session())
        )
        if sessions
        else sa.false(),
        _meetings.c.id.in_(
            sa.select(_sessions.c.meeting_id)
            .join(_records, _records.c.session_id == _sessions.c.id)
            .where(_records.c.id.in_(records), _public_session())
        )
        if records
        else sa.false(),
    )
    session.connection().execute(
        sa.update(_meetings).where(ids).values(content_version=_meetings.c.content_version + 1)
    )


def _meetings_affected(entity: type, where: Any) -> sa.Select[Any] | None:
    """The ids of the meetings whose rows a bulk UPDATE or DELETE of `entity` touches."""
    if entity is Meeting:
        query = sa.select(Meeting.id)
    elif entity in _BY_MEETING_ID:
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
