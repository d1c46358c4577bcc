"""Validation of wen-meeting/1 documents: structure (the JSON Schema) and meaning.

Every problem is reported with the JSON path of the value at fault, so a person can find it.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

import pycountry
from email_validator import EmailNotValidError, validate_email
from jsonschema import Draft202012Validator, ValidationError

from .. import localtime
from ..mailbox import mailbox_key
from ..models.participant import holds_head_seat

FORMAT = "wen-meeting/1"
# Kosovo's user-assigned code is in common use by international organisations.
EXTRA_COUNTRIES = frozenset({"XK"})
# The deepest document the schema describes is about eight levels; anything far deeper is an
# attack on the parser and the validator, which recurse.
MAX_DEPTH = 32
# No number the schema allows has more than seven digits; Python refuses beyond 4,300.
MAX_DIGITS = 100
# A meeting of more days than a year is a mistake, and each of its days is rendered.
MAX_MEETING_DAYS = 366
# Texts that may span lines; every other text may end up in a mail header or a calendar line.
MULTI_LINE_FIELDS = frozenset({"description", "summary", "text"})
_SURROGATE = re.compile("[\ud800-\udfff]")
# Control characters (C0, DEL, C1) and the Unicode line and paragraph separators.
_NOT_ONE_LINE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


class InvalidDocument(ValueError):
    """The document cannot be imported; `problems` says why, each with its location."""

    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s) in the document")
        self.problems = problems


class NotJson(InvalidDocument):
    """The text is not JSON at all (or not UTF-8): there is no document to locate problems in."""


def problem_fields(problems: Iterable[Problem]) -> dict[str, str]:
    """The API's `fields`: each path with every message about it, joined by "; "."""
    fields: dict[str, list[str]] = {}
    for problem in problems:
        fields.setdefault(problem.path, []).append(problem.message)
    return {path: "; ".join(messages) for path, messages in fields.items()}


@cache
def schema() -> dict[str, Any]:
    text = resources.files(__package__).joinpath("meeting.schema.json").read_text("utf-8")
    return json.loads(text)


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


@cache
def _countries() -> frozenset[str]:
    return frozenset(c.alpha_2 for c in pycountry.countries) | EXTRA_COUNTRIES


@dataclass(frozen=True)
class _Unreadable:
    """Stands in, while parsing, for a number no document can hold; reported with its path."""

    message: str


class _NotJsonNumber(ValueError):
    pass


def _integer(digits: str) -> int | _Unreadable:
    count = len(digits.lstrip("-"))
    if count > MAX_DIGITS:
        return _Unreadable(f"is a number of {count} digits, far beyond any value allowed")
    return int(digits)


def _real(text: str) -> float | _Unreadable:
    value = float(text)
    if not math.isfinite(value):
        return _Unreadable(f"{text[:20]} is not a finite number")
    return value


def _constant(name: str) -> Any:
    raise _NotJsonNumber(name)


def parse_document(text: str | bytes) -> Any:
    """JSON text to a document, the one parser of every JSON entry point (CLI and API).

    NotJson if the text is not JSON; InvalidDocument, with the path, for what JSON can carry
    but no document may: nesting deeper than MAX_DEPTH, numbers of absurd size, lone
    surrogates (which neither UTF-8 nor PostgreSQL can store).
    """
    try:
        doc = json.loads(text, parse_int=_integer, parse_float=_real, parse_constant=_constant)
    except UnicodeDecodeError as exc:
        raise NotJson([Problem("$", f"not UTF-8 text: {exc.reason}")]) from exc
    except json.JSONDecodeError as exc:
        message = f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        raise NotJson([Problem("$", message)]) from exc
    except _NotJsonNumber as exc:
        raise NotJson([Problem("$", f"not valid JSON: {exc} is not a JSON number")]) from exc
    except RecursionError as exc:
        raise InvalidDocument([Problem("$", f"nested more than {MAX_DEPTH} levels deep")]) from exc
    problems = list(_unstorable(doc))
    if problems:
        raise InvalidDocument(problems)
    return doc


