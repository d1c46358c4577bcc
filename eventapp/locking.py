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


def lock_meeting(meeting: Meeting, *, read_again: bool = True) -> None:
    """Hold the meeting's row until the transaction ends (row lock, or SQLite's write lock).

    The meeting is read again once locked: what an earlier read cached may have changed while
    the request waited. `read_again=False`: the caller reads what it needs of the meeting
    itself, in its own first statement under the lock (a registration's limits).

    An UPDATE that changes nothing takes PostgreSQL's row lock and, being a write, SQLite's
    database lock; it waits for any other writer of the meeting instead of racing it. Core,
    not ORM: taking a lock is not a change of the meeting's content (see models/content.py).
    """
    db.session.connection().execute(_LOCK, {"meeting_id": meeting.id})
    if read_again:
        db.session.refresh(meeting)
