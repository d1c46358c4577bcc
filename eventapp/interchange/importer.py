"""Import of a wen-meeting/1 document: one meeting, whole, in one transaction.

The service only flushes; the caller (CLI, API) commits, or rolls back on any error.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from .. import audit, localtime
from ..agenda import versions
from ..extensions import db
from ..locking import lock_meeting
from ..lookups import find_meeting
from ..mailbox import mailbox_key
from ..models import (
    Approval,
    Delegation,
    Meeting,
    Organisation,
    OrganisationKind,
    Outcome,
    OutcomeKind,
    Participant,
    ParticipantRole,
    Record,
    RecordStatus,
    RegistrationStatus,
    Room,
    Session,
    SessionKind,
    SessionPerson,
    SessionRole,
)
from .validate import InvalidDocument, check_document


class SlugTaken(ValueError):
    """A meeting with this slug exists and the import was not asked to replace it."""

    def __init__(self, slug: str):
        super().__init__(f"a meeting with slug {slug!r} exists already (use --replace)")
        self.slug = slug


@dataclass
class ImportResult:
    meeting: Meeting
    replaced: bool
    warnings: list[str] = field(default_factory=list)


def import_meeting(doc: Any, *, replace: bool = False) -> ImportResult:
    """Validate and store a document; InvalidDocument or SlugTaken leave the database as it was."""
    problems = check_document(doc)
    if problems:
        raise InvalidDocument(problems)
    data = doc["meeting"]
    existing = find_meeting(data["slug"])
    if existing is not None and not replace:
        raise SlugTaken(data["slug"])
    if existing is not None:
        # First the meeting's lock, as every writer of a meeting takes it (eventapp/locking.py).
        lock_meeting(existing)
        _clear(existing)
        meeting = existing
    else:
        meeting = Meeting(slug=data["slug"])
        db.session.add(meeting)
    _fill_meeting(meeting, data)
    builder = _Builder(meeting)
    builder.delegations(doc["organisations"])
    builder.participants(doc["participants"])
    if data.get("chair"):
        meeting.chair = builder.people[data["chair"]]
    builder.rooms(doc["rooms"])
    builder.sessions(doc["sessions"])
    db.session.flush()
    # The agenda is published as it stands: an imported meeting is a meeting that exists. A
    # replacement is the next version, so calendars that hold the sessions follow it.
    versions.publish(meeting, by=_actor_email(), always=True)
    audit.log(
        "meeting.replaced" if existing is not None else "meeting.imported",
        meeting=meeting,
        target=meeting.slug,
        details={key: len(doc[key]) for key in ("organisations", "participants", "sessions")},
    )
    return ImportResult(meeting, replaced=existing is not None, warnings=_warnings(doc))


def _actor_email() -> str | None:
    actor = audit.current_actor()
    return actor.email if actor else None


def _clear(meeting: Meeting) -> None:
    """Remove a meeting's content, keeping the meeting row (its report versions refer to it)."""
    meeting.chair = None
    db.session.flush()
    for model in (Session, Participant, Delegation, Room):
        db.session.execute(sa.delete(model).where(model.meeting_id == meeting.id))
    db.session.expire(meeting)


def _fill_meeting(meeting: Meeting, data: dict[str, Any]) -> None:
    venue = data.get("venue") or {}
    meeting.title = data["title"]
    meeting.short_title = data.get("short_title")
    meeting.document_symbol = data.get("document_symbol")
    meeting.host = data.get("host")
    meeting.description = data.get("description")
    meeting.venue_name = venue.get("name")
    meeting.venue_city = venue.get("city")
    meeting.venue_country = venue.get("country")
    meeting.timezone = data["timezone"]
    meeting.start_date = date.fromisoformat(data["start_date"])
    meeting.end_date = date.fromisoformat(data["end_date"])
    meeting.languages = data.get("languages")
    meeting.registration_opens = _instant(data.get("registration_opens"))
    meeting.registration_closes = _instant(data.get("registration_closes"))
    meeting.capacity = data.get("capacity")
    meeting.quotas = data.get("quotas")
    meeting.approval = Approval(data["approval"]) if data.get("approval") else None
    meeting.translations = data.get("translations")


def _instant(value: str | None) -> datetime | None:
    return localtime.parse_instant(value) if value else None


