"""The rules of registration: the state machine, quotas, capacity and the waiting list.

Every change of who is approved goes through `_settle`, under a per-meeting lock, so that
quotas and capacity hold however many requests arrive at once, on SQLite and PostgreSQL alike.
The service only flushes; the caller commits.
"""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from .. import audit
from ..accounts.service import find_or_invite
from ..extensions import db
from ..locking import lock_meeting
from ..mailbox import mailbox_key
from ..models import (
    KIND_ORDER,
    Approval,
    Delegation,
    Meeting,
    OrganisationKind,
    Participant,
    ParticipantRole,
    RegistrationStatus,
)
from ..models.types import utcnow
from ..vocabulary import label

APPROVED = RegistrationStatus.APPROVED
WAITLISTED = RegistrationStatus.WAITLISTED

# Which actions each status allows: every other change is refused (InvalidTransition).
TRANSITIONS: dict[str, frozenset[RegistrationStatus]] = {
    "approve": frozenset(
        {RegistrationStatus.PENDING, WAITLISTED, RegistrationStatus.DECLINED, APPROVED}
    ),
    "decline": frozenset({RegistrationStatus.PENDING, WAITLISTED, APPROVED}),
    "cancel": frozenset({RegistrationStatus.PENDING, WAITLISTED, APPROVED}),
}


class RegistrationError(ValueError):
    """A registration that cannot be made as asked; `fields` says what to correct."""

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.fields = fields or {}


class AlreadyRegistered(RegistrationError):
    """This e-mail address has a registration for the meeting already."""


class RegistrationClosed(RegistrationError):
    """Outside the meeting's registration period."""


class InvalidTransition(RegistrationError):
    """The registration's status does not allow that action."""


@dataclass(frozen=True)
class RegistrationRequest:
    """What a person (or an organiser for them) asks to register: the schema's participant."""

    organisation: str
    given_name: str
    family_name: str
    email: str
    role: ParticipantRole = ParticipantRole.DELEGATE
    honorific: str | None = None
    position: str | None = None
    funded: bool | None = None
    needs_visa_letter: bool | None = None
    dietary: str | None = None
    accessibility: str | None = None
    list_consent: bool | None = None


def registration_state(meeting: Meeting, at: datetime | None = None) -> str:
    """ "not-yet", "open" or "closed", by the clock and the meeting's registration period."""
    at = at or utcnow()
    if meeting.registration_opens and at < meeting.registration_opens:
        return "not-yet"
    return "open" if registration_open(meeting, at) else "closed"


def registration_open(meeting: Meeting, at: datetime | None = None) -> bool:
    at = at or utcnow()
    if meeting.registration_opens and at < meeting.registration_opens:
        return False
    return not (meeting.registration_closes and at > meeting.registration_closes)


def _lock(meeting: Meeting) -> None:
    """Serialise changes of who is approved for one meeting (see eventapp/locking.py)."""
    lock_meeting(meeting)


def _approved_counts(meeting: Meeting) -> tuple[int, dict[int, int]]:
    rows = db.session.execute(
        sa.select(Participant.delegation_id, sa.func.count(Participant.id))
        .where(Participant.meeting_id == meeting.id, Participant.status == APPROVED)
        .group_by(Participant.delegation_id)
    ).all()
    per_delegation = {delegation_id: count for delegation_id, count in rows}
    return sum(per_delegation.values()), per_delegation


def _fits(
    meeting: Meeting, person: Participant, total: int, per_delegation: dict[int, int]
) -> bool:
    """Would approving this person keep the meeting within capacity and its quota?"""
    if meeting.capacity is not None and total + 1 > meeting.capacity:
        return False
    quota = person.delegation.seat_quota()  # its own quota, else its kind's
    return quota is None or per_delegation.get(person.delegation_id, 0) + 1 <= quota


def _set_status(person: Participant, status: RegistrationStatus, why: str) -> None:
    if person.status is status:
        return
    previous = person.status
    person.status = status
    audit.log(
        "registration." + status.value,
        meeting=person.meeting,
        target=f"{person.ref} ({person.email})",
        details={"from": previous.value if previous else None, "why": why},
    )


def _promote_waiting(meeting: Meeting) -> list[Participant]:
    """Approve the oldest waiting registrations that now fit, in order of registration."""
    total, per_delegation = _approved_counts(meeting)
    waiting = db.session.scalars(
        sa.select(Participant)
        .where(Participant.meeting_id == meeting.id, Participant.status == WAITLISTED)
        .options(selectinload(Participant.delegation))
        .order_by(Participant.registered_at.asc().nulls_last(), Participant.id)
    ).all()
    promoted = []
    for person in waiting:
        if meeting.capacity is not None and total >= meeting.capacity:
            break
        if _fits(meeting, person, total, per_delegation):
            _set_status(person, APPROVED, "a place became free")
            total += 1
            per_delegation[person.delegation_id] = per_delegation.get(person.delegation_id, 0) + 1
            promoted.append(person)
    return promoted


