"""Validation of wen-meeting/1 documents: structure (the JSON Schema) and meaning.

Every problem is reported with the JSON path of the value at fault, so a person can find it.
"""

from __future__ import annotations

import json
from collections.abc import Container, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

import pycountry
from email_validator import EmailNotValidError, validate_email
from jsonschema import Draft202012Validator

from .. import localtime
from ..mailbox import mailbox_key

FORMAT = "wen-meeting/1"
# Kosovo's user-assigned code is in common use by international organisations.
EXTRA_COUNTRIES = frozenset({"XK"})


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


def parse_document(text: str | bytes) -> Any:
    """JSON text to a document; InvalidDocument if it is not JSON."""
    try:
        return json.loads(text)
    except UnicodeDecodeError as exc:
        raise InvalidDocument([Problem("$", f"not UTF-8 text: {exc.reason}")]) from exc
    except json.JSONDecodeError as exc:
        message = f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        raise InvalidDocument([Problem("$", message)]) from exc


def check_document(doc: Any) -> list[Problem]:
    """Every problem of the document, structural and semantic, in document order."""
    problems = [Problem(e.json_path, e.message) for e in _validator().iter_errors(doc)]
    problems.extend(_control_characters(doc, "$"))
    if isinstance(doc, dict):
        problems.extend(_Meaning(doc).problems())
    return sorted(set(problems), key=_document_order)


def _control_characters(node: Any, path: str) -> Iterator[Problem]:
    """NUL cannot be stored (PostgreSQL refuses it) and means a broken export: say where."""
    if isinstance(node, str):
        if "\x00" in node:
            yield Problem(path, "contains a NUL character")
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _control_characters(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _control_characters(value, f"{path}[{index}]")


def _document_order(problem: Problem) -> tuple[Any, ...]:
    # Sort $.participants[10] after $.participants[9].
    parts: list[Any] = []
    for token in problem.path.replace("]", "").replace("[", ".").split("."):
        parts.append((0, int(token), "") if token.isdigit() else (1, 0, token))
    return (*parts, problem.message)


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
            # A session may end at the midnight that closes the last day.
            at_close = (
                key == "end"
                and parsed.time() == datetime.min.time()
                and first_day < parsed.date() <= date.fromordinal(last_day.toordinal() + 1)
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
        self.meeting = doc.get("meeting") if isinstance(doc.get("meeting"), dict) else {}
        self.tz = None
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
        opens = self.parse_instant("$.meeting.registration_opens", m.get("registration_opens"))
        closes = self.parse_instant("$.meeting.registration_closes", m.get("registration_closes"))
        if opens and closes and closes <= opens:
            self.add("$.meeting.registration_closes", "registration closes before it opens")
        venue = m.get("venue")
        if isinstance(venue, dict):
            self.check_country("$.meeting.venue.country", venue.get("country"))

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
        for index, person in _dicts(self.doc.get("participants")):
            path = f"$.participants[{index}]"
            org = person.get("organisation")
            if isinstance(org, str) and org not in organisations:
                self.add(f"{path}.organisation", f"no organisation has ref {org!r}")
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
    problems = [
        Problem(e.json_path, e.message) for e in _registration_validator().iter_errors(data)
    ]
    problems.extend(_control_characters(data, "$"))
    return sorted(set(problems), key=_document_order)


@cache
def _item_validator(name: str) -> Draft202012Validator:
    full = schema()
    return Draft202012Validator({"$defs": full["$defs"], "$ref": f"#/$defs/{name}"})


def check_item(name: str, data: Any) -> list[Problem]:
    """Structural problems of one schema item (`session`, `record`...), each with its path."""
    problems = [Problem(e.json_path, e.message) for e in _item_validator(name).iter_errors(data)]
    problems.extend(_control_characters(data, "$"))
    return sorted(set(problems), key=_document_order)
