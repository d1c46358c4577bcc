"""A session's record, written by its rapporteur, and the outcomes it states."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from .agenda import Session
    from .organisation import Delegation
    from .participant import Participant


class RecordStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"


class OutcomeKind(enum.StrEnum):
    DECISION = "decision"
    RECOMMENDATION = "recommendation"
    CONCLUSION = "conclusion"
    ACTION = "action"
    STATEMENT = "statement"


class Record(Model):
    __tablename__ = "records"
    __table_args__ = (sa.CheckConstraint("attendance >= 0", name="attendance_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        sa.ForeignKey("sessions.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[RecordStatus] = mapped_column(enum_column(RecordStatus, "status"))
    summary: Mapped[str | None] = mapped_column(sa.Text)
    attendance: Mapped[int | None]
    translations: Mapped[dict[str, dict[str, str]] | None] = mapped_column(sa.JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    session: Mapped[Session] = relationship(back_populates="record")
    outcomes: Mapped[list[Outcome]] = relationship(
        back_populates="record", cascade="all, delete-orphan", order_by="Outcome.position"
    )

    @property
    def approved(self) -> bool:
        return self.status is RecordStatus.APPROVED


class Outcome(Model):
    __tablename__ = "outcomes"

    id: Mapped[int] = mapped_column(primary_key=True)
    record_id: Mapped[int] = mapped_column(
        sa.ForeignKey("records.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(default=0)
    kind: Mapped[OutcomeKind] = mapped_column(enum_column(OutcomeKind, "kind"))
    text: Mapped[str] = mapped_column(sa.Text)
    owner_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("delegations.id", ondelete="SET NULL"), index=True
    )
    due: Mapped[date | None]
    done: Mapped[bool | None]
    speaker_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("participants.id", ondelete="SET NULL"), index=True
    )
    translations: Mapped[dict[str, dict[str, str]] | None] = mapped_column(sa.JSON)

    record: Mapped[Record] = relationship(back_populates="outcomes")
    owner: Mapped[Delegation | None] = relationship()
    speaker: Mapped[Participant | None] = relationship()
