"""The published agenda as the exports need it: plain data from one query of the public sessions.

The rules of contract section 5 are applied here, once, for the calendar, the schedule exports
and the printable agenda: only public sessions of a published agenda, people by name only when
they are listed (approved and consenting), times as instants in the meeting's zone.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale, gettext, ngettext
from sqlalchemy.orm import joinedload

from .. import localtime
from ..config import PROJECT_ROOT
from ..extensions import db
from ..models import Meeting, Participant, Room, Session, SessionKind, SessionPerson
from ..public.service import SESSION_KIND_LABELS, find_meeting, public_name
from ..reports import render

logger = logging.getLogger(__name__)

# Part of every ETag and cache key: raise it when an export's form changes, so that clients
# and the PDF cache do not keep the old form of unchanged data.
EXPORT_FORM = 1

# What public_name() reads of a participant: the name, and whether it may be shown.
PUBLIC_NAME_COLUMNS = (
    Participant.ref,
    Participant.honorific,
    Participant.given_name,
    Participant.family_name,
    Participant.status,
    Participant.list_consent,
)

PRINT_TEMPLATE = "print/agenda.html"
# The files the printable agenda is made of; a change to any of them is a new rendering.
PRINT_FILES = ("agenda.html", "_macros.html", "layout.html", "print.css")


@dataclass(frozen=True)
class Person:
    """A chair or speaker, only ever built for people who may be named in public."""

    ref: str
    name: str


@dataclass(frozen=True)
class Place:
    """A room of the meeting; `ref` is None for the venue itself (sessions without a room)."""

    ref: str | None
    name: str


@dataclass(frozen=True)
class Item:
    """One public session. Times are aware, in the meeting's zone, from the stored instants."""

    ref: str
    number: str | None
    title: str
    kind: str
    description: str | None
    start: datetime
    end: datetime
    room: Place | None
    chairs: tuple[Person, ...]
    speakers: tuple[Person, ...]

    @property
    def heading(self) -> str:
        """'3.1. Title', or the title alone for an item without a number."""
        return f"{self.number}. {self.title}" if self.number else self.title

    @property
    def start_utc(self) -> datetime:
        return self.start.astimezone(UTC)

    @property
    def end_utc(self) -> datetime:
        return self.end.astimezone(UTC)

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
    """A day of the meeting (or one with public sessions outside its dates), 1-based index."""

    index: int
    day: date
    # Bounds for the schedule exports: first start to last end, midnight to midnight if empty.
    start: datetime
    end: datetime
    # UTC offsets in force during the day's items, in order: two on the day the clocks change.
    offsets: tuple[str, ...]
    items: tuple[Item, ...]

    @property
    def clocks_change(self) -> bool:
        return len(self.offsets) > 1


@dataclass(frozen=True)
class PublishedAgenda:
    """Everything the four agenda exports show, and nothing they must not."""

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
    published_at: datetime
    base_url: str
    days: tuple[Day, ...]

    @property
    def zone(self) -> ZoneInfo:
        return localtime.zone(self.timezone)

    @cached_property
    def items(self) -> tuple[Item, ...]:
        return tuple(item for day in self.days for item in day.items)

    @cached_property
    def rooms(self) -> tuple[Place, ...]:
        """The places of the public items, in order of first use, each name once."""
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
        """SHA-256 of everything the exports show: a change to any of it is a new version."""
        # The dataclasses' repr names every field, nested ones too (and a time's zone and fold).
        return hashlib.sha256(f"{EXPORT_FORM}\n{self!r}".encode()).hexdigest()

    def etag(self, variant: str) -> str:
        """The ETag of one export: the publication and the data it shows."""
        stamp = int(self.published_at.timestamp())
        digest = hashlib.sha256(f"{variant}\n{self.fingerprint}".encode()).hexdigest()
        return f"{variant}-{stamp}-{digest[:20]}"


def find_published(slug: str) -> Meeting | None:
    """The meeting, if its agenda is published; None for an unknown slug or an unpublished one."""
    meeting = find_meeting(slug)
    if meeting is None or meeting.agenda_published_at is None:
        return None
    return meeting


