"""The VTIMEZONE of agenda.ics agrees with the IANA zone (zoneinfo) at every instant it covers.

Consumers that use the file's own zone (libical, vobject, icalendar's tz conversion) read each
observance's DTSTART as the wall-clock time before it begins, in its TZOFFSETFROM (RFC 5545,
3.6.5). Each check reads the block two ways: by that rule from icalendar's parse of it, and
through libical with the file's own zone.
"""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from flask.testing import FlaskClient

from eventapp.agenda import ical

from .factories import DEMO_SLUG, demo_document, load

# (zone, first year, last year): the March 2027 change in Zurich that was wrong, the northern
# and southern hemispheres, a zone without DST, zones whose rules changed within the years
# covered (Sao Paulo gave up DST in 2019, Casablanca moved to +01 with a Ramadan break in
# 2018), and the zone that skipped a whole day (Kiritimati, 31 December 1994).
CASES = [
    ("Europe/Zurich", 2027, 2027),
    ("Europe/Zurich", 2026, 2028),
    ("America/New_York", 2025, 2026),
    ("Australia/Sydney", 2026, 2027),
    ("Asia/Bangkok", 2013, 2013),
    ("America/Sao_Paulo", 2018, 2020),
    ("Africa/Casablanca", 2018, 2019),
    ("Pacific/Kiritimati", 1994, 1995),
    ("Australia/Lord_Howe", 2027, 2027),
    ("UTC", 2027, 2027),
]
IDS = [f"{zone}-{first}-{last}" for zone, first, last in CASES]


def observances(block: icalendar.Timezone) -> list[tuple[datetime, timedelta, str, str]]:
    """(onset in UTC, offset from then on, TZNAME, kind) of each observance, in time order."""
    found = []
    for part in block.subcomponents:
        assert part.name in ("STANDARD", "DAYLIGHT")
        assert "RRULE" not in part  # a block over given years needs no rule
        starts = [part["dtstart"].dt]
        rdates = part.get("rdate", [])
        for rdate in rdates if isinstance(rdates, list) else [rdates]:
            starts += [period.dt for period in rdate.dts]
        before = part["tzoffsetfrom"].td
        for local in starts:
            assert local.tzinfo is None  # an observance's onsets are local (floating) times
            onset = (local - before).replace(tzinfo=UTC)
            found.append((onset, part["tzoffsetto"].td, str(part["tzname"]), part.name))
    return sorted(found)


def clock(zone: ZoneInfo, at: datetime) -> tuple[timedelta | None, str | None, bool]:
    """zoneinfo's offset, name and DST at a UTC instant (a tzinfo reads wall-clock fields)."""
    local = at.astimezone(zone)
    return local.utcoffset(), local.tzname(), bool(local.dst())


def grid(zone: ZoneInfo, first: int, last: int) -> list[datetime]:
    """Every 30 minutes of the covered years, and each second either side of every change."""
    start = datetime(first, 1, 1, tzinfo=zone).astimezone(UTC)
    end = datetime(last + 1, 1, 1, tzinfo=zone).astimezone(UTC)
    instants = []
    at = start
    while at < end:
        instants.append(at)
        after = at + timedelta(minutes=30)
        if clock(zone, after)[0] != clock(zone, at)[0]:
            low, high = at, after  # bisect to the second, to test both sides of the change
            while high - low > timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if clock(zone, middle)[0] == clock(zone, at)[0]:
                    low = middle
                else:
                    high = middle
            instants += [low, high]
        at = after
    return instants


def implied_offset(found: list[tuple[datetime, timedelta, str, str]], at: datetime) -> timedelta:
    """The offset of the last observance that began at or before `at` (RFC 5545 3.6.5)."""
    current = [offset for onset, offset, _, _ in found if onset <= at]
    assert current, f"{at} is before the first observance"
    return current[-1]


@pytest.mark.parametrize(("key", "first", "last"), CASES, ids=IDS)
def test_every_instant_of_the_covered_years_has_zoneinfos_offset(
    key: str, first: int, last: int
) -> None:
    zone = ZoneInfo(key)
    block = ical.vtimezone(key, first, last)
    assert str(block["tzid"]) == key
    found = observances(block)
    for at in grid(zone, first, last):
        assert implied_offset(found, at) == clock(zone, at)[0], at


@pytest.mark.parametrize(("key", "first", "last"), CASES, ids=IDS)
def test_libical_reading_the_files_own_zone_agrees_with_zoneinfo(
    key: str, first: int, last: int
) -> None:
    zone = ZoneInfo(key)
    instants = grid(zone, first, last)
    block = ical.vtimezone(key, first, last).to_ical().decode()
    read = libical(
        f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\n{block}END:VCALENDAR\r\n",
        instants,
    )
    for at, offset in zip(instants, read["offsets"], strict=True):
        assert timedelta(seconds=offset) == clock(zone, at)[0], at


@pytest.mark.parametrize(("key", "first", "last"), CASES, ids=IDS)
def test_each_observance_begins_before_the_change_with_its_names(
    key: str, first: int, last: int
) -> None:
    zone = ZoneInfo(key)
    found = observances(ical.vtimezone(key, first, last))
    for onset, offset, name, kind in found[1:]:
        now = clock(zone, onset)
        assert now == (offset, name, kind == "DAYLIGHT"), onset
        # Each onset is a real change of offset, name or DST: no empty observances.
        assert clock(zone, onset - timedelta(seconds=1)) != now, onset


