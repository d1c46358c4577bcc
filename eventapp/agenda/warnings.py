"""What an organiser should know about a session but may accept: warnings, as data.

As pretalx does (schedule/domain/warnings.py), a warning is a stable code and a sentence in
the reader's language naming the session and the people by title and name; the API returns
them, and the organisers' agenda can show them next to each session. A double-booked room is
no warning: the agenda service refuses it (sessions.SessionConflicts).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import selectinload

from .. import localtime
from ..extensions import db
from ..models import (
    Meeting,
    Participant,
    RegistrationStatus,
    Session,
    SessionKind,
    SessionPerson,
)

# Kinds whose proceedings are recorded: a break, a ceremony's music or a side event need none.
RECORDED_KINDS = frozenset(
    {SessionKind.PLENARY, SessionKind.BREAKOUT, SessionKind.PANEL, SessionKind.CLOSED}
)


@dataclass(frozen=True)
class SessionWarning:
    """One thing to look at: `code` for programs, `message` for people."""

    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}


def session_warnings(session: Session) -> list[SessionWarning]:
    """Every warning about one session of the agenda as it stands (cancelled ones have none)."""
    if session.cancelled_at is not None:
        return []
    return list(_warnings(session, _overlapping(session)))


def draft_warnings(meeting: Meeting) -> dict[str, list[SessionWarning]]:
    """Every live session's warnings by ref, as session_warnings gives each one, read in a
    fixed number of queries however long the agenda is (for the organisers' agenda page)."""
    live = list(
        db.session.scalars(
            sa.select(Session)
            .where(Session.meeting_id == meeting.id, Session.cancelled_at.is_(None))
            .options(
                selectinload(Session.people).selectinload(SessionPerson.participant),
                selectinload(Session.rapporteur),
                selectinload(Session.room),
                selectinload(Session.record),
            )
            .order_by(Session.start_local, Session.id)
        )
    )
    # Plain values, read once: the ORM's attributes are slow to read 100,000 times.
    starts = [s.start_local for s in live]
    ends = [s.end_local for s in live]
    longest = max((end - start for start, end in zip(starts, ends, strict=True)), default=None)
    involved = {s.id: _involved(s) for s in live}
    found: dict[str, list[SessionWarning]] = {}
    for n, session in enumerate(live):
        # Only sessions starting before this one ends, and not ending before it starts, overlap
        # it; those starting a longest session's length earlier cannot. Kept in agenda order.
        first = bisect_left(starts, starts[n] - longest) if longest else 0
        others = [
            live[i]
            for i in range(first, bisect_left(starts, ends[n]))
            if i != n and ends[i] > starts[n]
        ]
        found[session.ref] = list(_warnings(session, others, involved.__getitem__))
    return found


def _overlapping(session: Session) -> list[Session]:
    """The other live sessions of the meeting that overlap this one, with their people."""
    return list(
        db.session.scalars(
            sa.select(Session)
            .where(
                Session.meeting_id == session.meeting_id,
                Session.id != session.id,
                Session.cancelled_at.is_(None),
                Session.start_local < session.end_local,
                Session.end_local > session.start_local,
            )
            .options(
                selectinload(Session.people).selectinload(SessionPerson.participant),
                selectinload(Session.rapporteur),
            )
            .order_by(Session.start_local, Session.id)
        )
    )


def _warnings(
    session: Session,
    others: Iterable[Session],
    people_of: Callable[[int], dict[int, Participant]] | None = None,
) -> Iterator[SessionWarning]:
    lang = localtime.page_language()
    yield from _double_booked(session, others, lang, people_of)
    yield from _outside_days(session, lang)
    yield from _not_approved(session)
    yield from _over_capacity(session)
    if session.rapporteur is None and session.kind in RECORDED_KINDS:
        yield SessionWarning(
            "no_rapporteur",
            gettext("“%(title)s” has no rapporteur.", title=session.title),
        )


def _involved(session: Session) -> dict[int, Participant]:
    people = {p.participant_id: p.participant for p in session.people}
    if session.rapporteur is not None:
        people[session.rapporteur.id] = session.rapporteur
    return people


def _double_booked(
    session: Session,
    others: Iterable[Session],
    lang: str,
    people_of: Callable[[int], dict[int, Participant]] | None = None,
) -> Iterator[SessionWarning]:
    """`people_of`: each session's people by its id, when the caller has them at hand."""
    mine = people_of(session.id) if people_of else _involved(session)
    for other in others:
        theirs = people_of(other.id) if people_of else _involved(other)
        for person_id in sorted(mine.keys() & theirs.keys(), key=lambda i: _name(mine[i])):
            yield SessionWarning(
                "person_double_booked",
                gettext(
                    "%(name)s is also in “%(title)s” (%(ref)s), %(start)s–%(end)s.",
                    name=_name(mine[person_id]),
                    title=other.title,
                    ref=other.ref,
                    start=localtime.format_clock(other.start_local, lang),
                    end=localtime.format_clock(other.end_local, lang),
                ),
            )


def _outside_days(session: Session, lang: str) -> Iterator[SessionWarning]:
    meeting = session.meeting
    first, last = meeting.start_date, meeting.end_date
    if first is None or last is None:
        return
    ends_at_close = session.end_local.time() == datetime.min.time() and (
        0 < (session.end_local.date() - last).days <= 1
    )
    inside = first <= session.start_local.date() <= last and (
        session.end_local.date() <= last or ends_at_close
    )
    if not inside:
        yield SessionWarning(
            "outside_meeting_days",
            gettext(
                "“%(title)s” is outside the meeting's days (%(days)s).",
                title=session.title,
                days=localtime.format_date_range(first, last, lang),
            ),
        )


def _not_approved(session: Session) -> Iterator[SessionWarning]:
    for part in session.people:
        person = part.participant
        if person.status is RegistrationStatus.APPROVED:
            continue
        if part.role.value == "chair":
            text = gettext(
                "%(name)s chairs “%(title)s” but is not an approved participant.",
                name=_name(person),
                title=session.title,
            )
        else:
            text = gettext(
                "%(name)s speaks at “%(title)s” but is not an approved participant.",
                name=_name(person),
                title=session.title,
            )
        yield SessionWarning("person_not_approved", text)


def _over_capacity(session: Session) -> Iterator[SessionWarning]:
    # There is no expected attendance: the record's count of those present is what we know.
    room = session.room
    record = session.record
    if room is None or room.capacity is None or record is None or record.attendance is None:
        return
    if record.attendance > room.capacity:
        yield SessionWarning(
            "over_capacity",
            gettext(
                "“%(title)s” had %(attendance)d people present; %(room)s holds %(capacity)d.",
                title=session.title,
                attendance=record.attendance,
                room=room.name,
                capacity=room.capacity,
            ),
        )


def _name(person: Participant) -> str:
    # Organisers see everyone by name: this is no public page.
    return f"{person.honorific} {person.full_name}" if person.honorific else person.full_name
