"""The meeting's action items: every outcome of kind `action` its records state.

One read model for whoever follows the actions up (the API now, the organisers' tracker next).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from ..extensions import db
from ..models import Delegation, Meeting, Outcome, OutcomeKind, Record, RecordStatus, Session


class UnknownOwner(LookupError):
    """The filter names no organisation of the meeting."""


@dataclass(frozen=True)
class ActionItem:
    """An action as its record states it, with the session it was agreed in."""

    session: str  # the session's ref
    text: str
    owner: str | None  # the organisation's ref
    due: date | None
    done: bool
    record_status: RecordStatus

    def as_dict(self) -> dict[str, Any]:
        """As the API answers it (contract 4.5)."""
        return {
            "session": self.session,
            "text": self.text,
            "owner": self.owner,
            "due": self.due.isoformat() if self.due else None,
            "done": self.done,
            "record_status": self.record_status.value,
        }


def action_items(meeting: Meeting, *, owner: str | None = None) -> list[ActionItem]:
    """Every action of the meeting's records, whatever their status, in agenda order; only
    those of the organisation with the ref `owner` if given (UnknownOwner if none has it)."""
    owners = aliased(Delegation)
    query = (
        sa.select(Session.ref, Outcome.text, owners.ref, Outcome.due, Outcome.done, Record.status)
        .join(Record, Record.session_id == Session.id)
        .join(Outcome, Outcome.record_id == Record.id)
        .outerjoin(owners, owners.id == Outcome.owner_id)
        .where(Session.meeting_id == meeting.id, Outcome.kind == OutcomeKind.ACTION)
        .order_by(Session.start_local, Session.id, Outcome.position, Outcome.id)
    )
    if owner is not None:
        known = db.session.scalar(
            sa.select(Delegation.id).where(
                Delegation.meeting_id == meeting.id, Delegation.ref == owner
            )
        )
        if known is None:
            raise UnknownOwner(_("The meeting has no organisation “%(ref)s”.", ref=owner))
        query = query.where(Outcome.owner_id == known)
    return [
        ActionItem(ref, text, owner_ref, due, bool(done), status)
        for ref, text, owner_ref, due, done, status in db.session.execute(query)
    ]
