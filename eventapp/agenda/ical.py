"""The published agenda as an iCalendar feed (RFC 5545): one VEVENT per public session.

Times are written in the meeting's zone with its VTIMEZONE, so calendars show local wall-clock
times and place each event at the right instant on both sides of a daylight-saving change.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache

from flask_babel import force_locale
from icalendar import Calendar, Event, Timezone

from .published import Agenda, Item, kind_label
from .service import description, location

PRODID = "-//eventapp//Wildlife Enforcement Networks meetings//EN"


def uid(agenda: Agenda, item: Item) -> str:
    """Stable across requests and re-imports: the session's and the meeting's references."""
    return f"{item.ref}.{agenda.slug}@eventapp"


def calendar(agenda: Agenda) -> bytes:
    """The iCalendar text of the agenda's public sessions."""
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
        for item in agenda.items:
            cal.add_component(_event(agenda, item))
    return cal.to_ical()


def vtimezone(key: str, first_year: int, last_year: int) -> Timezone:
    """The zone's VTIMEZONE over whole years, so a zone with DST has both its parts."""
    component = Timezone.from_ical(_vtimezone_text(key, first_year, last_year))
    assert isinstance(component, Timezone)  # the text holds one VTIMEZONE
    return component


@lru_cache(maxsize=64)
def _vtimezone_text(key: str, first_year: int, last_year: int) -> bytes:
    zone = Timezone.from_tzid(
        key, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1)
    )
    return zone.to_ical()


def _event(agenda: Agenda, item: Item) -> Event:
    event = Event()
    event.add("uid", uid(agenda, item))
    # The publication time: the same on every request until the agenda is published again.
    event.add("dtstamp", agenda.publication)
    event.add("dtstart", item.start)
    event.add("dtend", item.end)
    event.add("summary", item.heading)
    event.add("location", location(agenda, item))
    text = description(item)
    if text:
        event.add("description", text)
    event.add("url", agenda.url("agenda"))
    event.add("categories", [kind_label(item.kind)])
    return event
