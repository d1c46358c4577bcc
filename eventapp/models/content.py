"""Keeping Meeting.content_version in step with every change to what a meeting shows.

One listener on every flush, rather than a call in each service: a change cannot forget it.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession

from .agenda import Room, Session, SessionPerson
from .meeting import Meeting
from .organisation import Delegation
from .participant import Participant
from .record import Outcome, Record
from .report import ReportVersion

_BY_MEETING_ID = (Delegation, Participant, Room, Session, ReportVersion)
_meetings = sa.table("meetings", sa.column("id"), sa.column("content_version"))
_sessions = sa.table("sessions", sa.column("id"), sa.column("meeting_id"))
_records = sa.table("records", sa.column("id"), sa.column("session_id"))


def _touched(session: OrmSession) -> tuple[set[int], set[int], set[int]]:
    meetings: set[int] = set()
    sessions: set[int] = set()
    records: set[int] = set()
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, Meeting):
            if obj.id is not None:
                meetings.add(obj.id)
        elif isinstance(obj, _BY_MEETING_ID):
            if obj.meeting_id is not None:
                meetings.add(obj.meeting_id)
        elif isinstance(obj, SessionPerson | Record):
            if obj.session_id is not None:
                sessions.add(obj.session_id)
        elif isinstance(obj, Outcome) and obj.record_id is not None:
            records.add(obj.record_id)
    return meetings, sessions, records


@event.listens_for(OrmSession, "after_flush")
def _bump_content_versions(session: OrmSession, flush_context: Any) -> None:
    meetings, sessions, records = _touched(session)
    if not (meetings or sessions or records):
        return
    ids = sa.or_(
        _meetings.c.id.in_(meetings) if meetings else sa.false(),
        _meetings.c.id.in_(sa.select(_sessions.c.meeting_id).where(_sessions.c.id.in_(sessions)))
        if sessions
        else sa.false(),
        _meetings.c.id.in_(
            sa.select(_sessions.c.meeting_id)
            .join(_records, _records.c.session_id == _sessions.c.id)
            .where(_records.c.id.in_(records))
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
