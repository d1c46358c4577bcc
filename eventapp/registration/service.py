"""The rules of registration. For now: what organisers see of who is coming."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import (
    KIND_ORDER,
    Delegation,
    Meeting,
    OrganisationKind,
    Participant,
    RegistrationStatus,
)


@dataclass(frozen=True)
class DelegationView:
    delegation: Delegation
    participants: list[Participant]
    approved: int
    quota: int | None


@dataclass(frozen=True)
class RegistrationOverview:
    by_status: dict[RegistrationStatus, int]
    approved: int
    capacity: int | None
    delegations: list[DelegationView]


def overview(meeting: Meeting) -> RegistrationOverview:
    """Every registration of the meeting, by delegation in kind order, with quota use."""
    delegations = db.session.scalars(
        sa.select(Delegation)
        .where(Delegation.meeting_id == meeting.id)
        .options(selectinload(Delegation.participants))
    ).all()
    order = {kind: n for n, kind in enumerate(KIND_ORDER)}
    delegations = sorted(delegations, key=lambda d: (order[d.kind], d.name.casefold()))
    status_counts: Counter[RegistrationStatus] = Counter()
    views = []
    for delegation in delegations:
        people = sorted(
            delegation.participants, key=lambda p: (p.family_name.casefold(), p.given_name)
        )
        status_counts.update(p.status for p in people)
        approved = sum(p.status is RegistrationStatus.APPROVED for p in people)
        views.append(
            DelegationView(delegation, people, approved, meeting.quota_for(delegation.kind))
        )
    return RegistrationOverview(
        by_status={status: status_counts.get(status, 0) for status in RegistrationStatus},
        approved=status_counts.get(RegistrationStatus.APPROVED, 0),
        capacity=meeting.capacity,
        delegations=views,
    )


def listed_by_kind(
    meeting: Meeting,
) -> list[tuple[OrganisationKind, list[tuple[Delegation, list[Participant]]]]]:
    """Who may be listed by name (approved, with consent), by kind, organisation and name.

    The one rule behind the public list of participants and the reports' annex.
    """
    people = db.session.scalars(
        sa.select(Participant)
        .where(
            Participant.meeting_id == meeting.id,
            Participant.status == RegistrationStatus.APPROVED,
            Participant.list_consent.is_(True),
        )
        .options(selectinload(Participant.delegation))
    ).all()
    by_delegation: dict[int, list[Participant]] = {}
    for person in people:
        if person.listed:  # the model's rule, checked again where the query states it
            by_delegation.setdefault(person.delegation_id, []).append(person)
    delegations = sorted(
        {p.delegation for members in by_delegation.values() for p in members},
        key=lambda d: (d.name.casefold(), d.id),
    )
    groups: dict[OrganisationKind, list[tuple[Delegation, list[Participant]]]] = {
        kind: [] for kind in KIND_ORDER
    }
    for delegation in delegations:
        members = sorted(
            by_delegation[delegation.id],
            key=lambda p: (p.family_name.casefold(), p.given_name.casefold(), p.id),
        )
        groups[delegation.kind].append((delegation, members))
    return [(kind, organisations) for kind, organisations in groups.items() if organisations]
