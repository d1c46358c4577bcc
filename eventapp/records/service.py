"""The rules of session records: who writes, who approves, and optimistic concurrency.

A record is replaced whole, and only by someone who read its current version (its ETag):
two rapporteurs editing at once cannot silently overwrite each other. Every change is kept as
a revision (models.record.RecordRevision), numbered from 1 for each session, never changed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from .. import audit, localtime
from ..accounts.permissions import is_session_rapporteur, may_approve, sees_every_record
from ..extensions import db
from ..interchange.exporter import record_document
from ..interchange.importer import build_record
from ..interchange.validate import Problem, check_item, record_problems
from ..locking import lock_meeting
from ..lookups import find_session
from ..models import (
    Delegation,
    Meeting,
    Outcome,
    Participant,
    Record,
    RecordRevision,
    RecordStatus,
    RevisionChange,
    Session,
    SessionPerson,
    User,
)
from ..vocabulary import label
from . import notices

BLANK = {"status": RecordStatus.DRAFT.value, "outcomes": []}

# What a record's page and document read: the record, its outcomes, their owners and speakers.
WITH_RECORD = (
    selectinload(Session.record)
    .selectinload(Record.outcomes)
    .options(selectinload(Outcome.owner), selectinload(Outcome.speaker)),
)


@dataclass(frozen=True)
class RecordRow:
    """A session in the records' list: when, who reports, and how far its record is."""

    ref: str
    number: str | None
    title: str
    is_public: bool
    start_local: datetime
    end_local: datetime
    rapporteur: str | None
    status: RecordStatus | None
    sent_back: RevisionChange | None = None  # a draft returned or reopened, until submitted
    saved_local: datetime | None = None  # when the record was last written, in the meeting's zone

    @property
    def stage(self) -> str:
        """How far the record is, as the overview counts and filters it (one of STAGES)."""
        if self.status is None:
            return "not-started"
        if self.sent_back is RevisionChange.RETURNED:
            return "sent-back"
        if self.sent_back is RevisionChange.REOPENED:
            return "reopened"
        return self.status.value


# The overview's stages, in the order a record passes them; a draft sent back or reopened is
# counted apart from one never submitted.
STAGES = ("not-started", "draft", "sent-back", "reopened", "submitted", "approved")


def stage_label(stage: str) -> str:
    """A stage's name in the current language, from the vocabulary where it has one."""
    if stage == "not-started":
        return _("Not started")
    if stage == "sent-back":
        return label(RevisionChange.RETURNED)
    if stage == "reopened":
        return label(RevisionChange.REOPENED)
    return label(RecordStatus(stage))


def stage_counts(rows: list[RecordRow]) -> dict[str, int]:
    """How many of these sessions' records are at each stage, every stage named."""
    counts = dict.fromkeys(STAGES, 0)
    for row in rows:
        counts[row.stage] += 1
    return counts


def record_rows(meeting: Meeting, user: User | None) -> list[RecordRow]:
    """The sessions whose records the account keeps, in agenda order: all of them for those
    who approve records, a rapporteur's own otherwise."""
    sessions = db.session.scalars(
        sa.select(Session)
        .where(Session.meeting_id == meeting.id)
        .options(selectinload(Session.record), selectinload(Session.rapporteur))
        .order_by(Session.start_local, Session.id)
    )
    everyone = sees_every_record(user, meeting)
    kept = [s for s in sessions if everyone or is_session_rapporteur(user, s)]
    drafts = [s.id for s in kept if s.record is not None and s.record.status is RecordStatus.DRAFT]
    turns = _sent_back_drafts(drafts)
    return [
        RecordRow(
            ref=s.ref,
            number=s.number,
            title=s.title,
            is_public=s.is_public,
            start_local=s.start_local,
            end_local=s.end_local,
            rapporteur=(
                f"{s.rapporteur.given_name} {s.rapporteur.family_name}" if s.rapporteur else None
            ),
            status=s.record.status if s.record is not None else None,
            sent_back=turns.get(s.id),
            saved_local=(
                s.record.updated_at.astimezone(meeting.zone) if s.record is not None else None
            ),
        )
        for s in kept
    ]


@dataclass(frozen=True)
class Awaiting:
    """A submitted record in the approval queue: its session, rapporteur and since when."""

    ref: str
    number: str | None
    title: str
    rapporteur: str | None
    submitted_local: datetime


