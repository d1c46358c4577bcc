"""The organisers' action tracker: every action item of a meeting's records, followed up.

The tracker reads the meeting's actions in one query and filters, counts and sorts them in
Python: a meeting has hundreds of actions, a few thousand at most, and one read serves the
counts, the list and the CSV alike. Marking an action done (or not done) is the one change
made here: under the meeting's lock, kept as a FOLLOWED_UP revision of its record that keeps
the record's status (following an action up is not a change to what was agreed), audited.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.orm import aliased, selectinload

from .. import audit
from ..accounts.permissions import may_approve
from ..extensions import db
from ..locking import lock_meeting
from ..models import (
    Delegation,
    Meeting,
    Outcome,
    OutcomeKind,
    Participant,
    Record,
    RecordRevision,
    RecordStatus,
    RevisionChange,
    Session,
    User,
)
from ..registration.exports import csv_document
from ..vocabulary import label

# The revision rules of records, shared with the editor rather than written twice.
from .service import history_begins, keep_revision

State = Literal["all", "open", "done", "overdue"]
STATES: tuple[State, ...] = ("all", "open", "done", "overdue")
Sort = Literal["session", "due", "owner"]
SORTS: tuple[Sort, ...] = ("session", "due", "owner")
TEXT_SEARCH_LENGTH = 200
# Rows on a page: a meeting's list fits on one; thousands are paged, and the page stays fast.
PAGE_SIZE = 500


@dataclass(frozen=True)
class ActionRow:
    """An action as the tracker lists it, with what a follow-up needs to be safe."""

    outcome_id: int
    # The outcome and the record's newest revision as the page showed them: a record saved
    # since replaces its outcomes, and its revision number moves on (see `follow_up`).
    token: str
    text: str
    session_ref: str
    session_number: str | None
    session_title: str
    session_order: int  # the session's place in the agenda
    owner_ref: str | None
    owner_name: str | None
    due: date | None
    done: bool
    overdue: bool
    record_status: RecordStatus

    @property
    def approved(self) -> bool:
        return self.record_status is RecordStatus.APPROVED

    @property
    def session_label(self) -> str:
        if self.session_number:
            return f"{self.session_number}. {self.session_title}"
        return self.session_title


@dataclass(frozen=True)
class TrackerQuery:
    """What the tracker shows: the filters of its GET form and the order."""

    organisation: str | None = None  # a delegation's ref
    state: State = "all"
    session: str | None = None  # a session's ref
    due_before: date | None = None
    text: str = ""
    sort: Sort = "session"
    earlier_everyone: bool = False  # every organisation's open actions of earlier meetings
    page: int = 1

    def args(self, **changed: Any) -> dict[str, str]:
        """The query as URL arguments (for the CSV link and the way back after a change),
        with these changed (e.g. sort="due"; page=None for the first page)."""
        given = {
            "organisation": self.organisation or "",
            "state": "" if self.state == "all" else self.state,
            "session": self.session or "",
            "due_before": self.due_before.isoformat() if self.due_before else "",
            "q": self.text,
            "sort": "" if self.sort == "session" else self.sort,
            "earlier": "all" if self.earlier_everyone else "",
            "page": str(self.page) if self.page > 1 else "",
        }
        given.update({key: "" if value is None else str(value) for key, value in changed.items()})
        return {key: value for key, value in given.items() if value}


@dataclass(frozen=True)
class Counts:
    open: int = 0
    done: int = 0
    overdue: int = 0


@dataclass(frozen=True)
class Actions:
    """The actions an account may follow in a meeting, and the choices of the filters."""

    rows: list[ActionRow]  # in agenda order
    organisations: list[tuple[str, str]]  # (ref, name), by name
    sessions: list[tuple[str, str]]  # (ref, "number. title") of sessions with actions
    today: date
    everything: bool  # the account sees every session's actions (else its own sessions')


@dataclass(frozen=True)
class Listing:
    """The actions a query chooses, sorted (`rows`; `shown`: those of its page), and the
    counts of those its filters other than the state choose."""

    rows: list[ActionRow]
    counts: Counts
    page: int = 1
    pages: int = 1

    @property
    def shown(self) -> list[ActionRow]:
        return self.rows[(self.page - 1) * PAGE_SIZE : self.page * PAGE_SIZE]

    @property
    def first(self) -> int:
        return min((self.page - 1) * PAGE_SIZE + 1, len(self.rows))

    @property
    def last(self) -> int:
        return min(self.page * PAGE_SIZE, len(self.rows))


def today_at(meeting: Meeting) -> date:
    """Today's date where the meeting is: an action due today is not overdue until tomorrow."""
    return datetime.now(meeting.zone).date()


