"""What a report needs, gathered once as plain frozen data: templates never run queries.

The rules of contract section 5 live here. Only approved records feed a report (previews
included): draft and submitted ones never do, and a closed session's approved record does.
Who is named, and how the others are attributed, is eventapp.disclosure's rule; the agenda
annex is agenda/published.py's read model, closed sessions included.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from .. import disclosure
from ..agenda import published
from ..extensions import db
from ..models import (
    KIND_ORDER,
    Delegation,
    Meeting,
    OrganisationKind,
    Outcome,
    OutcomeKind,
    Participant,
    Record,
    RecordStatus,
    RegistrationStatus,
    ReportKind,
    Session,
)

SYMBOL_SUFFIX = {ReportKind.CHAIR_SUMMARY: "CS", ReportKind.FULL_REPORT: "REP"}

# The outcomes a Chair's summary carries, and the "Conclusions and recommendations" section.
FINDINGS = (OutcomeKind.DECISION, OutcomeKind.RECOMMENDATION, OutcomeKind.CONCLUSION)


@dataclass(frozen=True)
class DocumentHead:
    kind: ReportKind
    symbol: str
    slug: str
    title: str
    short_title: str | None
    host: str | None
    description: str | None
    venue_name: str | None
    venue_city: str | None
    venue_country: str | None
    start_date: date
    end_date: date
    timezone: str
    # The chair by name only with consent to be listed; the organisation always.
    chair: str | None
    chair_signature: str | None
    chair_organisation: str | None
    chair_representative: str | None


@dataclass(frozen=True)
class OutcomeLine:
    kind: OutcomeKind
    text: str
    # Who spoke: a name only for an approved, consenting participant; else their organisation.
    speaker: str | None
    speaker_organisation: str | None
    speaker_representative: str | None
    owner: str | None
    due: date | None
    done: bool | None


@dataclass(frozen=True)
class ItemReport:
    """An agenda item with an approved record, and what that record says."""

    anchor: str
    number: str | None
    title: str
    closed: bool
    start: datetime
    end: datetime
    summary: str | None
    outcomes: tuple[OutcomeLine, ...]

    def of_kind(self, *kinds: OutcomeKind) -> tuple[OutcomeLine, ...]:
        return tuple(o for o in self.outcomes if o.kind in kinds)

    @property
    def findings(self) -> tuple[OutcomeLine, ...]:
        return self.of_kind(*FINDINGS)


@dataclass(frozen=True)
class ActionItem:
    text: str
    owner: str | None
    due: date | None
    done: bool
    item_number: str | None


@dataclass(frozen=True)
class AttendanceRow:
    kind: OrganisationKind
    organisations: int
    participants: int


@dataclass(frozen=True)
class ChairSummary:
    head: DocumentHead
    items: tuple[ItemReport, ...]
    actions: tuple[ActionItem, ...]


@dataclass(frozen=True)
class FullReport:
    head: DocumentHead
    items: tuple[ItemReport, ...]
    actions: tuple[ActionItem, ...]
    attendance: tuple[AttendanceRow, ...]
    # Annex I, every session; Annex II, the people who may be named.
    agenda: published.Agenda
    participants: tuple[disclosure.ListedGroup, ...]

    def findings(self, kind: OutcomeKind) -> tuple[tuple[ItemReport, OutcomeLine], ...]:
        """Every approved outcome of one kind, with the item it came from, in agenda order."""
        return tuple((item, o) for item in self.items for o in item.of_kind(kind))

    @property
    def total_organisations(self) -> int:
        return sum(row.organisations for row in self.attendance)

    @property
    def total_participants(self) -> int:
        return sum(row.participants for row in self.attendance)


def document_symbol(meeting: Meeting, kind: ReportKind) -> str:
    """`<document_symbol>/CS` or `/REP`; the slug upper-cased stands in for a missing symbol."""
    base = meeting.document_symbol or meeting.slug.upper()
    return f"{base}/{SYMBOL_SUFFIX[kind]}"


def chair_summary(meeting: Meeting) -> ChairSummary:
    items = _approved_items(_sessions(meeting))
    return ChairSummary(
        head=_head(meeting, ReportKind.CHAIR_SUMMARY),
        items=items,
        actions=_actions(items),
    )


def full_report(meeting: Meeting) -> FullReport:
    items = _approved_items(_sessions(meeting))
    return FullReport(
        head=_head(meeting, ReportKind.FULL_REPORT),
        items=items,
        actions=_actions(items),
        attendance=_attendance(meeting),
        agenda=published.build(meeting, include_closed=True),
        participants=disclosure.listed_participants(meeting),
    )


def gather(meeting: Meeting, kind: ReportKind) -> ChairSummary | FullReport:
    return chair_summary(meeting) if kind is ReportKind.CHAIR_SUMMARY else full_report(meeting)


def _head(meeting: Meeting, kind: ReportKind) -> DocumentHead:
    chair = meeting.chair
    chair_name = disclosure.public_name(chair)
    attribution = disclosure.attribution(chair)
    return DocumentHead(
        kind=kind,
        symbol=document_symbol(meeting, kind),
        slug=meeting.slug,
        title=meeting.title,
        short_title=meeting.short_title,
        host=meeting.host,
        description=meeting.description,
        venue_name=meeting.venue_name,
        venue_city=meeting.venue_city,
        venue_country=meeting.venue_country,
        start_date=meeting.start_date,
        end_date=meeting.end_date,
        timezone=meeting.timezone,
        chair=attribution.name,
        chair_signature=chair_name.full_name if chair_name else None,
        chair_organisation=attribution.organisation,
        chair_representative=attribution.representative,
    )


def _sessions(meeting: Meeting) -> list[Session]:
    """Every session of the meeting in agenda order, records and people loaded in one go."""
    return list(
        db.session.scalars(
            sa.select(Session)
            .where(Session.meeting_id == meeting.id)
            .options(
                selectinload(Session.record)
                .selectinload(Record.outcomes)
                .options(
                    selectinload(Outcome.owner),
                    selectinload(Outcome.speaker).selectinload(Participant.delegation),
                ),
            )
            .order_by(Session.start_local, Session.end_local, Session.id)
        ).all()
    )


def _approved(session: Session) -> Record | None:
    """The session's record if, and only if, it is approved: approval is the gate."""
    record = session.record
    if record is None or record.status is not RecordStatus.APPROVED:
        return None
    return record


