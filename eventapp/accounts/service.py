"""The rules about accounts: creation, passwords, appointments and API tokens."""

from __future__ import annotations

import contextlib
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any, cast

import sqlalchemy as sa
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from .. import audit, mail
from ..agenda import people
from ..batched import batches, write_with_commit
from ..extensions import db
from ..localtime import page_language
from ..locking import lock_meeting
from ..mailbox import mailbox_key
from ..models import (
    AccountRole,
    ApiToken,
    AuditEntry,
    Meeting,
    MeetingRole,
    Participant,
    RegistrationStatus,
    User,
)
from ..models.types import utcnow
from . import notices

MIN_PASSWORD_LENGTH = 10

# OWASP's argon2id baseline: about 0.1 s a hash on a small server core.
PRODUCTION_HASHER = PasswordHasher(time_cost=2, memory_cost=19456, parallelism=1)
# Tests sign in hundreds of times; strength is not what they measure.
TEST_HASHER = PasswordHasher.from_parameters(profiles.CHEAPEST)
_dummy_hashes: dict[int, str] = {}


def _hasher() -> PasswordHasher:
    return TEST_HASHER if current_app.config.get("FAST_PASSWORD_HASHING") else PRODUCTION_HASHER


def _dummy_hash() -> str:
    """A hash to verify against when no account matches, made with the hasher in use."""
    hasher = _hasher()
    if id(hasher) not in _dummy_hashes:
        _dummy_hashes[id(hasher)] = hasher.hash("no account has this password")
    return _dummy_hashes[id(hasher)]


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message says why."""


_BY_MAILBOX = sa.select(User).where(User.email_key == sa.bindparam("key"))


def find_user(email: str) -> User | None:
    """The account of the mailbox this address names, however its case or domain is written."""
    return db.session.scalar(_BY_MAILBOX, {"key": mailbox_key(email)})


def _valid_address(email: str) -> str:
    """The address as it is kept (normalised), or AccountError saying it is not one."""
    try:
        # The same addresses as registration takes, internationalised ones included.
        found = validate_email(email.strip(), check_deliverability=False, allow_smtputf8=True)
    except EmailNotValidError as exc:
        raise AccountError(_("%(email)s is not a valid e-mail address.", email=email)) from exc
    return found.normalized


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def check_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _hasher().verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def create_user(
    email: str,
    role: AccountRole,
    *,
    meeting: Meeting | None = None,
    password: str | None = None,
) -> User:
    """A new account; organisers and rapporteurs are appointed to the meeting given."""
    address = _valid_address(email)
    if find_user(address) is not None:
        raise AccountError(_("An account for %(email)s exists already.", email=address))
    if role in (AccountRole.ORGANISER, AccountRole.RAPPORTEUR) and meeting is None:
        raise AccountError(
            _("A %(role)s account needs a meeting (--meeting SLUG).", role=role.value)
        )
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
        )
    user = User(
        email=address,
        email_key=mailbox_key(address),
        password_hash=hash_password(password) if password else None,
        is_admin=role is AccountRole.ADMIN,
    )
    db.session.add(user)
    if meeting is not None and role in (AccountRole.ORGANISER, AccountRole.RAPPORTEUR):
        user.meeting_roles.append(MeetingRole(meeting=meeting, role=role))
    db.session.flush()
    audit.log(
        "account.created",
        meeting=meeting,
        target=address,
        details={"role": role.value},
    )
    return user


def create_token(user: User, label: str | None = None) -> str:
    """A new API token for the user; only its hash is kept, so this is the one chance to see it."""
    token = "evt_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=token_digest(token), label=label))
    db.session.flush()
    audit.log("token.created", target=label or user.email)
    return token


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


# -- signing in ---------------------------------------------------------------------------


def authenticate(email: str, password: str) -> User | None:
    """The active account with this address and password, else None (never says which failed)."""
    user = find_user(email)
    if user is None or not user.password_hash:
        # As long as a wrong password takes, so the answer's timing tells nothing either.
        with contextlib.suppress(VerificationError, InvalidHashError):
            _hasher().verify(_dummy_hash(), password + "x")
        return None
    if not check_password(user, password) or not user.active:
        return None
    if _hasher().check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def set_password(user: User, password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _("The password must have at least %(n)d characters.", n=MIN_PASSWORD_LENGTH)
        )
    user.password_hash = hash_password(password)
    audit.log("account.password_set", target=user.email, actor=user)


def change_password(user: User, current: str, new: str) -> None:
    if not check_password(user, current):
        raise AccountError(_("The current password is not right."))
    set_password(user, new)


# -- password reset -----------------------------------------------------------------------

RESET_MAX_AGE = 60 * 60  # seconds
INVITATION_MAX_AGE = 14 * 24 * 60 * 60  # seconds: a fortnight


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="password-reset")


def _password_fingerprint(user: User) -> str:
    # Changes with the password, so a link works once: after a reset it no longer matches.
    return hashlib.sha256((user.password_hash or "none").encode()).hexdigest()[:16]


def reset_token(user: User) -> str:
    return _reset_serializer().dumps({"u": user.id, "p": _password_fingerprint(user)})


def _invitation_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="invitation")


def invitation_link(user: User) -> str:
    """The link that lets someone named to a role (a focal point, say) choose their password:
    the reset page's, valid for INVITATION_MAX_AGE rather than an hour, since the person did
    not ask for it and may read it days later; it works once, as a reset link does."""
    token = _invitation_serializer().dumps({"u": user.id, "p": _password_fingerprint(user)})
    return f"{current_app.config['BASE_URL']}/password/reset/{token}"


def user_for_reset_token(token: str) -> User | None:
    """The account a reset link is for, if the link is genuine, unused and under an hour old
    (an invitation's: under INVITATION_MAX_AGE)."""
    try:
        data = _reset_serializer().loads(token, max_age=RESET_MAX_AGE)
    except (BadSignature, SignatureExpired):
        try:
            data = _invitation_serializer().loads(token, max_age=INVITATION_MAX_AGE)
        except (BadSignature, SignatureExpired):
            return None
    if not isinstance(data, dict):
        return None
    user = db.session.get(User, data.get("u"))
    if user is None or not user.active or data.get("p") != _password_fingerprint(user):
        return None
    return user


def _chosen_language(email: str) -> str | None:
    """The language chosen for the mailbox's most recent registration that chose one."""
    return db.session.scalar(
        sa.select(Participant.language)
        .where(Participant.email_key == mailbox_key(email), Participant.language.is_not(None))
        .order_by(Participant.registered_at.desc().nulls_last(), Participant.id.desc())
        .limit(1)
    )


def send_password_reset(email: str) -> None:
    """Queue a reset link if the address has an active account; say nothing either way.

    Both ways do the same work, so the answer takes as long: the language is looked up, the
    message is composed, and an audit entry is committed by the caller; only for an account
    does the message go into the outbox, which delivers it after the answer, so no mail server
    is waited on. The message is in the language of the person's most recent registration
    (an account has none of its own), else in the page's.
    """
    user = find_user(email)
    known = user is not None and user.active
    address = user.email if user is not None and known else email.strip()[:254]
    token = reset_token(user) if user is not None and known else _reset_serializer().dumps({})
    message = notices.password_reset(
        address,
        f"{current_app.config['BASE_URL']}/password/reset/{token}",
        mail.language(_chosen_language(email), page_language()),
    )
    if known:
        mail.send(message)
    audit.log("account.password_reset_requested", target=address, actor=user if known else None)


# -- tokens and appointments --------------------------------------------------------------


def revoke_token(user: User, token_id: int) -> ApiToken:
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise AccountError(_("There is no such token."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        audit.log("token.revoked", target=token.label or f"token {token.id}")
    return token


# The roles an account holds in one meeting; the others (admin, participant) are not appointed.
MEETING_ROLES = (AccountRole.RAPPORTEUR, AccountRole.ORGANISER)
# Whom the team page finds by name: anyone registered, not those declined or cancelled.
REGISTERED = (
    RegistrationStatus.PENDING,
    RegistrationStatus.APPROVED,
    RegistrationStatus.WAITLISTED,
)


class NobodyFound(AccountError):
    """The text names no participant and is no e-mail address."""


class SeveralFound(AccountError):
    """The text fits several participants; `candidates` are their labels."""

    def __init__(self, message: str, candidates: list[str]):
        super().__init__(message)
        self.candidates = candidates


@dataclass(frozen=True)
class Appointee:
    """Whom an organiser means: the account, and their registration for the meeting if any."""

    user: User
    participant: Participant | None


def people_to_appoint(meeting: Meeting) -> people.Directory:
    """The participants the team page finds by name or e-mail, and suggests as one types."""
    return people.directory(meeting, among=REGISTERED)


def find_appointee(meeting: Meeting, text: str) -> Appointee:
    """The person a typed name, label or e-mail names: a participant of the meeting, else the
    account of any address (made, without a password, if new)."""
    text = text.strip()
    match = people_to_appoint(meeting).resolve(text)
    person = match.person
    if "@" in text and (
        person is None
        or people.folded(text) not in (people.folded(person.email), people.folded(person.label))
    ):
        # An address that is not exactly a participant's: that address, made an account if new.
        user = find_or_invite(text)
        return Appointee(user, _participant(meeting, email_key=user.email_key))
    if person is None and match.candidates:
        labels = [c.label for c in match.candidates]
        raise SeveralFound(
            _(
                "“%(text)s” fits several participants: %(names)s. Choose one of them, or type "
                "the e-mail address.",
                text=text,
                names="; ".join(labels),
            ),
            labels,
        )
    if person is None:
        raise NobodyFound(
            _(
                "No participant of this meeting is called “%(text)s”. Type a participant's name "
                "or an e-mail address.",
                text=text,
            )
        )
    participant = _participant(meeting, ref=person.ref)
    assert participant is not None  # the directory has just read it
    return Appointee(find_or_invite(participant.email), participant)


def _participant(
    meeting: Meeting, *, ref: str | None = None, email_key: str | None = None
) -> Participant | None:
    query = sa.select(Participant).where(Participant.meeting_id == meeting.id)
    if ref is not None:
        query = query.where(Participant.ref == ref)
    else:
        query = query.where(Participant.email_key == email_key)
    return db.session.scalar(query)


def appoint(user: User, meeting: Meeting, role: AccountRole) -> MeetingRole | None:
    """Make an account organiser or rapporteur of a meeting; None if it is one already."""
    if role not in MEETING_ROLES:
        raise AccountError(_("Only organisers and rapporteurs are appointed to a meeting."))
    lock_meeting(meeting)
    for existing in user.meeting_roles:
        if existing.meeting_id == meeting.id and existing.role is role:
            return None
    appointment = MeetingRole(meeting=meeting, role=role)
    user.meeting_roles.append(appointment)
    audit.log("team.appointed", meeting=meeting, target=user.email, details={"role": role.value})
    return appointment


def is_appointed(user: User, meeting: Meeting, role: AccountRole) -> bool:
    return any(r.meeting_id == meeting.id and r.role is role for r in user.meeting_roles)


def dismiss(user: User, meeting: Meeting, role: AccountRole) -> None:
    lock_meeting(meeting)
    for existing in list(user.meeting_roles):
        if existing.meeting_id == meeting.id and existing.role is role:
            user.meeting_roles.remove(existing)
            audit.log(
                "team.dismissed", meeting=meeting, target=user.email, details={"role": role.value}
            )


def find_or_invite(email: str) -> User:
    """The account for an address, created without a password if new (they reset it to start).

    Safe when the same new address arrives in several requests at once (registering for two
    meetings, say): the database's unique key decides which insert makes the account, and
    every request then reads that one.
    """
    user = find_user(email)
    if user is not None:
        return user
    address, created = _insert_account(email)
    if created is not None:
        audit.write(created)
    user = find_user(address)
    if user is None:  # accounts are deactivated, never deleted: not seen in practice
        raise RuntimeError(f"the account for {address} vanished while it was made")
    return user


# ON CONFLICT rather than a SAVEPOINT: pysqlite's savepoints outside a transaction commit.
# Built once per dialect: every registration of someone new makes an account.
_NEW_ACCOUNT = {
    dialect.__name__.rpartition(".")[2]: dialect.insert(
        cast(sa.Table, User.__table__)
    ).on_conflict_do_nothing(index_elements=["email_key"])
    for dialect in (postgresql, sqlite)
}


def _insert_account(email: str, *, normalised: bool = False) -> tuple[str, dict[str, Any] | None]:
    """Make the address's account without a password unless it has one, or a request at the
    same moment made it (the database's unique key decides). The address as kept, and the
    audit entry of the account when this call made it. `normalised`: the address is already
    as validate_email keeps it."""
    address = email if normalised else _valid_address(email)
    values = {"email": address, "email_key": mailbox_key(address), "password_hash": None}
    insert = _NEW_ACCOUNT[db.session.get_bind().dialect.name]
    result = db.session.execute(insert, values)
    if not cast(sa.CursorResult[Any], result).rowcount:
        return address, None
    details = {"role": AccountRole.PARTICIPANT.value}
    return address, audit.entry("account.created", target=address, details=details)


_users = cast(sa.Table, User.__table__)
_log = cast(sa.Table, AuditEntry.__table__)
_ENTRY_COLUMNS = ("at", "actor_id", "actor", "meeting_id", "action", "target", "details")
# On PostgreSQL, the account and its audit entry in one statement, which can leave with the
# COMMIT (eventapp/batched.py): the entry is written only if the INSERT made the account.
_NEW_ACCOUNT_AND_ENTRY = (
    sa.insert(_log)
    .from_select(
        list(_ENTRY_COLUMNS),
        sa.select(
            *(sa.bindparam(name, type_=_log.c[name].type) for name in _ENTRY_COLUMNS)
        ).select_from(
            postgresql.insert(_users)
            .values(
                email=sa.bindparam("email"),
                email_key=sa.bindparam("email_key"),
                password_hash=None,
                is_admin=False,
                active=True,
                created_at=sa.bindparam("at", type_=_users.c.created_at.type),
            )
            .on_conflict_do_nothing(index_elements=["email_key"])
            .returning(_users.c.id)
            .cte("made")
        ),
    )
    .inline()
)


def ensure_account(address: str) -> dict[str, Any] | None:
    """find_or_invite for a caller that needs no account object and has the address as
    registration keeps it (validated, normalised): one INSERT that does nothing when the
    account exists. The audit entry of a new account, for the caller to write with its own
    entries (audit.write), or None. On PostgreSQL the account and its entry leave with the
    COMMIT, and None is the answer (the caller needs no account object)."""
    if not batches():
        return _insert_account(address, normalised=True)[1]
    entry = audit.entry(
        "account.created", target=address, details={"role": AccountRole.PARTICIPANT.value}
    )
    write_with_commit(
        _NEW_ACCOUNT_AND_ENTRY,
        {"details": None, **entry, "email": address, "email_key": mailbox_key(address)},
    )
    return None


def set_active(user: User, active: bool) -> None:
    user.active = active
    audit.log("account.activated" if active else "account.deactivated", target=user.email)


@dataclass(frozen=True)
class AccountRow:
    """An account as the administrators' list shows it: each role, with its meeting's name."""

    id: int
    email: str
    active: bool
    roles: list[tuple[AccountRole, str | None]]


def account_list() -> list[AccountRow]:
    """Every account by address, administrators' role first, then appointments."""
    users = db.session.scalars(
        sa.select(User)
        .order_by(User.email_key)
        .options(selectinload(User.meeting_roles).selectinload(MeetingRole.meeting))
    )
    return [
        AccountRow(
            id=user.id,
            email=user.email,
            active=user.active,
            roles=([(AccountRole.ADMIN, None)] if user.is_admin else [])
            + [(r.role, r.meeting.short_title or r.meeting.slug) for r in user.meeting_roles],
        )
        for user in users
    ]


@dataclass(frozen=True)
class TeamMember:
    user_id: int
    email: str
    role: AccountRole
    name: str | None  # as registered for the meeting, if they are a participant of it


def meeting_team(meeting: Meeting) -> list[TeamMember]:
    """Who is appointed to the meeting, organisers first, with their names if registered."""
    registered = sa.and_(
        Participant.meeting_id == meeting.id, Participant.email_key == User.email_key
    )
    rows = db.session.execute(
        sa.select(
            User.id, User.email, MeetingRole.role, Participant.given_name, Participant.family_name
        )
        .join(MeetingRole, MeetingRole.user_id == User.id)
        .outerjoin(Participant, registered)
        .where(MeetingRole.meeting_id == meeting.id)
        .order_by(MeetingRole.role, User.email_key)
    ).all()
    return [
        TeamMember(user_id, email, role, f"{given} {family}" if given is not None else None)
        for user_id, email, role, given, family in rows
    ]