def _unstorable(doc: Any) -> Iterator[Problem]:
    """What parse_document refuses, walked without recursion (the document may be deep)."""
    stack: list[tuple[Any, str, int]] = [(doc, "$", 1)]
    while stack:
        node, path, depth = stack.pop()
        if isinstance(node, _Unreadable):
            yield Problem(path, node.message)
        elif isinstance(node, str):
            if _SURROGATE.search(node):
                yield Problem(path, "contains a lone surrogate, which is not a character")
        elif isinstance(node, dict | list):
            if depth > MAX_DEPTH:
                yield Problem(path, f"nested more than {MAX_DEPTH} levels deep")
                continue
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, value in items:
                if isinstance(key, str):
                    if _SURROGATE.search(key):
                        name = _path_step(key)
                        yield Problem(
                            f"{path}.{name}",
                            "the property's name contains a lone surrogate, "
                            "which is not a character",
                        )
                        continue
                    stack.append((value, f"{path}.{_path_step(key)}", depth + 1))
                else:
                    stack.append((value, f"{path}[{key}]", depth + 1))


def _path_step(name: str) -> str:
    """A property name as a step of a JSON path: quoted when it could not be read back."""
    if name.isprintable() and not _SURROGATE.search(name):
        return name
    return json.dumps(name)


def _structural(validator: Draft202012Validator, data: Any) -> Iterator[Problem]:
    """The schema's problems, each at the property it is about.

    jsonschema reports a missing or an unexpected property at the object that holds it; said at
    the property's own path, each path has its own message and a form can show it by its field.
    """
    for error in validator.iter_errors(data):
        yield from _located(error)


def _located(error: ValidationError) -> Iterator[Problem]:
    path = error.json_path
    instance = error.instance
    if error.validator == "required" and isinstance(instance, dict):
        for name in error.validator_value:
            if name not in instance:
                yield Problem(f"{path}.{_path_step(name)}", "is required")
        return
    if (
        error.validator == "additionalProperties"
        and error.validator_value is False
        and isinstance(instance, dict)
        and isinstance(error.schema, dict)
    ):
        known = error.schema.get("properties", {})
        for name in instance:
            if name not in known:
                yield Problem(
                    f"{path}.{_path_step(name)}", "is not allowed here (no such property)"
                )
        return
    yield Problem(path, error.message)


def check_document(doc: Any) -> list[Problem]:
    """Every problem of the document, structural and semantic, in document order."""
    problems = list(_structural(_validator(), doc))
    problems.extend(_control_characters(doc))
    if isinstance(doc, dict):
        problems.extend(_Meaning(doc).problems())
    return sorted(set(problems), key=_document_order)


def _control_characters(doc: Any) -> Iterator[Problem]:
    """Characters a text cannot be stored with, or that break the line it ends up on.

    NUL cannot be stored (PostgreSQL refuses it); one-line texts (titles, names) go into mail
    headers and calendar lines, where a line break would start a header of the sender's choosing.
    """
    stack: list[tuple[Any, str, str | None]] = [(doc, "$", None)]
    while stack:
        node, path, field = stack.pop()
        if isinstance(node, str):
            problem = _text_problem(node, multi_line=field in MULTI_LINE_FIELDS)
            if problem:
                yield Problem(path, problem)
        elif isinstance(node, dict):
            for key, value in node.items():
                if not isinstance(key, str):
                    continue
                step = f"{path}.{_path_step(key)}"
                problem = _text_problem(key, multi_line=False)
                if problem:
                    yield Problem(step, f"the property's name {problem}")
                stack.append((value, step, key))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                stack.append((value, f"{path}[{index}]", field))


def _text_problem(text: str, *, multi_line: bool) -> str | None:
    if "\x00" in text:
        return "contains a NUL character"
    if _SURROGATE.search(text):
        return "contains a lone surrogate, which is not a character"
    if not multi_line:
        found = _NOT_ONE_LINE.search(text)
        if found:
            return (
                f"contains a line break or another control character (U+{ord(found[0]):04X}): "
                "write it on one line"
            )
    return None