def _approve_or_wait(meeting: Meeting, person: Participant, why: str) -> None:
    total, per_delegation = _approved_counts(meeting)
    if _fits(meeting, person, total, per_delegation):
        _set_status(person, APPROVED, why)
    else:
        _set_status(person, WAITLISTED, "quota or capacity reached")


def _new_ref(meeting: Meeting) -> str:
    while True:
        ref = f"reg-{secrets.token_hex(4)}"
        taken = db.session.scalar(
            sa.select(Participant.id).where(
                Participant.meeting_id == meeting.id, Participant.ref == ref
            )
        )
        if taken is None:
            return ref


def register(
    meeting: Meeting, request: RegistrationRequest, *, by_organiser: bool = False
) -> Participant:
    """Record a registration; its status follows the meeting's approval rule and limits.

    Manual approval: pending. Automatic: approved while quota and capacity allow, else on the
    waiting list. Organisers may register people outside the registration period. The person
    has an account afterwards (found or made), whoever registered them.
    """
    if not by_organiser and not registration_open(meeting):
        raise RegistrationClosed(_("Registration for this meeting is closed."))
    # Locked before anything is read: a replacement of the meeting cannot delete the
    # organisation between the check and the insert.
    _lock(meeting)
    problems: dict[str, str] = {}
    delegation = db.session.scalar(
        sa.select(Delegation).where(
            Delegation.meeting_id == meeting.id, Delegation.ref == request.organisation
        )
    )
    if delegation is None:
        problems["organisation"] = _("Choose the organisation you represent.")
    try:
        email = validate_email(
            request.email.strip(), check_deliverability=False, allow_smtputf8=True
        ).normalized
    except EmailNotValidError:
        problems["email"] = _("This is not a valid e-mail address.")
        email = request.email
    for field in ("given_name", "family_name"):
        if not getattr(request, field).strip():
            problems[field] = _("This field is required.")
    if problems:
        raise RegistrationError(_("The registration has problems."), problems)
    taken = db.session.scalar(
        sa.select(Participant.id).where(
            Participant.meeting_id == meeting.id, Participant.email_key == mailbox_key(email)
        )
    )
    if taken is not None:
        raise AlreadyRegistered(
            _("%(email)s is already registered for this meeting.", email=email),
            {"email": _("This e-mail address is already registered for this meeting.")},
        )
    person = Participant(
        meeting=meeting,
        delegation=delegation,
        ref=_new_ref(meeting),
        honorific=request.honorific or None,
        given_name=request.given_name.strip(),
        family_name=request.family_name.strip(),
        position=request.position or None,
        email=email,
        email_key=mailbox_key(email),
        role=request.role,
        status=RegistrationStatus.PENDING,
        funded=request.funded,
        needs_visa_letter=request.needs_visa_letter,
        dietary=request.dietary or None,
        accessibility=request.accessibility or None,
        list_consent=request.list_consent,
        registered_at=utcnow(),
    )
    db.session.add(person)
    db.session.flush()
    # The same address is the same person, however they were registered: an account (without
    # a password until they choose one) lets them follow and manage the registration.
    find_or_invite(email)
    audit.log(
        "registration.created",
        meeting=meeting,
        target=f"{person.ref} ({person.email})",
        details={"by_organiser": by_organiser},
    )
    if meeting.approval_rule is Approval.AUTOMATIC:
        _approve_or_wait(meeting, person, "automatic approval")
    db.session.flush()
    return person


def change(
    meeting: Meeting, person: Participant, action: str, *, by_participant: bool = False
) -> list[Participant]:
    """approve, decline or cancel a registration; freed places go to the waiting list.

    Returns every registration whose status changed (this one, and any promoted), so that
    the caller can tell them once the change is committed.
    """
    if action not in TRANSITIONS:
        raise InvalidTransition(_("Unknown action."))
    _lock(meeting)
    db.session.refresh(person)  # the status as it stands now that the meeting is locked
    if person.status not in TRANSITIONS[action]:
        messages = {
            "approve": _("A registration with the status “%(status)s” cannot be approved."),
            "decline": _("A registration with the status “%(status)s” cannot be declined."),
            "cancel": _("A registration with the status “%(status)s” cannot be cancelled."),
        }
        raise InvalidTransition(messages[action] % {"status": label(person.status)})
    was_approved = person.status is APPROVED
    before = person.status
    promoted: list[Participant] = []
    by = "the participant" if by_participant else "an organiser"
    if action == "approve":
        if not was_approved:
            _approve_or_wait(meeting, person, f"approved by {by}")
    else:
        target = (
            RegistrationStatus.DECLINED if action == "decline" else RegistrationStatus.CANCELLED
        )
        _set_status(person, target, f"{_past(action)} by {by}")
        if was_approved:
            db.session.flush()
            promoted = _promote_waiting(meeting)
    db.session.flush()
    return ([person] if person.status is not before else []) + promoted


def _past(action: str) -> str:
    return {"approve": "approved", "decline": "declined", "cancel": "cancelled"}[action]


