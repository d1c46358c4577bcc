"""The rules for changing a meeting's settings: one service for the settings page and the API.

`change_settings` takes the settings to change as Python values, checks them all, and changes
nothing unless every one is right (SettingsProblems names each setting at fault). It takes the
meeting's lock first. What the organisers should know but may accept comes back as sentences:
sessions outside new days, limits now below the number already approved.

Limits count approved registrations (registration/service.py `_fits`): lowering one below the
approved count unapproves nobody, and approves nobody more until the count falls below it.
A new time zone keeps every session, and a registration window given as wall-clock times, at
the same local times: their UTC instants are derived again, as Session keeps them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from babel.lists import format_list
from flask import current_app
from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l

from .. import audit, localtime
from ..extensions import db
from ..interchange.exporter import export_meeting
from ..interchange.validate import (
    MAX_MEETING_DAYS,
    _path_step,
    check_item,
    is_one_line,
    maximum,
    schema,
)
from ..locking import lock_meeting
from ..models import (
    KIND_ORDER,
    Approval,
    Delegation,
    Meeting,
    OrganisationKind,
    Participant,
    RegistrationStatus,
    Session,
)
from .organisations import valid_country

# Every setting the service changes, in the order pages and messages name them, with what a
# person reads for it in a message that says what changed.
SETTING_NAMES = {
    "title": _l("title"),
    "description": _l("description"),
    "start_date": _l("first day"),
    "end_date": _l("last day"),
    "timezone": _l("time zone"),
    "venue_name": _l("venue"),
    "venue_city": _l("city"),
    "venue_country": _l("country"),
    "registration_opens": _l("opening of registration"),
    "registration_closes": _l("close of registration"),
    "approval": _l("approval of registrations"),
    "capacity": _l("capacity"),
    "quotas": _l("quotas"),
    "languages": _l("languages"),
}
SETTINGS: tuple[str, ...] = tuple(SETTING_NAMES)

# What PATCH /api/v1/meetings/<slug> changes, as the schema's meeting names them.
PATCHABLE: tuple[str, ...] = (
    "title",
    "description",
    "venue",
    "registration_opens",
    "registration_closes",
    "approval",
    "capacity",
    "quotas",
    "languages",
)
# The schema's meeting: a setting's JSON path for each of the service's names.
_PATHS = {
    "venue_name": "$.venue.name",
    "venue_city": "$.venue.city",
    "venue_country": "$.venue.country",
}
_TEXT_LIMITS = {"title": 300, "venue_name": 300, "venue_city": 120, "description": 20000}
# Sessions named in one sentence at most; the rest are counted.
_NAMED = 5


class SettingsProblems(ValueError):
    """Settings that cannot be stored as given: `fields` maps each setting to a sentence.

    Keyed by the service's setting names (quotas by "quotas.<kind>"), or by JSON paths when
    the settings came as a document (`change_from_document`).
    """

    def __init__(self, fields: dict[str, str]):
        super().__init__(gettext("The settings were not saved: correct what is marked."))
        self.fields = fields


@dataclass(frozen=True)
class SettingsChange:
    """What a change did: the settings whose value changed, and what to know about it."""

    changed: tuple[str, ...]
    warnings: tuple[str, ...]


def names_of(settings: tuple[str, ...]) -> str:
    """The settings as a list a person reads: "title, capacity and quotas"."""
    names = [str(SETTING_NAMES[s]) for s in settings]
    return (
        format_list(names, locale=localtime.babel_locale(localtime.page_language()))
        if names
        else ""
    )


def current_settings(meeting: Meeting) -> dict[str, Any]:
    """The meeting's settings as the service takes them (instants aware, in UTC)."""
    return {
        "title": meeting.title,
        "description": meeting.description,
        "start_date": meeting.start_date,
        "end_date": meeting.end_date,
        "timezone": meeting.timezone,
        "venue_name": meeting.venue_name,
        "venue_city": meeting.venue_city,
        "venue_country": meeting.venue_country,
        "registration_opens": meeting.registration_opens,
        "registration_closes": meeting.registration_closes,
        "approval": meeting.approval_rule,
        "capacity": meeting.capacity,
        "quotas": dict(meeting.quotas) if meeting.quotas is not None else None,
        "languages": list(meeting.languages) if meeting.languages is not None else None,
    }


