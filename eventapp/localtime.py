"""Wall-clock times in a meeting's zone, and the UTC instants they stand for."""

from __future__ import annotations

import re
from datetime import MAXYEAR, UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from babel import Locale, UnknownLocaleError
from babel.dates import format_date as babel_format_date
from babel.dates import format_interval, get_timezone_location, parse_pattern
from babel.dates import format_time as babel_format_time
from flask_babel import get_locale


class LocalTimeError(ValueError):
    """A wall-clock time that the zone skips (clocks go forward) or a zone that is unknown."""


# Names people write for zones that IANA files under another city; the contract's own
# example, Europe/Geneva, is one (Switzerland's zone is Europe/Zurich).
ZONE_ALIASES = {"Europe/Geneva": "Europe/Zurich"}


def zone(name: str) -> ZoneInfo:
    """The IANA zone of that name; LocalTimeError if it is not one."""
    name = ZONE_ALIASES.get(name, name)
    if name not in _zone_names():
        raise LocalTimeError(f"unknown time zone {name!r}: use an IANA name such as Europe/Zurich")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:  # pragma: no cover - listed but unreadable
        raise LocalTimeError(f"unknown time zone {name!r}") from exc


_ZONES: frozenset[str] | None = None


def _zone_names() -> frozenset[str]:
    global _ZONES
    if _ZONES is None:
        _ZONES = frozenset(available_timezones())
    return _ZONES


def to_utc(local: datetime, tz: ZoneInfo) -> datetime:
    """The instant of a wall-clock time in tz.

    A time that occurs twice (clocks go back) is taken at its first occurrence; a time that
    never occurs (clocks go forward) is an error, since no meeting can start then.
    """
    aware = local.replace(tzinfo=tz, fold=0)
    try:
        instant = aware.astimezone(UTC)
        back = instant.astimezone(tz).replace(tzinfo=None)
    except OverflowError as exc:
        raise LocalTimeError(
            f"{format_local(local)} in {tz.key} falls outside the calendar in UTC (years 1 to 9999)"
        ) from exc
    if back != local:
        raise LocalTimeError(
            f"{format_local(local)} does not exist in {tz.key}: the clocks go forward then"
        )
    return instant


def check_shown(instant: datetime, tz: ZoneInfo) -> None:
    """LocalTimeError unless the instant has a wall-clock time in tz (pages show it so): the
    last hours of year 9999 in UTC are in year 10000 east of Greenwich."""
    try:
        instant.astimezone(tz)
    except OverflowError as exc:
        raise LocalTimeError(
            f"{instant.isoformat()} falls outside the calendar in {tz.key} (years 1 to 9999)"
        ) from exc


# The last year a meeting may end in: calendar feeds describe its zone up to the next year.
LAST_YEAR = MAXYEAR - 1


def check_day_bounds(first: date, last: date, tz: ZoneInfo) -> str | None:
    """Which end of a meeting's days ("start" or "end") the calendar cannot show; None if both.

    Agendas need the UTC instant of the midnight that opens the first day; calendar feeds the
    year after the last.
    """
    try:
        datetime.combine(first, time(), tzinfo=tz).astimezone(UTC)
    except OverflowError:
        return "start"
    return "end" if last.year > LAST_YEAR else None


def parse_local(value: str) -> datetime:
    """A schema `localtime` (YYYY-MM-DDTHH:MM[:SS]) as a naive datetime."""
    return datetime.fromisoformat(value)


def format_local(value: datetime) -> str:
    """The schema form of a wall-clock time: seconds only when there are some.

    isoformat, not strftime: strftime writes the year 999 as "999", which no schema accepts.
    """
    return value.replace(tzinfo=None).isoformat(timespec="seconds" if value.second else "minutes")


def parse_instant(value: str) -> datetime:
    """An RFC 3339 date-time as an aware datetime."""
    parsed = datetime.fromisoformat(value.replace("z", "Z").replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError("an instant needs an offset or Z")
    try:
        parsed.astimezone(UTC)
    except OverflowError as exc:
        raise LocalTimeError(
            f"{value} falls outside the calendar in UTC (years 1 to 9999)"
        ) from exc
    return parsed


def format_instant(value: datetime) -> str:
    """An instant in UTC with a Z, as exports write it (four-digit years, as format_local)."""
    utc = value.astimezone(UTC).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds" if utc.microsecond else "seconds") + "Z"


def meeting_days(start: date, end: date) -> list[date]:
    return [start + timedelta(days=n) for n in range((end - start).days + 1)]


def utc_offset_label(tz: ZoneInfo, at: datetime) -> str:
    """'UTC+07:00' for a wall-clock time in tz."""
    offset = at.replace(tzinfo=tz).utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


# English as the United Nations writes it: "5 March 2013", not "March 5, 2013".
_LOCALES = {"en": "en_GB"}


@cache
def babel_locale(lang: str) -> Locale:
    """The Babel locale that formats dates, zones and countries for one of our languages."""
    try:
        return Locale.parse(_LOCALES.get(lang, lang))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en_GB")


def zone_label(tz: ZoneInfo, lang: str) -> str:
    """A reader's name for the zone, e.g. 'Thailand Time' / 'heure : Thaïlande'."""
    try:
        return get_timezone_location(tz.key, locale=babel_locale(lang))
    except LookupError:  # pragma: no cover - babel knows every IANA zone tzdata ships
        return tz.key


def format_day(value: date, lang: str) -> str:
    """'Tuesday, 5 March 2013'."""
    return babel_format_date(value, format="full", locale=babel_locale(lang))


def format_date(value: date, lang: str, fmt: str = "long") -> str:
    """'5 March 2013'."""
    return babel_format_date(value, format=fmt, locale=babel_locale(lang))


def format_clock(value: datetime, lang: str) -> str:
    """'09:30': a 24-hour clock in every language, as agendas print it."""
    return babel_format_time(value.time(), format="HH:mm", locale=babel_locale(lang))


_SHORT_MONTH = re.compile(r"(?<!M)MMM(?!M)")


def format_date_range(start: date, end: date, lang: str, *, full_months: bool = False) -> str:
    """'5 March 2013' for one day; '23–26 Oct 2026' (or 'October' with full_months) for several."""
    if start == end:
        return format_date(start, lang)
    locale = babel_locale(lang)
    formats = locale.interval_formats
    if not full_months or "yMMMd" not in formats:
        return format_interval(start, end, skeleton="yMMMd", locale=locale)
    differs = "y" if start.year != end.year else "M" if start.month != end.month else "d"
    patterns = formats["yMMMd"][differs]
    return "".join(
        parse_pattern(_SHORT_MONTH.sub("MMMM", pattern)).apply(day, locale)
        for pattern, day in zip(patterns, (start, end), strict=True)
    )


def country_name(code: str | None, lang: str) -> str:
    """The country's name in the reader's language; the code itself if Babel does not know it."""
    if not code:
        return ""
    return babel_locale(lang).territories.get(code.upper(), code)


def page_language() -> str:
    """The language the page (or message) is being written in: the request's, else English."""
    locale = get_locale()
    return locale.language if locale is not None else "en"
