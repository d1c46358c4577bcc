"""The published agenda as an iCalendar feed (RFC 5545): one VEVENT per public session.

Times are written in the meeting's zone with its VTIMEZONE, so calendars show local wall-clock
times and place each event at the right instant on both sides of a daylight-saving change.

The feed is written as text directly, every value escaped (3.3.11) and every line folded at 75
octets (3.1), as the icalendar library writes it: a feed is made for each change of the agenda
and building library objects for each of hundreds of events cost ten times the writing. The
VTIMEZONE is built with the library, once per zone and span of years.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

from .published import Agenda, Item, Words
from .service import location

PRODID = "-//eventapp//Wildlife Enforcement Networks meetings//EN"

# Zones whose times are written in UTC form (…Z) rather than with a TZID, as RFC 5545 3.2.19 asks.
UTC_ZONES = frozenset(
    {"UTC", "Etc/UTC", "Etc/UCT", "UCT", "Etc/Universal", "Universal", "Etc/Zulu", "Zulu"}
    | {"GMT", "Etc/GMT", "Etc/GMT0", "Etc/GMT+0", "Etc/GMT-0", "GMT0", "GMT+0", "GMT-0"}
    | {"Etc/Greenwich", "Greenwich"}
)
# Control characters TEXT may not carry (3.3.11: any character but CONTROL, HTAB allowed);
# line breaks are escaped before this applies.
_NOT_TEXT = re.compile("[\x00-\x08\x0a-\x1f\x7f]")
# 3.1: lines SHOULD NOT be longer than 75 octets; as the icalendar library does, each piece
# holds at most 74, so a continuation line with its leading space holds at most 75.
_FOLD_AT = 74
_ESCAPES = b"\\^"


def uid(agenda: Agenda, item: Item) -> str:
    """Stable across requests and re-imports: the session's and the meeting's references."""
    return f"{item.ref}.{agenda.slug}@eventapp"


def calendar(agenda: Agenda) -> bytes:
    """The iCalendar text of the agenda's public sessions, cancelled ones as cancelled."""
    first = min([agenda.start_date, *(d.day for d in agenda.days)])
    last = max([agenda.end_date, *(d.day for d in agenda.days)])
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{text(PRODID)}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{text(agenda.title)}",
        f"X-WR-TIMEZONE:{text(agenda.timezone)}",
    ]
    head = "".join(_fold(line) for line in lines)
    zone = _vtimezone_text(agenda.timezone, first.year, last.year).decode()
    # Labels in English: a feed is fetched without a reader's language.
    with force_locale("en"):
        words = Words()
        # A cancelled session stays in the feed, so that calendars holding it learn of it.
        events = "".join(_event(agenda, item, words) for item in (*agenda.items, *agenda.cancelled))
    return f"{head}{zone}{events}END:VCALENDAR\r\n".encode()


def text(value: str) -> str:
    """A TEXT value escaped (RFC 5545 3.3.11): backslash, semicolon, comma and line breaks."""
    escaped = (
        value.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
        .replace("\r", "\\n")
    )
    return _NOT_TEXT.sub("", escaped)


def _fold(line: str) -> str:
    """One content line with its CRLF, folded (3.1) between characters, never inside one."""
    if len(line) <= _FOLD_AT and (line.isascii() or len(line.encode()) <= _FOLD_AT):
        return f"{line}\r\n"
    data = line.encode()
    pieces = []
    start = 0
    while len(data) - start > _FOLD_AT:
        end = start + _FOLD_AT
        while data[end] & 0xC0 == 0x80:  # a UTF-8 continuation byte: back to the character
            end -= 1
        # An escape (a backslash and what follows) stays on one line, for older readers.
        if data[end - 1] in _ESCAPES and end - start > 1:
            end -= 1
        pieces.append(data[start:end])
        start = end
    pieces.append(data[start:])
    return b"\r\n ".join(pieces).decode() + "\r\n"


def _local(value: datetime, utc_form: bool) -> str:
    if utc_form:
        return f":{value.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    key = value.tzinfo.key if isinstance(value.tzinfo, ZoneInfo) else "UTC"
    return f";TZID={key}:{value:%Y%m%dT%H%M%S}"


def _utc(value: datetime) -> str:
    return f"{value.astimezone(UTC):%Y%m%dT%H%M%SZ}"


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


def _event(agenda: Agenda, item: Item, words: Words) -> str:
    # Properties in the order the icalendar library wrote them, so feeds read as before.
    utc_form = agenda.timezone in UTC_ZONES
    # DTSTAMP is the publication time: the same on every request until the next publication.
    stamp = _utc(agenda.publication)
    lines = [
        "BEGIN:VEVENT",
        f"SUMMARY:{text(item.heading)}",
        f"DTSTART{_local(item.start, utc_form)}",
        f"DTEND{_local(item.end, utc_form)}",
        f"DTSTAMP:{stamp}",
        f"UID:{text(uid(agenda, item))}",
        # Raised by each version that changed the session: calendars replace what they hold.
        f"SEQUENCE:{item.sequence}",
        f"CATEGORIES:{text(words.kind(item))}",
    ]
    description = event_description(item, words)
    if description:
        lines.append(f"DESCRIPTION:{text(description)}")
    modified = _utc(item.modified) if item.modified else stamp
    lines += [
        f"LAST-MODIFIED:{modified}",
        f"LOCATION:{text(location(agenda, item))}",
        f"STATUS:{'CANCELLED' if item.cancelled else 'CONFIRMED'}",
    ]
    # A closed session (only in its own people's feeds) has no public page to point to.
    if item.public:
        lines.append(f"URL:{session_url(agenda, item)}")
    lines.append("END:VEVENT")
    return "".join(_fold(line) for line in lines)


def event_description(item: Item, words: Words | None = None) -> str:
    """'Chairs: …' and 'Speakers: …', one line each, as disclosure names them, then the
    session's description: a calendar's reader sees who first, as on the session's page."""
    words = words or Words()
    lines = []
    if item.chairs:
        chairs = ", ".join(p.name for p in item.chairs)
        lines.append(f"{words.chairs(len(item.chairs))}: {chairs}")
    if item.speakers:
        speakers = ", ".join(p.name for p in item.speakers)
        lines.append(f"{words.speakers(len(item.speakers))}: {speakers}")
    text = (item.description or "").strip()
    return "\n\n".join(part for part in ("\n".join(lines), text) if part)


def session_url(agenda: Agenda, item: Item) -> str:
    """The session's public page."""
    return agenda.url(f"sessions/{quote(item.ref, safe='')}")