def awaiting_approval(meeting: Meeting) -> list[Awaiting]:
    """The meeting's submitted records, the longest waiting first, in two statements."""
    sessions = list(
        db.session.scalars(
            sa.select(Session)
            .join(Session.record)
            .where(Session.meeting_id == meeting.id, Record.status == RecordStatus.SUBMITTED)
            .options(selectinload(Session.record), selectinload(Session.rapporteur))
        )
    )
    # Submitted when: the last revision that left it submitted (the record's own time stamp
    # for one imported submitted, which has no revision yet).
    since = {
        session_id: at
        for session_id, at in db.session.execute(
            sa.select(RecordRevision.session_id, sa.func.max(RecordRevision.saved_at))
            .where(
                RecordRevision.session_id.in_([s.id for s in sessions]),
                RecordRevision.status == RecordStatus.SUBMITTED,
            )
            .group_by(RecordRevision.session_id)
        )
    }
    waiting = [
        Awaiting(
            ref=s.ref,
            number=s.number,
            title=s.title,
            rapporteur=(
                f"{s.rapporteur.given_name} {s.rapporteur.family_name}" if s.rapporteur else None
            ),
            submitted_local=(since.get(s.id) or s.record.updated_at).astimezone(meeting.zone),
        )
        for s in sessions
        if s.record is not None
    ]
    return sorted(waiting, key=lambda w: (w.submitted_local, w.ref))


class RecordProblems(ValueError):
    def __init__(self, problems: list[Problem]):
        super().__init__(f"{len(problems)} problem(s) in the record")
        self.problems = problems


class RecordChanged(ValueError):
    """The record changed since the version the writer read."""


class NotAllowed(PermissionError):
    """The account may write this record, but not this change (e.g. approve it)."""


class WrongStatus(ValueError):
    """The record's status does not allow this change (e.g. sending a draft back)."""


class CommentMissing(ValueError):
    """Sending a record back, or reopening it, needs a few words to its rapporteur."""


# -- the status flow ---------------------------------------------------------------------------

# The statuses a record leaves when the chair or an organiser sends it back or reopens it.
_SENT_BACK_FROM = {
    RevisionChange.RETURNED: {RecordStatus.SUBMITTED, RecordStatus.APPROVED},
    RevisionChange.REOPENED: {RecordStatus.APPROVED},
}
COMMENT_LENGTH = 5000
# The statuses a save leaves a record in that someone is told of (see notices.tell).
_TOLD = {
    RecordStatus.SUBMITTED: notices.Told.SUBMITTED,
    RecordStatus.APPROVED: notices.Told.APPROVED,
}


def next_status(
    current: RecordStatus | None,
    change: RevisionChange,
    wanted: RecordStatus,
    *,
    approver: bool,
    edited: bool,
) -> RecordStatus | None:
    """The status flow of a record, whole: the status a change leaves it in.

    A save (SAVED) moves a record between draft and submitted for whoever keeps it; only the
    chair or an organiser (`approver`) approves. An approved record its rapporteur changes
    (`edited`) goes back to the chair as submitted; saved unchanged, it stays approved (None:
    nothing to store). The chair or an organiser sends a submitted or approved record back
    to draft (RETURNED), or reopens an approved one (REOPENED), with a comment; the comment
    makes the difference between a returned, a reopened and a plain draft (sent_back()).
    Raises NotAllowed or WrongStatus for a change the flow does not have.
    """
    if change is RevisionChange.SAVED:
        if wanted is not RecordStatus.APPROVED or approver:
            return wanted
        if current is not RecordStatus.APPROVED:
            raise NotAllowed(_("Only the chair or an organiser approves a record."))
        return RecordStatus.SUBMITTED if edited else None
    if change not in _SENT_BACK_FROM:
        raise ValueError(f"{change.value!r} is not a change of a record's status")
    if not approver:
        raise NotAllowed(_("Only the chair or an organiser sends a record back or reopens it."))
    if current not in _SENT_BACK_FROM[change]:
        raise WrongStatus(_cannot(change, current))
    return RecordStatus.DRAFT


def _cannot(change: RevisionChange, current: RecordStatus | None) -> str:
    if current is None:
        return _("This session has no record yet.")
    if change is RevisionChange.RETURNED:
        return _(
            "Only a submitted or approved record can be sent back. Its status is: %(status)s.",
            status=label(current),
        )
    return _(
        "Only an approved record can be reopened. Its status is: %(status)s.", status=label(current)
    )