def is_one_line(text: str) -> bool:
    """No line break and no control character: fit for a mail header or a calendar line."""
    return _NOT_ONE_LINE.search(text) is None and _SURROGATE.search(text) is None


def maximum(definition: str, name: str) -> int:
    """The schema's largest value of an integer property, for the forms to say the same."""
    return int(schema()["$defs"][definition]["properties"][name]["maximum"])


_PATH_STEP = re.compile(r"\[(\d+)\]|\.([^.\[]*)|([^.\[]+)")


def _document_order(problem: Problem) -> tuple[tuple[tuple[int, int, str], ...], str]:
    # Sort $.participants[10] after $.participants[9]; every step is an (int, int, str), so a
    # path compares with a longer one below it, and the message only breaks ties of the path.
    steps = tuple(
        (0, int(index), "") if index else (1, 0, name or other)
        for index, name, other in _PATH_STEP.findall(problem.path)
    )
    return steps, problem.message


def _dicts(value: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, dict):
                yield index, item


def _strings(value: Any) -> Iterator[tuple[int, str]]:
    if isinstance(value, list):
        for index, item in enumerate(value):
            if isinstance(item, str):
                yield index, item


def session_time_problems(
    path: str, item: dict[str, Any], tz: Any, first_day: date | None, last_day: date | None
) -> list[Problem]:
    """A session's start and end: real local times of the zone, inside the meeting, in order."""
    found: list[Problem] = []
    times: dict[str, datetime] = {}
    for key in ("start", "end"):
        value = item.get(key)
        if not isinstance(value, str):
            continue
        try:
            parsed = localtime.parse_local(value)
        except ValueError:
            found.append(Problem(f"{path}.{key}", f"{value!r} is not a valid local date and time"))
            continue
        times[key] = parsed
        if tz is not None:
            try:
                localtime.to_utc(parsed, tz)
            except localtime.LocalTimeError as exc:
                found.append(Problem(f"{path}.{key}", str(exc)))
        if first_day and last_day:
            inside = first_day <= parsed.date() <= last_day
            # A session may end at the midnight that closes the last day (by subtraction: the
            # day after 9999-12-31 does not exist).
            at_close = (
                key == "end"
                and parsed.time() == datetime.min.time()
                and first_day < parsed.date()
                and (parsed.date() - last_day).days <= 1
            )
            if not inside and not at_close:
                found.append(
                    Problem(
                        f"{path}.{key}",
                        f"{value} is outside the meeting's dates "
                        f"({first_day.isoformat()} to {last_day.isoformat()})",
                    )
                )
    if len(times) == 2 and times["end"] <= times["start"]:
        found.append(Problem(f"{path}.end", "the session ends before or when it starts"))
    return found


