"""The organisers' registration desk: the filtered, sorted, paged list and the meeting's figures.

Everything is done in SQL (COUNT, GROUP BY, LIMIT/OFFSET), so that a page costs the same few
statements for 20 registrations or 20,000. The CSV and XLSX exports read the same filtered
query (`matching`), so the desk and its exports always agree.

Search is accent- and case-insensitive through `fold`, one table of single-letter replacements
(upper to lower case, accented to bare letters): a registration matches a word when the folded
text contains the folded word. SQLite applies the same Python function, registered on each
connection; PostgreSQL, without extensions, runs a regular expression in which each letter is
the class of every letter that folds to it, so a search finds the same rows on both databases.
A letter that would fold to two (ß, æ) stays as it is. Sorting by name puts case and accents
aside as well: SQLite by the folded text, PostgreSQL by ICU's root collation.
"""

from __future__ import annotations

import math
import sqlite3
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy.engine import Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import contains_eager
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from ..extensions import db
from ..models import (
    KIND_ORDER,
    AuditEntry,
    Delegation,
    Meeting,
    OrganisationKind,
    Participant,
    ParticipantRole,
    RegistrationStatus,
)
from ..vocabulary import label

PER_PAGE = 50
# The desk's query string parameters (the GET form's fields).
QUERY_FIELDS = (
    "q",
    "status",
    "kind",
    "organisation",
    "funded",
    "travel_support",
    "visa_letter",
    "checked_in",
    "sort",
    "page",
)
SORTS = ("name", "organisation", "status", "registered", "-registered")
YES_NO = ("yes", "no")
STATUS_ORDER = tuple(RegistrationStatus)


def _fold_table() -> dict[int, str]:
    """Upper case to lower, accented Latin, Greek and Cyrillic letters to their bare letter."""
    table: dict[int, str] = {}
    ranges = [(0x41, 0x5A), (0xC0, 0x24F), (0x370, 0x3FF), (0x400, 0x4FF), (0x1E00, 0x1EFF)]
    for first, last in ranges:
        for code in range(first, last + 1):
            char = chr(code)
            bare = "".join(
                c
                for c in unicodedata.normalize("NFKD", char.lower())
                if not unicodedata.combining(c)
            )
            if len(bare) == 1 and bare != char:
                table[code] = bare
    return table


FOLD = _fold_table()
# Every letter that folds to a given one (and that one): "a" -> "aAàÀáÁ…".
_VARIANTS: dict[str, str] = {}
for _code, _bare in FOLD.items():
    _VARIANTS[_bare] = _VARIANTS.get(_bare, _bare) + chr(_code)


def fold(text: str) -> str:
    """The text as search compares it: lower case, accents off (as the databases do it)."""
    return text.translate(FOLD)


def _regex(word: str) -> str:
    """A PostgreSQL regular expression that finds the folded word in text as it is stored:
    each letter a class of every letter that folds to it (so `fold(text)` contains `word`)."""
    parts = []
    for char in word:
        variants = _VARIANTS.get(char, char)
        # In PostgreSQL's AREs a backslash makes any character but a letter or digit literal.
        escaped = "".join(c if c.isalnum() else "\\" + c for c in variants)
        parts.append(f"[{escaped}]" if len(variants) > 1 else escaped)
    return "".join(parts)


class contains_folded(sa.sql.expression.ColumnElement[bool]):
    """SQL: does `fold(text)` contain `word` (already folded)?

    SQLite compares the folded text with LIKE; PostgreSQL runs a regular expression of letter
    classes over the text as stored, which needs no function call per row.
    """

    type = sa.Boolean()
    inherit_cache = False

    def __init__(self, text: Any, word: str):
        self.text = text
        self.word = word


@compiles(contains_folded)
def _contains_sqlite(element: contains_folded, compiler: SQLCompiler, **kw: Any) -> str:
    pattern = compiler.process(sa.literal(_like(element.word)), **kw)
    return f"desk_fold({compiler.process(element.text, **kw)}) LIKE {pattern} ESCAPE '\\'"


