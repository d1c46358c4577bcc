"""The data model, one module per aggregate."""

from . import content  # noqa: F401  (registers the content-version listener)
from .account import AccountRole, ApiToken, MeetingRole, User
from .agenda import Room, Session, SessionKind, SessionPerson, SessionRole
from .agenda_version import AgendaVersion, Change
from .audit import AuditEntry
from .meeting import Approval, Meeting
from .organisation import (
    KIND_ORDER,
    Delegation,
    FocalPoint,
    NominationLetter,
    Organisation,
    OrganisationKind,
)
from .outbox import Attempt, OutboxMessage
from .participant import (
    PARTICIPATION_ROLES,
    Participant,
    ParticipantRole,
    RegistrationStatus,
)
from .record import Outcome, OutcomeKind, Record, RecordRevision, RecordStatus, RevisionChange
from .report import ReportKind, ReportVersion

__all__ = [
    "KIND_ORDER",
    "PARTICIPATION_ROLES",
    "AccountRole",
    "AgendaVersion",
    "ApiToken",
    "Approval",
    "Attempt",
    "AuditEntry",
    "Change",
    "Delegation",
    "FocalPoint",
    "Meeting",
    "MeetingRole",
    "NominationLetter",
    "Organisation",
    "OrganisationKind",
    "OutboxMessage",
    "Outcome",
    "OutcomeKind",
    "Participant",
    "ParticipantRole",
    "Record",
    "RecordRevision",
    "RecordStatus",
    "RegistrationStatus",
    "ReportKind",
    "ReportVersion",
    "RevisionChange",
    "Room",
    "Session",
    "SessionKind",
    "SessionPerson",
    "SessionRole",
    "User",
]
