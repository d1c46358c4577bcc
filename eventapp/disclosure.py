"""What the public may see of a meeting, and how people are named there: the one rule set.

Contract section 5, decided once for every public page, calendar, schedule export and published
document: only public sessions are shown; a participant is named only when approved and
consenting to be listed; a name is written honorific, given name, family name; and a person who
may not be named is attributed in a report as a representative of their organisation.
Session.is_public and the participant's columns are the model's facts; every surface asks here.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import selectinload

from .extensions import db
from .models import (
    KIND_ORDER,
    Meeting,
    OrganisationKind,
    Participant,
    ParticipantRole,
    RegistrationStatus,
    Session,
    SessionKind,
)

# What may_be_named() and public_name() read of a participant, for queries that load only that.
NAME_COLUMNS = (
    Participant.ref,
    Participant.honorific,
    Participant.given_name,
    Participant.family_name,
    Participant.status,
    Participant.list_consent,
)


# --- sessions -----------------------------------------------------------------------------------


def is_public(session: Session) -> bool:
    """Shown on public pages, calendars and exports: closed sessions and ones marked not public
    never are."""
    return session.is_public


def public_sessions() -> sa.ColumnElement[bool]:
    """is_public() as a condition on sessions, for queries that select public ones only."""
    return sa.and_(
        sa.or_(Session.public.is_(None), Session.public.is_(True)),
        Session.kind != SessionKind.CLOSED,
    )


# --- people ---------------------------------------------------------------------------------------


def may_be_named(person: Participant | None) -> bool:
    """Named on public pages and in published lists: approved, and consenting to be listed."""
    return (
        person is not None
        and person.status is RegistrationStatus.APPROVED
        and bool(person.list_consent)
    )


def named_participants() -> sa.ColumnElement[bool]:
    """may_be_named() as a condition on participants."""
    return sa.and_(
        Participant.status == RegistrationStatus.APPROVED,
        Participant.list_consent.is_(True),
    )


@dataclass(frozen=True)
class PublicName:
    """A person's name as the public may see it; only ever built for people who may be named.

    Pages write it inside <bdi> (templates/public/_names.html), so a name written right to left
    keeps its order and cannot reorder the text around it; text forms print `text`.
    """

    honorific: str | None
    given_name: str
    family_name: str

    @property
    def full_name(self) -> str:
        """Given and family name, as a signature is printed."""
        return f"{self.given_name} {self.family_name}"

    @property
    def text(self) -> str:
        """'Dr Amina Diallo': the whole name as one line of text."""
        return f"{self.honorific} {self.full_name}" if self.honorific else self.full_name


def public_name(person: Participant | None) -> PublicName | None:
    """The person's name if they may be named in public, else None."""
    if person is None or not may_be_named(person):
        return None
    return PublicName(person.honorific, person.given_name, person.family_name)


def name_text(person: Participant | None) -> str | None:
    """The person's name as one line of text if they may be named in public, else None."""
    name = public_name(person)
    return name.text if name else None


@dataclass(frozen=True)
class Attribution:
    """Who said or chaired something, as a published document prints it."""

    # The name only with consent; the organisation always.
    name: str | None
    organisation: str | None
    # "A representative of <organisation>", for someone who may not be named.
    representative: str | None


def attribution(person: Participant | None) -> Attribution:
    """How a report attributes the person (in the current language): by name or organisation."""
    if person is None:
        return Attribution(None, None, None)
    organisation = person.delegation.name
    name = name_text(person)
    representative = None
    if name is None and organisation:
        representative = gettext("A representative of %(organisation)s", organisation=organisation)
    return Attribution(name, organisation, representative)


# --- the published list of participants -----------------------------------------------------------


@dataclass(frozen=True)
class ListedPerson(PublicName):
    position: str | None


@dataclass(frozen=True)
class ListedOrganisation:
    name: str
    acronym: str | None
    country: str | None
    people: tuple[ListedPerson, ...]


@dataclass(frozen=True)
class ListedGroup:
    """The listed participants of one kind of organisation."""

    kind: OrganisationKind
    organisations: tuple[ListedOrganisation, ...]

    @property
    def count(self) -> int:
        return sum(len(o.people) for o in self.organisations)


def listed_person(person: Participant | None) -> ListedPerson | None:
    """The person with their position, if they may be named in public."""
    name = public_name(person)
    if person is None or name is None:
        return None
    return ListedPerson(name.honorific, name.given_name, name.family_name, person.position)


def listed_participants(meeting: Meeting) -> tuple[ListedGroup, ...]:
    """Who may be listed by name, by organisation kind, organisation and family name, each
    organisation's head of delegation first.

    The public list of participants and the reports' annex both print this, and nothing else:
    names, honorifics and positions, never an e-mail address or a personal need.
    """
    people = db.session.scalars(
        sa.select(Participant)
        .where(Participant.meeting_id == meeting.id, named_participants())
        .options(selectinload(Participant.delegation))
    ).all()
    by_delegation: dict[int, list[Participant]] = {}
    for person in people:
        if may_be_named(person):  # the rule again, where the query states it
            by_delegation.setdefault(person.delegation_id, []).append(person)
    delegations = sorted(
        {p.delegation for members in by_delegation.values() for p in members},
        key=lambda d: (d.name.casefold(), d.id),
    )
    groups: dict[OrganisationKind, list[ListedOrganisation]] = {kind: [] for kind in KIND_ORDER}
    for delegation in delegations:
        members = sorted(
            by_delegation[delegation.id],
            key=lambda p: (
                p.role is not ParticipantRole.HEAD_OF_DELEGATION,
                p.family_name.casefold(),
                p.given_name.casefold(),
                p.id,
            ),
        )
        listed = tuple(
            ListedPerson(p.honorific, p.given_name, p.family_name, p.position) for p in members
        )
        groups[delegation.kind].append(
            ListedOrganisation(delegation.name, delegation.acronym, delegation.country, listed)
        )
    return tuple(
        ListedGroup(kind, tuple(organisations))
        for kind, organisations in groups.items()
        if organisations
    )
