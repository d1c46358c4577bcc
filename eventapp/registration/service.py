"""The rules of registration: the state machine, quotas, capacity and the waiting list.

Every change of who is approved goes through `_settle`, under a per-meeting lock, so that
quotas and capacity hold however many requests arrive at once, on SQLite and PostgreSQL alike.
The service only flushes; the caller commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from types import SimpleNamespace
from typing import Any, cast

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy.orm import make_transient_to_detached, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from .. import audit
from ..accounts.service import ensure_account, find_or_invite
from ..batched import batches, write_with_commit
from ..extensions import db
from ..locking import lock_meeting
from ..mailbox import mailbox_key
from ..meetings import organisations
from ..models import (
    KIND_ORDER,
    PARTICIPATION_ROLES,
    Approval,
    Delegation,
    FocalPoint,
    Meeting,
    Participant,
    ParticipantRole,
    RegistrationStatus,
    User,
)
from ..models.content import count_public_change
from ..models.participant import HEAD_SEAT_STATUSES
from ..models.types import utcnow
from ..vocabulary import label

APPROVED = RegistrationStatus.APPROVED
WAITLISTED = RegistrationStatus.WAITLISTED
HEAD = ParticipantRole.HEAD_OF_DELEGATION

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


def _already_registered(email: str) -> AlreadyRegistered:
    return AlreadyRegistered(
        _("%(email)s is already registered for this meeting.", email=email),
        {"email": _("This e-mail address is already registered for this meeting.")},
    )


def _audit_target(person: Participant) -> str:
    """How the audit log names a registration: its reference and address."""
    return f"{person.ref} ({person.email})"


def _no_organisation() -> str:
    return _("Choose the organisation you represent.")


class RegistrationClosed(RegistrationError):
    """Outside the meeting's registration period."""


class NotYourDelegation(RegistrationError):
    """A focal point nominating for an organisation they do not speak for (403 in the API)."""


class HeadOfDelegationTaken(RegistrationError):
    """The organisation has its head of delegation already (422 in the API)."""


class InvalidTransition(RegistrationError):
    """The registration's status does not allow that action."""


LANGUAGES = ("en", "fr", "es")


@dataclass(frozen=True)
class NewOrganisation:
    """A registrant's "my organisation is not listed": what they say of it."""

    name: str
    kind: str
    country: str | None = None


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
    # The organisers' decision on travel support: only organisers give it.
    funded: bool | None = None
    # The person's request for travel support, which the organisers decide on (`funded`).
    travel_support_requested: bool | None = None
    needs_visa_letter: bool | None = None
    dietary: str | None = None
    accessibility: str | None = None
    list_consent: bool | None = None
    # The language of every message to the person (en, fr, es); None: the meeting's first.
    language: str | None = None
    # Instead of `organisation`: one the meeting does not list yet (it stays unconfirmed).
    new_organisation: NewOrganisation | None = None


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


def _lock(meeting: Meeting, *, read_again: bool = True) -> None:
    """Serialise changes of who is approved for one meeting (see eventapp/locking.py)."""
    lock_meeting(meeting, read_again=read_again)


def _approved_counts(meeting: Meeting) -> tuple[int, dict[int, int]]:
    rows = db.session.execute(
        sa.select(Participant.delegation_id, sa.func.count(Participant.id))
        .where(Participant.meeting_id == meeting.id, Participant.status == APPROVED)
        .group_by(Participant.delegation_id)
    ).all()
    per_delegation = {delegation_id: count for delegation_id, count in rows}
    return sum(per_delegation.values()), per_delegation


def _within(capacity: int | None, quota: int | None, total: int, own: int) -> bool:
    """Would one more approval keep the meeting within its capacity and the organisation
    within its quota, `total` and `own` being approved already?"""
    if capacity is not None and total + 1 > capacity:
        return False
    return quota is None or own + 1 <= quota


def _fits(
    meeting: Meeting, person: Participant, total: int, per_delegation: dict[int, int]
) -> bool:
    """Would approving this person keep the meeting within capacity and its quota?"""
    quota = person.delegation.seat_quota()  # its own quota, else its kind's
    own = per_delegation.get(person.delegation.id, 0)
    return _within(meeting.capacity, quota, total, own)


@dataclass(frozen=True)
class _Limits:
    """What decides a registration's status, read in one statement under the meeting's lock:
    the meeting's rule and capacity, the organisation's quota and whether it is confirmed,
    and how many are approved, in the meeting and in the organisation."""

    automatic: bool
    confirmed: bool
    capacity: int | None
    quota: int | None
    approved: int
    approved_here: int
    new_id: int | None = None  # the new registration's id, drawn with the limits (PostgreSQL)

    def admit_one(self) -> bool:
        return _within(self.capacity, self.quota, self.approved, self.approved_here)