@compiles(contains_folded, "postgresql")
def _contains_postgresql(element: contains_folded, compiler: SQLCompiler, **kw: Any) -> str:
    pattern = compiler.process(sa.literal(_regex(element.word)), **kw)
    return f"({compiler.process(element.text, **kw)}) ~ {pattern}"


class sort_key(FunctionElement[str]):
    """SQL: a text as the desk sorts it, case and accents aside: SQLite sorts `fold(text)`;
    PostgreSQL sorts with ICU's root collation, which puts é beside e and a beside A."""

    type = sa.String()
    inherit_cache = True
    name = "desk_fold"


@compiles(sort_key)
def _sort_sqlite(element: sort_key, compiler: SQLCompiler, **kw: Any) -> str:
    return f"desk_fold({compiler.process(element.clauses, **kw)})"


@compiles(sort_key, "postgresql")
def _sort_postgresql(element: sort_key, compiler: SQLCompiler, **kw: Any) -> str:
    return f'({compiler.process(element.clauses, **kw)}) COLLATE "und-x-icu"'


@sa.event.listens_for(Engine, "connect")
def _sqlite_fold(dbapi_connection: Any, connection_record: Any) -> None:
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function(
            "desk_fold", 1, lambda text: None if text is None else fold(text), deterministic=True
        )


# -- what the desk is asked ------------------------------------------------------------------


@dataclass(frozen=True)
class DeskQuery:
    """The desk's search, filters, sort and page, as its GET form (and the exports) take them."""

    q: str = ""
    status: RegistrationStatus | None = None
    kind: OrganisationKind | None = None
    organisation: str = ""
    funded: bool | None = None
    travel_support: bool | None = None
    visa_letter: bool | None = None
    checked_in: bool | None = None
    sort: str = "name"
    page: int = 1

    def args(self, **changes: Any) -> dict[str, str]:
        """The query string that asks for this (with changes), without the defaults."""
        values = {
            "q": self.q,
            "status": self.status.value if self.status else "",
            "kind": self.kind.value if self.kind else "",
            "organisation": self.organisation,
            "funded": _yes_no(self.funded),
            "travel_support": _yes_no(self.travel_support),
            "visa_letter": _yes_no(self.visa_letter),
            "checked_in": _yes_no(self.checked_in),
            "sort": "" if self.sort == "name" else self.sort,
            "page": "" if self.page == 1 else str(self.page),
        }
        values.update({k: ("" if v is None else str(v)) for k, v in changes.items()})
        return {k: v for k, v in values.items() if v and not (k == "page" and v == "1")}

    @property
    def filtered(self) -> bool:
        return bool(self.args(sort="", page=""))


def _yes_no(value: bool | None) -> str:
    return "" if value is None else ("yes" if value else "no")


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _yes(column: Any, wanted: bool) -> Any:
    return column.is_(True) if wanted else sa.or_(column.is_(False), column.is_(None))


def _conditions(meeting: Meeting, query: DeskQuery) -> list[Any]:
    where: list[Any] = [Participant.meeting_id == meeting.id]
    if query.status is not None:
        where.append(Participant.status == query.status)
    if query.kind is not None:
        where.append(Delegation.kind == query.kind)
    if query.organisation:
        where.append(Delegation.ref == query.organisation)
    for column, wanted in (
        (Participant.funded, query.funded),
        (Participant.travel_support_requested, query.travel_support),
        (Participant.needs_visa_letter, query.visa_letter),
    ):
        if wanted is not None:
            where.append(_yes(column, wanted))
    if query.checked_in is not None:
        checked = Participant.checked_in_at
        where.append(checked.is_not(None) if query.checked_in else checked.is_(None))
    words = fold(query.q).split()
    if words:
        haystack = (
            sa.func.coalesce(Participant.honorific, "")
            + " "
            + Participant.given_name
            + " "
            + Participant.family_name
            + " "
            + Participant.email
            + " "
            + Delegation.name
            + " "
            + sa.func.coalesce(Delegation.acronym, "")
        )
        where.extend(contains_folded(haystack, word) for word in words)
    return where