def send_back(
    meeting: Meeting, session: Session, change: RevisionChange, comment: str, *, user: User
) -> Session:
    """Return the record to its rapporteur (RETURNED), or reopen it (REOPENED), as a draft.

    The comment is kept with the revision this makes, and shown to the rapporteur while the
    record stays a draft. Raises CommentMissing, NotAllowed or WrongStatus.
    """
    session = _locked(meeting, session)
    current = session.record.status if session.record is not None else None
    status = next_status(
        current, change, RecordStatus.DRAFT, approver=may_approve(user, meeting), edited=False
    )
    comment = comment.strip()
    if not comment:
        raise CommentMissing(_("Write a few words to the rapporteur: what should change, and why."))
    if len(comment) > COMMENT_LENGTH:
        raise CommentMissing(_("Keep the comment within %(n)d characters.", n=COMMENT_LENGTH))
    assert session.record is not None and current is not None and status is not None
    history_begins(session)
    session.record.status = status
    db.session.flush()
    kept = keep_revision(session, change, user=user, comment=comment)
    audit.log(
        f"record.{change.value}",
        meeting=meeting,
        target=f"{session.ref} ({session.title})",
        actor=user,
        details={"from": current.value, "comment": comment, "revision": kept.number},
    )
    told = notices.Told.RETURNED if change is RevisionChange.RETURNED else notices.Told.REOPENED
    notices.tell(meeting, session, told, actor=user, comment=comment)
    return session


@dataclass(frozen=True)
class SentBack:
    """Why a record is a draft again: who sent it back or reopened it, when, and their words."""

    change: RevisionChange
    comment: str
    by: str | None
    at: datetime


def _turns(session_ids: list[int]) -> sa.Select[RecordRevision]:
    """The revisions that turned these sessions' records: every one that is not a draft saved
    by its rapporteur (a submission, an approval, a return, a reopening)."""
    return sa.select(RecordRevision).where(
        RecordRevision.session_id.in_(session_ids),
        sa.or_(
            RecordRevision.status != RecordStatus.DRAFT,
            RecordRevision.change.in_(list(_SENT_BACK_FROM)),
        ),
    )


def _sent_back_drafts(session_ids: list[int]) -> dict[int, RevisionChange]:
    """Of these sessions (with draft records), those returned or reopened since their last
    submission, and which of the two, in one query."""
    newest: dict[int, RecordRevision] = {}
    # One statement however many drafts (none included): the page costs the same at any size.
    for turn in db.session.scalars(_turns(session_ids)):
        if turn.session_id not in newest or newest[turn.session_id].number < turn.number:
            newest[turn.session_id] = turn
    return {
        session_id: turn.change
        for session_id, turn in newest.items()
        if turn.change in _SENT_BACK_FROM
    }


def _is_turn(revision: RecordRevision) -> bool:
    """_turns(), for revisions at hand."""
    return revision.status is not RecordStatus.DRAFT or revision.change in _SENT_BACK_FROM


def sent_back(session: Session, history: list[RecordRevision]) -> SentBack | None:
    """The chair's or organiser's comment on a record they returned or reopened, while it
    stays a draft; None for any other record. `history`: revisions(session)."""
    if session.record is None or session.record.status is not RecordStatus.DRAFT:
        return None
    turn = next((r for r in reversed(history) if _is_turn(r)), None)
    if turn is None or turn.change not in _SENT_BACK_FROM or turn.comment is None:
        return None
    return SentBack(turn.change, turn.comment, turn.saved_by, turn.saved_at)


def document(session: Session) -> dict[str, Any]:
    """The record as the schema writes it; a blank draft while none is written."""
    return record_document(session.record) if session.record is not None else dict(BLANK)


