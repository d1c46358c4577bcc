"""What a delegation's focal points do with its people: nominate, replace, withdraw, and
name its one head of delegation.

The rules of a registration (quota, waiting list, one head, one's own organisation only) are
the registration service's; this module says who acts and reads the delegation as its page
shows it. Everything here only flushes: the request commits, then the people are told.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from .. import audit
from ..accounts.permissions import is_organiser
from ..extensions import db
from ..locking import lock_meeting
from ..models import (
    PARTICIPATION_ROLES,
    Delegation,
    Meeting,
    Participant,
    ParticipantRole,
    RegistrationStatus,
    User,
)
from ..registration import service as registration

HEAD = ParticipantRole.HEAD_OF_DELEGATION
# The registrations that hold or wait for a seat: those a focal point may replace or withdraw.
SEATED = registration.TRANSITIONS["cancel"]

__all__ = [
    "PARTICIPATION_ROLES",
    "NotAMember",
    "Seats",
    "confirmed_delegations",
    "make_head",
    "member",
    "members",
    "nominate",
    "nominator",
    "replace",
    "seats",
    "withdraw",
]


class NotAMember(registration.RegistrationError):
    """The registration is not one the delegation can act on (any more)."""


@dataclass(frozen=True)
class Seats:
    """The delegation's places: approved and its quota (None: no quota); the meeting's too."""

    approved: int
    quota: int | None
    meeting_approved: int
    capacity: int | None

    @property
    def left(self) -> int | None:
        return None if self.quota is None else max(self.quota - self.approved, 0)


def _approved(meeting: Meeting, delegation: Delegation | None = None) -> int:
    query = sa.select(sa.func.count(Participant.id)).where(
        Participant.meeting_id == meeting.id,
        Participant.status == RegistrationStatus.APPROVED,
    )
    if delegation is not None:
        query = query.where(Participant.delegation_id == delegation.id)
    return int(db.session.scalar(query) or 0)


def confirmed_delegations(meeting: Meeting) -> list[Delegation]:
    """The meeting's confirmed organisations by name: those that may have focal points."""
    return list(
        db.session.scalars(
            sa.select(Delegation)
            .where(Delegation.meeting_id == meeting.id, Delegation.confirmed.is_(True))
            .order_by(Delegation.name)
        )
    )


def seats(meeting: Meeting, delegation: Delegation) -> Seats:
    """How many of the delegation's places are taken, and of the meeting's."""
    return Seats(
        approved=_approved(meeting, delegation),
        quota=delegation.seat_quota(),
        meeting_approved=_approved(meeting),
        capacity=meeting.capacity,
    )


def members(delegation: Delegation) -> list[Participant]:
    """The delegation's registrations, its head first, then by name; those cancelled or
    declined last, as the history of who was nominated."""
    people = db.session.scalars(
        sa.select(Participant).where(
            Participant.delegation_id == delegation.id, Participant.erased_at.is_(None)
        )
    ).all()

    def order(p: Participant) -> tuple[bool, bool, str, str, int]:
        seated = p.status in SEATED
        return (
            not seated,
            not (seated and p.role is HEAD),
            p.family_name.casefold(),
            p.given_name.casefold(),
            p.id,
        )

    return sorted(people, key=order)


def member(delegation: Delegation, ref: str) -> Participant | None:
    """The delegation's registration `ref`, or None (another organisation's is None too)."""
    return db.session.scalar(
        sa.select(Participant).where(
            Participant.delegation_id == delegation.id,
            Participant.ref == ref,
            Participant.erased_at.is_(None),
        )
    )


def nominator(user: User, meeting: Meeting, delegation: Delegation) -> User | None:
    """Who the registration service is told nominates: the focal point; None for an organiser
    acting on the delegation's page (who registers as organisers do)."""
    if registration.speaks_for(user, delegation) or not is_organiser(user, meeting):
        return user
    return None


def nominate(
    meeting: Meeting, delegation: Delegation, request: registration.RegistrationRequest, by: User
) -> Participant:
    """Register a person for the delegation, nominated by its focal point `by`."""
    nominated_by = nominator(by, meeting, delegation)
    return registration.register(
        meeting,
        request,
        by_organiser=nominated_by is None,
        nominated_by=nominated_by,
    )


def replace(
    meeting: Meeting,
    delegation: Delegation,
    replaced: Participant,
    request: registration.RegistrationRequest,
    by: User,
) -> Participant:
    """The newcomer takes `replaced`'s seat (see registration.register_in_place_of)."""
    if replaced.delegation_id != delegation.id:
        raise NotAMember(_("This person is not one of the delegation's."))
    return registration.register_in_place_of(
        meeting, replaced, request, nominated_by=nominator(by, meeting, delegation)
    )


def withdraw(
    meeting: Meeting, delegation: Delegation, person: Participant, by: User
) -> list[Participant]:
    """Cancel a nomination; a freed seat goes to the waiting list. Every registration whose
    status changed, to tell once committed."""
    if person.delegation_id != delegation.id:
        raise NotAMember(_("This person is not one of the delegation's."))
    by_focal_point = nominator(by, meeting, delegation) is not None
    changed = registration.change(meeting, person, "cancel", by_focal_point=by_focal_point)
    audit.log(
        "delegation.nomination_withdrawn",
        meeting=meeting,
        target=f"{person.ref} ({person.email})",
        details={"organisation": delegation.ref},
    )
    return changed


def make_head(meeting: Meeting, delegation: Delegation, person: Participant) -> Participant | None:
    """Make `person` the delegation's head of delegation, and the present head (if any) a
    delegate, in one transaction under the meeting's lock. The former head, or None."""
    lock_meeting(meeting)
    db.session.refresh(person)
    if person.delegation_id != delegation.id or person.status not in SEATED:
        raise NotAMember(
            _(
                "%(name)s holds no seat of the delegation and cannot be its head.",
                name=person.full_name,
            )
        )
    if person.role is HEAD:
        return None
    former = db.session.scalars(
        sa.select(Participant).where(
            Participant.delegation_id == delegation.id,
            Participant.role == HEAD,
            Participant.status.in_(SEATED),
            Participant.id != person.id,
        )
    ).first()
    if former is not None:
        former.role = ParticipantRole.DELEGATE
        _role_changed(meeting, former, HEAD)
        db.session.flush()  # one head at any moment
    previous = person.role
    person.role = HEAD
    _role_changed(meeting, person, previous)
    db.session.flush()
    return former


def _role_changed(meeting: Meeting, person: Participant, previous: ParticipantRole) -> None:
    audit.log(
        "registration.role_changed",
        meeting=meeting,
        target=f"{person.ref} ({person.email})",
        details={"from": previous.value, "to": person.role.value},
    )
