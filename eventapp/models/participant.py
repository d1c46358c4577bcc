"""Participants: one registration of one person for one meeting."""

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
    from .organisation import Delegation


class ParticipantRole(enum.StrEnum):
    HEAD_OF_DELEGATION = "head_of_delegation"
    DELEGATE = "delegate"
    OBSERVER = "observer"
    SPEAKER = "speaker"
    CHAIR = "chair"
    RAPPORTEUR = "rapporteur"
    ORGANISER = "organiser"
    SECRETARIAT = "secretariat"


# What a person may say they come as (themselves, or their focal point for them). The meeting's
# offices (chair, rapporteur, organiser, secretariat) are given by the organisers.
PARTICIPATION_ROLES = (
    ParticipantRole.HEAD_OF_DELEGATION,
    ParticipantRole.DELEGATE,
    ParticipantRole.OBSERVER,
    ParticipantRole.SPEAKER,
)


class RegistrationStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    WAITLISTED = "waitlisted"
    DECLINED = "declined"
    CANCELLED = "cancelled"


# The registrations that hold or wait for a seat: an organisation has one head of delegation
# among them (so never two approved), whoever registers them, and in imported documents too.
HEAD_SEAT_STATUSES = frozenset(
    {RegistrationStatus.PENDING, RegistrationStatus.WAITLISTED, RegistrationStatus.APPROVED}
)


def holds_head_seat(role: str | None, status: str | None) -> bool:
    """Whether a registration of that role and status is its organisation's head of delegation."""
    return role == ParticipantRole.HEAD_OF_DELEGATION.value and status in {
        s.value for s in HEAD_SEAT_STATUSES
    }


class Participant(Model):
    __tablename__ = "participants"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "ref"),
        sa.UniqueConstraint("meeting_id", "email_key"),
        sa.Index("ix_participants_meeting_status", "meeting_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    delegation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("delegations.id", ondelete="CASCADE"), index=True
    )
    ref: Mapped[str] = mapped_column(sa.String(64))
    honorific: Mapped[str | None] = mapped_column(sa.String(40))
    given_name: Mapped[str] = mapped_column(sa.String(120))
    family_name: Mapped[str] = mapped_column(sa.String(120))
    position: Mapped[str | None] = mapped_column(sa.String(300))
    email: Mapped[str] = mapped_column(sa.String(254))
    # Lower-cased address: one registration per person and meeting, and the link to accounts.
    email_key: Mapped[str] = mapped_column(sa.String(254), index=True)
    role: Mapped[ParticipantRole] = mapped_column(enum_column(ParticipantRole, "role"))
    status: Mapped[RegistrationStatus] = mapped_column(enum_column(RegistrationStatus, "status"))
    # Optional answers stay None when not given, so exports say only what was said.
    funded: Mapped[bool | None]
    needs_visa_letter: Mapped[bool | None]
    dietary: Mapped[str | None] = mapped_column(sa.String(300))
    accessibility: Mapped[str | None] = mapped_column(sa.String(300))
    list_consent: Mapped[bool | None]
    # The language of every message to this person (schema `language`: en, fr, es).
    language: Mapped[str | None] = mapped_column(sa.String(2))
    # Asked for; `funded` is the organisers' decision.
    travel_support_requested: Mapped[bool | None]
    # The organisers' note on their travel-support decision (`funded`), shown to the person.
    travel_support_note: Mapped[str | None] = mapped_column(sa.String(500))
    # The focal point who nominated this person, if one did (their account).
    nominated_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )
    # When the person erased their registration: their details are gone, the row stays for
    # what refers to it (the agenda, outcomes, the audit log) under a neutral name.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    registered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    meeting: Mapped[Meeting] = relationship(
        back_populates="participants", foreign_keys=[meeting_id]
    )
    delegation: Mapped[Delegation] = relationship(back_populates="participants")

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"