def etag(session: Session) -> str:
    canonical = json.dumps(document(session), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


class SessionGone(LookupError):
    """The session was removed (by a replacement of the meeting) while the writer waited."""


def _locked(meeting: Meeting, session: Session) -> Session:
    """The session as it stands once its meeting is locked: writers of a record queue here.

    The meeting's lock, not the session's: every writer of a meeting locks it first, so a
    record written while the whole meeting is replaced waits instead of deadlocking.
    """
    lock_meeting(meeting)
    current = db.session.scalar(
        sa.select(Session).where(Session.id == session.id).execution_options(populate_existing=True)
    )
    if current is None:
        if find_session(meeting, session.ref) is not None:
            # Replaced with the whole meeting: the record the writer read is not this one.
            raise RecordChanged("the record changed since you read it: read it again")
        raise SessionGone(_("This session is no longer on the agenda."))
    return current


def _named(
    meeting: Meeting, record: dict[str, Any]
) -> tuple[dict[str, Participant], dict[str, Delegation]]:
    """The participants the record names as speakers, if they are the meeting's, and the
    meeting's delegations, by ref (a meeting has hundreds of participants, a record a few
    speakers)."""
    speakers = {
        o["speaker"]
        for o in record.get("outcomes") or []
        if isinstance(o, dict) and isinstance(o.get("speaker"), str)
    }
    people = (
        {
            p.ref: p
            for p in db.session.scalars(
                sa.select(Participant).where(
                    Participant.meeting_id == meeting.id, Participant.ref.in_(speakers)
                )
            )
        }
        if speakers
        else {}
    )
    return people, {d.ref: d for d in meeting.delegations}


def _write(
    session: Session,
    data: dict[str, Any],
    people: dict[str, Participant],
    delegations: dict[str, Delegation],
) -> None:
    """Store the record whole in place of the one the session has (its history kept first)."""
    history_begins(session)
    if session.record is not None:
        db.session.delete(session.record)
        db.session.flush()
    session.record = build_record(data, people, delegations)
    db.session.flush()


def replace(
    meeting: Meeting,
    session: Session,
    data: Any,
    *,
    user: User,
    read_current: Callable[[str], bool],
) -> Session:
    """Write the record whole, if the writer read its current version.

    `read_current(etag)` says whether the writer's If-Match names that ETag.
    """
    problems = check_item("record", data)
    if not problems:
        session = _locked(meeting, session)
        people, delegations = _named(meeting, data)
        problems = record_problems("$", data, delegations, people)
    if problems:
        raise RecordProblems(problems)
    if not read_current(etag(session)):
        raise RecordChanged("the record changed since you read it: read it again")
    current = session.record.status if session.record is not None else None
    status = next_status(
        current,
        RevisionChange.SAVED,
        RecordStatus(data["status"]),
        approver=may_approve(user, meeting),
        edited=data != document(session),
    )
    if status is None:
        return session  # its rapporteur saved an approved record unchanged: it stays approved
    data = {**data, "status": status.value}
    if session.record is not None and data == document(session):
        return session  # nothing changed: no revision, no entry in the log
    _write(session, data, people, delegations)
    kept = keep_revision(session, RevisionChange.SAVED, user=user)
    audit.log(
        "record.approved"
        if status is RecordStatus.APPROVED and current is not RecordStatus.APPROVED
        else "record.updated",
        meeting=meeting,
        target=f"{session.ref} ({session.title})",
        actor=user,
        details={
            "status": status.value,
            "outcomes": len(data.get("outcomes") or []),
            "revision": kept.number,
        },
    )
    if status is not current and status in _TOLD:
        notices.tell(meeting, session, _TOLD[status], actor=user)
    return session


# -- revisions ---------------------------------------------------------------------------------


def revisions(session: Session) -> list[RecordRevision]:
    """Every revision of the session's record, oldest first."""
    return list(
        db.session.scalars(
            sa.select(RecordRevision)
            .where(RecordRevision.session_id == session.id)
            .order_by(RecordRevision.number)
        )
    )


# Revision numbers are whole numbers the database can hold: a larger one names none.
_LARGEST_NUMBER = 2**31 - 1


def revision(session: Session, number: int) -> RecordRevision | None:
    """The session's record as its `number`th revision left it; None if there is no such one."""
    if not 1 <= number <= _LARGEST_NUMBER:
        return None
    return db.session.scalar(
        sa.select(RecordRevision).where(
            RecordRevision.session_id == session.id, RecordRevision.number == number
        )
    )


def revision_line(revision: RecordRevision) -> dict[str, Any]:
    """A revision as the API lists it (contract 4.5), with its kind and comment."""
    line: dict[str, Any] = {
        "revision": revision.number,
        "saved_at": revision.saved_at.astimezone(UTC).isoformat(),
        "saved_by": revision.saved_by,
        "status": revision.status.value,
        "change": revision.change.value,
    }
    if revision.comment is not None:
        line["comment"] = revision.comment
    return line


def _next_number(session: Session) -> int:
    # Under the meeting's lock (_locked): no other writer claims a number meanwhile.
    newest = db.session.scalar(
        sa.select(sa.func.max(RecordRevision.number)).where(RecordRevision.session_id == session.id)
    )
    return (newest or 0) + 1


def history_begins(session: Session) -> None:
    """Before the first change of a record that has no revision (imported, or written before
    revisions were kept), keep it as it stood: its author is not known, its date is its last
    change's. See migrations/versions/0013_record_revisions.py."""
    record = session.record
    if record is None or _next_number(session) > 1:
        return
    db.session.add(
        RecordRevision(
            session_id=session.id,
            number=1,
            saved_at=record.updated_at,
            change=RevisionChange.EARLIER,
            status=record.status,
            document=document(session),
        )
    )


def keep_revision(
    session: Session, change: RevisionChange, *, user: User, comment: str | None = None
) -> RecordRevision:
    """The record as it now stands, kept as the next revision."""
    assert session.record is not None
    revision = RecordRevision(
        session_id=session.id,
        number=_next_number(session),
        saved_by_id=user.id,
        saved_by=user.email,
        change=change,
        status=session.record.status,
        comment=comment,
        document=document(session),
    )
    db.session.add(revision)
    db.session.flush()
    return revision


def may_change(session: Session, change: RevisionChange, *, approver: bool) -> bool:
    """Whether the flow lets an account (an `approver` or not) make this change now."""
    current = session.record.status if session.record is not None else None
    try:
        next_status(current, change, RecordStatus.DRAFT, approver=approver, edited=True)
    except (NotAllowed, WrongStatus):
        return False
    return True


@dataclass(frozen=True)
class RevisionRow:
    """A revision as a page lists it: when in the meeting's local time, by whom, what."""

    number: int
    at: datetime  # the meeting's local time
    offset: str  # 'UTC+07:00' at that time
    by: str | None
    status: RecordStatus
    change: RevisionChange
    comment: str | None


def revision_row(revision: RecordRevision, zone: ZoneInfo) -> RevisionRow:
    at = revision.saved_at.astimezone(zone)
    return RevisionRow(
        number=revision.number,
        at=at,
        offset=localtime.utc_offset_label(zone, at.replace(tzinfo=None)),
        by=revision.saved_by,
        status=revision.status,
        change=revision.change,
        comment=revision.comment,
    )


# -- restoring an earlier revision -------------------------------------------------------------


class NothingToRestore(ValueError):
    """The record already reads as the revision to restore: nothing to do."""


def restored_status(current: RecordStatus | None, *, approver: bool) -> RecordStatus:
    """The status a record takes when an earlier revision is restored.

    Restored by its rapporteur, it becomes a draft, to read again and submit (an approved
    record leaves the reports until the chair approves it again). The chair and the organisers
    approve records: what they restore keeps the status the record has now.
    """
    if approver and current is not None:
        return current
    return RecordStatus.DRAFT


def restore(
    meeting: Meeting,
    session: Session,
    kept: RecordRevision,
    *,
    user: User,
    read_current: Callable[[str], bool],
) -> RecordRevision:
    """Write an earlier revision's record back, as a new revision (RESTORED), if the writer
    read the record's current version; the history is never rewritten. Its status:
    restored_status(), through the record's status flow (next_status).

    Raises RecordChanged, RecordProblems (it names someone no longer in the meeting),
    NothingToRestore or SessionGone.
    """
    session = _locked(meeting, session)
    if not read_current(etag(session)):
        raise RecordChanged("the record changed since you read it: read it again")
    people, delegations = _named(meeting, kept.document)
    problems = record_problems("$", kept.document, delegations, people)
    if problems:
        raise RecordProblems(problems)
    current = session.record.status if session.record is not None else None
    approver = may_approve(user, meeting)
    status = next_status(
        current,
        RevisionChange.SAVED,
        restored_status(current, approver=approver),
        approver=approver,
        edited=True,
    )
    assert status is not None  # an edited record always has one
    data = {**kept.document, "status": status.value}
    if session.record is not None and data == document(session):
        raise NothingToRestore(
            _("The record already reads as revision %(n)d: nothing was changed.", n=kept.number)
        )
    _write(session, data, people, delegations)
    restored = keep_revision(session, RevisionChange.RESTORED, user=user)
    audit.log(
        "record.restored",
        meeting=meeting,
        target=f"{session.ref} ({session.title})",
        actor=user,
        details={
            "status": status.value,
            "restored": kept.number,
            "revision": restored.number,
        },
    )
    return restored


def session_people(session: Session) -> frozenset[str]:
    """The refs of the session's own people: its chairs, speakers and rapporteur (one query,
    whatever their number)."""
    parts = sa.select(SessionPerson.participant_id).where(SessionPerson.session_id == session.id)
    return frozenset(
        db.session.scalars(
            sa.select(Participant.ref).where(
                sa.or_(Participant.id.in_(parts), Participant.id == session.rapporteur_id)
            )
        )
    )