def published_agenda(meeting: Meeting) -> PublishedAgenda:
    """The meeting's published agenda: public sessions by day, listed people only.

    One query loads the public sessions with their rooms and people.
    """
    published_at = meeting.agenda_published_at
    if published_at is None:
        raise ValueError(f"the agenda of {meeting.slug} is not published")
    sessions = (
        db.session.scalars(
            sa.select(Session)
            .where(Session.meeting_id == meeting.id, _public_sessions())
            .options(
                joinedload(Session.room).load_only(Room.ref, Room.name),
                joinedload(Session.people)
                .joinedload(SessionPerson.participant)
                .load_only(*PUBLIC_NAME_COLUMNS),
            )
            .order_by(Session.start_local, Session.end_local, Session.id)
        )
        .unique()
        .all()
    )
    tz = meeting.zone
    # The query asks the database for public sessions; the model's own rule has the last word.
    items = [_item(s, tz) for s in sessions if s.is_public]
    return PublishedAgenda(
        slug=meeting.slug,
        title=meeting.title,
        short_title=meeting.short_title,
        document_symbol=meeting.document_symbol,
        host=meeting.host,
        description=meeting.description,
        venue_name=meeting.venue_name,
        venue_city=meeting.venue_city,
        venue_country=meeting.venue_country,
        timezone=tz.key,
        start_date=meeting.start_date,
        end_date=meeting.end_date,
        languages=tuple(meeting.languages or ()),
        published_at=published_at.astimezone(UTC),
        base_url=str(current_app.config["BASE_URL"]).rstrip("/"),
        days=_days(meeting.start_date, meeting.end_date, items, tz),
    )


def _public_sessions() -> sa.ColumnElement[bool]:
    # Session.is_public in SQL: public unless marked not public, and never a closed session.
    return sa.and_(
        sa.or_(Session.public.is_(None), Session.public.is_(True)),
        Session.kind != SessionKind.CLOSED,
    )


def _people(people: list[Participant]) -> tuple[Person, ...]:
    named = ((p.ref, public_name(p)) for p in people)
    return tuple(Person(ref, name) for ref, name in named if name)


