"""The rules of focal points: who speaks for which delegation.

The rules of nominating people (quota, one head of delegation, only one's own organisation)
are the registration service's, the same for the web, the API and the importer.
"""

from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import audit
from ..accounts.service import AccountError, find_or_invite
from ..extensions import db
from ..locking import lock_meeting
from ..models import Delegation, FocalPoint, Meeting, User


class FocalPointError(AccountError):
    """A focal point that cannot be named as asked."""


def delegation(meeting: Meeting, ref: str) -> Delegation | None:
    """The meeting's delegation `ref`, or None."""
    return db.session.scalar(
        sa.select(Delegation).where(Delegation.meeting_id == meeting.id, Delegation.ref == ref)
    )


def focal_points(delegation: Delegation) -> list[FocalPoint]:
    return list(delegation.focal_points)


def appoint_focal_point(
    meeting: Meeting, delegation: Delegation, email: str
) -> tuple[User, FocalPoint | None]:
    """Make the account of `email` (made without a password if new) a focal point of the
    delegation; the FocalPoint, or None if it is one already. The caller tells them."""
    if delegation.meeting_id != meeting.id:
        raise FocalPointError(_("This organisation is not one of the meeting's."))
    if not delegation.confirmed:
        raise FocalPointError(
            _(
                "%(organisation)s is not confirmed yet: confirm it on the organisations page "
                "before naming its focal points.",
                organisation=delegation.display_name,
            )
        )
    user = find_or_invite(email)
    lock_meeting(meeting)
    existing = db.session.scalar(
        sa.select(FocalPoint).where(
            FocalPoint.user_id == user.id, FocalPoint.delegation_id == delegation.id
        )
    )
    if existing is not None:
        return user, None
    appointment = FocalPoint(user=user, delegation=delegation)
    db.session.add(appointment)
    audit.log(
        "delegation.focal_point_named",
        meeting=meeting,
        target=user.email,
        details={"organisation": delegation.ref},
    )
    db.session.flush()
    return user, appointment


def dismiss_focal_point(meeting: Meeting, delegation: Delegation, user: User) -> bool:
    """The account no longer speaks for the delegation; False if it did not."""
    lock_meeting(meeting)
    existing = db.session.scalar(
        sa.select(FocalPoint).where(
            FocalPoint.user_id == user.id, FocalPoint.delegation_id == delegation.id
        )
    )
    if existing is None:
        return False
    db.session.delete(existing)
    audit.log(
        "delegation.focal_point_removed",
        meeting=meeting,
        target=user.email,
        details={"organisation": delegation.ref},
    )
    db.session.flush()
    return True
