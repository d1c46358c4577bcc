"""Travel support: people ask (`travel_support_requested`), the organisers decide (`funded`).

`funded` is the organisers' decision: True granted, False declined, None not decided yet;
`travel_support_note` is what they tell the person about it. A decision goes through
`decide_travel_support`, under the meeting's lock like every change to a registration: it is
written in the audit log ("registration.travel_support", from and to) and the person is told
by e-mail, in their language, with the note. Organisers may also offer support to someone who
did not ask.

The requests page lists every registration that asked, or was granted support without
asking, with the counts and the filters below; its CSV is written by the desk's exports (no
value run as a formula).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from .. import audit, mail
from ..agenda.notify import meeting_title, recipient_language
from ..extensions import db
from ..locking import lock_meeting
from ..meetings.organisations import country_name
from ..models import Delegation, Meeting, OrganisationKind, Participant, RegistrationStatus
from ..vocabulary import label
from .desk import sort_key

NOTE_LENGTH = 500
# The decision filter's values, and the words of the audit log's from and to.
DECISIONS = ("undecided", "granted", "declined")
AUDIT_ACTION = "registration.travel_support"


class TravelSupportError(ValueError):
    """A decision the service refuses; `fields` names the form fields at fault."""

    def __init__(self, fields: dict[str, str]):
        super().__init__(" ".join(fields.values()))
        self.fields = fields


def decision_of(funded: bool | None) -> str:
    """ "granted", "declined" or "undecided", as the log and the filters name a decision."""
    return "undecided" if funded is None else ("granted" if funded else "declined")


def decision_words(funded: bool | None) -> str:
    """The decision as people read it."""
    if funded is None:
        return _("Not decided yet")
    return _("Granted") if funded else _("Declined")


def decide_travel_support(
    meeting: Meeting, person: Participant, granted: bool | None, note: str | None
) -> bool:
    """The organisers grant (True), decline (False) or take back (None) travel support, with a
    note to the person; whether anything changed. A change is logged and the person is told."""
    note = (note or "").strip() or None
    if note is not None and len(note) > NOTE_LENGTH:
        raise TravelSupportError(
            {"note": _("At most %(num)d characters, please.", num=NOTE_LENGTH)}
        )
    lock_meeting(meeting)
    db.session.refresh(person)  # the decision as it stands now that the meeting is locked
    before = person.funded
    if (before, person.travel_support_note) == (granted, note):
        return False
    person.funded = granted
    person.travel_support_note = note
    audit.log(
        AUDIT_ACTION,
        meeting=meeting,
        # As the log names a registration everywhere ("ref (address)"; see desk.history).
        target=f"{person.ref} ({person.email})",
        details={
            "from": decision_of(before),
            "to": decision_of(granted),
            "note": note,
            "requested": bool(person.travel_support_requested),
        },
    )
    db.session.flush()
    # In the outbox, in this transaction: the person is told only if the decision is kept.
    mail.send_notice(
        person.email,
        "travel-support",
        participant=person.id,
        decision=decision_of(granted),
        note=note,
    )
    return True


@mail.notice_writer("travel-support")
def write_travel_support_notice(notice: dict[str, Any]) -> EmailMessage | None:
    """The message telling a person the organisers' decision on travel support, in their
    language; None once the registration is gone."""
    person = db.session.get(Participant, notice.get("participant"))
    if person is None:
        return None
    meeting = person.meeting
    lang = recipient_language(meeting, person)
    decision = notice.get("decision")
    with force_locale(lang):
        title = meeting_title(meeting, lang)
        if decision == "granted":
            told = _("The organisers of %(meeting)s will fund your travel.", meeting=title)
        elif decision == "declined":
            told = _(
                "The organisers of %(meeting)s cannot fund your travel.",
                meeting=title,
            )
        else:
            told = _(
                "The organisers of %(meeting)s have taken back their decision on funding "
                "your travel: they will decide again, and tell you.",
                meeting=title,
            )
        if notice.get("note"):
            told += "\n\n" + _("The organisers' note: %(note)s", note=notice["note"])
        body = _(
            "Dear %(name)s,\n\n%(told)s\n\nYour reference: %(ref)s\n\n"
            "To follow your registration, sign in at %(account)s with this e-mail address.",
            name=f"{person.given_name} {person.family_name}",
            told=told,
            ref=person.ref,
            account=f"{current_app.config['BASE_URL']}/account",
        )
        subject = _("Travel support: %(meeting)s", meeting=title)
        return mail.compose(person.email, subject, body)


# -- the requests page -----------------------------------------------------------------------


@dataclass(frozen=True)
class TravelQuery:
    """The page's filters: the decision ("undecided" is those who asked and wait) and the
    kind of organisation."""

    decision: str = ""
    kind: OrganisationKind | None = None

    def args(self) -> dict[str, str]:
        """The query string that asks for this, without the empty filters."""
        values = {"decision": self.decision, "kind": self.kind.value if self.kind else ""}
        return {k: v for k, v in values.items() if v}


@dataclass(frozen=True)
class Counts:
    """Among those who asked: how many, granted, declined, to decide; and every grant
    (offers to people who did not ask included)."""

    asked: int = 0
    granted: int = 0
    declined: int = 0
    undecided: int = 0
    granted_in_all: int = 0

    @property
    def offered(self) -> int:
        """Granted to people who did not ask."""
        return self.granted_in_all - self.granted


@dataclass(frozen=True)
class Row:
    """One registration on the requests page, as the page and the CSV show it."""

    ref: str
    name: str
    email: str
    organisation: str
    kind: OrganisationKind
    country: str
    status: RegistrationStatus
    requested: bool
    funded: bool | None
    note: str

    @property
    def decision(self) -> str:
        return decision_of(self.funded)


def query_from(data: dict[str, Any]) -> TravelQuery:
    """A TravelQuery from the filter form's validated data (empty: no filter)."""
    return TravelQuery(
        decision=data.get("decision") or "",
        kind=OrganisationKind(data["kind"]) if data.get("kind") else None,
    )


