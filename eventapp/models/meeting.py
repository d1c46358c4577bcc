"""The meeting: dates, place, time zone and the rules that govern registration."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .. import localtime
from ..extensions import Model
from .types import UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from .agenda import Room, Session
    from .organisation import Delegation
    from .participant import Participant


class Approval(enum.StrEnum):
    MANUAL = "manual"
    AUTOMATIC = "automatic"


class Meeting(Model):
    __tablename__ = "meetings"
    __table_args__ = (sa.CheckConstraint("end_date >= start_date", name="dates_in_order"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    short_title: Mapped[str | None] = mapped_column(sa.String(80))
    document_symbol: Mapped[str | None] = mapped_column(sa.String(80))
    host: Mapped[str | None] = mapped_column(sa.String(300))
    description: Mapped[str | None] = mapped_column(sa.Text)
    venue_name: Mapped[str | None] = mapped_column(sa.String(300))
    venue_city: Mapped[str | None] = mapped_column(sa.String(120))
    venue_country: Mapped[str | None] = mapped_column(sa.String(2))
    timezone: Mapped[str] = mapped_column(sa.String(64))
    start_date: Mapped[date]
    end_date: Mapped[date]
    # JSON lists/maps: None means "not stated", which exports differently from empty.
    languages: Mapped[list[str] | None] = mapped_column(sa.JSON)
    registration_opens: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registration_closes: Mapped[datetime | None] = mapped_column(UTCDateTime)
    capacity: Mapped[int | None]
    quotas: Mapped[dict[str, int] | None] = mapped_column(sa.JSON)
    approval: Mapped[Approval | None] = mapped_column(enum_column(Approval, "approval"))
    # The schema's `translations` (language -> field -> text), kept as given for the export.
    translations: Mapped[dict[str, dict[str, str]] | None] = mapped_column(sa.JSON)
    chair_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("participants.id", use_alter=True, ondelete="SET NULL")
    )
    agenda_published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Raised by every flush that changes anything shown about the meeting (see content.py):
    # what caches of its pages are keyed by.
    # When the organisers purged the participants' personal details (after the meeting).
    personal_data_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    content_version: Mapped[int] = mapped_column(default=1, server_default="1")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    chair: Mapped[Participant | None] = relationship(foreign_keys=[chair_id], post_update=True)
    delegations: Mapped[list[Delegation]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="Delegation.id"
    )
    participants: Mapped[list[Participant]] = relationship(
        back_populates="meeting",
        cascade="all, delete-orphan",
        foreign_keys="Participant.meeting_id",
        order_by="Participant.id",
    )
    rooms: Mapped[list[Room]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="Room.id"
    )
    sessions: Mapped[list[Session]] = relationship(
        back_populates="meeting", cascade="all, delete-orphan", order_by="Session.id"
    )

    @property
    def zone(self) -> ZoneInfo:
        return localtime.zone(self.timezone)

    @property
    def approval_rule(self) -> Approval:
        return self.approval or Approval.MANUAL

    def quota_for(self, kind: str) -> int | None:
        """Most approved participants per organisation of this kind; None: no limit."""
        return (self.quotas or {}).get(kind)

    def __repr__(self) -> str:
        return f"<Meeting {self.slug}>"

    def venue(self) -> dict[str, Any]:
        return {"name": self.venue_name, "city": self.venue_city, "country": self.venue_country}
