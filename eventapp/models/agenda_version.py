"""Published versions of a meeting's agenda: immutable once written.

The sessions table is the organisers' draft; a version is the agenda as it was published, every
session of it (closed and cancelled ones too) with the sequence calendars follow, and the
changes since the version before.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class Change(enum.StrEnum):
    """What a version did to a session, against the version before."""

    ADDED = "added"
    CANCELLED = "cancelled"
    MOVED = "moved"
    RETITLED = "retitled"
    CHANGED = "changed"


class AgendaVersion(Model):
    __tablename__ = "agenda_versions"
    # The number is claimed under the meeting's lock; the constraint is the last word.
    __table_args__ = (sa.UniqueConstraint("meeting_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    number: Mapped[int]
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by: Mapped[str | None] = mapped_column(sa.String(254))
    # Every session as published, in agenda order (see agenda/versions.py for the keys).
    sessions: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    # [{"ref", "title", "change"}] against the version before; every session "added" in the first.
    changes: Mapped[list[dict[str, str]]] = mapped_column(sa.JSON)
