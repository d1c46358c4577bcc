"""The agenda as everyone reads it: one frozen read model behind every page and document.

Built once from the database, in a constant number of statements whatever the meeting's size,
and read by the public agenda page, agenda.ics, schedule.xml and schedule.json, the printable
agenda and the reports' annex. It is the newest published version (agenda/versions.py), its
rooms and people named as they are now; `draft=True` builds it from the sessions as the
organisers have them instead. What the public may see is decided by eventapp.disclosure: public
sessions only unless `include_closed` (the reports' annex), people by name only when they may be
named. Cancelled sessions are kept apart, for the calendar. Times are aware, in the meeting's
zone, from the stored instants. The fingerprint, a digest of everything the model holds, keys
the exports' caches and versions.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app
from flask_babel import ngettext
from sqlalchemy.orm import defer, joinedload

from .. import disclosure, localtime
from ..extensions import db
from ..models import (
    AgendaVersion,
    Meeting,
    Participant,
    Room,
    Session,
    SessionKind,
    SessionPerson,
)
from ..vocabulary import label

# Part of the fingerprint: raise it when an export's form changes, so that clients and the PDF
# cache do not keep the old form of unchanged data.
EXPORT_FORM = 1

# The meeting's own particulars the agenda carries as they are stored.
MEETING_FIELDS = (
    "slug",
    "title",
    "short_title",
    "document_symbol",
    "host",
    "description",
    "venue_name",
    "venue_city",
    "venue_country",
    "start_date",
    "end_date",
)


@dataclass(frozen=True)
class Person(disclosure.PublicName):
    """A chair or speaker, only ever built for people who may be named in public."""

    ref: str

    @property
    def name(self) -> str:
        return self.text


@dataclass(frozen=True)
class Place:
    """A room of the meeting; `ref` is None for the venue itself (sessions without a room)."""

    ref: str | None
    name: str


@dataclass(frozen=True)
class Item:
    """One session on the agenda, in the meeting's zone."""

    ref: str
    number: str | None
    title: str
    kind: SessionKind
    description: str | None
    start: datetime
    end: datetime
    room: Place | None
    chairs: tuple[Person, ...]
    speakers: tuple[Person, ...]
    # False only for a closed session, in an agenda built with include_closed.
    public: bool = True
    cancelled: bool = False
    # Calendars' SEQUENCE and LAST-MODIFIED: raised and set by each version that changed it.
    sequence: int = 0
    modified: datetime | None = None

    @property
    def closed(self) -> bool:
        return not self.public

    @property
    def heading(self) -> str:
        """'3.1. Title', or the title alone for an item without a number."""
        return f"{self.number}. {self.title}" if self.number else self.title

    @property
    def kind_label(self) -> str:
        """The session kind's name in the current language."""
        return kind_label(self.kind)

    @property
    def start_utc(self) -> datetime:
        return self.start.astimezone(UTC)

    @property
    def end_utc(self) -> datetime:
        return self.end.astimezone(UTC)

    # ISO 8601 with the UTC offset in force at that time, for <time datetime>.
    @property
    def start_iso(self) -> str:
        return self.start.isoformat(timespec="minutes")

    @property
    def end_iso(self) -> str:
        return self.end.isoformat(timespec="minutes")

    @property
    def duration(self) -> timedelta:
        """Time that really passes, which differs from the wall clock across a DST change."""
        return self.end_utc - self.start_utc

    @property
    def utc_offset(self) -> str:
        return _offset_label(self.start)

    @property
    def people(self) -> tuple[Person, ...]:
        """Chairs then speakers, each person once."""
        return tuple({p.ref: p for p in (*self.chairs, *self.speakers)}.values())


@dataclass(frozen=True)
class Day:
    """A day of the meeting (or one with sessions outside its dates), 1-based index."""

    index: int
    day: date
    # Bounds for the schedule exports: first start to last end, midnight to midnight if empty.
    start: datetime
    end: datetime
    # UTC offsets in force during the day's items, in order: two on the day the clocks change.
    offsets: tuple[str, ...]
    items: tuple[Item, ...]

    @property
    def utc_offset(self) -> str:
        return self.offsets[0]

    @property
    def clocks_change(self) -> bool:
        return len(self.offsets) > 1