def _concerned(meeting: Meeting) -> list[Any]:
    # Those who asked, and those granted it without asking (an offer). A "no" for someone who
    # never asked is left out: imports and older data say funded=false for "not funded".
    return [
        Participant.meeting_id == meeting.id,
        sa.or_(Participant.travel_support_requested.is_(True), Participant.funded.is_(True)),
    ]


def counts(meeting: Meeting) -> Counts:
    """The page's figures, in one query."""
    found = db.session.execute(
        sa.select(Participant.travel_support_requested, Participant.funded, sa.func.count())
        .where(*_concerned(meeting))
        .group_by(Participant.travel_support_requested, Participant.funded)
    ).all()
    tally = {"asked": 0, "granted": 0, "declined": 0, "undecided": 0, "granted_in_all": 0}
    for requested, funded, n in found:
        if funded:
            tally["granted_in_all"] += n
        if requested:
            tally["asked"] += n
            tally[decision_of(funded)] += n
    return Counts(**tally)


def rows(meeting: Meeting, query: TravelQuery) -> list[Row]:
    """The registrations concerned that the filters ask for, by name."""
    where = _concerned(meeting)
    if query.decision == "undecided":
        where += [Participant.funded.is_(None), Participant.travel_support_requested.is_(True)]
    elif query.decision in ("granted", "declined"):
        where.append(Participant.funded.is_(query.decision == "granted"))
    if query.kind is not None:
        where.append(Delegation.kind == query.kind)
    found = db.session.execute(
        sa.select(
            Participant.ref,
            Participant.honorific,
            Participant.given_name,
            Participant.family_name,
            Participant.email,
            Delegation.name,
            Delegation.acronym,
            Delegation.kind,
            Delegation.country,
            Participant.status,
            Participant.travel_support_requested,
            Participant.funded,
            Participant.travel_support_note,
        )
        .join(Participant.delegation)
        .where(*where)
        .order_by(
            sort_key(Participant.family_name), sort_key(Participant.given_name), Participant.id
        )
    ).all()
    return [
        Row(
            ref=r.ref,
            name=" ".join(p for p in (r.honorific, r.given_name, r.family_name) if p),
            email=r.email,
            organisation=f"{r.name} ({r.acronym})" if r.acronym else r.name,
            kind=r.kind,
            country=country_name(r.country) or "",
            status=r.status,
            requested=bool(r.travel_support_requested),
            funded=r.funded,
            note=r.travel_support_note or "",
        )
        for r in found
    ]


def csv_lines(listed: list[Row]) -> Iterator[list[str]]:
    """The headings, then each row, as the requests CSV has them."""
    yield [
        _("Reference"),
        _("Name"),
        _("E-mail address"),
        _("Organisation"),
        _("Kind of organisation"),
        _("Country"),
        _("Status"),
        _("Asked for travel support"),
        _("Travel support decision"),
        _("Note to the person"),
    ]
    words = {d: decision_words(f) for d, f in zip(DECISIONS, (None, True, False), strict=True)}
    yes, no = _("yes"), _("no")
    for row in listed:
        yield [
            row.ref,
            row.name,
            row.email,
            row.organisation,
            label(row.kind),
            row.country,
            label(row.status),
            yes if row.requested else no,
            words[row.decision],
            row.note,
        ]
