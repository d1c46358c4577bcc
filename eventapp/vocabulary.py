"""The words people read for our enums: one translated label for every value.

Pages, forms, e-mails, documents and the command line name a status or a kind only through
`label(value)` (or the template filter `|label`), so the same value reads the same everywhere.
A page that heads a group of several (the participants by organisation kind, the outcomes by
kind) uses the second table, `HEADINGS`, through `label(value, heading=True)`.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from wtforms.fields.choices import SelectChoice

from .models import (
    AccountRole,
    Approval,
    Change,
    OrganisationKind,
    OutcomeKind,
    ParticipantRole,
    RecordStatus,
    RegistrationStatus,
    ReportKind,
    RevisionChange,
    SessionKind,
    SessionRole,
)

# One table per enum: StrEnum values of two enums (a record's and a registration's
# "approved") are equal strings, and would share one key in a single table.
LABELS: dict[type[enum.Enum], dict[Any, LazyString]] = {
    AccountRole: {
        AccountRole.ADMIN: _l("Administrator"),
        AccountRole.ORGANISER: _l("Organiser"),
        AccountRole.RAPPORTEUR: _l("Rapporteur"),
        AccountRole.PARTICIPANT: _l("Participant"),
    },
    Approval: {
        Approval.MANUAL: _l("Approved by the organisers"),
        Approval.AUTOMATIC: _l("Approved on registration"),
    },
    OrganisationKind: {
        OrganisationKind.WEN: _l("Wildlife enforcement network"),
        OrganisationKind.COUNTRY: _l("Country"),
        OrganisationKind.IGO: _l("Intergovernmental organisation"),
        OrganisationKind.CSO: _l("Civil-society organisation"),
        OrganisationKind.DONOR: _l("Donor"),
        OrganisationKind.OTHER: _l("Other"),
    },
    OutcomeKind: {
        OutcomeKind.DECISION: _l("Decision"),
        OutcomeKind.RECOMMENDATION: _l("Recommendation"),
        OutcomeKind.CONCLUSION: _l("Conclusion"),
        OutcomeKind.ACTION: _l("Action"),
        OutcomeKind.STATEMENT: _l("Statement"),
    },
    ParticipantRole: {
        ParticipantRole.HEAD_OF_DELEGATION: _l("Head of delegation"),
        ParticipantRole.DELEGATE: _l("Delegate"),
        ParticipantRole.OBSERVER: _l("Observer"),
        ParticipantRole.SPEAKER: _l("Speaker"),
        ParticipantRole.CHAIR: _l("Chair"),
        ParticipantRole.RAPPORTEUR: _l("Rapporteur"),
        ParticipantRole.ORGANISER: _l("Organiser"),
        ParticipantRole.SECRETARIAT: _l("Secretariat"),
    },
    RecordStatus: {
        RecordStatus.DRAFT: _l("Draft"),
        RecordStatus.SUBMITTED: _l("Submitted"),
        RecordStatus.APPROVED: _l("Approved"),
    },
    RevisionChange: {
        RevisionChange.SAVED: _l("Saved"),
        RevisionChange.RETURNED: _l("Sent back"),
        RevisionChange.REOPENED: _l("Reopened"),
        RevisionChange.EARLIER: _l("As it stood before its first save"),
        RevisionChange.RESTORED: _l("An earlier revision restored"),
        RevisionChange.FOLLOWED_UP: _l("Action followed up"),
    },
    RegistrationStatus: {
        RegistrationStatus.PENDING: _l("Pending"),
        RegistrationStatus.APPROVED: _l("Approved"),
        RegistrationStatus.WAITLISTED: _l("Waiting list"),
        RegistrationStatus.DECLINED: _l("Declined"),
        RegistrationStatus.CANCELLED: _l("Cancelled"),
    },
    ReportKind: {
        ReportKind.CHAIR_SUMMARY: _l("Chair's summary"),
        ReportKind.FULL_REPORT: _l("Report of the meeting"),
    },
    SessionKind: {
        SessionKind.PLENARY: _l("Plenary"),
        SessionKind.BREAKOUT: _l("Breakout session"),
        SessionKind.PANEL: _l("Panel"),
        SessionKind.CLOSED: _l("Closed session"),
        SessionKind.SIDE_EVENT: _l("Side event"),
        SessionKind.CEREMONY: _l("Ceremony"),
        SessionKind.BREAK: _l("Break"),
    },
    SessionRole: {
        SessionRole.CHAIR: _l("Chair"),
        SessionRole.SPEAKER: _l("Speaker"),
    },
    Change: {
        Change.ADDED: _l("Added"),
        Change.CANCELLED: _l("Cancelled"),
        Change.MOVED: _l("Moved"),
        Change.RETITLED: _l("New title"),
        Change.CHANGED: _l("Details changed"),
    },
}

# Every enum whose values people read; the tests check each value of each has a label.
NAMED_ENUMS: tuple[type[enum.Enum], ...] = tuple(LABELS)

# Headings over a group of several of a kind, where a page lists them grouped.
HEADINGS: dict[type[enum.Enum], dict[Any, LazyString]] = {
    OrganisationKind: {
        OrganisationKind.WEN: _l("Wildlife Enforcement Networks"),
        OrganisationKind.COUNTRY: _l("Countries"),
        OrganisationKind.IGO: _l("Intergovernmental organizations"),
        OrganisationKind.CSO: _l("Civil society organizations"),
        OrganisationKind.DONOR: _l("Donors"),
        OrganisationKind.OTHER: _l("Other participants"),
    },
    OutcomeKind: {
        OutcomeKind.DECISION: _l("Decisions"),
        OutcomeKind.RECOMMENDATION: _l("Recommendations"),
        OutcomeKind.CONCLUSION: _l("Conclusions"),
    },
}


def label(value: enum.Enum, *, heading: bool = False) -> str:
    """The value's label in the current language; `heading=True` for a group's heading.

    Only enum members are named: a bare string could be a value of two enums.
    """
    if not isinstance(value, enum.Enum):
        raise TypeError(f"label() names enum values, not {type(value).__name__}")
    table = HEADINGS if heading else LABELS
    return str(table[type(value)][value])


def choices(values: Iterable[enum.Enum]) -> list[SelectChoice]:
    """A form's choices for these values, in the order given, each with its label."""
    return [SelectChoice(str(v.value), LABELS[type(v)][v]) for v in values]


__all__ = ["HEADINGS", "LABELS", "NAMED_ENUMS", "choices", "label"]