def request_from_mapping(data: dict[str, Any]) -> RegistrationRequest:
    """A RegistrationRequest from schema-shaped data that has been validated already."""
    return RegistrationRequest(
        organisation=data["organisation"],
        given_name=data["given_name"],
        family_name=data["family_name"],
        email=data["email"],
        role=ParticipantRole(data.get("role") or ParticipantRole.DELEGATE.value),
        honorific=data.get("honorific"),
        position=data.get("position"),
        funded=data.get("funded"),
        needs_visa_letter=data.get("needs_visa_letter"),
        dietary=data.get("dietary"),
        accessibility=data.get("accessibility"),
        list_consent=data.get("list_consent"),
    )


def offered_actions(status: RegistrationStatus) -> tuple[str, ...]:
    """The decisions the desk offers for a status: those TRANSITIONS allow that change it."""
    return tuple(
        action
        for action, allowed in TRANSITIONS.items()
        if status in allowed and not (action == "approve" and status is APPROVED)
    )


@dataclass(frozen=True)
class RegistrationRow:
    """One registration as the organisers' desk shows it, with the decisions it allows."""

    ref: str
    honorific: str | None
    given_name: str
    family_name: str
    position: str | None
    email: str
    role: ParticipantRole
    status: RegistrationStatus
    funded: bool
    needs_visa_letter: bool
    dietary: str | None
    accessibility: str | None
    list_consent: bool
    actions: tuple[str, ...]


@dataclass(frozen=True)
class DelegationView:
    id: int
    name: str
    acronym: str | None
    kind: OrganisationKind
    participants: list[RegistrationRow]
    approved: int
    quota: int | None


def _row(person: Participant) -> RegistrationRow:
    return RegistrationRow(
        ref=person.ref,
        honorific=person.honorific,
        given_name=person.given_name,
        family_name=person.family_name,
        position=person.position,
        email=person.email,
        role=person.role,
        status=person.status,
        funded=bool(person.funded),
        needs_visa_letter=bool(person.needs_visa_letter),
        dietary=person.dietary,
        accessibility=person.accessibility,
        list_consent=bool(person.list_consent),
        actions=offered_actions(person.status),
    )


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
            DelegationView(
                id=delegation.id,
                name=delegation.name,
                acronym=delegation.acronym,
                kind=delegation.kind,
                participants=[_row(p) for p in people],
                approved=approved,
                quota=meeting.quota_for(delegation.kind),
            )
        )
    return RegistrationOverview(
        by_status={status: status_counts.get(status, 0) for status in RegistrationStatus},
        approved=status_counts.get(RegistrationStatus.APPROVED, 0),
        capacity=meeting.capacity,
        delegations=views,
    )


def registrations(meeting: Meeting, status: RegistrationStatus | None = None) -> list[Participant]:
    """The meeting's registrations in order of arrival, optionally of one status."""
    query = (
        sa.select(Participant)
        .where(Participant.meeting_id == meeting.id)
        .options(selectinload(Participant.delegation))
        .order_by(Participant.registered_at.asc().nulls_first(), Participant.id)
    )
    if status is not None:
        query = query.where(Participant.status == status)
    return list(db.session.scalars(query))


def organisation_choices(meeting: Meeting) -> list[tuple[str, str]]:
    """The meeting's organisations as (ref, label), by kind and name, for the form."""
    order = {kind: n for n, kind in enumerate(KIND_ORDER)}
    delegations = db.session.scalars(
        sa.select(Delegation).where(Delegation.meeting_id == meeting.id)
    ).all()
    delegations = sorted(delegations, key=lambda d: (order[d.kind], d.name.casefold()))
    return [(d.ref, d.display_name) for d in delegations]


def own_registration(email_key: str, participant_id: int) -> Participant | None:
    """A registration of the person with this address: nobody manages someone else's."""
    person = db.session.get(Participant, participant_id)
    if person is None or person.email_key != email_key:
        return None
    return person


def update_own_details(
    person: Participant,
    *,
    dietary: str | None,
    accessibility: str | None,
    needs_visa_letter: bool,
    list_consent: bool,
) -> None:
    """What a participant may change of their own registration; the rest is the organisers'."""
    person.dietary = (dietary or "").strip() or None
    person.accessibility = (accessibility or "").strip() or None
    person.needs_visa_letter = needs_visa_letter
    person.list_consent = list_consent
    audit.log(
        "registration.updated_by_participant",
        meeting=person.meeting,
        target=f"{person.ref} ({person.email})",
        details={"list_consent": list_consent},
    )


def participant_choices(meeting: Meeting, *, approved_only: bool = False) -> list[tuple[str, str]]:
    """The meeting's participants as (ref, "Given Family (ORG)") by family name, for forms."""
    query = (
        sa.select(Participant)
        .where(Participant.meeting_id == meeting.id)
        .options(selectinload(Participant.delegation))
        .order_by(Participant.family_name, Participant.given_name, Participant.id)
    )
    if approved_only:
        query = query.where(Participant.status == APPROVED)
    return [
        (p.ref, f"{p.given_name} {p.family_name} ({p.delegation.acronym or p.delegation.name})")
        for p in db.session.scalars(query)
    ]