def _newest_revisions(meeting: Meeting) -> dict[int, int]:
    """Each session's newest revision number, by session id, in a statement of its own: joined
    to the actions, a planner that misjudges the rows (fresh statistics after a bulk load)
    would compute it again for every action."""
    return {
        session_id: newest
        for session_id, newest in db.session.execute(
            sa.select(RecordRevision.session_id, sa.func.max(RecordRevision.number))
            .join(Session, Session.id == RecordRevision.session_id)
            .where(Session.meeting_id == meeting.id)
            .group_by(RecordRevision.session_id)
        )
    }


def token_of(outcome_id: int, revision: int | None) -> str:
    return f"{outcome_id}.{revision or 0}"


def _all_rows(meeting: Meeting, user: User | None, today: date) -> list[ActionRow]:
    """Every action of the meeting in agenda order, in two statements; a rapporteur who does not
    approve records gets those of their own sessions only."""
    owners = aliased(Delegation)
    newest = _newest_revisions(meeting)
    query = (
        sa.select(
            Outcome.id,
            Outcome.text,
            Outcome.due,
            Outcome.done,
            Record.status,
            Session.ref,
            Session.number,
            Session.title,
            owners.ref,
            owners.name,
            owners.acronym,
            Session.id,
        )
        .join(Record, Record.session_id == Session.id)
        .join(Outcome, Outcome.record_id == Record.id)
        .outerjoin(owners, owners.id == Outcome.owner_id)
        .where(Session.meeting_id == meeting.id, Outcome.kind == OutcomeKind.ACTION)
        .order_by(Session.start_local, Session.id, Outcome.position, Outcome.id)
    )
    if not may_approve(user, meeting):
        email_key = user.email_key if user is not None else ""
        query = query.join(Participant, Participant.id == Session.rapporteur_id).where(
            Participant.email_key == email_key
        )
    rows = []
    places: dict[str, int] = {}
    for (
        oid,
        text,
        due,
        done,
        status,
        ref,
        number,
        title,
        o_ref,
        o_name,
        o_acr,
        session_id,
    ) in db.session.execute(query):
        finished = bool(done)
        rows.append(
            ActionRow(
                outcome_id=oid,
                token=token_of(oid, newest.get(session_id)),
                text=text,
                session_ref=ref,
                session_number=number,
                session_title=title,
                session_order=places.setdefault(ref, len(places)),
                owner_ref=o_ref,
                owner_name=(f"{o_name} ({o_acr})" if o_acr else o_name) if o_name else None,
                due=due,
                done=finished,
                overdue=not finished and due is not None and due < today,
                record_status=status,
            )
        )
    return rows


def _in_state(row: ActionRow, state: State) -> bool:
    if state == "open":
        return not row.done
    if state == "done":
        return row.done
    if state == "overdue":
        return row.overdue
    return True


def _sort_key(sort: Sort) -> Callable[[ActionRow], Any]:
    if sort == "due":
        # Undated actions last; then in agenda order.
        return lambda r: (r.due is None, r.due or date.min, r.session_order)
    if sort == "owner":
        return lambda r: (r.owner_name is None, (r.owner_name or "").casefold(), r.session_order)
    return lambda r: r.session_order


def meeting_actions(meeting: Meeting, user: User | None, *, today: date | None = None) -> Actions:
    """Every action of the meeting the account may follow (see _all_rows), in two statements."""
    today = today or today_at(meeting)
    rows = _all_rows(meeting, user, today)
    sessions: dict[str, str] = {}
    for r in rows:
        sessions.setdefault(r.session_ref, r.session_label)
    return Actions(
        rows=rows,
        organisations=organisation_choices(meeting),
        sessions=list(sessions.items()),
        today=today,
        everything=may_approve(user, meeting),
    )


