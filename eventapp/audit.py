"""Writing and reading the audit log: one call from each service that changes something."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from .extensions import db
from .models import AuditEntry, Meeting, User

SYSTEM_ACTOR = "system (command line)"


def current_actor() -> User | None:
    """The signed-in account of this request, if any (None on the command line)."""
    from flask import has_request_context

    if not has_request_context():
        return None
    from flask import g
    from flask_login import current_user

    user = getattr(g, "api_user", None) or current_user
    return user if getattr(user, "is_authenticated", False) else None


def log(
    action: str,
    *,
    meeting: Meeting | None = None,
    target: str | None = None,
    details: dict[str, Any] | None = None,
    actor: User | None = None,
) -> AuditEntry:
    """Record a change; flushed with the change itself, so both commit or neither does."""
    actor = actor or current_actor()
    entry = AuditEntry(
        actor_id=actor.id if actor else None,
        actor=actor.email if actor else SYSTEM_ACTOR,
        meeting_id=meeting.id if meeting else None,
        action=action,
        target=target,
        details=details,
    )
    db.session.add(entry)
    return entry


def meeting_log(
    meeting: Meeting, *, limit: int = 200, before_id: int | None = None
) -> list[AuditEntry]:
    """A meeting's log, newest first."""
    query = sa.select(AuditEntry).where(AuditEntry.meeting_id == meeting.id)
    if before_id is not None:
        query = query.where(AuditEntry.id < before_id)
    return list(db.session.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)))
