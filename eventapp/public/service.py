"""What the public may see of a meeting: plain data for the public pages.

The rules live here: only public sessions of a published agenda, only approved participants
who consented to be listed, never an e-mail address or any other registration detail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import groupby
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import get_timezone_location
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from .. import localtime
from ..extensions import db
from ..models import (
    Meeting,
    OrganisationKind,
    Participant,
    ReportKind,
    ReportVersion,
    Session,
    SessionKind,
    SessionPerson,
)
from ..registration.service import listed_by_kind, registration_state
from ..vocabulary import label

SESSION_KIND_LABELS = {
    SessionKind.PLENARY: _l("Plenary"),
    SessionKind.BREAKOUT: _l("Breakout session"),
    SessionKind.PANEL: _l("Panel"),
    SessionKind.CLOSED: _l("Closed session"),
    SessionKind.SIDE_EVENT: _l("Side event"),
    SessionKind.CEREMONY: _l("Ceremony"),
    SessionKind.BREAK: _l("Break"),
}


@dataclass(frozen=True)
class PublicName:
    """A person's name as the public may see it (only ever built for listed people)."""

    honorific: str | None
    given_name: str
    family_name: str


@dataclass(frozen=True)
class ListedPerson(PublicName):
    position: str | None


@dataclass(frozen=True)
class ReportLink:
    kind: str
    label: str
    href: str
    version: int | None
    published_at: datetime | None


@dataclass(frozen=True)
class MeetingCard:
    """A meeting in the list of meetings."""

    slug: str
    title: str
    short_title: str | None
    dates_label: str
    place: str | None


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
    venue_country_name: str | None
    start_date: date
    end_date: date
    dates_label: str
    timezone: str
    zone_label: str
    zone_place: str
    chair: ListedPerson | None
    agenda_published: bool
    registration_opens: datetime | None
    registration_closes: datetime | None
    registration_state: str
    reports: list[ReportLink] = field(default_factory=list)


@dataclass(frozen=True)
class AgendaEntry:
    ref: str
    number: str | None
    title: str
    kind: str
    kind_label: str
    description: str | None
    start: datetime
    end: datetime
    # ISO 8601 with the UTC offset in force at that wall-clock time, for <time datetime>.
    start_iso: str
    end_iso: str
    utc_offset: str
    room: str | None
    chairs: list[PublicName]
    speakers: list[PublicName]


@dataclass(frozen=True)
class AgendaDay:
    day: date
    # Offsets in force during the day's sessions, in order: two on a day the clocks change.
    offsets: list[str]
    entries: list[AgendaEntry]

    @property
    def utc_offset(self) -> str:
        return self.offsets[0]

    @property
    def clocks_change(self) -> bool:
        return len(self.offsets) > 1


@dataclass(frozen=True)
class ListedOrganisation:
    name: str
    acronym: str | None
    country: str | None
    people: list[ListedPerson]


@dataclass(frozen=True)
class KindGroup:
    kind: OrganisationKind
    label: str
    organisations: list[ListedOrganisation] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(len(o.people) for o in self.organisations)


def find_meeting(slug: str) -> Meeting | None:
    """The meeting with that slug; None for any slug that cannot be one (PostgreSQL refuses NUL)."""
    if not slug or len(slug) > 64 or "\x00" in slug:
        return None
    return db.session.scalar(sa.select(Meeting).where(Meeting.slug == slug))


def public_name(person: Participant | None) -> str | None:
    """A participant's name as one line of text, as the public may see it: only with consent."""
    name = public_person(person)
    if name is None:
        return None
    prefix = f"{name.honorific} " if name.honorific else ""
    return f"{prefix}{name.given_name} {name.family_name}"


def public_person(person: Participant | None) -> PublicName | None:
    """A participant's name as the public may see it: only approved and with consent."""
    if person is None or not person.listed:
        return None
    return PublicName(person.honorific, person.given_name, person.family_name)


def _listed_person(person: Participant | None) -> ListedPerson | None:
    if person is None or not person.listed:
        return None
    return ListedPerson(person.honorific, person.given_name, person.family_name, person.position)


def dates_label(start: date, end: date, locale: str) -> str:
    """'5 March 2013' for one day, '23–26 Oct 2026' for several, in the reader's language."""
    return localtime.format_date_range(start, end, locale)


def _place(meeting: Meeting, locale: str) -> str | None:
    parts = [meeting.venue_city, localtime.country_name(meeting.venue_country, locale)]
    return ", ".join(p for p in parts if p) or None