class _Meaning:
    """The checks a schema cannot express: references, times, dates, addresses, uniqueness."""

    def __init__(self, doc: dict[str, Any]):
        self.doc = doc
        self.found: list[Problem] = []
        meeting = doc.get("meeting")
        self.meeting: dict[str, Any] = meeting if isinstance(meeting, dict) else {}
        self.tz: Any = None
        self.first_day: date | None = None
        self.last_day: date | None = None

    def add(self, path: str, message: str) -> None:
        self.found.append(Problem(path, message))

    def problems(self) -> list[Problem]:
        self.check_meeting()
        organisations = self.unique_refs("organisations")
        participants = self.unique_refs("participants")
        rooms = self.unique_refs("rooms")
        self.unique_refs("sessions")
        self.check_organisations()
        self.check_participants(organisations)
        chair = self.meeting.get("chair")
        if isinstance(chair, str) and chair not in participants:
            self.add("$.meeting.chair", f"no participant has ref {chair!r}")
        self.check_sessions(organisations, participants, rooms)
        return self.found

    # -- pieces -----------------------------------------------------------------------------

    def parse_date(self, path: str, value: Any) -> date | None:
        if not isinstance(value, str):
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.add(path, f"{value!r} is not a calendar date (YYYY-MM-DD)")
            return None

    def parse_instant(self, path: str, value: Any) -> datetime | None:
        if not isinstance(value, str):
            return None
        try:
            return localtime.parse_instant(value)
        except localtime.LocalTimeError as exc:
            self.add(path, str(exc))
            return None
        except ValueError:
            self.add(path, f"{value!r} is not a date-time with offset (e.g. 2026-03-01T09:00:00Z)")
            return None

    def check_country(self, path: str, value: Any) -> None:
        if isinstance(value, str) and len(value) == 2 and value not in _countries():
            self.add(path, f"{value!r} is not an ISO 3166-1 alpha-2 country code")

    def check_meeting(self) -> None:
        m = self.meeting
        name = m.get("timezone")
        if isinstance(name, str):
            try:
                self.tz = localtime.zone(name)
            except localtime.LocalTimeError as exc:
                self.add("$.meeting.timezone", str(exc))
        self.first_day = self.parse_date("$.meeting.start_date", m.get("start_date"))
        self.last_day = self.parse_date("$.meeting.end_date", m.get("end_date"))
        if self.first_day and self.last_day and self.last_day < self.first_day:
            self.add("$.meeting.end_date", "the meeting ends before it starts")
        elif self.first_day and self.last_day:
            self.check_days(self.first_day, self.last_day)
        opens = self.parse_instant("$.meeting.registration_opens", m.get("registration_opens"))
        closes = self.parse_instant("$.meeting.registration_closes", m.get("registration_closes"))
        if opens and closes and closes <= opens:
            self.add("$.meeting.registration_closes", "registration closes before it opens")
        for key, moment in (("registration_opens", opens), ("registration_closes", closes)):
            if moment and self.tz:
                try:
                    localtime.check_shown(moment, self.tz)
                except localtime.LocalTimeError as exc:
                    self.add(f"$.meeting.{key}", str(exc))
        venue = m.get("venue")
        if isinstance(venue, dict):
            self.check_country("$.meeting.venue.country", venue.get("country"))

    def check_days(self, first: date, last: date) -> None:
        # Every day of a meeting is shown (agenda, calendars): their number is bounded, and
        # each must begin and end at an instant the calendar has.
        if (last - first).days >= MAX_MEETING_DAYS:
            self.add("$.meeting.end_date", f"a meeting lasts at most {MAX_MEETING_DAYS} days")
        end = localtime.check_day_bounds(first, last, self.tz) if self.tz else None
        if end == "start":
            self.add(
                "$.meeting.start_date",
                f"{first.isoformat()} in {self.tz} begins before the calendar does in UTC (year 1)",
            )
        elif end == "end":
            self.add(
                "$.meeting.end_date",
                f"{last.isoformat()} is too near the end of the calendar: a meeting ends by "
                f"{localtime.LAST_YEAR}-12-31",
            )

    def unique_refs(self, key: str) -> set[str]:
        seen: set[str] = set()
        for index, item in _dicts(self.doc.get(key)):
            ref = item.get("ref")
            if not isinstance(ref, str):
                continue
            if ref in seen:
                self.add(f"$.{key}[{index}].ref", f"duplicate ref {ref!r}")
            seen.add(ref)
        return seen

    def check_organisations(self) -> None:
        for index, org in _dicts(self.doc.get("organisations")):
            path = f"$.organisations[{index}]"
            self.check_country(f"{path}.country", org.get("country"))
            for n, code in _strings(org.get("members")):
                self.check_country(f"{path}.members[{n}]", code)

    def check_participants(self, organisations: set[str]) -> None:
        emails: dict[str, int] = {}
        heads: dict[str, int] = {}
        for index, person in _dicts(self.doc.get("participants")):
            path = f"$.participants[{index}]"
            org = person.get("organisation")
            if isinstance(org, str) and org not in organisations:
                self.add(f"{path}.organisation", f"no organisation has ref {org!r}")
            if isinstance(org, str) and holds_head_seat(person.get("role"), person.get("status")):
                if org in heads:
                    self.add(
                        f"{path}.role",
                        f"{org!r} has a head of delegation already: $.participants[{heads[org]}]",
                    )
                heads.setdefault(org, index)
            email = person.get("email")
            if isinstance(email, str):
                try:
                    validate_email(email, check_deliverability=False, allow_smtputf8=True)
                except EmailNotValidError as exc:
                    self.add(f"{path}.email", f"{email!r} is not a valid e-mail address: {exc}")
                key = mailbox_key(email)
                if key in emails:
                    self.add(
                        f"{path}.email",
                        f"{email!r} is already registered by $.participants[{emails[key]}]",
                    )
                emails.setdefault(key, index)
            for field in ("registered_at", "checked_in_at"):
                self.parse_instant(f"{path}.{field}", person.get(field))

    def check_sessions(
        self, organisations: set[str], participants: set[str], rooms: set[str]
    ) -> None:
        for index, item in _dicts(self.doc.get("sessions")):
            path = f"$.sessions[{index}]"
            room = item.get("room")
            if isinstance(room, str) and room not in rooms:
                self.add(f"{path}.room", f"no room has ref {room!r}")
            for field in ("chairs", "speakers"):
                for n, ref in _strings(item.get(field)):
                    if ref not in participants:
                        self.add(f"{path}.{field}[{n}]", f"no participant has ref {ref!r}")
            rapporteur = item.get("rapporteur")
            if isinstance(rapporteur, str) and rapporteur not in participants:
                self.add(f"{path}.rapporteur", f"no participant has ref {rapporteur!r}")
            self.check_times(path, item)
            record = item.get("record")
            if isinstance(record, dict):
                self.check_outcomes(f"{path}.record", record, organisations, participants)

    def check_times(self, path: str, item: dict[str, Any]) -> None:
        self.found.extend(session_time_problems(path, item, self.tz, self.first_day, self.last_day))

    def check_outcomes(
        self,
        path: str,
        record: dict[str, Any],
        organisations: set[str],
        participants: set[str],
    ) -> None:
        self.found.extend(record_problems(path, record, organisations, participants))