_approved = sa.select(sa.func.count(Participant.id)).where(
    Participant.meeting_id == sa.bindparam("meeting_id"), Participant.status == APPROVED
)
# Built once (every registration reads it under the lock); ORM columns, so that a change
# made in this session and not yet flushed (a decision among several) is counted.
_LIMITS = (
    sa.select(
        Meeting.approval,
        Meeting.capacity,
        Meeting.quotas,
        Delegation.confirmed,
        Delegation.quota,
        Delegation.kind,
        _approved.scalar_subquery(),
        _approved.where(
            Participant.delegation_id == sa.bindparam("delegation_id")
        ).scalar_subquery(),
    )
    .join_from(Meeting, Delegation, Delegation.meeting_id == Meeting.id)
    .where(Meeting.id == sa.bindparam("meeting_id"), Delegation.id == sa.bindparam("delegation_id"))
)
# ... and on PostgreSQL, for a new registration, its id drawn from the sequence in the same
# round trip: the row can then leave with the COMMIT (eventapp/batched.py), no RETURNING
# awaited under the lock.
_LIMITS_AND_NEW_ID = _LIMITS.add_columns(
    sa.func.nextval(sa.func.pg_get_serial_sequence(Participant.__tablename__, "id"))
)


def _limits(meeting: Meeting, delegation_id: int, *, new: bool = False) -> _Limits | None:
    """The limits as they stand, the meeting locked; None if the organisation is gone.
    `new`: for a new registration, whose id they bring where its row waits for the commit."""
    statement = _LIMITS_AND_NEW_ID if new and batches() else _LIMITS
    row = db.session.execute(
        statement, {"meeting_id": meeting.id, "delegation_id": delegation_id}
    ).one_or_none()
    if row is None:
        return None
    approval, capacity, quotas, confirmed, quota, kind, approved, approved_here = row[:8]
    return _Limits(
        automatic=approval is Approval.AUTOMATIC,
        confirmed=bool(confirmed),
        capacity=capacity,
        quota=Delegation.quota_of(quota, quotas, kind),
        approved=int(approved or 0),
        approved_here=int(approved_here or 0),
        new_id=int(row[8]) if len(row) > 8 else None,
    )


def _status_details(
    previous: RegistrationStatus | None, why: str, reason: str | None
) -> dict[str, Any]:
    details: dict[str, Any] = {"from": previous.value if previous else None, "why": why}
    if reason:
        details["reason"] = reason
    return details


