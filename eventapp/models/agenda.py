"""Rooms and sessions: the agenda, in the meeting's local time."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, enum_column

if TYPE_CHECKING:
    from .meeting import Meeting
    from .participant import Participant
    from .record import Record


class SessionKind(enum.StrEnum):
    PLENARY = "plenary"
    BREAKOUT = "breakout"
    PANEL = "panel"
    CLOSED = "closed"
    SIDE_EVENT = "side_event"
    CEREMONY = "ceremony"
    BREAK = "break"


class SessionRole(enum.StrEnum):
    CHAIR = "chair"
    SPEAKER = "speaker"


class Room(Model):
    __tablename__ = "rooms"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "ref"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(300))
    capacity: Mapped[int | None]

    meeting: Mapped[Meeting] = relationship(back_populates="rooms")


class Session(Model):
    """One item of the agenda. Times are wall-clock in the meeting's zone; UTC is derived."""

    __tablename__ = "sessions"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "ref"),
        sa.CheckConstraint("end_local > start_local", name="end_after_start"),
        sa.Index("ix_sessions_meeting_start", "meeting_id", "start_local"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    ref: Mapped[str] = mapped_column(sa.String(64))
    number: Mapped[str | None] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(300))
    kind: Mapped[SessionKind] = mapped_column(enum_column(SessionKind, "kind"))
    description: Mapped[str | None] = mapped_column(sa.Text)
    start_local: Mapped[datetime]
    end_local: Mapped[datetime]
    start_utc: Mapped[datetime] = mapped_column(UTCDateTime)
    end_utc: Mapped[datetime] = mapped_column(UTCDateTime)
    room_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("rooms.id", ondelete="SET NULL"), index=True
    )
    # None: not stated, which means public (schema default) unless the kind is closed.
    public: Mapped[bool | None]
    rapporteur_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("participants.id", ondelete="SET NULL"), index=True
    )
    translations: Mapped[dict[str, dict[str, str]] | None] = mapped_column(sa.JSON)
    # Set when an organiser cancels the session: it stays, with its record, as cancelled.
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    meeting: Mapped[Meeting] = relationship(back_populates="sessions")
    room: Mapped[Room | None] = relationship()
    rapporteur: Mapped[Participant | None] = relationship()
    people: Mapped[list[SessionPerson]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="SessionPerson.position"
    )
    record: Mapped[Record | None] = relationship(
        back_populates="session", cascade="all, delete-orphan", uselist=False
    )

    @property
    def is_public(self) -> bool:
        """Shown on public pages, calendars and exports: closed sessions never are."""
        return self.public is not False and self.kind is not SessionKind.CLOSED

    def _people(self, role: SessionRole) -> list[Participant]:
        return [p.participant for p in self.people if p.role is role]

    @property
    def chairs(self) -> list[Participant]:
        return self._people(SessionRole.CHAIR)

    @property
    def speakers(self) -> list[Participant]:
        return self._people(SessionRole.SPEAKER)


class SessionPerson(Model):
    """A participant's part in a session: chair or speaker, in agenda order."""

    __tablename__ = "session_people"

    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[SessionRole] = mapped_column(enum_column(SessionRole, "role"), primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        sa.ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int] = mapped_column(default=0)

    session: Mapped[Session] = relationship(back_populates="people")
    participant: Mapped[Participant] = relationship()