def _order(sort: str) -> list[Any]:
    by_name = [sort_key(Participant.family_name), sort_key(Participant.given_name), Participant.id]
    if sort == "organisation":
        return [sort_key(Delegation.name), *by_name]
    if sort == "status":
        rank = sa.case(
            {status.value: n for n, status in enumerate(STATUS_ORDER)}, value=Participant.status
        )
        return [rank, *by_name]
    if sort == "registered":
        return [Participant.registered_at.asc().nulls_first(), Participant.id]
    if sort == "-registered":
        return [Participant.registered_at.desc().nulls_last(), Participant.id.desc()]
    return by_name


def matching(meeting: Meeting, query: DeskQuery) -> sa.Select[Participant]:
    """The registrations the query asks for, in its order, each with its delegation loaded."""
    return matching_rows(meeting, query, Participant).options(
        contains_eager(Participant.delegation)
    )


def matching_rows(meeting: Meeting, query: DeskQuery, *columns: Any) -> sa.Select[Any]:
    """The same registrations as `matching`, as rows of these columns (for the exports)."""
    return (
        sa.select(*columns)
        .select_from(Participant)
        .join(Participant.delegation)
        .where(*_conditions(meeting, query))
        .order_by(*_order(query.sort))
    )


# -- what the desk shows ---------------------------------------------------------------------


@dataclass(frozen=True)
class Listing:
    """One page of the matching registrations, and where it stands among them."""

    people: list[Participant]
    total: int
    page: int
    pages: int
    first: int  # 1-based number of the first on this page, 0 when none match
    last: int


def listing(meeting: Meeting, query: DeskQuery, per_page: int = PER_PAGE) -> Listing:
    """The page of matching registrations the query asks for (the last page, past the end)."""
    total = db.session.scalar(
        sa.select(sa.func.count(Participant.id))
        .join(Participant.delegation)
        .where(*_conditions(meeting, query))
    )
    total = total or 0
    pages = max(1, math.ceil(total / per_page))
    page = min(max(1, query.page), pages)
    offset = (page - 1) * per_page
    people = list(db.session.scalars(matching(meeting, query).limit(per_page).offset(offset)))
    return Listing(
        people=people,
        total=total,
        page=page,
        pages=pages,
        first=offset + 1 if people else 0,
        last=offset + len(people),
    )


def page_links(page: int, pages: int) -> list[int | None]:
    """The page numbers to link: the first, the last, and two either side; None for a gap."""
    wanted = {1, pages, *range(page - 2, page + 3)}
    shown: list[int | None] = []
    for n in sorted(p for p in wanted if 1 <= p <= pages):
        if shown and shown[-1] is not None and n - shown[-1] > 1:  # type: ignore[operator]
            shown.append(None)
        shown.append(n)
    return shown


@dataclass(frozen=True)
class KindCounts:
    kind: OrganisationKind
    by_status: dict[RegistrationStatus, int]

    @property
    def total(self) -> int:
        return sum(self.by_status.values())


@dataclass(frozen=True)
class DelegationUse:
    """An organisation's approved registrations against its quota."""

    ref: str
    name: str
    kind: OrganisationKind
    approved: int
    quota: int | None

    @property
    def full(self) -> bool:
        return self.quota is not None and self.approved >= self.quota


@dataclass(frozen=True)
class KindQuota:
    kind: OrganisationKind
    quota: int
    organisations: int
    full: int
    approved: int