# -- checking ---------------------------------------------------------------------------------


class _Check:
    """The settings as they would be, each checked; `problems` says what is wrong where."""

    def __init__(self, before: dict[str, Any], changes: Mapping[str, Any]):
        self.problems: dict[str, str] = {}
        self.value = dict(before)
        for key in SETTINGS:
            if key in changes:
                self.value[key] = self.clean(key, changes[key])
        self.zone = self.check_zone()
        self.check_texts()
        self.check_dates()
        self.check_window()
        self.check_limits()
        self.check_languages()
        if self.value.get("venue_country") and not valid_country(self.value["venue_country"]):
            self.problems["venue_country"] = gettext("Choose a country from the list.")
        approval = self.value["approval"]
        if approval not in set(Approval):
            self.problems["approval"] = gettext("Choose how registrations are approved.")
        else:
            self.value["approval"] = Approval(approval)

    @staticmethod
    def clean(key: str, value: Any) -> Any:
        if isinstance(value, str):
            # Browsers send a textarea's line breaks as CRLF.
            value = value.replace("\r\n", "\n").strip() if key == "description" else value.strip()
            return value or None
        return value

    def check_zone(self) -> Any:
        name = self.value["timezone"]
        try:
            tz = localtime.zone(name) if isinstance(name, str) else None
        except localtime.LocalTimeError:
            tz = None
        if tz is None:
            self.problems["timezone"] = gettext("Choose a time zone from the list.")
            return None
        self.value["timezone"] = tz.key  # Europe/Geneva is stored as Europe/Zurich
        return tz

    def check_texts(self) -> None:
        for key, limit in _TEXT_LIMITS.items():
            text = self.value[key]
            if text is None:
                if key == "title":
                    self.problems[key] = gettext("A meeting needs a title.")
                continue
            if not isinstance(text, str):
                self.problems[key] = gettext("Write this as text.")
            elif len(text) > limit:
                self.problems[key] = gettext("At most %(num)d characters.", num=limit)
            elif "\x00" in text or (key != "description" and not is_one_line(text)):
                self.problems[key] = gettext("Write this on one line, without line breaks or tabs.")

    def check_dates(self) -> None:
        first, last = self.value["start_date"], self.value["end_date"]
        for key in ("start_date", "end_date"):
            if not isinstance(self.value[key], date):
                self.problems[key] = gettext("Give a date.")
        if not isinstance(first, date) or not isinstance(last, date):
            return
        if last < first:
            self.problems["end_date"] = gettext("The last day is before the first day.")
        elif (last - first).days >= MAX_MEETING_DAYS:
            self.problems["end_date"] = gettext(
                "A meeting lasts at most %(num)d days.", num=MAX_MEETING_DAYS
            )
        elif self.zone is not None:
            end = localtime.check_day_bounds(first, last, self.zone)
            if end is not None:
                self.problems[f"{end}_date"] = gettext("This date is beyond the calendar's range.")

    def check_window(self) -> None:
        for key in ("registration_opens", "registration_closes"):
            moment = self.value[key]
            if moment is None:
                continue
            if not isinstance(moment, datetime):
                self.problems[key] = gettext("Give a date and a time.")
                continue
            if moment.tzinfo is None:
                # A wall-clock time in the meeting's zone (the new one, if it changes too).
                if self.zone is None:
                    continue
                try:
                    self.value[key] = localtime.to_utc(moment, self.zone)
                except localtime.LocalTimeError:
                    self.problems[key] = gettext(
                        "This time does not exist in %(zone)s: the clocks go forward then.",
                        zone=self.zone.key,
                    )
            if self.zone is not None and self.value[key].tzinfo is not None:
                try:
                    localtime.check_shown(self.value[key], self.zone)
                except localtime.LocalTimeError:
                    self.problems[key] = gettext(
                        "This time is beyond the calendar's range in %(zone)s.",
                        zone=self.zone.key,
                    )
        opens, closes = self.value["registration_opens"], self.value["registration_closes"]
        if (
            isinstance(opens, datetime)
            and isinstance(closes, datetime)
            and opens.tzinfo is not None
            and closes.tzinfo is not None
            and closes <= opens
        ):
            self.problems["registration_closes"] = gettext(
                "Registration must close after it opens."
            )

    def check_limits(self) -> None:
        top = maximum("meeting", "capacity")
        capacity = self.value["capacity"]
        if capacity is not None and (
            not isinstance(capacity, int) or isinstance(capacity, bool) or not 1 <= capacity <= top
        ):
            self.problems["capacity"] = gettext(
                "The capacity is a whole number of places from 1 to %(num)d, or empty for no "
                "limit.",
                num=top,
            )
        quotas = self.value["quotas"]
        if quotas is None:
            return
        if not isinstance(quotas, Mapping):
            self.problems["quotas"] = gettext("Give a number of places per kind of organisation.")
            return
        kinds = {kind.value for kind in OrganisationKind}
        for kind, seats in quotas.items():
            if kind not in kinds:
                self.problems[f"quotas.{kind}"] = gettext("There is no such kind of organisation.")
            elif not isinstance(seats, int) or isinstance(seats, bool) or not 0 <= seats <= top:
                self.problems[f"quotas.{kind}"] = gettext(
                    "A quota is a whole number of places from 0 to %(num)d, or empty for no limit.",
                    num=top,
                )
        if not any(key.startswith("quotas") for key in self.problems):
            self.value["quotas"] = {
                k.value: quotas[k.value] for k in KIND_ORDER if k.value in quotas
            }

    def check_languages(self) -> None:
        languages = self.value["languages"]
        if languages is None:
            return
        offered = current_app.config["LANGUAGES"]
        if (
            not isinstance(languages, list | tuple)
            or not languages
            or any(code not in offered for code in languages)
            or len(set(languages)) != len(languages)
        ):
            self.problems["languages"] = gettext(
                "Choose the meeting's languages among those offered."
            )
        else:
            self.value["languages"] = list(languages)


