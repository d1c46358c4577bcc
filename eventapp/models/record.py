"""A session's record, written by its rapporteur, and the outcomes it states."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from .account import User
    from .agenda import Session
    from .organisation import Delegation
    from .participant import Participant


class RecordStatus(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"


class RevisionChange(enum.StrEnum):
    """How a revision of a record came to be."""

    SAVED = "saved"  # written whole, in the editor or by PUT
    RETURNED = "returned"  # sent back to draft by the chair or an organiser, with a comment
    REOPENED = "reopened"  # an approved record opened again by them, with a reason
    # The record as it stood before its first save here (imported, or written before
    # revisions were kept): its author is not known.
    EARLIER = "earlier"
    RESTORED = "restored"  # an earlier revision's content saved again, as a new revision
    # An action item marked done or not done from the action tracker: the record's status
    # stays as it was, since following an action up is not a change to what was agreed.
    FOLLOWED_UP = "followed-up"


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


class RecordRevision(Model):
    """A record as one save left it: written once, never changed.

    Kept by session, not by record: a save replaces the record's row, never its history.
    The number is claimed under the meeting's lock; the constraint is the last word.
    """

    __tablename__ = "record_revisions"
    __table_args__ = (sa.UniqueConstraint("session_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(sa.ForeignKey("sessions.id", ondelete="CASCADE"))
    number: Mapped[int]
    saved_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The writer is kept by address as well, so the history survives the account's removal;
    # both are empty for an EARLIER revision, whose author is not known.
    saved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    saved_by: Mapped[str | None] = mapped_column(sa.String(254))
    change: Mapped[RevisionChange] = mapped_column(enum_column(RevisionChange, "change"))
    status: Mapped[RecordStatus] = mapped_column(enum_column(RecordStatus, "status"))
    # The chair's or organiser's words to the rapporteur when they return or reopen it.
    comment: Mapped[str | None] = mapped_column(sa.Text)
    # The record as the schema writes it (interchange.exporter.record_document).
    document: Mapped[dict[str, Any]] = mapped_column(sa.JSON)

    account: Mapped[User | None] = relationship()
