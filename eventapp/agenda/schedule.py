"""The published agenda as a frab/c3voc schedule: schedule.xml and schedule.json.

Both forms carry the same data and identifiers, and validate against the consumers' own schemas
(contract/voc-schedule: schedule.xml.xsd and schema.json). Identifiers are derived from the
meeting's slug and the sessions' and rooms' references, never from database ids, so they stay
the same across requests and re-imports.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from flask_babel import force_locale

from .. import localtime
from .published import Agenda, Item, Place, Words, kind_label
from .service import description

# Fixed for good (uuid5 of the URL namespace and "urn:eventapp:schedule"): every guid hangs on it.
GUID_NAMESPACE = uuid.UUID("f29b9bc0-c19c-5fdd-982b-a85be1d7443a")
JSON_SCHEMA_URL = "https://c3voc.de/schedule/schema.json"
GENERATOR = "eventapp"

# schema.json's pattern for time_zone_name. Its first alternative is anchored only at the
# start, so it accepts every Area/Location zone (America/Argentina/Buenos_Aires, too);
# Etc/GMT+5 and legacy names such as US/Eastern fail it, and the JSON form then omits the field.
JSON_TIME_ZONE_NAME = re.compile(r"^([A-Z][a-z]+/[A-Z][a-z]+)|UTC$")
_NOT_ACRONYM = re.compile(r"[^a-z0-9]+")
_NOT_SLUG = re.compile(r"[^a-z0-9_-]")
_CLEAN_SLUG = re.compile(r"[a-z0-9_-]{3,}[a-z0-9]")
# Characters XML 1.0 cannot carry at all; they are dropped from text, everything else escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# What text and attribute values may hold that is written otherwise (escaped or dropped).
_TEXT_ESCAPED = re.compile(f"[&<>]|{_NOT_XML.pattern}")
_ATTRIBUTE_ESCAPED = re.compile(f'[&<>"\\r\\n\\t]|{_NOT_XML.pattern}')
_MAX_ID = 2**31 - 1


@dataclass(frozen=True)
class EventIds:
    """How schedule consumers know a session again: guid, numeric id and slug."""

    guid: str
    id: int
    slug: str


def acronym(agenda: Agenda) -> str:
    """The conference's acronym from the meeting's slug: unique, stable and already ASCII.

    Both schemas must accept it: the XSD wants [a-z0-9_-]{4,}, the JSON schema allows a hyphen
    only first or in a "-2NNN-name" suffix. So hyphens become underscores, and a slug shorter
    than four characters gets the year.
    """
    folded = unicodedata.normalize("NFKD", agenda.slug).encode("ascii", "ignore").decode()
    value = _NOT_ACRONYM.sub("_", folded.lower()).strip("_")
    if len(value) < 4:
        value = f"{value}_{agenda.start_date.year}".lstrip("_")
    return value


def guid(agenda: Agenda, kind: str, ref: str | None) -> str:
    """A UUID5 from the meeting's slug and a reference: e.g. guid(agenda, 'session', 's-open')."""
    return _guid(agenda.slug, kind, ref or "")


@lru_cache(maxsize=4096)
def _guid(slug: str, kind: str, ref: str) -> str:
    return str(uuid.uuid5(GUID_NAMESPACE, f"{slug}/{kind}/{ref}"))


def event_ids(agenda: Agenda) -> dict[str, EventIds]:
    """Each public session's identifiers, by session reference."""
    prefix = acronym(agenda)
    guids = {item.ref: guid(agenda, "session", item.ref) for item in agenda.items}
    numbers = _numbers(guids)
    return {
        ref: EventIds(value, numbers[ref], f"{prefix}-{_slug_part(ref)}")
        for ref, value in guids.items()
    }


def person_ids(agenda: Agenda) -> dict[str, int]:
    """The numeric id of each person the public sessions name, by participant reference.

    ConfClerk and frab readers key presenters on it. Like the guid it comes from the meeting's
    slug and the participant's ref, so a re-import (new database rows) keeps it.
    """
    guids = {p.ref: guid(agenda, "person", p.ref) for item in agenda.items for p in item.people}
    return _numbers(guids)


def _numbers(guids: dict[str, str]) -> dict[str, int]:
    # Numeric ids come from the guid (31 bits, for consumers that read a 32-bit int); the rare
    # clash moves on to the next free number, in guid order so the outcome does not vary.
    taken: set[int] = set()
    numbers: dict[str, int] = {}
    for ref, value in sorted(guids.items(), key=lambda pair: pair[1]):
        number = int(value.replace("-", "")[:8], 16) % _MAX_ID + 1
        while number in taken:
            number = number % _MAX_ID + 1
        taken.add(number)
        numbers[ref] = number
    return numbers