@dataclass(frozen=True)
class Agenda:
    """The meeting's agenda: what its pages and documents show, and nothing they must not."""

    slug: str
    title: str
    short_title: str | None
    document_symbol: str | None
    host: str | None
    description: str | None
    venue_name: str | None
    venue_city: str | None
    venue_country: str | None
    timezone: str
    start_date: date
    end_date: date
    languages: tuple[str, ...]
    # None while the agenda is unpublished (only the reports' annex reads it then).
    published_at: datetime | None
    base_url: str
    days: tuple[Day, ...]
    # Sessions cancelled in a published version: only the calendar still shows them.
    cancelled: tuple[Item, ...] = ()
    # The published version shown; None for the draft.
    version: int | None = None

    @property
    def zone(self) -> ZoneInfo:
        return localtime.zone(self.timezone)

    @property
    def publication(self) -> datetime:
        """When the agenda was published; the exports are only ever made of a published one."""
        if self.published_at is None:
            raise ValueError(f"the agenda of {self.slug} is not published")
        return self.published_at

    @cached_property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for day in self.days for item in day.items)

    @cached_property
    def session_days(self) -> tuple[Day, ...]:
        """The days that have sessions: what the page, the printable agenda and the annex show."""
        return tuple(day for day in self.days if day.items)

    @cached_property
    def rooms(self) -> tuple[Place, ...]:
        """The places of the items, in order of first use, each name once."""
        places: dict[str, Place] = {}
        for item in self.items:
            place = item.room or self.venue
            places.setdefault(place.name, place)
        return tuple(places.values())

    @property
    def venue(self) -> Place:
        """Where an item without a room takes place."""
        return Place(None, self.venue_name or self.venue_city or self.title)

    def url(self, path: str = "") -> str:
        """An absolute URL under the meeting, e.g. url('agenda')."""
        return f"{self.base_url}/meetings/{self.slug}/{path}"

    @cached_property
    def fingerprint(self) -> str:
        """SHA-256 of everything the agenda shows: a change to any of it is a new version."""
        # The dataclasses' repr names every field, nested ones too (and a time's zone and fold).
        return hashlib.sha256(f"{EXPORT_FORM}\n{self!r}".encode()).hexdigest()

    def etag(self, variant: str) -> str:
        """The ETag of one export: the publication and the data it shows."""
        stamp = int(self.publication.timestamp())
        digest = hashlib.sha256(f"{variant}\n{self.fingerprint}".encode()).hexdigest()
        return f"{variant}-{stamp}-{digest[:20]}"


def published_agenda(meeting: Meeting) -> Agenda:
    """The meeting's published agenda as the public sees it; ValueError while unpublished."""
    if meeting.agenda_published_at is None:
        raise ValueError(f"the agenda of {meeting.slug} is not published")
    return build(meeting)


def public_days(meeting: Meeting) -> tuple[Day, ...]:
    """The days with public sessions of the published agenda; none while it is unpublished."""
    if meeting.agenda_published_at is None:
        return ()
    return build(meeting).session_days