def _item(s: Session, tz: ZoneInfo) -> Item:
    return Item(
        ref=s.ref,
        number=s.number,
        title=s.title,
        kind=s.kind.value,
        description=s.description,
        start=s.start_utc.astimezone(tz),
        end=s.end_utc.astimezone(tz),
        room=Place(s.room.ref, s.room.name) if s.room else None,
        chairs=_people(s.chairs),
        speakers=_people(s.speakers),
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


def kind_label(kind: str) -> str:
    """The session kind's name in the current language."""
    return str(SESSION_KIND_LABELS[SessionKind(kind)])


def location(agenda: PublishedAgenda, item: Item) -> str:
    """'Room, venue, city' for calendars; a part already named (a room named after its venue,
    say) is not repeated."""
    text = ""
    for part in (item.room.name if item.room else None, agenda.venue_name, agenda.venue_city):
        if part and part.casefold() not in text.casefold():
            text = f"{text}, {part}" if text else part
    return text or agenda.title


def description(item: Item) -> str:
    """The session's description, then its chairs and speakers who may be named, as text."""
    text = (item.description or "").strip()
    lines = [text] if text else []
    if item.chairs:
        lines.append(f"{ngettext('Chair', 'Chairs', len(item.chairs))}: {_names(item.chairs)}")
    if item.speakers:
        label = ngettext("Speaker", "Speakers", len(item.speakers))
        lines.append(f"{label}: {_names(item.speakers)}")
    return "\n\n".join(lines)


def _names(people: tuple[Person, ...]) -> str:
    return ", ".join(p.name for p in people)


# --- the printable agenda ---------------------------------------------------------------------


class PrintKind:
    """The layout names the document kind as `head.kind.value` (the body's class)."""

    value = "agenda"


@dataclass(frozen=True)
class PrintHead:
    """What print/layout.html shows in the masthead and running header of every page."""

    kind: PrintKind
    symbol: str
    slug: str
    title: str
    short_title: str | None
    host: str | None
    chair_organisation: str | None
    start_date: date
    end_date: date


def agenda_html(agenda: PublishedAgenda, lang: str) -> str:
    """The printable agenda's HTML in language `lang` (the chrome; names and titles as written)."""
    with force_locale(lang):
        return render_template(
            PRINT_TEMPLATE,
            agenda=agenda,
            head=PrintHead(
                kind=PrintKind(),
                symbol=agenda.document_symbol or agenda.slug.upper(),
                slug=agenda.slug,
                title=agenda.title,
                short_title=agenda.short_title,
                host=agenda.host,
                chair_organisation=None,
                start_date=agenda.start_date,
                end_date=agenda.end_date,
            ),
            lang=lang,
            preview=False,
            version=None,
            issued=agenda.published_at.astimezone(agenda.zone).date(),
            kind_title=gettext("Agenda"),
            page_label=render.page_label(),
            fmt=render.Formats(lang),
            kind_label=kind_label,
            zone_label=localtime.zone_label(agenda.zone, lang),
            place=agenda.venue_city or agenda.zone.key,
        )


def agenda_pdf(agenda: PublishedAgenda, lang: str) -> bytes:
    """The printable agenda as a tagged PDF: rendered once per version, then served from disk.

    The cache file's name carries the publication time and a digest of the data, the language
    and the print templates, so a file is never served for anything but what it shows.
    """
    folder = cache_dir()
    name = f"{_safe(agenda.slug)}-{lang}"
    path = folder / f"{name}-{_print_key(agenda, lang)}.pdf"
    cached = _read(path)
    if cached is not None:
        return cached
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock = (folder / f".{name}.lock").open("a")
    except OSError as exc:
        logger.error("agenda cache %s unusable, rendering without it: %s", folder, exc)
        return render.pdf_from_html(agenda_html(agenda, lang))
    # One process renders a version; the others wait for its file instead of rendering too.
    # The lock goes with the file's closing.
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        cached = _read(path)
        if cached is not None:
            return cached
        pdf = render.pdf_from_html(agenda_html(agenda, lang))
        try:
            _write_atomically(path, pdf)
            _drop_older(path, agenda.slug, lang)
        except OSError as exc:
            logger.error("agenda %s not cached: %s", path.name, exc)
    return pdf


def print_etag(agenda: PublishedAgenda, lang: str) -> str:
    """The PDF's ETag, known without rendering: the same key as its cache file."""
    return f"pdf-{lang}-{_print_key(agenda, lang)}"


def cache_dir() -> Path:
    """Where rendered agendas are kept: AGENDA_CACHE_DIR, else instance/cache/agenda."""
    configured = current_app.config.get("AGENDA_CACHE_DIR")
    return Path(configured or Path(current_app.instance_path) / "cache" / "agenda")


def _print_key(agenda: PublishedAgenda, lang: str) -> str:
    stamp = int(agenda.published_at.timestamp())
    digest = hashlib.sha256(
        f"{agenda.fingerprint}\n{lang}\n{_print_files_digest(lang)}".encode()
    ).hexdigest()
    return f"{stamp}-{digest[:20]}"


@cache
def _print_files_digest(lang: str) -> str:
    # The templates and stylesheet, and the language's compiled catalogue: what the chrome is.
    digest = hashlib.sha256()
    for name in PRINT_FILES:
        digest.update((render.ASSETS_DIR / name).read_bytes())
    catalogue = PROJECT_ROOT / "eventapp" / "translations" / lang / "LC_MESSAGES" / "messages.mo"
    if catalogue.is_file():
        digest.update(catalogue.read_bytes())
    return digest.hexdigest()


_UNSAFE = re.compile(r"[^a-z0-9-]")


def _safe(slug: str) -> str:
    return _UNSAFE.sub("_", slug.lower())


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:  # an unusable cache folder costs a rendering, never the answer
        logger.error("agenda cache file %s unreadable: %s", path.name, exc)
        return None


def _write_atomically(path: Path, data: bytes) -> None:
    # Readers see the whole file or none: write aside, then rename over.
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        # mkstemp makes the file private; a public document may be read by a front server.
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _drop_older(current: Path, slug: str, lang: str) -> None:
    # Earlier renderings of this meeting and language are never served again.
    pattern = re.compile(rf"{re.escape(_safe(slug))}-{lang}-\d+-[0-9a-f]{{20}}\.pdf")
    for other in current.parent.iterdir():
        if other != current and pattern.fullmatch(other.name):
            other.unlink(missing_ok=True)