class _Builder:
    """Creates a meeting's rows from a validated document, keeping refs to wire them up."""

    def __init__(self, meeting: Meeting):
        self.meeting = meeting
        self.tz = localtime.zone(meeting.timezone)
        self.orgs: dict[str, Delegation] = {}
        self.people: dict[str, Participant] = {}
        self.places: dict[str, Room] = {}

    def delegations(self, items: list[dict[str, Any]]) -> None:
        known = self._organisations(items)
        for item in items:
            kind = OrganisationKind(item["kind"])
            organisation = known[(kind, Organisation.key_for(item["name"]))]
            # The newest statement of an organisation's details is the one it is known by.
            organisation.name = item["name"]
            organisation.acronym = item.get("acronym") or organisation.acronym
            organisation.country = item.get("country") or organisation.country
            delegation = Delegation(
                meeting=self.meeting,
                organisation=organisation,
                ref=item["ref"],
                name=item["name"],
                acronym=item.get("acronym"),
                kind=kind,
                country=item.get("country"),
                members=item.get("members"),
                website=item.get("website"),
            )
            self.orgs[item["ref"]] = delegation
            db.session.add(delegation)

    @staticmethod
    def _organisations(
        items: list[dict[str, Any]],
    ) -> dict[tuple[OrganisationKind, str], Organisation]:
        wanted = {(OrganisationKind(i["kind"]), Organisation.key_for(i["name"])) for i in items}
        known: dict[tuple[OrganisationKind, str], Organisation] = {}
        keys = sorted({key for _, key in wanted})
        for chunk in range(0, len(keys), 500):
            rows = db.session.scalars(
                sa.select(Organisation).where(Organisation.name_key.in_(keys[chunk : chunk + 500]))
            )
            known.update({(o.kind, o.name_key): o for o in rows})
        for kind, key in wanted - known.keys():
            organisation = Organisation(kind=kind, name_key=key, name=key)
            db.session.add(organisation)
            known[(kind, key)] = organisation
        return known

    def participants(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            person = Participant(
                meeting=self.meeting,
                delegation=self.orgs[item["organisation"]],
                ref=item["ref"],
                honorific=item.get("honorific"),
                given_name=item["given_name"],
                family_name=item["family_name"],
                position=item.get("position"),
                email=item["email"],
                email_key=mailbox_key(item["email"]),
                role=ParticipantRole(item["role"]),
                status=RegistrationStatus(item["status"]),
                funded=item.get("funded"),
                needs_visa_letter=item.get("needs_visa_letter"),
                dietary=item.get("dietary"),
                accessibility=item.get("accessibility"),
                list_consent=item.get("list_consent"),
                registered_at=_instant(item.get("registered_at")),
                checked_in_at=_instant(item.get("checked_in_at")),
                language=item.get("language"),
                travel_support_requested=item.get("travel_support_requested"),
            )
            self.people[item["ref"]] = person
            db.session.add(person)

    def rooms(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            room = Room(
                meeting=self.meeting,
                ref=item["ref"],
                name=item["name"],
                capacity=item.get("capacity"),
            )
            self.places[item["ref"]] = room
            db.session.add(room)

    def sessions(self, items: list[dict[str, Any]]) -> None:
        for item in items:
            session = build_session(
                self.meeting, item, self.tz, self.places, self.people, self.orgs
            )
            db.session.add(session)


def build_session(
    meeting: Meeting,
    item: dict[str, Any],
    tz: ZoneInfo,
    rooms: Mapping[str, Room],
    people: Mapping[str, Participant],
    delegations: Mapping[str, Delegation],
) -> Session:
    """A session, with its people and record, from validated schema-shaped data."""
    start = localtime.parse_local(item["start"])
    end = localtime.parse_local(item["end"])
    session = Session(
        meeting=meeting,
        ref=item["ref"],
        number=item.get("number"),
        title=item["title"],
        kind=SessionKind(item["kind"]),
        description=item.get("description"),
        start_local=start,
        end_local=end,
        start_utc=localtime.to_utc(start, tz),
        end_utc=localtime.to_utc(end, tz),
        room=rooms[item["room"]] if item.get("room") else None,
        public=item.get("public"),
        rapporteur=people[item["rapporteur"]] if item.get("rapporteur") else None,
        translations=item.get("translations"),
    )
    for role, key in ((SessionRole.CHAIR, "chairs"), (SessionRole.SPEAKER, "speakers")):
        for position, ref in enumerate(item.get(key) or []):
            session.people.append(
                SessionPerson(role=role, participant=people[ref], position=position)
            )
    if "record" in item:
        session.record = build_record(item["record"], people, delegations)
    return session


def build_record(
    data: dict[str, Any],
    people: Mapping[str, Participant],
    delegations: Mapping[str, Delegation],
) -> Record:
    """A record and its outcomes from validated schema-shaped data."""
    record = Record(
        status=RecordStatus(data["status"]),
        summary=data.get("summary"),
        attendance=data.get("attendance"),
        translations=data.get("translations"),
    )
    for position, item in enumerate(data.get("outcomes") or []):
        record.outcomes.append(
            Outcome(
                position=position,
                kind=OutcomeKind(item["kind"]),
                text=item["text"],
                owner=delegations[item["owner"]] if item.get("owner") else None,
                due=date.fromisoformat(item["due"]) if item.get("due") else None,
                done=item.get("done"),
                speaker=people[item["speaker"]] if item.get("speaker") else None,
                translations=item.get("translations"),
            )
        )
    return record


def _warnings(doc: dict[str, Any]) -> list[str]:
    """What an organiser should know but that does not stop an import: quotas already exceeded."""
    meeting = doc["meeting"]
    kinds = {o["ref"]: o["kind"] for o in doc["organisations"]}
    approved = [p for p in doc["participants"] if p["status"] == "approved"]
    found: list[str] = []
    capacity = meeting.get("capacity")
    if capacity is not None and len(approved) > capacity:
        found.append(f"{len(approved)} approved participants exceed the capacity of {capacity}")
    per_org: dict[str, int] = {}
    for person in approved:
        per_org[person["organisation"]] = per_org.get(person["organisation"], 0) + 1
    quotas = meeting.get("quotas") or {}
    for ref, count in per_org.items():
        quota = quotas.get(kinds[ref])
        if quota is not None and count > quota:
            found.append(f"organisation {ref!r}: {count} approved exceed the quota of {quota}")
    return found
