"""Export of a meeting as a wen-meeting/1 document: what was imported comes back unchanged."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from .. import localtime
from ..extensions import db
from ..lookups import find_meeting
from ..models import Delegation, Meeting, Participant, Record, Session, SessionPerson
from .validate import FORMAT


class MeetingNotFound(LookupError):
    def __init__(self, slug: str):
        super().__init__(f"no meeting with slug {slug!r}")
        self.slug = slug


def _present(pairs: dict[str, Any]) -> dict[str, Any]:
    """Only what was stated: None means the document did not say."""
    return {key: value for key, value in pairs.items() if value is not None}


def load_meeting(slug: str) -> Meeting:
    meeting = find_meeting(slug)
    if meeting is None:
        raise MeetingNotFound(slug)
    return meeting


def export_meeting(slug: str) -> dict[str, Any]:
    """The whole meeting as a document; MeetingNotFound if there is none."""
    meeting = load_meeting(slug)
    delegations = db.session.scalars(
        sa.select(Delegation).where(Delegation.meeting_id == meeting.id).order_by(Delegation.id)
    ).all()
    participants = db.session.scalars(
        sa.select(Participant)
        .where(Participant.meeting_id == meeting.id)
        .options(selectinload(Participant.delegation))
        .order_by(Participant.id)
    ).all()
    # The format has no cancellation: a cancelled session is left out, as a re-import would
    # otherwise bring it back to the agenda.
    sessions = db.session.scalars(
        sa.select(Session)
        .where(Session.meeting_id == meeting.id, Session.cancelled_at.is_(None))
        .options(
            selectinload(Session.room),
            selectinload(Session.rapporteur),
            selectinload(Session.people).selectinload(SessionPerson.participant),
            selectinload(Session.record).selectinload(Record.outcomes),
        )
        .order_by(Session.id)
    ).all()
    return {
        "format": FORMAT,
        "meeting": _meeting(meeting),
        "organisations": [_organisation(d) for d in delegations],
        "participants": [participant_document(p) for p in participants],
        "rooms": [
            _present({"ref": r.ref, "name": r.name, "capacity": r.capacity})
            for r in sorted(meeting.rooms, key=lambda r: r.id)
        ],
        "sessions": [session_document(s) for s in sessions],
    }


def _meeting(m: Meeting) -> dict[str, Any]:
    venue = _present({"name": m.venue_name, "city": m.venue_city, "country": m.venue_country})
    return _present(
        {
            "slug": m.slug,
            "title": m.title,
            "short_title": m.short_title,
            "document_symbol": m.document_symbol,
            "host": m.host,
            "description": m.description,
            "venue": venue or None,
            "timezone": m.timezone,
            "start_date": m.start_date.isoformat(),
            "end_date": m.end_date.isoformat(),
            "languages": m.languages,
            "registration_opens": _instant(m.registration_opens),
            "registration_closes": _instant(m.registration_closes),
            "capacity": m.capacity,
            "quotas": m.quotas,
            "approval": m.approval.value if m.approval else None,
            "chair": m.chair.ref if m.chair else None,
            "translations": m.translations,
        }
    )


def _instant(value: datetime | None) -> str | None:
    return localtime.format_instant(value) if value else None


def _organisation(d: Delegation) -> dict[str, Any]:
    return _present(
        {
            "ref": d.ref,
            "name": d.name,
            "acronym": d.acronym,
            "kind": d.kind.value,
            "country": d.country,
            "members": d.members,
            "website": d.website,
        }
    )


def participant_document(p: Participant) -> dict[str, Any]:
    """A participant as the schema writes it (also the API's registration resource)."""
    return _present(
        {
            "ref": p.ref,
            "organisation": p.delegation.ref,
            "honorific": p.honorific,
            "given_name": p.given_name,
            "family_name": p.family_name,
            "position": p.position,
            "email": p.email,
            "role": p.role.value,
            "status": p.status.value,
            "funded": p.funded,
            "needs_visa_letter": p.needs_visa_letter,
            "dietary": p.dietary,
            "accessibility": p.accessibility,
            "list_consent": p.list_consent,
            "registered_at": _instant(p.registered_at),
            "checked_in_at": _instant(p.checked_in_at),
            "language": p.language,
            "travel_support_requested": p.travel_support_requested,
        }
    )


def session_document(s: Session) -> dict[str, Any]:
    """A session as the schema writes it (also the API's session resource)."""
    item = _present(
        {
            "ref": s.ref,
            "number": s.number,
            "title": s.title,
            "kind": s.kind.value,
            "description": s.description,
            "start": localtime.format_local(s.start_local),
            "end": localtime.format_local(s.end_local),
            "room": s.room.ref if s.room else None,
            "public": s.public,
            "chairs": [p.ref for p in s.chairs],
            "speakers": [p.ref for p in s.speakers],
            "rapporteur": s.rapporteur.ref if s.rapporteur else None,
            "translations": s.translations,
        }
    )
    if s.record is not None:
        item["record"] = record_document(s.record)
    return item


def record_document(r: Record) -> dict[str, Any]:
    """A record as the schema writes it (also the API's record resource)."""
    record = _present(
        {
            "status": r.status.value,
            "summary": r.summary,
            "attendance": r.attendance,
            "translations": r.translations,
        }
    )
    record["outcomes"] = [
        _present(
            {
                "kind": o.kind.value,
                "text": o.text,
                "owner": o.owner.ref if o.owner else None,
                "due": o.due.isoformat() if o.due else None,
                "done": o.done,
                "speaker": o.speaker.ref if o.speaker else None,
                "translations": o.translations,
            }
        )
        for o in r.outcomes
    ]
    return record