def _slug_part(ref: str) -> str:
    # A reference that is not already a clean slug gets a digest, so two never meet.
    part = _NOT_SLUG.sub("_", ref.lower())
    if part == ref and _CLEAN_SLUG.fullmatch(part):
        return part
    return f"{part.strip('-_') or 'item'}-{hashlib.sha256(ref.encode()).hexdigest()[:8]}"


def version(agenda: Agenda) -> str:
    """Changes with every publication and with every change to what the schedule shows."""
    published = agenda.publication.replace(microsecond=0)
    return f"{localtime.format_instant(published)} {agenda.fingerprint[:8]}"


def time_zone_name(agenda: Agenda) -> str | None:
    """The zone's IANA name when schema.json accepts it (see JSON_TIME_ZONE_NAME)."""
    return agenda.timezone if JSON_TIME_ZONE_NAME.search(agenda.timezone) else None


def timeslot_minutes(agenda: Agenda) -> int:
    """The largest grid (at most an hour) that every start and duration falls on."""
    values = [item.start.hour * 60 + item.start.minute for item in agenda.items]
    values += [_minutes(item.duration) for item in agenda.items]
    return math.gcd(60, *values)


def _minutes(value: timedelta) -> int:
    return int(value.total_seconds() // 60)


def _hh_mm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _iso(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


def _tracks(agenda: Agenda) -> dict[str, tuple[str, str]]:
    """Each session kind on the agenda, in order of first use: (name, slug) of its track."""
    kinds = dict.fromkeys(item.kind for item in agenda.items)
    return {kind: (kind_label(kind), kind.replace("_", "-")) for kind in kinds}


def _place(agenda: Agenda, item: Item) -> Place:
    return item.room or agenda.venue


def _by_room(agenda: Agenda, items: tuple[Item, ...]) -> list[tuple[Place, list[Item]]]:
    """A day's items under each place, places in the agenda's order."""
    rooms: dict[str, list[Item]] = {}
    for item in items:
        rooms.setdefault(_place(agenda, item).name, []).append(item)
    return [(place, rooms[place.name]) for place in agenda.rooms if place.name in rooms]


def _event(
    agenda: Agenda,
    item: Item,
    ids: EventIds,
    people: dict[str, int],
    track: str,
    words: Words,
) -> dict[str, Any]:
    """The fields both forms share, in the JSON form's names and types."""
    text = description(item, words)
    return {
        "guid": ids.guid,
        "id": ids.id,
        "date": _iso(item.start),
        "start": item.start.strftime("%H:%M"),
        "end": _iso(item.end),
        "duration": _hh_mm(_minutes(item.duration)),
        "room": _place(agenda, item).name,
        "slug": ids.slug,
        "url": agenda.url("agenda"),
        "title": item.heading,
        "subtitle": "",
        "track": track,
        "type": item.kind,
        "language": agenda.languages[0] if agenda.languages else None,
        "abstract": (item.description or "").strip(),
        "description": text or None,
        # No public_name: with it a person would match both of schema.json's oneOf forms.
        "persons": [
            {"name": p.name, "guid": guid(agenda, "person", p.ref), "id": people[p.ref]}
            for p in item.people
        ],
        "links": [],
        "attachments": [],
    }


# --- JSON ---------------------------------------------------------------------------------------


def schedule_json(agenda: Agenda) -> dict[str, Any]:
    """The c3voc JSON form (schema.json), events keyed by room name per day."""
    ids, people = event_ids(agenda), person_ids(agenda)
    with force_locale("en"):
        words = Words()
        tracks = _tracks(agenda)
        conference: dict[str, Any] = {
            "acronym": acronym(agenda),
            "title": agenda.title,
            "start": agenda.days[0].day.isoformat(),
            "end": agenda.days[-1].day.isoformat(),
            "daysCount": len(agenda.days),
            "timeslot_duration": _hh_mm(timeslot_minutes(agenda)),
        }
        zone_name = time_zone_name(agenda)
        if zone_name:
            conference["time_zone_name"] = zone_name
        if agenda.description:
            conference["description"] = agenda.description
        conference["url"] = agenda.url("agenda")
        conference["tracks"] = [{"name": name, "slug": slug} for name, slug in tracks.values()]
        conference["rooms"] = [
            {"name": place.name, "guid": guid(agenda, "room", place.ref)} for place in agenda.rooms
        ]
        conference["days"] = [
            {
                "index": day.index,
                "date": day.day.isoformat(),
                "day_start": _iso(day.start),
                "day_end": _iso(day.end),
                "rooms": {
                    place.name: [
                        _event(agenda, item, ids[item.ref], people, tracks[item.kind][0], words)
                        for item in items
                    ]
                    for place, items in _by_room(agenda, day.items)
                },
            }
            for day in agenda.days
        ]
    return {
        "$schema": JSON_SCHEMA_URL,
        "generator": {"name": GENERATOR},
        "schedule": {
            "url": agenda.url("schedule.json"),
            "version": version(agenda),
            "base_url": f"{agenda.base_url}/",
            "conference": conference,
        },
    }


# --- XML ----------------------------------------------------------------------------------------


def schedule_xml(agenda: Agenda) -> bytes:
    """The frab/c3voc XML form (schedule.xml.xsd), every value escaped.

    Written as text, indented two spaces a level as ElementTree.indent does: a tree of
    elements for hundreds of events cost three times the writing.
    """
    ids, people = event_ids(agenda), person_ids(agenda)
    out = [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<schedule>",
        f'  <generator name="{GENERATOR}" />',
        _element(1, "url", agenda.url("schedule.xml")),
        _element(1, "version", version(agenda)),
        "  <conference>",
    ]
    with force_locale("en"):
        words = Words()
        tracks = _tracks(agenda)
        out += [
            _element(2, "acronym", acronym(agenda)),
            _element(2, "title", agenda.title),
            _element(2, "start", agenda.days[0].day.isoformat()),
            _element(2, "end", agenda.days[-1].day.isoformat()),
            _element(2, "days", str(len(agenda.days))),
            _element(2, "timeslot_duration", _hh_mm(timeslot_minutes(agenda))),
            _element(2, "base_url", f"{agenda.base_url}/"),
            _element(2, "url", agenda.url("agenda")),
            # Any IANA name is an xs:string: the XML form always names the zone.
            _element(2, "time_zone_name", agenda.timezone),
        ]
        out += [f"    <track{_attributes(name=n, slug=slug)} />" for n, slug in tracks.values()]
        out.append("  </conference>")
        for day in agenda.days:
            attributes = _attributes(
                index=str(day.index),
                date=day.day.isoformat(),
                start=_iso(day.start),
                end=_iso(day.end),
            )
            rooms = _by_room(agenda, day.items)
            if not rooms:
                out.append(f"  <day{attributes} />")
                continue
            out.append(f"  <day{attributes}>")
            for place, items in rooms:
                room = _attributes(name=place.name, guid=guid(agenda, "room", place.ref))
                out.append(f"    <room{room}>")
                for item in items:
                    event = _event(agenda, item, ids[item.ref], people, tracks[item.kind][0], words)
                    _xml_event(out, event)
                out.append("    </room>")
            out.append("  </day>")
    out.append("</schedule>\n")
    return "\n".join(out).encode()


_XML_FIELDS = (
    "date",
    "start",
    "duration",
    "room",
    "slug",
    "url",
    "title",
    "subtitle",
    "track",
    "type",
    "language",
    "abstract",
    "description",
)


def _xml_event(out: list[str], event: dict[str, Any]) -> None:
    out.append(f"      <event{_attributes(guid=event['guid'], id=str(event['id']))}>")
    for name in _XML_FIELDS:
        value = event[name]
        if value is not None:
            out.append(_element(4, name, value))
    if event["persons"]:
        out.append("        <persons>")
        for person in event["persons"]:
            presenter = _attributes(id=str(person["id"]), guid=person["guid"])
            out.append(f"          <person{presenter}>{_cdata(person['name'])}</person>")
        out.append("        </persons>")
    else:
        out.append("        <persons />")
    out += ["        <links />", "        <attachments />", "      </event>"]


def _element(depth: int, name: str, value: str) -> str:
    """<name>value</name> at that depth; an empty value as <name />, as ElementTree has it."""
    text = _cdata(value)
    indent = "  " * depth
    return f"{indent}<{name}>{text}</{name}>" if text else f"{indent}<{name} />"


def _attributes(**values: str) -> str:
    return "".join(f' {name}="{_attribute(value)}"' for name, value in values.items())


def _cdata(value: str) -> str:
    if not _TEXT_ESCAPED.search(value):  # most values: nothing to drop or escape
        return value
    return _clean(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _attribute(value: str) -> str:
    # As ElementTree escapes an attribute: markup, quotes and the white space a parser folds.
    if not _ATTRIBUTE_ESCAPED.search(value):
        return value
    return (
        _cdata(value)
        .replace('"', "&quot;")
        .replace("\r", "&#13;")
        .replace("\n", "&#10;")
        .replace("\t", "&#09;")
    )


def _clean(value: str) -> str:
    return _NOT_XML.sub("", value)