def listing(actions: Actions, query: TrackerQuery) -> Listing:
    """The actions the query chooses, sorted, with the counts of open, done and overdue ones
    among those its other filters choose (whatever its state filter)."""
    words = query.text.casefold().split()
    chosen = [
        r
        for r in actions.rows
        if (query.organisation is None or r.owner_ref == query.organisation)
        and (query.session is None or r.session_ref == query.session)
        and (query.due_before is None or (r.due is not None and r.due < query.due_before))
        and all(w in r.text.casefold() for w in words)
    ]
    counts = Counts(
        open=sum(1 for r in chosen if not r.done),
        done=sum(1 for r in chosen if r.done),
        overdue=sum(1 for r in chosen if r.overdue),
    )
    listed = sorted((r for r in chosen if _in_state(r, query.state)), key=_sort_key(query.sort))
    pages = max(1, -(-len(listed) // PAGE_SIZE))
    return Listing(rows=listed, counts=counts, page=min(query.page, pages), pages=pages)


def organisation_choices(meeting: Meeting) -> list[tuple[str, str]]:
    """The meeting's organisations (ref, name), by name: what the filter offers."""
    return sorted(
        ((d.ref, d.display_name) for d in meeting.delegations), key=lambda c: c[1].casefold()
    )


# -- earlier meetings ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EarlierAction:
    """An open action an organisation took on at an earlier meeting."""

    meeting_title: str
    meeting_start: date
    session_number: str | None
    session_title: str
    owner_name: str
    text: str
    due: date | None
    overdue: bool


def earlier_open_actions(
    meeting: Meeting, organisation_refs: Iterable[str] | None, *, today: date | None = None
) -> list[EarlierAction]:
    """The open actions of the organisations of these delegations of the meeting (all of its
    organisations when `organisation_refs` is None) from meetings that started before it,
    newest meeting first, in each in agenda order.

    Only approved records count: they are what was agreed, and what the reports of those
    meetings published. The organisers and the chair of this meeting see them, though they may
    have no role in the earlier ones, because following up what was agreed at the last meeting
    is their task, and these actions are published already: no record still being written,
    no person, only the organisation and what it undertook (a rapporteur does not see them).
    """
    today = today or today_at(meeting)
    ours = sa.select(Delegation.organisation_id).where(Delegation.meeting_id == meeting.id)
    if organisation_refs is not None:
        ours = ours.where(Delegation.ref.in_(list(organisation_refs)))
    earlier = aliased(Meeting)
    query = (
        sa.select(
            earlier.title,
            earlier.start_date,
            Session.number,
            Session.title,
            Delegation.name,
            Delegation.acronym,
            Outcome.text,
            Outcome.due,
        )
        .join(Record, Record.id == Outcome.record_id)
        .join(Session, Session.id == Record.session_id)
        .join(earlier, earlier.id == Session.meeting_id)
        .join(Delegation, Delegation.id == Outcome.owner_id)
        .where(
            Outcome.kind == OutcomeKind.ACTION,
            sa.or_(Outcome.done.is_(None), Outcome.done.is_(False)),
            Record.status == RecordStatus.APPROVED,
            Delegation.organisation_id.in_(ours),
            earlier.start_date < meeting.start_date,
            earlier.id != meeting.id,
        )
        .order_by(
            earlier.start_date.desc(),
            earlier.id,
            Session.start_local,
            Session.id,
            Outcome.position,
            Outcome.id,
        )
    )
    return [
        EarlierAction(
            meeting_title=m_title,
            meeting_start=m_start,
            session_number=number,
            session_title=title,
            owner_name=f"{name} ({acronym})" if acronym else name,
            text=text,
            due=due,
            overdue=due is not None and due < today,
        )
        for m_title, m_start, number, title, name, acronym, text, due in db.session.execute(query)
    ]


# -- following up -------------------------------------------------------------------------------


class StaleActions(LookupError):
    """Some actions changed or went since the page that asked was shown: nothing was done."""


@dataclass
class FollowedUp:
    """What a follow-up did: the actions changed, and those already as wished."""

    changed: int = 0
    unchanged: int = 0


def parse_tokens(values: Iterable[str]) -> list[tuple[int, int]]:
    """The (outcome id, revision) pairs of the form's values; a malformed one is stale."""
    pairs = []
    for value in values:
        outcome, _dot, revision = value.partition(".")
        if not all(p.isascii() and p.isdigit() and len(p) <= 12 for p in (outcome, revision)):
            raise StaleActions(_("The list of actions changed meanwhile: nothing was done."))
        pairs.append((int(outcome), int(revision)))
    return pairs


def follow_up(meeting: Meeting, tokens: Iterable[str], *, done: bool, user: User) -> FollowedUp:
    """Mark these actions (by the tokens the tracker showed) done or not done.

    Under the meeting's lock; each record whose actions change gets one FOLLOWED_UP revision
    that keeps its status (an approved record stays approved) and one audit entry. If any
    action went, or its record was saved since the page was shown, nothing is done
    (StaleActions): the organiser sees the list as it now stands and decides again.
    """
    wanted = parse_tokens(tokens)
    if not wanted:
        raise StaleActions(_("Tick at least one action first."))
    lock_meeting(meeting)
    ids = {outcome_id for outcome_id, _revision in wanted}
    newest = _newest_revisions(meeting)
    found = {
        outcome.id: (outcome, newest.get(session_id, 0))
        for outcome, session_id in db.session.execute(
            sa.select(Outcome, Session.id)
            .join(Record, Record.id == Outcome.record_id)
            .join(Session, Session.id == Record.session_id)
            .where(
                Outcome.id.in_(ids),
                Session.meeting_id == meeting.id,
                Outcome.kind == OutcomeKind.ACTION,
            )
            .options(selectinload(Outcome.record).selectinload(Record.session))
            .execution_options(populate_existing=True)
        )
    }
    stale = [(oid, rev) for oid, rev in wanted if oid not in found or found[oid][1] != rev]
    if stale:
        raise StaleActions(
            ngettext(
                "An action you chose was changed or removed since this page was shown (its "
                "record was saved again): nothing was done. Here is the list as it now stands.",
                "%(num)d actions you chose were changed or removed since this page was shown "
                "(their records were saved again): nothing was done. Here is the list as it "
                "now stands.",
                len(stale),
            )
        )
    result = FollowedUp()
    by_session: dict[int, tuple[Session, list[Outcome]]] = {}
    for outcome, _revision in found.values():
        if bool(outcome.done) is done:
            result.unchanged += 1
            continue
        session = outcome.record.session
        by_session.setdefault(session.id, (session, []))[1].append(outcome)
    for session, outcomes in sorted(by_session.values(), key=lambda s: s[0].start_local):
        history_begins(session)
        for outcome in outcomes:
            outcome.done = done
        db.session.flush()
        kept = keep_revision(session, RevisionChange.FOLLOWED_UP, user=user)
        audit.log(
            "record.followed-up",
            meeting=meeting,
            target=f"{session.ref} ({session.title})",
            actor=user,
            details={
                "done": done,
                "actions": [o.text[:200] for o in outcomes],
                "revision": kept.number,
                "status": kept.status.value,
            },
        )
        result.changed += len(outcomes)
    return result


# -- CSV ------------------------------------------------------------------------------------------


def csv_rows(meeting: Meeting, rows: list[ActionRow]) -> Iterator[list[str]]:
    """The headings, then each listed action, as the tracker's CSV export has them."""
    yield [
        _("Session"),
        _("Action"),
        _("Organisation"),
        _("Due"),
        _("Done"),
        _("Overdue"),
        _("Record status"),
        _("Meeting"),
    ]
    words = {True: _("yes"), False: _("no")}
    statuses = {status: label(status) for status in RecordStatus}
    for r in rows:
        yield [
            r.session_label,
            r.text,
            r.owner_name or "",
            r.due.isoformat() if r.due else "",
            words[r.done],
            words[r.overdue],
            statuses[r.record_status],
            meeting.title,
        ]


def csv_bytes(meeting: Meeting, rows: list[ActionRow]) -> bytes:
    """The listed actions as CSV (UTF-8 with a byte-order mark, no value a spreadsheet runs)."""
    return csv_document(csv_rows(meeting, rows))


__all__ = [
    "SORTS",
    "STATES",
    "ActionRow",
    "Actions",
    "Counts",
    "EarlierAction",
    "FollowedUp",
    "Listing",
    "StaleActions",
    "TrackerQuery",
    "csv_bytes",
    "earlier_open_actions",
    "follow_up",
    "listing",
    "meeting_actions",
    "organisation_choices",
    "today_at",
]