def record_problems(
    path: str, record: dict[str, Any], organisations: Container[str], participants: Container[str]
) -> list[Problem]:
    """What a record's outcomes refer to, and their due dates: what the schema cannot check."""
    found: list[Problem] = []
    for n, outcome in _dicts(record.get("outcomes")):
        owner = outcome.get("owner")
        if isinstance(owner, str) and owner not in organisations:
            found.append(
                Problem(f"{path}.outcomes[{n}].owner", f"no organisation has ref {owner!r}")
            )
        speaker = outcome.get("speaker")
        if isinstance(speaker, str) and speaker not in participants:
            found.append(
                Problem(f"{path}.outcomes[{n}].speaker", f"no participant has ref {speaker!r}")
            )
        due = outcome.get("due")
        if isinstance(due, str):
            try:
                date.fromisoformat(due)
            except ValueError:
                found.append(
                    Problem(
                        f"{path}.outcomes[{n}].due", f"{due!r} is not a calendar date (YYYY-MM-DD)"
                    )
                )
    return found


def format_problems(problems: Iterable[Problem]) -> str:
    return "\n".join(str(p) for p in problems)


@cache
def _registration_validator() -> Draft202012Validator:
    """A schema participant without `ref` and `status`: the server assigns those."""
    full = schema()
    participant = json.loads(json.dumps(full["$defs"]["participant"]))
    for key in ("ref", "status"):
        participant["properties"].pop(key)
        participant["required"].remove(key)
    return Draft202012Validator({"$defs": full["$defs"], **participant})


def check_registration(data: Any) -> list[Problem]:
    """Structural problems of a registration body (API), each with its JSON path."""
    problems = list(_structural(_registration_validator(), data))
    problems.extend(_control_characters(data))
    return sorted(set(problems), key=_document_order)


@cache
def _item_validator(name: str) -> Draft202012Validator:
    full = schema()
    return Draft202012Validator({"$defs": full["$defs"], "$ref": f"#/$defs/{name}"})


def check_item(name: str, data: Any) -> list[Problem]:
    """Structural problems of one schema item (`session`, `record`...), each with its path."""
    problems = list(_structural(_item_validator(name), data))
    problems.extend(_control_characters(data))
    return sorted(set(problems), key=_document_order)