def list_meetings(locale: str) -> list[MeetingCard]:
    """Every meeting, newest first."""
    meetings = db.session.scalars(
        sa.select(Meeting).order_by(Meeting.start_date.desc(), Meeting.id.desc())
    ).all()
    return [
        MeetingCard(
            slug=m.slug,
            title=m.title,
            short_title=m.short_title,
            dates_label=dates_label(m.start_date, m.end_date, locale),
            place=_place(m, locale),
        )
        for m in meetings
    ]


def _zone_place(meeting: Meeting, tz: ZoneInfo, locale: str) -> str:
    # The venue's city is the place readers know; the zone's own city when none is given.
    if meeting.venue_city:
        return meeting.venue_city
    try:
        return str(
            get_timezone_location(tz.key, locale=localtime.babel_locale(locale), return_city=True)
        )
    except LookupError:  # pragma: no cover - babel knows every IANA zone tzdata ships
        return tz.key


def _reports(meeting: Meeting) -> list[ReportLink]:
    newest = {
        kind: (version, published_at)
        for kind, version, published_at in db.session.execute(
            sa.select(
                ReportVersion.kind,
                sa.func.max(ReportVersion.version),
                sa.func.max(ReportVersion.published_at),
            )
            .where(ReportVersion.meeting_id == meeting.id)
            .group_by(ReportVersion.kind)
        )
    }
    links = []
    for kind in ReportKind:
        version, published_at = newest.get(kind, (None, None))
        links.append(
            ReportLink(
                kind=kind.value,
                label=label(kind),
                # A plain path: the reports blueprint answers it (404 while none is published).
                href=f"/meetings/{meeting.slug}/reports/{kind.value}.pdf",
                version=version,
                published_at=published_at,
            )
        )
    return links


def summary(meeting: Meeting, locale: str) -> MeetingSummary:
    tz = meeting.zone
    return MeetingSummary(
        slug=meeting.slug,
        title=meeting.title,
        short_title=meeting.short_title,
        host=meeting.host,
        description=meeting.description,
        venue_name=meeting.venue_name,
        venue_city=meeting.venue_city,
        venue_country=meeting.venue_country,
        venue_country_name=localtime.country_name(meeting.venue_country, locale) or None,
        start_date=meeting.start_date,
        end_date=meeting.end_date,
        dates_label=dates_label(meeting.start_date, meeting.end_date, locale),
        timezone=tz.key,
        zone_label=localtime.zone_label(tz, locale),
        zone_place=_zone_place(meeting, tz, locale),
        chair=_listed_person(meeting.chair),
        agenda_published=meeting.agenda_published_at is not None,
        registration_opens=meeting.registration_opens,
        registration_closes=meeting.registration_closes,
        registration_state=registration_state(meeting),
        reports=_reports(meeting),
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
            selectinload(Session.people).selectinload(SessionPerson.participant),
        )
        .order_by(Session.start_local, Session.end_local, Session.id)
    ).all()
    tz: ZoneInfo = meeting.zone
    entries = [_entry(s, tz) for s in sessions if s.is_public]
    days = []
    for day, group in groupby(entries, key=lambda e: e.start.date()):
        items = list(group)
        offsets = list(dict.fromkeys(e.utc_offset for e in items))
        days.append(AgendaDay(day=day, offsets=offsets, entries=items))
    return days


def _names(people: list[Participant]) -> list[PublicName]:
    return [name for name in (public_person(p) for p in people) if name]


def _entry(s: Session, tz: ZoneInfo) -> AgendaEntry:
    # The offset is taken per session, so a day on which the clocks change is right too.
    start = s.start_local.replace(tzinfo=tz)
    end = s.end_local.replace(tzinfo=tz)
    return AgendaEntry(
        ref=s.ref,
        number=s.number,
        title=s.title,
        kind=s.kind.value,
        kind_label=str(SESSION_KIND_LABELS[s.kind]),
        description=s.description,
        start=s.start_local,
        end=s.end_local,
        start_iso=start.isoformat(timespec="minutes"),
        end_iso=end.isoformat(timespec="minutes"),
        utc_offset=localtime.utc_offset_label(tz, s.start_local),
        room=s.room.name if s.room else None,
        chairs=_names(s.chairs),
        speakers=_names(s.speakers),
    )


def listed_participants(meeting: Meeting) -> list[KindGroup]:
    """Approved participants who consented, by organisation kind, then organisation."""
    return [
        KindGroup(
            kind,
            label(kind, heading=True),
            [
                ListedOrganisation(
                    name=delegation.name,
                    acronym=delegation.acronym,
                    country=delegation.country,
                    people=[
                        ListedPerson(p.honorific, p.given_name, p.family_name, p.position)
                        for p in people
                    ],
                )
                for delegation, people in organisations
            ],
        )
        for kind, organisations in listed_by_kind(meeting)
    ]
