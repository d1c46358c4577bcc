"""What the public may see of a meeting: plain data for the public pages.

What the public may see is decided by eventapp.disclosure; the agenda is agenda/published.py's
read model. Never an e-mail address or any other registration detail.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from babel.dates import get_timezone_location
from flask_babel import gettext
from sqlalchemy.orm import selectinload

from .. import disclosure, localtime
from ..agenda import published, versions
from ..disclosure import ListedOrganisation, ListedPerson
from ..extensions import db
from ..lookups import find_session
from ..models import (
    Change,
    Meeting,
    OrganisationKind,
    Outcome,
    OutcomeKind,
    Participant,
    Record,
    ReportKind,
    ReportVersion,
    Session,
    SessionKind,
)
from ..registration.service import registration_state
from ..reports.service import OutcomeLine, outcome_line
from ..vocabulary import HEADINGS, label


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
class KindGroup:
    kind: OrganisationKind
    label: str
    organisations: tuple[ListedOrganisation, ...]

    @property
    def count(self) -> int:
        return sum(len(o.people) for o in self.organisations)


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
        chair=disclosure.listed_person(meeting.chair),
        agenda_published=meeting.agenda_published_at is not None,
        # In the meeting's zone, as every time the public reads.
        registration_opens=_local(meeting.registration_opens, tz),
        registration_closes=_local(meeting.registration_closes, tz),
        registration_state=registration_state(meeting),
        reports=_reports(meeting),
    )


def _local(instant: datetime | None, tz: ZoneInfo) -> datetime | None:
    return instant.astimezone(tz) if instant is not None else None


def listed_participants(meeting: Meeting) -> list[KindGroup]:
    """Approved participants who consented, by organisation kind, then organisation."""
    return [
        KindGroup(group.kind, label(group.kind, heading=True), group.organisations)
        for group in disclosure.listed_participants(meeting)
    ]


@dataclass(frozen=True)
class OutcomeGroup:
    """The approved outcomes of one kind, under their heading."""

    kind: OutcomeKind
    heading: str
    outcomes: tuple[OutcomeLine, ...]


@dataclass(frozen=True)
class SessionPage:
    """A session of the published agenda, with what its approved record says (if any)."""

    item: published.Item
    summary: str | None = None
    outcomes: tuple[OutcomeGroup, ...] = ()

    @property
    def cancelled(self) -> bool:
        return self.item.cancelled


def _outcome_heading(kind: OutcomeKind) -> str:
    # The vocabulary heads the findings; actions and statements are headed here.
    if kind in HEADINGS[OutcomeKind]:
        return label(kind, heading=True)
    if kind is OutcomeKind.ACTION:
        return gettext("Action items")
    return gettext("Statements")


def _published_item(meeting: Meeting, ref: str) -> tuple[published.Agenda, published.Item] | None:
    """The published agenda and its public session with that ref, cancelled ones too."""
    if meeting.agenda_published_at is None:
        return None
    agenda = published.build(meeting)
    item = next((i for i in (*agenda.items, *agenda.cancelled) if i.ref == ref), None)
    return (agenda, item) if item is not None else None


def session_agenda(meeting: Meeting, ref: str) -> published.Agenda | None:
    """The published agenda narrowed to one public session: what its own calendar file holds."""
    found = _published_item(meeting, ref)
    if found is None:
        return None
    agenda, item = found
    days = tuple(replace(d, items=tuple(i for i in d.items if i is item)) for d in agenda.days)
    return replace(agenda, days=days, cancelled=tuple(i for i in agenda.cancelled if i is item))


def session_page(meeting: Meeting, ref: str) -> SessionPage | None:
    """The public page of a session of the newest published version; None where the public may
    not see it (closed, not public, not published, unknown). A cancelled one keeps its title
    and former time, and shows nothing else."""
    found = _published_item(meeting, ref)
    if found is None:
        return None
    item = found[1]
    if item.cancelled:
        return SessionPage(item)
    session = find_session(
        meeting,
        ref,
        selectinload(Session.record)
        .selectinload(Record.outcomes)
        .options(
            selectinload(Outcome.owner),
            selectinload(Outcome.speaker).selectinload(Participant.delegation),
        ),
    )
    record = session.record if session is not None else None
    # Approval is the gate: a draft or submitted record shows nothing of itself.
    if record is None or not record.approved:
        return SessionPage(item)
    lines = [outcome_line(o) for o in record.outcomes]
    groups = tuple(
        OutcomeGroup(kind, _outcome_heading(kind), of_kind)
        for kind in OutcomeKind
        if (of_kind := tuple(line for line in lines if line.kind is kind))
    )
    return SessionPage(item, record.summary, groups)


@dataclass(frozen=True)
class PublicChange:
    """One change of a published version to a session the public may see."""

    ref: str
    title: str
    change: Change
    # False where the session's page is not shown now (closed or not public since).
    linked: bool


@dataclass(frozen=True)
class PublicVersion:
    """A published version of the agenda as its public changelog shows it."""

    number: int
    published_at: datetime
    changes: tuple[PublicChange, ...]
    # Version 1 is summarised, not listed: how many public sessions it published.
    first_sessions: int | None = None


def _seen(entry: dict[str, object] | None) -> bool:
    # As disclosure decided when the version was published, and never a closed kind.
    return entry is not None and bool(entry["public"]) and entry["kind"] != SessionKind.CLOSED.value


def agenda_changes(meeting: Meeting) -> list[PublicVersion] | None:
    """Every published version, newest first, with its changes to public sessions only;
    None while the agenda was never published."""
    # Unpublished as the other public surfaces judge it, whatever versions are stored.
    found = versions.published_versions(meeting) if meeting.agenda_published_at else []
    if not found:
        return None
    newest = {e["ref"]: e for e in found[0].sessions}
    shown = []
    for version in found:
        entries = {e["ref"]: e for e in version.sessions}
        if version.number == 1:
            count = sum(1 for e in version.sessions if _seen(e) and not e["cancelled"])
            shown.append(PublicVersion(1, version.published_at, (), count))
            continue
        changes = tuple(
            PublicChange(c["ref"], c.get("title", c["ref"]), Change(c["change"]), linked)
            for c in version.changes
            if _seen(entries.get(c["ref"]))
            for linked in (_seen(newest.get(c["ref"])),)
        )
        shown.append(PublicVersion(version.number, version.published_at, changes))
    return shown
