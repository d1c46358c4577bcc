"""What the account page shows of its account, as plain rows: the page runs no query."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..agenda.feeds import PersonalCalendar, personal_calendars
from ..extensions import db
from ..models import (
    AccountRole,
    ApiToken,
    Delegation,
    FocalPoint,
    Meeting,
    MeetingRole,
    Participant,
    User,
)
from .permissions import is_chair, is_rapporteur


@dataclass(frozen=True)
class Appointment:
    slug: str
    title: str
    role: AccountRole


@dataclass(frozen=True)
class SpokenFor:
    """A delegation the account is a focal point of."""

    meeting_slug: str
    meeting_title: str
    ref: str
    name: str


@dataclass(frozen=True)
class OwnRegistration:
    participant_id: int
    meeting_slug: str
    meeting_title: str
    given_name: str
    family_name: str
    organisation: str
    status: Any  # RegistrationStatus, named through the vocabulary
    keeps_records: bool  # chair or rapporteur of that meeting: the records page is theirs too


@dataclass(frozen=True)
class TokenRow:
    id: int
    label: str | None
    created_at: Any
    last_used_at: Any


@dataclass(frozen=True)
class AccountOverview:
    email: str
    is_admin: bool
    appointments: list[Appointment]
    delegations: list[SpokenFor]
    registrations: list[OwnRegistration]
    tokens: list[TokenRow]
    calendars: list[PersonalCalendar]


def account_overview(user: User) -> AccountOverview:
    """What the account page shows of its account, read here, so the page runs no query."""
    appointments = db.session.execute(
        sa.select(Meeting.slug, Meeting.title, MeetingRole.role)
        .join(MeetingRole, MeetingRole.meeting_id == Meeting.id)
        .where(MeetingRole.user_id == user.id)
        .order_by(Meeting.start_date.desc(), MeetingRole.role)
    ).all()
    spoken_for = db.session.execute(
        sa.select(Meeting.slug, Meeting.title, Delegation.ref, Delegation.name)
        .join(Delegation, Delegation.meeting_id == Meeting.id)
        .join(FocalPoint, FocalPoint.delegation_id == Delegation.id)
        .where(FocalPoint.user_id == user.id)
        .order_by(Meeting.start_date.desc(), Delegation.name)
    ).all()
    people = db.session.scalars(
        sa.select(Participant)
        .join(Meeting, Participant.meeting_id == Meeting.id)
        .where(Participant.email_key == user.email_key)
        .options(
            selectinload(Participant.meeting).selectinload(Meeting.chair),
            selectinload(Participant.delegation),
        )
        .order_by(Meeting.start_date.desc(), Participant.id)
    ).all()
    tokens = db.session.scalars(
        sa.select(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .order_by(ApiToken.created_at, ApiToken.id)
    ).all()
    return AccountOverview(
        email=user.email,
        is_admin=user.is_admin,
        appointments=[Appointment(slug, title, role) for slug, title, role in appointments],
        delegations=[SpokenFor(*row) for row in spoken_for],
        registrations=[
            OwnRegistration(
                participant_id=p.id,
                meeting_slug=p.meeting.slug,
                meeting_title=p.meeting.title,
                given_name=p.given_name,
                family_name=p.family_name,
                organisation=p.delegation.name,
                status=p.status,
                keeps_records=is_chair(user, p.meeting) or is_rapporteur(user, p.meeting),
            )
            for p in people
        ],
        tokens=[TokenRow(t.id, t.label, t.created_at, t.last_used_at) for t in tokens],
        calendars=personal_calendars(user),
    )
