"""Organisations and their delegations to meetings.

An organisation is one entity across meetings, so that a network's history can be followed;
its delegation to a meeting carries the meeting's own reference and the details as stated then.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import Model
from .types import UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from .account import User
    from .meeting import Meeting
    from .participant import Participant


class OrganisationKind(enum.StrEnum):
    WEN = "wen"
    COUNTRY = "country"
    IGO = "igo"
    CSO = "cso"
    DONOR = "donor"
    OTHER = "other"


# The order in which lists of participants and attendance tables present the kinds.
KIND_ORDER: tuple[OrganisationKind, ...] = tuple(OrganisationKind)


class Organisation(Model):
    __tablename__ = "organisations"
    __table_args__ = (sa.UniqueConstraint("kind", "name_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrganisationKind] = mapped_column(enum_column(OrganisationKind, "kind"))
    name: Mapped[str] = mapped_column(sa.String(300))
    # Case- and space-folded name: how a returning organisation is recognised. Case folding may
    # triple a character ("ﬃ" is "ffi"), so the key is three times the name's 300.
    name_key: Mapped[str] = mapped_column(sa.String(900))
    acronym: Mapped[str | None] = mapped_column(sa.String(40))
    country: Mapped[str | None] = mapped_column(sa.String(2))

    delegations: Mapped[list[Delegation]] = relationship(back_populates="organisation")

    @staticmethod
    def key_for(name: str) -> str:
        return " ".join(name.casefold().split())


class Delegation(Model):
    """An organisation at one meeting: the unit that quotas count."""

    __tablename__ = "delegations"
    __table_args__ = (
        sa.UniqueConstraint("meeting_id", "ref"),
        sa.CheckConstraint("quota >= 0", name="quota_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"), index=True)
    ref: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(300))
    acronym: Mapped[str | None] = mapped_column(sa.String(40))
    kind: Mapped[OrganisationKind] = mapped_column(enum_column(OrganisationKind, "kind"))
    country: Mapped[str | None] = mapped_column(sa.String(2))
    members: Mapped[list[str] | None] = mapped_column(sa.JSON)
    website: Mapped[str | None] = mapped_column(sa.String(300))
    # The organisers' override of its kind's quota for this organisation; None: the kind's.
    quota: Mapped[int | None]
    # False while it is only a registrant's "my organisation is not listed": hidden from the
    # public and from others' registration form, its people pending, until an organiser
    # confirms it or merges it into another.
    confirmed: Mapped[bool] = mapped_column(default=True, server_default=sa.true())

    meeting: Mapped[Meeting] = relationship(back_populates="delegations")
    organisation: Mapped[Organisation] = relationship(back_populates="delegations")
    participants: Mapped[list[Participant]] = relationship(back_populates="delegation")
    # Gone with the delegation, by the database's ON DELETE CASCADE (never loaded to delete).
    focal_points: Mapped[list[FocalPoint]] = relationship(
        back_populates="delegation",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="FocalPoint.id",
    )
    letters: Mapped[list[NominationLetter]] = relationship(
        back_populates="delegation",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="NominationLetter.id.desc()",
    )

    def seat_quota(self) -> int | None:
        """Most approved participants of this delegation: its own quota, else its kind's."""
        return self.quota_of(self.quota, self.meeting.quotas, self.kind)

    @staticmethod
    def quota_of(own: int | None, kind_quotas: dict[str, int] | None, kind: str) -> int | None:
        """seat_quota from the columns: the delegation's quota, else the meeting's for its kind."""
        return own if own is not None else (kind_quotas or {}).get(kind)

    @property
    def display_name(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym else self.name


class FocalPoint(Model):
    """An account that speaks for a delegation: it nominates the delegation's people."""

    __tablename__ = "focal_points"
    __table_args__ = (sa.UniqueConstraint("user_id", "delegation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    delegation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("delegations.id", ondelete="CASCADE"), index=True
    )
    appointed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
    delegation: Mapped[Delegation] = relationship(back_populates="focal_points")


class NominationLetter(Model):
    """A delegation's letter of nomination: the file lives outside the database, in a folder
    named by content (its SHA-256), and is served only to organisers and the focal points."""

    __tablename__ = "nomination_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    delegation_id: Mapped[int] = mapped_column(
        sa.ForeignKey("delegations.id", ondelete="CASCADE"), index=True
    )
    sha256: Mapped[str] = mapped_column(sa.String(64))
    # The name it was uploaded under, shown to people; never used as a path.
    filename: Mapped[str] = mapped_column(sa.String(255))
    size: Mapped[int]
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    delegation: Mapped[Delegation] = relationship(back_populates="letters")
    uploaded_by: Mapped[User | None] = relationship()
