"""Work that leaves after the commit: the mail outbox, and the attempts the rate limits count."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import Model
from .types import UTCDateTime, utcnow


class OutboxMessage(Model):
    """One e-mail, stored with the change that caused it and deleted once delivered."""

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The envelope recipient: an A-label domain, or UTF-8 where the local part needs it.
    recipient: Mapped[str] = mapped_column(sa.String(320))
    # The message as it leaves; None until a notice is written (at its first delivery).
    message: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    # What a notice says, to be written in the recipient's language when it leaves: writing a
    # message costs more than the change that causes it, and it is no work for a locked meeting.
    notice: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    attempts: Mapped[int] = mapped_column(default=0)
    # Due from then on; a deliverer moves it forward while it holds the row (a lease).
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    last_error: Mapped[str | None] = mapped_column(sa.String(500))


class Attempt(Model):
    """One counted attempt under a rate limit (a failed sign-in, a reset request...).

    Kept in the database so that every worker counts the same attempts.
    """

    __tablename__ = "attempts"
    __table_args__ = (sa.Index("ix_attempts_key_at", "key", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(400))
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
