"""What the public may see of a meeting: plain data for the public pages.

The rules live here: only public sessions of a published agenda, only approved participants
who consented to be listed, never an e-mail address.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from .. import localtime
from ..extensions import db
from ..models import (
    KIND_ORDER,
    Delegation,
    Meeting,
    OrganisationKind,
    Participant,
    RegistrationStatus,
    Session,
    SessionPerson,
)


@dataclass(frozen=True)
class MeetingSummary:
    slug: str
    title: str
    short_title: str | None
    host: str | None
    description: str | None
    venue_name: str | None
    venue_city: str | None
    venue_country: str | None
    start_date: date
    end_date: date
    timezone: str
    zone_label: str
    chair: str | None
    agenda_published: bool
    registration_opens: datetime | None
    registration_closes: datetime | None


@dataclass(frozen=True)
class AgendaEntry:
    ref: str
    number: str | None
    title: str
    kind: str
    description: str | None
    start: datetime
    end: datetime
    room: str | None
    chairs: list[str]
    speakers: list[str]


@dataclass(frozen=True)
class AgendaDay:
    day: date
    utc_offset: str
    entries: list[AgendaEntry]


@dataclass(frozen=True)
class ListedPerson:
    honorific: str | None
    given_name: str
    family_name: str
    position: str | None


@dataclass(frozen=True)
class ListedOrganisation:
    name: str
    acronym: str | None
    country: str | None
    people: list[ListedPerson]


@dataclass(frozen=True)
class KindGroup:
    kind: OrganisationKind
    organisations: list[ListedOrganisation] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(o.people) for o in self.organisations)


def find_meeting(slug: str) -> Meeting | None:
    return db.session.scalar(sa.select(Meeting).where(Meeting.slug == slug))


def public_name(person: Participant) -> str | None:
    """A participant's name as the public may see it: only with consent."""
    if not person.listed:
        return None
    prefix = f"{person.honorific} " if person.honorific else ""
    return f"{prefix}{person.given_name} {person.family_name}"


def summary(meeting: Meeting, locale: str) -> MeetingSummary:
    chair = public_name(meeting.chair) if meeting.chair else None
    return MeetingSummary(
        slug=meeting.slug,
        title=meeting.title,
        short_title=meeting.short_title,
        host=meeting.host,
        description=meeting.description,
        venue_name=meeting.venue_name,
        venue_city=meeting.venue_city,
        venue_country=meeting.venue_country,
        start_date=meeting.start_date,
        end_date=meeting.end_date,
        timezone=meeting.timezone,
        zone_label=localtime.zone_label(meeting.zone, locale),
        chair=chair,
        agenda_published=meeting.agenda_published_at is not None,
        registration_opens=meeting.registration_opens,
        registration_closes=meeting.registration_closes,
    )


def public_agenda(meeting: Meeting) -> list[AgendaDay]:
    """The published agenda by day: public sessions only, in local time."""
    if meeting.agenda_published_at is None:
        return []
    sessions = db.session.scalars(
        sa.select(Session)
        .where(Session.meeting_id == meeting.id)
        .options(
            selectinload(Session.room),
            selectinload(Session.people)
            .selectinload(SessionPerson.participant),
        )
        .order_by(Session.start_local, Session.end_local, Session.id)
    ).all()
    tz: ZoneInfo = meeting.zone
    entries = [_entry(s) for s in sessions if s.is_public]
    return [
        AgendaDay(day=day, utc_offset=localtime.utc_offset_label(tz, items[0].start), entries=items)
        for day, group in groupby(entries, key=lambda e: e.start.date())
        for items in [list(group)]
    ]


def _names(people: list[Participant]) -> list[str]:
    return [name for name in (public_name(p) for p in people) if name]


def _entry(s: Session) -> AgendaEntry:
    return AgendaEntry(
        ref=s.ref,
        number=s.number,
        title=s.title,
        kind=s.kind.value,
        description=s.description,
        start=s.start_local,
        end=s.end_local,
        room=s.room.name if s.room else None,
        chairs=_names(s.chairs),
        speakers=_names(s.speakers),
    )


def listed_participants(meeting: Meeting) -> list[KindGroup]:
    """Approved participants who consented, by organisation kind, then organisation."""
    people = db.session.scalars(
        sa.select(Participant)
        .join(Participant.delegation)
        .where(
            Participant.meeting_id == meeting.id,
            Participant.status == RegistrationStatus.APPROVED,
            Participant.list_consent.is_(True),
        )
        .options(selectinload(Participant.delegation))
    ).all()
    by_delegation: dict[int, list[Participant]] = {}
    for person in people:
        by_delegation.setdefault(person.delegation_id, []).append(person)
    delegations: list[Delegation] = sorted(
        {p.delegation for p in people}, key=lambda d: (d.name.casefold(), d.id)
    )
    groups = {kind: KindGroup(kind) for kind in KIND_ORDER}
    for delegation in delegations:
        members = sorted(
            by_delegation[delegation.id],
            key=lambda p: (p.family_name.casefold(), p.given_name.casefold(), p.id),
        )
        groups[delegation.kind].organisations.append(
            ListedOrganisation(
                name=delegation.name,
                acronym=delegation.acronym,
                country=delegation.country,
                people=[
                    ListedPerson(p.honorific, p.given_name, p.family_name, p.position)
                    for p in members
                ],
            )
        )
    return [group for group in groups.values() if group.organisations]