def build(
    meeting: Meeting,
    *,
    include_closed: bool = False,
    draft: bool = False,
    version: AgendaVersion | None = None,
) -> Agenda:
    """The meeting's agenda: public sessions by day, or every session with include_closed.

    The newest published version, or the `version` given (one of the meeting's), in three
    statements (the version, the meeting's rooms, the people it names); the draft (or a
    meeting never published) in one.
    """
    if version is not None and version.meeting_id != meeting.id:
        raise ValueError(f"version {version.number} is not one of {meeting.slug}'s")
    shown_version = None if draft else version or _newest_version(meeting)
    if shown_version is None:
        items = _draft_items(meeting, include_closed)
    else:
        items = _version_items(meeting, shown_version, include_closed)
    published_at = version.published_at if version is not None else meeting.agenda_published_at
    tz = meeting.zone
    shown = [i for i in items if not i.cancelled]
    return Agenda(
        **{name: getattr(meeting, name) for name in MEETING_FIELDS},
        timezone=tz.key,
        languages=tuple(meeting.languages or ()),
        published_at=published_at.astimezone(UTC) if published_at else None,
        base_url=str(current_app.config["BASE_URL"]).rstrip("/"),
        days=_days(meeting.start_date, meeting.end_date, shown, tz),
        cancelled=tuple(i for i in items if i.cancelled),
        version=shown_version.number if shown_version else None,
    )


def find_version(meeting: Meeting, number: int) -> AgendaVersion | None:
    """The meeting's published version with that number, to build() it; None if there is none."""
    return db.session.scalar(
        sa.select(AgendaVersion).where(
            AgendaVersion.meeting_id == meeting.id, AgendaVersion.number == number
        )
    )


def _newest_version(meeting: Meeting) -> AgendaVersion | None:
    # Its changes are the changelog's, not the agenda's: left unread.
    return db.session.scalar(
        sa.select(AgendaVersion)
        .where(AgendaVersion.meeting_id == meeting.id)
        .options(defer(AgendaVersion.changes))
        .order_by(AgendaVersion.number.desc())
        .limit(1)
    )


def _draft_items(meeting: Meeting, include_closed: bool) -> list[Item]:
    """The sessions as they stand, with their rooms and people, in one statement."""
    query = sa.select(Session).where(Session.meeting_id == meeting.id)
    if not include_closed:
        query = query.where(disclosure.public_sessions())
    sessions = (
        db.session.scalars(
            query.options(
                joinedload(Session.room).load_only(Room.ref, Room.name),
                joinedload(Session.people)
                .joinedload(SessionPerson.participant)
                .load_only(*disclosure.NAME_COLUMNS),
            ).order_by(Session.start_local, Session.end_local, Session.id)
        )
        .unique()
        .all()
    )
    tz = meeting.zone
    # The query asks the database for public sessions; disclosure's own rule has the last word.
    return [
        _item(s, tz, public)
        for s in sessions
        if (public := disclosure.is_public(s)) or include_closed
    ]


def _version_items(meeting: Meeting, version: AgendaVersion, include_closed: bool) -> list[Item]:
    """A version's sessions, rooms and people named from the meeting's rows as they are now."""
    entries = [e for e in version.sessions if e["public"] or include_closed]
    # Agenda order, as the draft's query orders it; the list's order breaks ties.
    entries.sort(key=lambda e: (e["start_local"], e["end_local"]))
    rooms = {
        ref: Place(ref, name)
        for ref, name in db.session.execute(
            sa.select(Room.ref, Room.name).where(Room.meeting_id == meeting.id)
        )
    }
    refs = sorted({ref for e in entries for ref in (*e["chairs"], *e["speakers"])})
    # Only those who may be named, as disclosure's condition selects them; as plain rows,
    # each named once however many sessions it is in. Someone who has left the meeting since,
    # or may no longer be named, is not named.
    people: dict[str, Person] = {}
    if refs:
        named_rows = db.session.execute(
            sa.select(
                Participant.ref,
                Participant.honorific,
                Participant.given_name,
                Participant.family_name,
            ).where(
                Participant.meeting_id == meeting.id,
                # One parameter for the whole list: no statement built anew for each ref.
                Participant.ref.in_(sa.bindparam("refs", expanding=True)),
                disclosure.named_participants(),
            ),
            {"refs": refs},
        )
        people = {
            ref: Person(honorific, given, family, ref)
            for ref, honorific, given, family in named_rows
        }
    tz = meeting.zone
    kinds = {kind.value: kind for kind in SessionKind}

    def named(refs: list[str]) -> tuple[Person, ...]:
        return tuple([people[ref] for ref in refs if ref in people])

    return [
        Item(
            ref=e["ref"],
            number=e["number"],
            title=e["title"],
            kind=kinds[e["kind"]],
            description=e["description"],
            start=datetime.fromisoformat(e["start_utc"]).astimezone(tz),
            end=datetime.fromisoformat(e["end_utc"]).astimezone(tz),
            room=rooms.get(e["room"]) if e["room"] else None,
            chairs=named(e["chairs"]),
            speakers=named(e["speakers"]),
            # As published, and never a closed kind, whatever the entry says.
            public=bool(e["public"]) and e["kind"] != SessionKind.CLOSED.value,
            cancelled=bool(e["cancelled"]),
            sequence=int(e["sequence"]),
            modified=datetime.fromisoformat(e["modified"]).astimezone(UTC),
        )
        for e in entries
    ]


