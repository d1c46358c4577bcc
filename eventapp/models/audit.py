"""The audit log: who changed what, and when."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, validates

from ..extensions import Model
from .types import UTCDateTime, utcnow

TARGET_LENGTH = 300


class AuditEntry(Model):
    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_meeting_at", "meeting_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The actor is kept by address as well, so the log survives the account's removal.
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    actor: Mapped[str] = mapped_column(sa.String(254))
    # No foreign key: a meeting's log outlives the meeting's rows.
    meeting_id: Mapped[int | None]
    action: Mapped[str] = mapped_column(sa.String(64))
    target: Mapped[str | None] = mapped_column(sa.String(TARGET_LENGTH))
    details: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    @validates("target")
    def _shortened(self, key: str, value: str | None) -> str | None:
        return shortened_target(value)


def shortened_target(value: str | None) -> str | None:
    """A target is built from a title or an address and only names the thing: a long one is
    cut, on purpose, rather than refused with the change it records."""
    if value is not None and len(value) > TARGET_LENGTH:
        return value[: TARGET_LENGTH - 1] + "…"
    return value
