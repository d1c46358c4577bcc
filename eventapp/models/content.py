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