def _same(key: str, old: Any, new: Any) -> bool:
    if key == "quotas":
        return (old or {}) == (new or {})
    return bool(old == new)


def problems_of(meeting: Meeting, changes: Mapping[str, Any]) -> dict[str, str]:
    """What change_settings would refuse in these changes, without taking or changing
    anything: for a form that has problems of its own, so that every one is shown at once."""
    known = {key: value for key, value in changes.items() if key in SETTINGS}
    return _Check(current_settings(meeting), known).problems


# -- changing ---------------------------------------------------------------------------------


def change_settings(meeting: Meeting, changes: Mapping[str, Any]) -> SettingsChange:
    """Change the settings given (names from SETTINGS); all of them or none.

    Texts are stripped (empty is "not stated"); instants are aware, or wall-clock times of the
    meeting's zone (the new one when `timezone` changes too). SettingsProblems if any is wrong.
    """
    unknown = sorted(set(changes) - set(SETTINGS))
    if unknown:
        raise SettingsProblems({key: gettext("This setting cannot be changed.") for key in unknown})
    lock_meeting(meeting)
    before = current_settings(meeting)
    check = _Check(before, changes)
    problems = dict(check.problems)
    after = check.value
    sessions = list(
        db.session.scalars(
            sa.select(Session).where(Session.meeting_id == meeting.id).order_by(Session.start_local)
        )
    )
    zone_moves = check.zone is not None and check.zone.key != meeting.timezone
    if zone_moves and "timezone" not in problems:
        missing = _sessions_without_time(sessions, check.zone)
        if missing:
            problems["timezone"] = ngettext(
                "The session %(titles)s would start or end at a time that does not exist in "
                "%(zone)s (the clocks go forward then): move it first.",
                "The sessions %(titles)s would start or end at times that do not exist in "
                "%(zone)s (the clocks go forward then): move them first.",
                len(missing),
                titles=_titles(missing),
                zone=check.zone.key,
            )
    if problems:
        raise SettingsProblems(problems)
    changed = tuple(key for key in SETTINGS if not _same(key, before[key], after[key]))
    if not changed:
        return SettingsChange((), ())
    for key in changed:
        setattr(meeting, key, after[key])
    if zone_moves:
        for session in sessions:
            session.start_utc = _instant(session.start_local, check.zone)
            session.end_utc = _instant(session.end_local, check.zone)
    db.session.flush()
    audit.log(
        "meeting.settings_changed",
        meeting=meeting,
        target=meeting.slug,
        details={
            key: {"from": _loggable(before[key]), "to": _loggable(after[key])} for key in changed
        },
    )
    return SettingsChange(changed, tuple(_warnings(meeting, changed, sessions)))