def _set_status(
    person: Participant, status: RegistrationStatus, why: str, reason: str | None = None
) -> None:
    if person.status is status:
        return
    previous = person.status
    person.status = status
    audit.log(
        "registration." + status.value,
        meeting=person.meeting,
        target=_audit_target(person),
        details=_status_details(previous, why, reason),
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


def _decided(limits: _Limits | None) -> tuple[RegistrationStatus, str] | None:
    """The status that automatic approval gives a registration, and why; None when it
    leaves the registration as it is (manual approval, an organisation not confirmed)."""
    if limits is None or not (limits.automatic and limits.confirmed):
        return None
    if limits.admit_one():
        return APPROVED, "automatic approval"
    return WAITLISTED, "quota or capacity reached"


def _approve_or_wait(
    meeting: Meeting, person: Participant, why: str, reason: str | None = None
) -> None:
    limits = _limits(meeting, person.delegation_id)
    if limits is not None and limits.admit_one():
        _set_status(person, APPROVED, why, reason)
    else:
        _set_status(person, WAITLISTED, "quota or capacity reached", reason)


def _new_ref() -> str:
    """A new registration's reference; _checked says whether the meeting has it already (the
    unique key on (meeting, ref) has the last word)."""
    return f"reg-{secrets.token_hex(4)}"


class _RefTaken(Exception):
    """The reference drawn for a new registration is the meeting's already: draw another."""


# One statement, built once, for what every registration asks before the lock: the
# organisation the request names, beside each of the meeting's registrations with the same
# mailbox or the reference drawn for a new one. Outer joins from a row of one, so that there is
# a row (of Nones) when nothing is found. `person`: a registration that is no clash (-1: none).
_ONE = sa.select(sa.literal(1).label("one")).subquery("one")
_LOOKUP = (
    sa.select(Delegation, Participant)
    .select_from(_ONE)
    .outerjoin(
        Delegation,
        sa.and_(
            Delegation.meeting_id == sa.bindparam("meeting_id"),
            Delegation.ref == sa.bindparam("organisation"),
        ),
    )
    .outerjoin(
        Participant,
        sa.and_(
            Participant.meeting_id == sa.bindparam("meeting_id"),
            Participant.id != sa.bindparam("person"),
            sa.or_(
                Participant.email_key == sa.bindparam("key"),
                Participant.ref == sa.bindparam("ref"),
            ),
        ),
    )
)


def _checked(
    meeting: Meeting,
    request: RegistrationRequest,
    person: Participant | None = None,
    *,
    by_organiser: bool = True,
    new_ref: str | None = None,
) -> tuple[Delegation | None, str, Participant | None]:
    """The request's delegation (None for a new organisation, checked but not yet made), its
    normalised address and, when registering, the person's cancelled registration to renew;
    or RegistrationError saying what to correct. `person`: the registration being edited,
    whose own address is no clash. Only organisers may choose an unconfirmed organisation."""
    problems: dict[str, str] = {}
    try:
        email = validate_email(
            request.email.strip(), check_deliverability=False, allow_smtputf8=True
        ).normalized
        key = mailbox_key(email)
    except EmailNotValidError:
        problems["email"] = _("This is not a valid e-mail address.")
        email, key = request.email, ""  # no registration has an empty key
    rows = db.session.execute(
        _LOOKUP,
        {
            "meeting_id": meeting.id,
            "organisation": request.organisation or "",
            "key": key,
            "ref": new_ref or "",  # no registration has an empty ref
            "person": person.id if person is not None else -1,
        },
    ).all()
    delegation = None
    if request.new_organisation is not None:
        if request.organisation:
            problems["new_organisation_name"] = _(
                "Either choose your organisation from the list or name one that is not "
                "listed, not both."
            )
        else:
            problems.update(_proposal_problems(meeting, request.new_organisation))
    else:
        delegation = rows[0][0]
        if delegation is None or not (delegation.confirmed or by_organiser):
            problems["organisation"] = _no_organisation()
    for field in ("given_name", "family_name"):
        if not getattr(request, field).strip():
            problems[field] = _("This field is required.")
    if not by_organiser and request.role not in PARTICIPATION_ROLES:
        # The meeting's offices are given by the organisers, never chosen.
        problems["role"] = _(
            "Choose one of the roles offered: %(roles)s. The meeting's offices (chair, "
            "rapporteur, organiser, secretariat) are given by the organisers.",
            roles=", ".join(label(role) for role in PARTICIPATION_ROLES),
        )
    if not by_organiser and request.funded is not None:
        problems["funded"] = _(
            "Whether travel is funded is the organisers' decision: ask for travel support "
            "instead (travel_support_requested)."
        )
    if request.language is not None and request.language not in LANGUAGES:
        problems["language"] = _("Choose one of the languages offered.")
    if problems:
        raise RegistrationError(_("The registration has problems."), problems)
    found = [row for _delegation, row in rows if row is not None]
    clash = next((row for row in found if row.email_key == key), None)
    if new_ref is not None and any(row.ref == new_ref for row in found):
        raise _RefTaken()
    if clash is not None and not (person is None and clash.status is RegistrationStatus.CANCELLED):
        raise _already_registered(email)
    return delegation, email, clash


def _checked_new(
    meeting: Meeting, request: RegistrationRequest, *, by_organiser: bool
) -> tuple[Delegation | None, str, Participant | None, str]:
    """_checked for a registration, and its reference: a new one not yet the meeting's, or
    that of the cancelled registration it renews."""
    while True:
        ref = _new_ref()
        try:
            delegation, email, earlier = _checked(
                meeting, request, by_organiser=by_organiser, new_ref=ref
            )
        except _RefTaken:
            continue
        return delegation, email, earlier, (ref if earlier is None else earlier.ref)


def _proposal_details(new: NewOrganisation) -> organisations.OrganisationDetails:
    return organisations.OrganisationDetails(
        name=new.name, kind=new.kind, country=(new.country or None)
    )


def _proposal_problems(meeting: Meeting, new: NewOrganisation) -> dict[str, str]:
    """The registrant's new organisation's problems, at the registration form's fields."""
    try:
        organisations.check_proposal(meeting, _proposal_details(new))
    except organisations.OrganisationProblems as exc:
        return {f"new_organisation_{name}": message for name, message in exc.fields.items()}
    return {}


def _other_head(delegation_id: int, person_id: int | None) -> Participant | None:
    """The delegation's head of delegation among its active registrations, other than
    `person_id`'s; the meeting locked, so that two heads never arrive at once."""
    query = sa.select(Participant).where(
        Participant.delegation_id == delegation_id,
        Participant.role == HEAD,
        Participant.status.in_(HEAD_SEAT_STATUSES),
    )
    if person_id is not None:
        query = query.where(Participant.id != person_id)
    return db.session.scalars(query.limit(1)).first()


def _refuse_second_head(delegation: Delegation, person_id: int | None) -> None:
    """An organisation has one head of delegation among its pending, waiting and approved
    registrations, so never more than one approved: HeadOfDelegationTaken for a second."""
    if _other_head(delegation.id, person_id) is None:
        return
    raise HeadOfDelegationTaken(
        _("The registration has problems."),
        {
            "role": _(
                "%(organisation)s has a head of delegation already. Choose another role, or "
                "make the present head a delegate first.",
                organisation=delegation.display_name,
            )
        },
    )


def speaks_for(user: User, delegation: Delegation) -> bool:
    """Whether the account is one of the delegation's focal points."""
    return (
        db.session.scalar(
            sa.select(FocalPoint.id).where(
                FocalPoint.user_id == user.id, FocalPoint.delegation_id == delegation.id
            )
        )
        is not None
    )


def _refuse_other_delegation(nominated_by: User, delegation: Delegation | None) -> None:
    if delegation is None or not speaks_for(nominated_by, delegation):
        raise NotYourDelegation(
            _("You may nominate people for your own organisation only."),
            {"organisation": _("You may nominate people for your own organisation only.")},
        )


def register(
    meeting: Meeting,
    request: RegistrationRequest,
    *,
    by_organiser: bool = False,
    nominated_by: User | None = None,
) -> Participant:
    """Record a registration; its status follows the meeting's approval rule and limits.

    Manual approval: pending. Automatic: approved while quota and capacity allow, else on the
    waiting list. A registration for an organisation not yet confirmed stays pending whatever
    the rule, until an organiser confirms the organisation (organisation_confirmed). Organisers
    may register people outside the registration period. A person whose registration was
    cancelled registers again in the same registration (its ref and history kept), as new.
    The person has an account afterwards (found or made), whoever registered them.

    Only organisers give the meeting's offices (chair, rapporteur, organiser, secretariat)
    and decide travel funding. `nominated_by`: the focal point nominating the person, for an
    organisation they speak for only (NotYourDelegation). An organisation has one head of
    delegation (HeadOfDelegationTaken for a second).
    """
    if not by_organiser and not registration_open(meeting):
        raise RegistrationClosed(_("Registration for this meeting is closed."))
    if nominated_by is not None and request.new_organisation is not None:
        _refuse_other_delegation(nominated_by, None)
    # Checked before the meeting is locked: the checks only read, and the section under the
    # lock is what every registration of the meeting queues for (on SQLite, every write of the
    # database). What could change meanwhile is read again under the lock, and the database's
    # keys have the last word: an organisation deleted since, or the same address registering
    # at the same moment, fails the commit (409), never the rules.
    delegation, email, earlier, ref = _checked_new(meeting, request, by_organiser=by_organiser)
    if nominated_by is not None:
        _refuse_other_delegation(nominated_by, delegation)
    # The same address is the same person, however they were registered: an account (without
    # a password until they choose one) lets them follow the registration. It needs no lock
    # of the meeting: the key on the address has the last word.
    account_made = ensure_account(email)
    _lock(meeting, read_again=False)  # what the decision needs of it, _limits reads
    if earlier is not None:
        db.session.refresh(earlier)
        if earlier.status is not RegistrationStatus.CANCELLED:  # renewed meanwhile
            raise _already_registered(email)
    if delegation is None:
        assert request.new_organisation is not None
        delegation = organisations.proposed_delegation(
            meeting, _proposal_details(request.new_organisation)
        )
        db.session.flush()  # its id, for the registration
    elif request.role is HEAD:
        _refuse_second_head(delegation, earlier.id if earlier is not None else None)
    details = _new_details(request, delegation, email, nominated_by)
    # The organisation's quota, the capacity and the counts as they stand now the meeting is
    # locked; an organisation deleted meanwhile leaves nothing to register for.
    limits = _limits(meeting, delegation.id, new=earlier is None)
    if limits is None:
        raise RegistrationError(
            _("The registration has problems."),
            {"organisation": _no_organisation()},
        )
    decided = _decided(limits)
    if earlier is None:
        return _inserted(
            meeting,
            delegation,
            ref,
            details,
            decided,
            by_organiser=by_organiser,
            first=account_made,
            new_id=limits.new_id,
        )
    if account_made is not None:
        audit.write(account_made)
    return _renewed(earlier, delegation, details, decided, by_organiser=by_organiser)


def _new_details(
    request: RegistrationRequest, delegation: Delegation, email: str, nominated_by: User | None
) -> dict[str, Any]:
    """A new registration's columns, as the request gives them (the status aside)."""
    return {
        "delegation_id": delegation.id,
        "honorific": request.honorific or None,
        "given_name": request.given_name.strip(),
        "family_name": request.family_name.strip(),
        "position": request.position or None,
        "email": email,
        "email_key": mailbox_key(email),
        "role": request.role,
        "funded": request.funded,
        "travel_support_requested": request.travel_support_requested,
        "nominated_by_id": nominated_by.id if nominated_by is not None else None,
        "needs_visa_letter": request.needs_visa_letter,
        "dietary": request.dietary or None,
        "accessibility": request.accessibility or None,
        "list_consent": request.list_consent,
        "language": request.language,
        "registered_at": utcnow(),
        "checked_in_at": None,
    }


# Built once: the registration's row is written by one statement (see _inserted).
_INSERT_PARTICIPANT = sa.insert(cast(sa.Table, Participant.__table__))
_INSERT_PARTICIPANT_RETURNING_ID = _INSERT_PARTICIPANT.returning(
    cast(sa.Table, Participant.__table__).c.id
)
_INSERT_PARTICIPANT_WITH_ID = _INSERT_PARTICIPANT.inline()  # the id is given: none to read


def _inserted(
    meeting: Meeting,
    delegation: Delegation,
    ref: str,
    details: dict[str, Any],
    decided: tuple[RegistrationStatus, str] | None,
    *,
    by_organiser: bool,
    first: dict[str, Any] | None = None,
    new_id: int | None = None,
) -> Participant:
    """A new registration, written with Core statements under the lock (its row, its audit
    entries, the meeting's content version when the public sees it) rather than by the unit of
    work, whose bookkeeping for these few rows cost more than the rows themselves; and then
    given to the session as the row it wrote, for the caller to read. `first`: an audit entry
    to write before the registration's (its account's), in the same statement. `new_id`: the
    row's id if drawn already; the row then leaves with the COMMIT (eventapp/batched.py)."""
    status = decided[0] if decided else RegistrationStatus.PENDING
    values = {
        **details,
        "meeting_id": meeting.id,
        "ref": ref,
        "status": status,
    }
    if new_id is None:
        new_id = db.session.execute(_INSERT_PARTICIPANT_RETURNING_ID, values).scalar_one()
    else:
        write_with_commit(_INSERT_PARTICIPANT_WITH_ID, {**values, "id": new_id})
    person = Participant(id=new_id, **values)
    make_transient_to_detached(person)  # as if read back: nothing of it is left to flush
    set_committed_value(person, "meeting", meeting)
    set_committed_value(person, "delegation", delegation)
    db.session.add(person)
    target = _audit_target(person)
    entries = [] if first is None else [first]
    entries += [
        audit.entry(
            "registration.created",
            meeting=meeting,
            target=target,
            details={"by_organiser": by_organiser},
            participant=person,  # named as the actor when no account registers them (the form)
        )
    ]
    if decided is not None:
        entries.append(
            audit.entry(
                "registration." + status.value,
                meeting=meeting,
                target=target,
                details=_status_details(RegistrationStatus.PENDING, decided[1], None),
            )
        )
    audit.write(*entries)
    if status is APPROVED:  # the public lists and counts approved participants only
        count_public_change(meeting.id)
    return person


def _renewed(
    earlier: Participant,
    delegation: Delegation,
    details: dict[str, Any],
    decided: tuple[RegistrationStatus, str] | None,
    *,
    by_organiser: bool,
) -> Participant:
    """A cancelled registration made anew (one registration per address and meeting, a unique
    constraint): its ref and history kept, its place in the waiting order that of its new
    date. Through the unit of work, as every other change of a registration."""
    with db.session.no_autoflush:
        for name, value in details.items():
            setattr(earlier, name, value)
        earlier.delegation = delegation
        _set_status(earlier, RegistrationStatus.PENDING, "registered again")
        audit.log(
            "registration.renewed",
            meeting=earlier.meeting,
            target=_audit_target(earlier),
            details={"by_organiser": by_organiser},
            participant=earlier,
        )
        if decided is not None:
            _set_status(earlier, *decided)
    db.session.flush()
    return earlier


def organisation_confirmed(
    meeting: Meeting, delegation: Delegation, people: Collection[Participant] | None = None
) -> list[Participant]:
    """After an organisation is confirmed (or an unconfirmed one merged into `delegation`),
    its pending registrations (or those of `people`) follow the approval rule as register()
    applies it, oldest first. Returns those whose status changed; under the meeting's lock."""
    _lock(meeting)
    if meeting.approval_rule is not Approval.AUTOMATIC or not delegation.confirmed:
        return []
    ids = {p.id for p in (people if people is not None else delegation.participants)}
    waiting = db.session.scalars(
        sa.select(Participant)
        .where(
            Participant.delegation_id == delegation.id,
            Participant.id.in_(ids),
            Participant.status == RegistrationStatus.PENDING,
        )
        .order_by(Participant.registered_at.asc().nulls_first(), Participant.id)
        .execution_options(populate_existing=True)
    ).all()
    for person in waiting:
        _approve_or_wait(meeting, person, "automatic approval, the organisation confirmed")
        db.session.flush()
    return list(waiting)


def change(
    meeting: Meeting,
    person: Participant,
    action: str,
    *,
    by_participant: bool = False,
    by_focal_point: bool = False,
    reason: str | None = None,
) -> list[Participant]:
    """approve, decline or cancel a registration; freed places go to the waiting list.

    Returns every registration whose status changed (this one, and any promoted), so that
    the caller can tell them once the change is committed. `reason`, the organisers' words,
    is kept in the audit log with the change. Who did it (the participant, their
    organisation's focal point, else an organiser) is said in the log too.
    """
    if action not in TRANSITIONS:
        raise InvalidTransition(_("Unknown action."))
    _lock(meeting)
    db.session.refresh(person)  # the status as it stands now that the meeting is locked
    by = (
        "the participant"
        if by_participant
        else ("the organisation's focal point" if by_focal_point else "an organiser")
    )
    return _change(meeting, person, action, by=by, reason=reason)


def _change(
    meeting: Meeting,
    person: Participant,
    action: str,
    *,
    by: str = "an organiser",
    reason: str | None = None,
) -> list[Participant]:
    """change(), the meeting locked and the person read under the lock; `by`: who, in words
    for the log."""
    if person.status not in TRANSITIONS[action]:
        messages = {
            "approve": _("A registration with the status “%(status)s” cannot be approved."),
            "decline": _("A registration with the status “%(status)s” cannot be declined."),
            "cancel": _("A registration with the status “%(status)s” cannot be cancelled."),
        }
        raise InvalidTransition(messages[action] % {"status": label(person.status)})
    if action == "approve" and not person.delegation.confirmed:
        raise InvalidTransition(
            _(
                "%(organisation)s is not confirmed yet: confirm it, or merge it into another, "
                "on the organisations page first.",
                organisation=person.delegation.display_name,
            )
        )
    if action == "approve" and person.role is HEAD and person.status not in HEAD_SEAT_STATUSES:
        _refuse_second_head(person.delegation, person.id)
    was_approved = person.status is APPROVED
    before = person.status
    promoted: list[Participant] = []
    reason = (reason or "").strip() or None
    if action == "approve":
        if not was_approved:
            _approve_or_wait(meeting, person, f"approved by {by}", reason)
    else:
        target = (
            RegistrationStatus.DECLINED if action == "decline" else RegistrationStatus.CANCELLED
        )
        _set_status(person, target, f"{_past(action)} by {by}", reason)
        if was_approved:
            db.session.flush()
            promoted = _promote_waiting(meeting)
    db.session.flush()
    return ([person] if person.status is not before else []) + promoted


@dataclass(frozen=True)
class Decided:
    """What one decision of several did to one registration."""

    person: Participant
    before: RegistrationStatus
    # Every registration whose status the decision changed: this one, and any promoted.
    changed: list[Participant]
    refused: str | None = None  # why the status did not allow it, as a sentence


def decide_many(
    meeting: Meeting, people: list[Participant], action: str, *, reason: str | None = None
) -> list[Decided]:
    """The same decision for several registrations, one by one under one lock.

    Each goes through the same rules as a single decision (quotas, capacity, the waiting
    list), oldest registration first, so that places go in order of registration. What a
    status does not allow is refused for that person alone, and said.
    """
    if action not in TRANSITIONS:
        raise InvalidTransition(_("Unknown action."))
    _lock(meeting)
    ids = [p.id for p in people]
    # Read again under the lock, in order of registration.
    fresh = db.session.scalars(
        sa.select(Participant)
        .where(Participant.meeting_id == meeting.id, Participant.id.in_(ids))
        .options(selectinload(Participant.delegation))
        .order_by(Participant.registered_at.asc().nulls_first(), Participant.id)
        .execution_options(populate_existing=True)
    ).all()
    outcomes = []
    for person in fresh:
        before = person.status
        try:
            changed = _change(meeting, person, action, reason=reason)
        except (InvalidTransition, HeadOfDelegationTaken) as exc:
            outcomes.append(Decided(person, before, [], str(exc)))
        else:
            outcomes.append(Decided(person, before, changed))
    return outcomes


def update_registration(
    meeting: Meeting, person: Participant, request: RegistrationRequest
) -> list[str]:
    """An organiser corrects a registration's details; the names of the fields changed.

    The status stays: an approved person moved to another organisation stays approved only
    if that organisation's quota has a place (else RegistrationError on `organisation`).
    """
    _lock(meeting)
    db.session.refresh(person)
    delegation, email, _earlier = _checked(meeting, request, person)
    assert delegation is not None  # organisers choose from the list
    becomes_head = request.role is HEAD and (
        person.role is not HEAD or delegation.id != person.delegation_id
    )
    if becomes_head and person.status in HEAD_SEAT_STATUSES:
        _refuse_second_head(delegation, person.id)
    moving_approved = person.status is APPROVED and delegation.id != person.delegation_id
    if moving_approved and not delegation.confirmed:
        # An approved person is listed publicly: never under an unconfirmed organisation.
        raise RegistrationError(
            _("The registration has problems."),
            {
                "organisation": _(
                    "%(organisation)s is not confirmed yet: confirm it on the organisations "
                    "page before moving an approved person to it.",
                    organisation=delegation.display_name,
                )
            },
        )
    if moving_approved:
        total, per_delegation = _approved_counts(meeting)
        # The person as they would be: counted in the total already, not in the new one.
        moved = cast(
            Participant, SimpleNamespace(delegation=delegation, delegation_id=delegation.id)
        )
        if not _fits(meeting, moved, total - 1, per_delegation):
            raise RegistrationError(
                _("The registration has problems."),
                {
                    "organisation": _(
                        "%(organisation)s has no approved place left within its quota: "
                        "decline or cancel one of its registrations first, or choose "
                        "another organisation.",
                        organisation=delegation.display_name,
                    )
                },
            )
    values: dict[str, Any] = {
        "delegation_id": delegation.id,
        "honorific": (request.honorific or "").strip() or None,
        "given_name": request.given_name.strip(),
        "family_name": request.family_name.strip(),
        "position": (request.position or "").strip() or None,
        "email": email,
        "role": request.role,
        "funded": request.funded,
        "needs_visa_letter": request.needs_visa_letter,
        "dietary": (request.dietary or "").strip() or None,
        "accessibility": (request.accessibility or "").strip() or None,
        "list_consent": request.list_consent,
    }
    if request.language is not None:  # None: the form did not ask, the person's stays
        values["language"] = request.language
    if request.travel_support_requested is not None:  # likewise
        values["travel_support_requested"] = request.travel_support_requested
    for name in ("funded", "travel_support_requested", "needs_visa_letter", "list_consent"):
        # A box left unticked says "no" to what was never asked: not a change of the record.
        if values.get(name) is False and getattr(person, name) is None:
            values[name] = None
    changed = [name for name, value in values.items() if getattr(person, name) != value]
    if not changed:
        return []
    for name in changed:
        setattr(person, name, value := values[name])
        if name == "email":
            person.email_key = mailbox_key(value)
    if "delegation_id" in changed:
        person.delegation = delegation
    if "email" in changed:
        find_or_invite(email)
    audit.log(
        "registration.updated",
        meeting=meeting,
        target=_audit_target(person),
        details={"fields": ["organisation" if n == "delegation_id" else n for n in changed]},
    )
    db.session.flush()
    return changed


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
        travel_support_requested=data.get("travel_support_requested"),
        needs_visa_letter=data.get("needs_visa_letter"),
        dietary=data.get("dietary"),
        accessibility=data.get("accessibility"),
        list_consent=data.get("list_consent"),
        language=data.get("language"),
    )


