"""Published report versions: immutable once written."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, enum_column, utcnow


class ReportKind(enum.StrEnum):
    CHAIR_SUMMARY = "chair-summary"
    FULL_REPORT = "full-report"


class ReportVersion(Model):
    __tablename__ = "report_versions"
    __table_args__ = (sa.UniqueConstraint("meeting_id", "kind", "language", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    meeting_id: Mapped[int] = mapped_column(sa.ForeignKey("meetings.id", ondelete="RESTRICT"))
    kind: Mapped[ReportKind] = mapped_column(enum_column(ReportKind, "kind"))
    language: Mapped[str] = mapped_column(sa.String(2))
    version: Mapped[int]
    sha256: Mapped[str] = mapped_column(sa.String(64))
    # Relative to REPORTS_DIR, so the store can move.
    filename: Mapped[str] = mapped_column(sa.String(300))
    size: Mapped[int]
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    published_by: Mapped[str | None] = mapped_column(sa.String(254))