def kind_label(kind: SessionKind) -> str:
    """The session kind's name in the current language."""
    return label(SessionKind(kind))


class Words:
    """The few translated words of an export, each asked of the catalogue once per export:
    with hundreds of sessions, asking for each costs more than writing the rest."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, int], str] = {}

    def _word(self, key: str, n: int, find: Callable[[], str]) -> str:
        word = self._known.get((key, n))
        if word is None:
            word = self._known[(key, n)] = find()
        return word

    def chairs(self, n: int) -> str:
        return self._word("chair", n, lambda: ngettext("Chair", "Chairs", n))

    def speakers(self, n: int) -> str:
        return self._word("speaker", n, lambda: ngettext("Speaker", "Speakers", n))

    def kind(self, item: Item) -> str:
        return self._word(item.kind, 0, lambda: kind_label(item.kind))


def _people(people: list[Participant]) -> tuple[Person, ...]:
    named = ((p.ref, disclosure.public_name(p)) for p in people)
    return tuple(
        Person(name.honorific, name.given_name, name.family_name, ref)
        for ref, name in named
        if name
    )


def _item(s: Session, tz: ZoneInfo, public: bool) -> Item:
    return Item(
        ref=s.ref,
        number=s.number,
        title=s.title,
        kind=s.kind,
        description=s.description,
        start=s.start_utc.astimezone(tz),
        end=s.end_utc.astimezone(tz),
        room=Place(s.room.ref, s.room.name) if s.room else None,
        chairs=_people(s.chairs),
        speakers=_people(s.speakers),
        public=public,
        cancelled=s.cancelled_at is not None,
    )


def _days(start: date, end: date, items: list[Item], tz: ZoneInfo) -> tuple[Day, ...]:
    by_day: dict[date, list[Item]] = {day: [] for day in localtime.meeting_days(start, end)}
    for item in items:
        by_day.setdefault(item.start.date(), []).append(item)
    days = []
    for index, day in enumerate(sorted(by_day), start=1):
        day_items = tuple(by_day[day])
        if day_items:
            bounds = (min(i.start for i in day_items), max(i.end for i in day_items))
            offsets = tuple(dict.fromkeys(i.utc_offset for i in day_items))
        else:
            bounds = (_midnight(day, tz), _midnight(day + timedelta(days=1), tz))
            offsets = (_offset_label(bounds[0]),)
        days.append(Day(index, day, bounds[0], bounds[1], offsets, day_items))
    return tuple(days)


def _midnight(day: date, tz: ZoneInfo) -> datetime:
    # Through UTC, so that a midnight the clocks skip still names a real instant.
    return datetime.combine(day, time(), tzinfo=tz).astimezone(UTC).astimezone(tz)


def _offset_label(value: datetime) -> str:
    """'UTC+02:00' for an aware time in the meeting's zone (the fold picks the right one)."""
    tz = value.tzinfo
    if not isinstance(tz, ZoneInfo):  # pragma: no cover - items are built in the meeting's zone
        raise TypeError("an agenda time must carry its zone")
    return localtime.utc_offset_label(tz, value)