def offered_actions(status: RegistrationStatus) -> tuple[str, ...]:
    """The decisions the desk offers for a status: those TRANSITIONS allow that change it."""
    return tuple(
        action
        for action, allowed in TRANSITIONS.items()
        if status in allowed and not (action == "approve" and status is APPROVED)
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


def organisation_choices(meeting: Meeting, *, unconfirmed: bool = False) -> list[tuple[str, str]]:
    """The meeting's organisations as (ref, label), by kind and name, for the form; those
    a registrant named and no organiser has confirmed yet only when `unconfirmed`."""
    order = {kind: n for n, kind in enumerate(KIND_ORDER)}
    query = sa.select(Delegation).where(Delegation.meeting_id == meeting.id)
    if not unconfirmed:
        query = query.where(Delegation.confirmed.is_(True))
    delegations = db.session.scalars(query).all()
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
        target=_audit_target(person),
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


def registrations_by_ref(meeting: Meeting, refs: list[str]) -> list[Participant]:
    """The meeting's registrations with these refs (those that exist), in order of arrival."""
    return list(
        db.session.scalars(
            sa.select(Participant)
            .where(Participant.meeting_id == meeting.id, Participant.ref.in_(refs[:1000]))
            .options(selectinload(Participant.delegation))
            .order_by(Participant.registered_at.asc().nulls_first(), Participant.id)
        )
    )


def register_in_place_of(
    meeting: Meeting,
    replaced: Participant,
    request: RegistrationRequest,
    *,
    nominated_by: User | None = None,
) -> Participant:
    """A delegation replaces one of its people: `replaced` is cancelled and the new person
    takes their seat with their status, under the meeting's lock. An approved seat passes
    straight to the newcomer: the quota's count is unchanged and nobody on the waiting list
    is promoted by the cancellation; a waiting newcomer keeps the replaced one's place in the
    waiting order. Only a registration that holds or waits for a seat can be replaced
    (InvalidTransition); the newcomer's details are checked as register() checks them, for
    the replaced one's organisation (`request.organisation`). `nominated_by`: the focal
    point (NotYourDelegation otherwise); None when an organiser replaces."""
    by_organiser = nominated_by is None
    if not by_organiser and not registration_open(meeting):
        raise RegistrationClosed(_("Registration for this meeting is closed."))
    if request.organisation != replaced.delegation.ref or request.new_organisation is not None:
        raise RegistrationError(
            _("The registration has problems."),
            {"organisation": _("The replacement must be of the same organisation.")},
        )
    delegation, email, earlier, ref = _checked_new(meeting, request, by_organiser=by_organiser)
    assert delegation is not None  # the replaced one's, chosen above
    if nominated_by is not None:
        _refuse_other_delegation(nominated_by, delegation)
    account_made = ensure_account(email)
    _lock(meeting)
    db.session.refresh(replaced)
    if replaced.status not in HEAD_SEAT_STATUSES or replaced.delegation_id != delegation.id:
        raise InvalidTransition(
            _("A registration with the status “%(status)s” cannot be replaced.")
            % {"status": label(replaced.status)}
        )
    if earlier is not None:
        db.session.refresh(earlier)
        if earlier.status is not RegistrationStatus.CANCELLED:  # renewed meanwhile
            raise _already_registered(email)
    seat = replaced.status
    # Cancelled first, so that the replaced head's role can pass to the newcomer; the freed
    # place is not offered to the waiting list (no _promote_waiting): it is the newcomer's.
    _set_status(replaced, RegistrationStatus.CANCELLED, "replaced by its delegation")
    db.session.flush()
    if request.role is HEAD:
        _refuse_second_head(delegation, earlier.id if earlier is not None else None)
    details = _new_details(request, delegation, email, nominated_by)
    if seat is WAITLISTED:  # a waiting newcomer waits where the replaced one waited
        details["registered_at"] = replaced.registered_at
    why = f"replaces {replaced.ref}"
    decided = None if seat is RegistrationStatus.PENDING else (seat, why)
    if earlier is None:
        # The row written now (no id drawn in advance): the caller reads it back at once.
        person = _inserted(
            meeting,
            delegation,
            ref,
            details,
            decided,
            by_organiser=by_organiser,
            first=account_made,
        )
    else:
        if account_made is not None:
            audit.write(account_made)
        person = _renewed(earlier, delegation, details, decided, by_organiser=by_organiser)
    audit.log(
        "registration.replaced",
        meeting=meeting,
        target=_audit_target(replaced),
        details={"replaced_by": person.ref},
    )
    audit.log(
        "registration.replaces",
        meeting=meeting,
        target=_audit_target(person),
        details={"replaces": replaced.ref},
    )
    db.session.flush()
    return person