def _approved_items(sessions: Iterable[Session]) -> tuple[ItemReport, ...]:
    items = []
    for position, session in enumerate(sessions, start=1):
        record = _approved(session)
        if record is None:
            continue
        items.append(
            ItemReport(
                anchor=f"item-{position}",
                number=session.number,
                title=session.title,
                closed=not disclosure.is_public(session),
                start=session.start_local,
                end=session.end_local,
                summary=record.summary,
                outcomes=tuple(outcome_line(o) for o in record.outcomes),
            )
        )
    return tuple(items)


def outcome_line(outcome: Outcome) -> OutcomeLine:
    """An approved outcome as published: its speaker attributed as eventapp.disclosure says."""
    speaker = disclosure.attribution(outcome.speaker)
    return OutcomeLine(
        kind=outcome.kind,
        text=outcome.text,
        speaker=speaker.name,
        speaker_organisation=speaker.organisation,
        speaker_representative=speaker.representative,
        owner=outcome.owner.name if outcome.owner is not None else None,
        due=outcome.due,
        done=outcome.done,
    )


def _actions(items: Iterable[ItemReport]) -> tuple[ActionItem, ...]:
    return tuple(
        ActionItem(
            text=o.text, owner=o.owner, due=o.due, done=bool(o.done), item_number=item.number
        )
        for item in items
        for o in item.of_kind(OutcomeKind.ACTION)
    )


def _attendance(meeting: Meeting) -> tuple[AttendanceRow, ...]:
    """Organisations represented and approved participants, per organisation kind: counts only."""
    rows = db.session.execute(
        sa.select(
            Delegation.kind,
            sa.func.count(sa.distinct(Delegation.id)),
            sa.func.count(Participant.id),
        )
        .join(Participant.delegation)
        .where(
            Participant.meeting_id == meeting.id,
            Participant.status == RegistrationStatus.APPROVED,
        )
        .group_by(Delegation.kind)
    ).all()
    counts = {kind: (organisations, people) for kind, organisations, people in rows}
    return tuple(AttendanceRow(kind, *counts.get(kind, (0, 0))) for kind in KIND_ORDER)
