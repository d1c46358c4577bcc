"""The published agenda as an iCalendar feed (RFC 5545): one VEVENT per public session.

Times are written in the meeting's zone with its VTIMEZONE, so calendars show local wall-clock
times and place each event at the right instant on both sides of a daylight-saving change.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask_babel import force_locale, ngettext
from icalendar import Calendar, Event, Timezone, TimezoneDaylight, TimezoneStandard

from .published import Agenda, Item, kind_label
from .service import location

PRODID = "-//eventapp//Wildlife Enforcement Networks meetings//EN"


def uid(agenda: Agenda, item: Item) -> str:
    """Stable across requests and re-imports: the session's and the meeting's references."""
    return f"{item.ref}.{agenda.slug}@eventapp"


def calendar(agenda: Agenda) -> bytes:
    """The iCalendar text of the agenda's public sessions, cancelled ones as cancelled."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", agenda.title)
    cal.add("x-wr-timezone", agenda.timezone)
    first = min([agenda.start_date, *(d.day for d in agenda.days)])
    last = max([agenda.end_date, *(d.day for d in agenda.days)])
    cal.add_component(vtimezone(agenda.timezone, first.year, last.year))
    # Labels in English: a feed is fetched without a reader's language.
    with force_locale("en"):
        # A cancelled session stays in the feed, so that calendars holding it learn of it.
        for item in (*agenda.items, *agenda.cancelled):
            cal.add_component(_event(agenda, item))
    return cal.to_ical()


def vtimezone(key: str, first_year: int, last_year: int) -> Timezone:
    """The zone's VTIMEZONE over whole years, so a zone with DST has both its parts."""
    component = Timezone.from_ical(_vtimezone_text(key, first_year, last_year))
    assert isinstance(component, Timezone)  # the text holds one VTIMEZONE
    return component


# What a clock shows: a change in any of these is an observance of its own.
_Reading = tuple[timedelta, str, bool]
_SCAN_STEP = timedelta(hours=1)


@lru_cache(maxsize=64)
def _vtimezone_text(key: str, first_year: int, last_year: int) -> bytes:
    """Built from zoneinfo's own transitions, one observance each, so readers that use the
    file's zone instead of theirs place every instant where the IANA zone does."""
    zone = ZoneInfo(key)
    start = datetime(first_year, 1, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(last_year + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    block = Timezone()
    block.add("tzid", key)
    # The first observance holds from the start of the years covered, so it changes nothing.
    first = _reading(zone, start)
    block.add_component(_observance(start, first, first))
    for onset, before, after in _transitions(zone, start, end):
        block.add_component(_observance(onset, before, after))
    return block.to_ical()


def _reading(zone: ZoneInfo, at: datetime) -> _Reading:
    local = at.astimezone(zone)  # a tzinfo reads the wall-clock fields, so convert first
    offset, name, dst = local.utcoffset(), local.tzname(), local.dst()
    assert offset is not None and name is not None  # a ZoneInfo always answers
    return offset, name, bool(dst)


def _transitions(
    zone: ZoneInfo, start: datetime, end: datetime
) -> list[tuple[datetime, _Reading, _Reading]]:
    """(first UTC second of the new reading, reading before, reading after) in [start, end).

    Found by stepping an hour at a time and bisecting to the second: zoneinfo has no public
    list of transitions, and no zone has changed its clocks twice within an hour.
    """
    found = []
    at, reading = start, _reading(zone, start)
    while at < end:
        step = min(at + _SCAN_STEP, end)
        later = _reading(zone, step)
        if later != reading:
            low, high = at, step  # reading(low) is the old one, reading(high) is not
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) // 2
                if _reading(zone, middle) == reading:
                    low = middle
                else:
                    high = middle
            found.append((high, reading, _reading(zone, high)))
        at, reading = step, later
    return found


def _observance(
    onset: datetime, before: _Reading, after: _Reading
) -> TimezoneStandard | TimezoneDaylight:
    # RFC 5545 3.6.5: DTSTART is the local time the clock shows just before the change.
    part = TimezoneDaylight() if after[2] else TimezoneStandard()
    part.add("dtstart", (onset + before[0]).replace(tzinfo=None))
    part.add("tzoffsetfrom", before[0])
    part.add("tzoffsetto", after[0])
    part.add("tzname", after[1])
    return part


def _event(agenda: Agenda, item: Item) -> Event:
    event = Event()
    event.add("uid", uid(agenda, item))
    # The publication time: the same on every request until the agenda is published again.
    event.add("dtstamp", agenda.publication)
    # Raised by each version that changed the session: calendars replace what they hold.
    event.add("sequence", item.sequence)
    event.add("last-modified", item.modified or agenda.publication)
    event.add("status", "CANCELLED" if item.cancelled else "CONFIRMED")
    event.add("dtstart", item.start)
    event.add("dtend", item.end)
    event.add("summary", item.heading)
    event.add("location", location(agenda, item))
    text = event_description(item)
    if text:
        event.add("description", text)
    event.add("url", session_url(agenda, item))
    event.add("categories", [kind_label(item.kind)])
    return event


def event_description(item: Item) -> str:
    """'Chairs: …' and 'Speakers: …', one line each, as disclosure names them, then the
    session's description: a calendar's reader sees who first, as on the session's page."""
    lines = []
    if item.chairs:
        chairs = ", ".join(p.name for p in item.chairs)
        lines.append(f"{ngettext('Chair', 'Chairs', len(item.chairs))}: {chairs}")
    if item.speakers:
        speakers = ", ".join(p.name for p in item.speakers)
        lines.append(f"{ngettext('Speaker', 'Speakers', len(item.speakers))}: {speakers}")
    text = (item.description or "").strip()
    return "\n\n".join(part for part in ("\n".join(lines), text) if part)


def session_url(agenda: Agenda, item: Item) -> str:
    """The session's public page."""
    return agenda.url(f"sessions/{quote(item.ref, safe='')}")
