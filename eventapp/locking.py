"""The meeting lock: one order of locks for every change to a meeting's content.

Registrations, sessions, records and whole-meeting replacements all change rows that belong to
one meeting, and every flush also raises the meeting's version. If one transaction locked a
session first and the meeting second while another did the opposite, PostgreSQL would find a
deadlock. So every writer takes the meeting's row first, before any other write: writers of one
meeting queue behind each other and nothing else can come between them.
"""

from __future__ import annotations

from typing import cast

import sqlalchemy as sa

from .extensions import db
from .models import Meeting


class MeetingChanged(LookupError):
    """What the request refers to was removed or replaced while it waited for the meeting."""


_meetings = cast(sa.Table, Meeting.__table__)
# Built once: every registration takes it.
_LOCK = (
    sa.update(_meetings)
    .where(_meetings.c.id == sa.bindparam("meeting_id"))
    .values(id=_meetings.c.id)
)
# On PostgreSQL a row lock needs no write: FOR NO KEY UPDATE waits for, and holds off, every
# other lock of the row and every UPDATE of it, as the UPDATE above does, without making a
# new version of the meeting's row at each registration (thousands of dead versions that
# every later read of the meeting steps over until a vacuum).
_LOCK_ROW = (
    sa.select(_meetings.c.id)
    .where(_meetings.c.id == sa.bindparam("meeting_id"))
    .with_for_update(key_share=True)
)


def lock_meeting(meeting: Meeting, *, read_again: bool = True) -> None:
    """Hold the meeting's row until the transaction ends (row lock, or SQLite's write lock).

    The meeting is read again once locked: what an earlier read cached may have changed while
    the request waited. `read_again=False`: the caller reads what it needs of the meeting
    itself, in its own first statement under the lock (a registration's limits).

    On SQLite an UPDATE that changes nothing takes the database lock, being a write; on
    PostgreSQL, SELECT … FOR NO KEY UPDATE takes the row's lock. Either waits for any other
    writer of the meeting instead of racing it. Core, not ORM: taking a lock is not a change
    of the meeting's content (see models/content.py).
    """
    connection = db.session.connection()
    statement = _LOCK_ROW if connection.dialect.name == "postgresql" else _LOCK
    connection.execute(statement, {"meeting_id": meeting.id})
    if read_again:
        db.session.refresh(meeting)