@dataclass(frozen=True)
class Figures:
    """The meeting's registrations counted by organisation kind and status, and quota use."""

    kinds: list[KindCounts]
    totals: dict[RegistrationStatus, int]
    capacity: int | None
    delegations: list[DelegationUse]
    kind_quotas: list[KindQuota] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(self.totals.values())

    @property
    def approved(self) -> int:
        return self.totals[RegistrationStatus.APPROVED]

    @property
    def with_quota(self) -> list[DelegationUse]:
        return [d for d in self.delegations if d.quota is not None]


def figures(meeting: Meeting) -> Figures:
    """Counts by kind and status, and each organisation's approved registrations (two queries)."""
    rows = db.session.execute(
        sa.select(Delegation.kind, Participant.status, sa.func.count(Participant.id))
        .join(Participant.delegation)
        .where(Participant.meeting_id == meeting.id)
        .group_by(Delegation.kind, Participant.status)
    ).all()
    counts: dict[OrganisationKind, dict[RegistrationStatus, int]] = {}
    for kind, status, count in rows:
        counts.setdefault(kind, dict.fromkeys(STATUS_ORDER, 0))[status] = count
    kinds = [KindCounts(kind, counts[kind]) for kind in KIND_ORDER if kind in counts]
    totals = {s: sum(k.by_status[s] for k in kinds) for s in STATUS_ORDER}

    approved = (
        sa.select(Participant.delegation_id, sa.func.count(Participant.id).label("n"))
        .where(
            Participant.meeting_id == meeting.id,
            Participant.status == RegistrationStatus.APPROVED,
        )
        .group_by(Participant.delegation_id)
        .subquery()
    )
    delegations = db.session.execute(
        sa.select(
            Delegation.ref,
            Delegation.name,
            Delegation.acronym,
            Delegation.kind,
            Delegation.quota,
            sa.func.coalesce(approved.c.n, 0),
        )
        .outerjoin(approved, approved.c.delegation_id == Delegation.id)
        .where(Delegation.meeting_id == meeting.id)
    ).all()
    order = {kind: n for n, kind in enumerate(KIND_ORDER)}
    uses = sorted(
        (
            DelegationUse(
                ref=ref,
                name=f"{name} ({acronym})" if acronym else name,
                kind=kind,
                approved=n,
                quota=Delegation.quota_of(own, meeting.quotas, kind),
            )
            for ref, name, acronym, kind, own, n in delegations
        ),
        key=lambda d: (order[d.kind], fold(d.name)),
    )
    kind_quotas = []
    for kind in KIND_ORDER:
        quota = meeting.quota_for(kind)
        of_kind = [d for d in uses if d.kind is kind]
        if quota is not None and of_kind:
            kind_quotas.append(
                KindQuota(
                    kind=kind,
                    quota=quota,
                    organisations=len(of_kind),
                    full=sum(d.full for d in of_kind),
                    approved=sum(d.approved for d in of_kind),
                )
            )
    return Figures(
        kinds=kinds,
        totals=totals,
        capacity=meeting.capacity,
        delegations=uses,
        kind_quotas=kind_quotas,
    )


# -- the chart -------------------------------------------------------------------------------

# One colour per status, each at least 3:1 against white (WCAG 1.4.11).
STATUS_COLOURS = {
    RegistrationStatus.PENDING: "#8a5a00",
    RegistrationStatus.APPROVED: "#0b6e5a",
    RegistrationStatus.WAITLISTED: "#1d4f91",
    RegistrationStatus.DECLINED: "#b3261e",
    RegistrationStatus.CANCELLED: "#5f6b7a",
}


@dataclass(frozen=True)
class Bar:
    y: int
    label: str
    total: int
    segments: list[tuple[RegistrationStatus, float, float, int]]  # status, x, width, count


@dataclass(frozen=True)
class Chart:
    """Stacked bars in a viewBox of `width` by `height`, each under its label; a legend."""

    width: int
    height: int
    bar_height: int
    bars: list[Bar]
    legend: list[tuple[RegistrationStatus, int, int]]  # status, x, y