def test_zurich_summer_time_2027_begins_at_two_local_standard_time() -> None:
    block = ical.vtimezone("Europe/Zurich", 2027, 2027)
    parts = {(p.name, p["dtstart"].dt.month): p for p in block.subcomponents}
    spring = parts[("DAYLIGHT", 3)]
    assert spring["dtstart"].dt == datetime(2027, 3, 28, 2, 0)
    assert spring["tzoffsetfrom"].td == timedelta(hours=1)
    assert spring["tzoffsetto"].td == timedelta(hours=2)
    assert str(spring["tzname"]) == "CEST"
    autumn = parts[("STANDARD", 10)]
    assert autumn["dtstart"].dt == datetime(2027, 10, 31, 3, 0)
    assert autumn["tzoffsetfrom"].td == timedelta(hours=2)
    # 01:30Z on the day of the change is 03:30 summer time, not a time that does not exist.
    at = datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert implied_offset(observances(block), at) == timedelta(hours=2)


def test_a_zone_without_dst_has_one_standard_observance() -> None:
    block = ical.vtimezone("Asia/Bangkok", 2013, 2014)
    assert [p.name for p in block.subcomponents] == ["STANDARD"]
    (part,) = block.subcomponents
    assert part["tzoffsetfrom"].td == part["tzoffsetto"].td == timedelta(hours=7)


def test_the_block_is_built_once_per_zone_and_years() -> None:
    ical.vtimezone("Europe/Zurich", 2030, 2031)
    hits = ical._vtimezone_text.cache_info().hits
    again = ical.vtimezone("Europe/Zurich", 2030, 2031)
    assert ical._vtimezone_text.cache_info().hits == hits + 1
    # Each call gets a component of its own: a caller changing it spoils no other feed.
    again.add("x-probe", "1")
    assert "X-PROBE" not in ical.vtimezone("Europe/Zurich", 2030, 2031)


# Run by Debian's Python: libical's GObject binding (gir1.2-ical-3.0) is not in the virtualenv.
# It reads the first VTIMEZONE as the file's own zone, not libical's built-in one of that name.
LIBICAL_PROBE = """
import json, sys
import gi
gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib
request = json.load(sys.stdin)
calendar = ICalGLib.Component.new_from_string(request["calendar"])
utc = ICalGLib.Timezone.get_utc_timezone()
zone = ICalGLib.Timezone.new()
zone.set_component(calendar.get_first_component(ICalGLib.ComponentKind.VTIMEZONE_COMPONENT).clone())
offsets = []
for stamp in request["instants"]:
    at = ICalGLib.Time.new_from_timet_with_zone(stamp, False, utc)
    offsets.append(zone.get_utc_offset_of_utc_time(at)[0])
events = {}
event = calendar.get_first_component(ICalGLib.ComponentKind.VEVENT_COMPONENT)
while event is not None:
    start, end = event.get_dtstart(), event.get_dtend()
    events[event.get_uid()] = [
        start.get_tzid(),
        start.as_timet_with_zone(start.get_timezone()),
        end.as_timet_with_zone(end.get_timezone()),
    ]
    event = calendar.get_next_component(ICalGLib.ComponentKind.VEVENT_COMPONENT)
json.dump({"offsets": offsets, "events": events}, sys.stdout)
"""
SYSTEM_PYTHON = "/usr/bin/python3"


def libical(calendar: str, instants: list[datetime]) -> dict[str, Any]:
    """libical's offsets at the instants in the first VTIMEZONE, and each event's UTC times."""
    request = json.dumps(
        {"calendar": calendar, "instants": [int(at.timestamp()) for at in instants]}
    )
    done = subprocess.run(
        [SYSTEM_PYTHON, "-c", LIBICAL_PROBE], input=request, capture_output=True, text=True
    )
    assert done.returncode == 0, f"libical (gir1.2-ical-3.0, see make system-test): {done.stderr}"
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_agenda_ics_across_the_march_2027_change_reads_right_in_libical(
    client: FlaskClient,
) -> None:
    # The demo moved to Zurich, 26-29 March 2027: one session from 01:30 to 03:30 local on the
    # 28th spans the hour that does not exist, the closing is in summer time.
    doc = demo_document()
    doc["meeting"].update(timezone="Europe/Zurich", start_date="2027-03-26", end_date="2027-03-29")
    for session in doc["sessions"]:
        for key in ("start", "end"):
            session[key] = "2027-03-26" + session[key][10:]
    times = {
        "s-iccwc": ("2027-03-28T01:30", "2027-03-28T03:30"),
        "s-close": ("2027-03-29T09:00", "2027-03-29T09:30"),
    }
    for session in doc["sessions"]:
        if session["ref"] in times:
            session["start"], session["end"] = times[session["ref"]]
    load(doc)
    response = client.get(f"/meetings/{DEMO_SLUG}/agenda.ics")
    assert response.status_code == 200

    zone = ZoneInfo("Europe/Zurich")
    instants = grid(zone, 2027, 2027)
    read = libical(response.data.decode(), instants)
    for at, offset in zip(instants, read["offsets"], strict=True):
        assert timedelta(seconds=offset) == clock(zone, at)[0], at
    events = {uid.split(".")[0]: times for uid, times in read["events"].items()}
    assert events["s-open"] == [
        "Europe/Zurich",
        _stamp(2027, 3, 26, 8, 0),
        _stamp(2027, 3, 26, 8, 30),
    ]
    # 01:30 winter time is 00:30Z; 03:30 summer time is 01:30Z: one hour passes.
    assert events["s-iccwc"][1:] == [_stamp(2027, 3, 28, 0, 30), _stamp(2027, 3, 28, 1, 30)]
    assert events["s-close"][1:] == [_stamp(2027, 3, 29, 7, 0), _stamp(2027, 3, 29, 7, 30)]


def _stamp(year: int, month: int, day: int, hour: int, minute: int) -> int:
    return int(datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp())