def _instant(local: datetime, tz: Any) -> datetime:
    try:
        return localtime.to_utc(local, tz)
    except localtime.LocalTimeError:
        # Only a cancelled session can be here (live ones were refused): the hour after.
        return localtime.to_utc(local + timedelta(hours=1), tz)


def _sessions_without_time(sessions: list[Session], tz: Any) -> list[Session]:
    missing = []
    for session in sessions:
        if session.cancelled_at is not None:
            continue
        try:
            localtime.to_utc(session.start_local, tz)
            localtime.to_utc(session.end_local, tz)
        except localtime.LocalTimeError:
            missing.append(session)
    return missing


def _titles(sessions: list[Session]) -> str:
    named = [f"“{s.title}”" for s in sessions[:_NAMED]]
    if len(sessions) > _NAMED:
        named.append(ngettext("%(num)d other", "%(num)d others", len(sessions) - _NAMED))
    return format_list(named, locale=localtime.babel_locale(localtime.page_language()))


def _loggable(value: Any) -> Any:
    if isinstance(value, datetime):
        return localtime.format_instant(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Approval):
        return value.value
    if isinstance(value, str) and len(value) > 200:
        return value[:200] + "…"
    return value


def _outside_days(meeting: Meeting, session: Session) -> bool:
    first, last = meeting.start_date, meeting.end_date
    start, end = session.start_local, session.end_local
    closing = datetime.combine(last + timedelta(days=1), datetime.min.time())
    return start.date() < first or start.date() > last or end > closing


def _warnings(meeting: Meeting, changed: tuple[str, ...], sessions: list[Session]) -> list[str]:
    warnings: list[str] = []
    live = [s for s in sessions if s.cancelled_at is None]
    if {"start_date", "end_date"} & set(changed):
        outside = [s for s in live if _outside_days(meeting, s)]
        if outside:
            warnings.append(
                ngettext(
                    "The session %(titles)s is now outside the meeting's days: move or cancel "
                    "it on the agenda page.",
                    "The sessions %(titles)s are now outside the meeting's days: move or cancel "
                    "them on the agenda page.",
                    len(outside),
                    titles=_titles(outside),
                )
            )
    if "timezone" in changed and live:
        warnings.append(
            gettext(
                "The sessions keep their local times, now in %(zone)s. Publish the agenda so "
                "that the public agenda and calendars show them at their new times.",
                zone=meeting.timezone,
            )
        )
    if {"capacity", "quotas"} & set(changed):
        warnings.extend(limit_warnings(meeting))
    return warnings