def chart(kinds: Sequence[KindCounts]) -> Chart:
    """Stacked horizontal bars, one per organisation kind, drawn to the largest kind's total.

    Each label stands above its bar, so that a long one ("Intergovernmental organisation", or
    longer in French) has the chart's whole width.
    """
    width, plot_width, bar_height, step = 400, 360, 20, 48
    largest = max((k.total for k in kinds), default=0) or 1
    bars = []
    for n, counts in enumerate(kinds):
        x = 0.0
        segments = []
        for status in STATUS_ORDER:
            count = counts.by_status[status]
            if count:
                part = plot_width * count / largest
                segments.append((status, round(x, 2), round(part, 2), count))
                x += part
        bars.append(Bar(n * step, label(counts.kind), counts.total, segments))
    top = len(bars) * step + 4
    # The legend in two columns.
    legend = [(status, (n % 2) * 200, top + (n // 2) * 20) for n, status in enumerate(STATUS_ORDER)]
    height = top + ((len(STATUS_ORDER) + 1) // 2) * 20
    return Chart(width, height, bar_height, bars, legend)


# -- a registration's history ----------------------------------------------------------------


def history(meeting: Meeting, person: Participant) -> list[AuditEntry]:
    """The audit log's entries about this registration, newest first.

    Entries name a registration as "ref (address)", the address as it was then.
    """
    prefix = person.ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(
                AuditEntry.meeting_id == meeting.id,
                AuditEntry.target.like(f"{prefix} (%", escape="\\"),
            )
            .order_by(AuditEntry.id.desc())
        )
    )


def query_from(data: dict[str, Any]) -> DeskQuery:
    """A DeskQuery from the desk form's validated data (empty values: no filter)."""

    def yes_no(name: str) -> bool | None:
        value = data.get(name) or ""
        return None if value == "" else value == "yes"

    return DeskQuery(
        q=(data.get("q") or "").strip(),
        status=RegistrationStatus(data["status"]) if data.get("status") else None,
        kind=OrganisationKind(data["kind"]) if data.get("kind") else None,
        organisation=data.get("organisation") or "",
        funded=yes_no("funded"),
        travel_support=yes_no("travel_support"),
        visa_letter=yes_no("visa_letter"),
        checked_in=yes_no("checked_in"),
        sort=data.get("sort") or "name",
        page=data.get("page") or 1,
    )


# -- what a decision did, in sentences -------------------------------------------------------


def decision_report(outcomes: Sequence[Any], action: str, missing: int = 0) -> list[str]:
    """Sentences for the organiser: how many were decided, and each one not done as asked.

    `outcomes`: the service's `Decided` for each registration, in the order decided.
    """
    done = {
        "approve": lambda n: ngettext(
            "%(num)d registration approved.", "%(num)d registrations approved.", n
        ),
        "decline": lambda n: ngettext(
            "%(num)d registration declined.", "%(num)d registrations declined.", n
        ),
        "cancel": lambda n: ngettext(
            "%(num)d registration cancelled.", "%(num)d registrations cancelled.", n
        ),
    }[action]
    target = {
        "approve": RegistrationStatus.APPROVED,
        "decline": RegistrationStatus.DECLINED,
        "cancel": RegistrationStatus.CANCELLED,
    }[action]
    decided_ids = {o.person.id for o in outcomes}
    sentences: list[str] = []
    count = sum(1 for o in outcomes if o.person.status is target and o.before is not target)
    sentences.append(done(count))
    for o in outcomes:
        name = o.person.full_name
        if o.refused:
            sentences.append(_("%(name)s: %(why)s", name=name, why=o.refused))
        elif o.before is target:
            # Only approving allows the status it leads to (nothing changes).
            sentences.append(_("%(name)s was approved already.", name=name))
        elif action == "approve" and o.person.status is RegistrationStatus.WAITLISTED:
            sentences.append(
                _(
                    "%(name)s is on the waiting list: %(organisation)s has no place left "
                    "within its quota, or the meeting is full.",
                    name=name,
                    organisation=o.person.delegation.display_name,
                )
            )
    promoted = {p.id: p for o in outcomes for p in o.changed if p.id not in decided_ids}
    for person in promoted.values():
        if person.status is RegistrationStatus.APPROVED:
            sentences.append(
                _(
                    "%(name)s was on the waiting list and is now approved, as a place became free.",
                    name=person.full_name,
                )
            )
    if missing:
        sentences.append(
            ngettext(
                "%(num)d of the selected registrations no longer exists.",
                "%(num)d of the selected registrations no longer exist.",
                missing,
            )
        )
    return sentences


@dataclass(frozen=True)
class HistoryLine:
    at: datetime
    actor: str
    what: str
    details: list[str]


def _whys() -> dict[str, str]:
    # The service's reasons for a change, as stored in the log, in the reader's words.
    return {
        "automatic approval": _("Approved automatically, as the meeting allows."),
        "approved by an organiser": _("By an organiser."),
        "declined by an organiser": _("By an organiser."),
        "cancelled by an organiser": _("By an organiser."),
        "cancelled by the participant": _("By the participant."),
        "a place became free": _("A place became free."),
        "quota or capacity reached": _(
            "The organisation's quota or the meeting's capacity was reached."
        ),
    }


def _role_word(value: Any) -> str:
    try:
        return label(ParticipantRole(value))
    except ValueError:
        return str(value or "")


def history_lines(entries: Sequence[AuditEntry], field_labels: dict[str, str]) -> list[HistoryLine]:
    """The log's entries about a registration as sentences an organiser reads."""
    whys = _whys()
    # The travel-support decisions, as travel.decision_of names them in the log.
    travel_words = {
        "granted": _("granted"),
        "declined": _("declined"),
        "undecided": _("not decided yet"),
        None: "",
    }
    statuses = {f"registration.{s.value}": s for s in RegistrationStatus}
    lines = []
    for entry in entries:
        details = entry.details or {}
        notes: list[str] = []
        if entry.action in statuses:
            what = label(statuses[entry.action])
            if details.get("why") in whys:
                notes.append(whys[details["why"]])
        elif entry.action in ("registration.created", "registration.renewed"):
            # Renewed: the person registered again after cancelling (the same registration).
            what = (
                _("Registered") if entry.action == "registration.created" else _("Registered again")
            )
            if details.get("by_organiser"):
                notes.append(_("By an organiser."))
        elif entry.action == "registration.updated":
            what = _("Details changed")
            changed = [field_labels.get(name, name) for name in details.get("fields", [])]
            if changed:
                notes.append(_("Changed: %(fields)s.", fields=", ".join(changed)))
        elif entry.action == "registration.updated_by_participant":
            what = _("Details changed by the participant")
        elif entry.action == "registration.travel_support":
            decided = travel_words.get(details.get("to"), "")
            what = _("Travel support: %(decision)s", decision=decided)
            if details.get("note"):
                notes.append(_("Note: %(note)s", note=details["note"]))
        elif entry.action == "registration.role_changed":
            what = _(
                "Role changed from %(before)s to %(after)s",
                before=_role_word(details.get("from")),
                after=_role_word(details.get("to")),
            )
        elif entry.action == "registration.replaced":
            what = _("Replaced by %(ref)s", ref=details.get("replaced_by", ""))
        elif entry.action == "registration.replaces":
            what = _("Replaces %(ref)s", ref=details.get("replaces", ""))
        elif entry.action == "delegation.nomination_withdrawn":
            what = _("Nomination withdrawn by the organisation's focal point")
        elif entry.action == "registration.erased":
            what = _("Erased by the participant")
        elif entry.action == "registration.data_downloaded":
            what = _("Personal data downloaded by the participant")
        else:
            what = entry.action
        if details.get("reason"):
            notes.append(_("Reason: %(reason)s", reason=details["reason"]))
        lines.append(HistoryLine(entry.at, entry.actor, what, notes))
    return lines