def limit_warnings(meeting: Meeting) -> list[str]:
    """Limits below what is approved already, and a waiting list the limits leave waiting."""
    found: list[str] = []
    counts = dict(
        db.session.execute(
            sa.select(Participant.status, sa.func.count(Participant.id))
            .where(Participant.meeting_id == meeting.id)
            .group_by(Participant.status)
        ).all()
    )
    approved = counts.get(RegistrationStatus.APPROVED, 0)
    if meeting.capacity is not None and approved > meeting.capacity:
        found.append(
            gettext(
                "%(approved)d participants are approved, more than the capacity of %(capacity)d. "
                "Nobody loses their place, but nobody more is approved until fewer than "
                "%(capacity)d are.",
                approved=approved,
                capacity=meeting.capacity,
            )
        )
    per_delegation = db.session.execute(
        sa.select(Delegation, sa.func.count(Participant.id))
        .join(Participant, Participant.delegation_id == Delegation.id)
        .where(
            Delegation.meeting_id == meeting.id, Participant.status == RegistrationStatus.APPROVED
        )
        .group_by(Delegation.id)
        .order_by(Delegation.name)
    ).all()
    over = [
        gettext(
            "%(organisation)s (%(approved)d approved, quota %(quota)d)",
            organisation=delegation.display_name,
            approved=count,
            quota=delegation.seat_quota(),
        )
        for delegation, count in per_delegation
        if delegation.seat_quota() is not None and count > (delegation.seat_quota() or 0)
    ]
    if over:
        found.append(
            ngettext(
                "Over its quota: %(list)s. Nobody loses their place, but the organisation has "
                "nobody more approved until it is within its quota.",
                "Over their quotas: %(list)s. Nobody loses their place, but these organisations "
                "have nobody more approved until they are within their quotas.",
                len(over),
                list=format_list(over, locale=localtime.babel_locale(localtime.page_language())),
            )
        )
    waiting = counts.get(RegistrationStatus.WAITLISTED, 0)
    if waiting:
        found.append(
            ngettext(
                "%(num)d registration is on the waiting list: new limits approve nobody by "
                "themselves; decide on the registrations page.",
                "%(num)d registrations are on the waiting list: new limits approve nobody by "
                "themselves; decide on the registrations page.",
                waiting,
            )
        )
    return found


# -- the API's shapes -------------------------------------------------------------------------


def change_from_document(meeting: Meeting, changes: Any) -> SettingsChange:
    """PATCH of a meeting: the settings given in the schema's shapes (PATCHABLE keys).

    A key given as null removes that setting (the title cannot be removed); `venue` and `quotas`
    are replaced whole. SettingsProblems keyed by JSON path for anything wrong, unknown keys too.
    """
    if not isinstance(changes, dict):
        raise SettingsProblems({"$": "must be an object of the settings to change"})
    problems: dict[str, str] = {}
    known = schema()["$defs"]["meeting"]["properties"]
    for key in changes:
        if key not in PATCHABLE:
            step = f"$.{_path_step(key)}"
            problems[step] = (
                "cannot be changed here (PATCH changes " + ", ".join(PATCHABLE) + ")"
                if key in known
                else "is not allowed here (no such property)"
            )
    if problems:
        raise SettingsProblems(problems)
    lock_meeting(meeting)
    item = export_meeting(meeting.slug)["meeting"]
    for key, value in changes.items():
        if value is None:
            item.pop(key, None)
        else:
            item[key] = value
    for problem in check_item("meeting", item):
        problems.setdefault(problem.path, problem.message)
    if problems:
        raise SettingsProblems(problems)
    typed: dict[str, Any] = {}
    for key in changes:
        value = item.get(key)
        if key == "venue":
            venue = value or {}
            for part in ("name", "city", "country"):
                typed[f"venue_{part}"] = venue.get(part)
        elif key in ("registration_opens", "registration_closes"):
            try:
                typed[key] = localtime.parse_instant(value) if value else None
            except ValueError:
                problems[f"$.{key}"] = f"{value!r} is not a date-time with offset"
        elif key == "approval":
            typed[key] = Approval(value) if value else Approval.MANUAL
        else:
            typed[key] = value
    if problems:
        raise SettingsProblems(problems)
    try:
        return change_settings(meeting, typed)
    except SettingsProblems as exc:
        raise SettingsProblems(
            {_path(name): message for name, message in exc.fields.items()}
        ) from exc


def _path(name: str) -> str:
    return _PATHS.get(name) or "$." + name
