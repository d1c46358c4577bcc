"""The rules about accounts: creation, passwords, appointments and API tokens."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email

from ..extensions import db
from ..models import AccountRole, ApiToken, Meeting, MeetingRole, User

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message says why."""


def email_key(email: str) -> str:
    return email.strip().casefold()


def find_user(email: str) -> User | None:
    return db.session.scalar(sa.select(User).where(User.email_key == email_key(email)))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password(user: User, password: str) -> bool:
    if not user.password_hash:
        return False
    try:
        return _hasher.verify(user.password_hash, password)
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
    try:
        address = validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise AccountError(f"{email!r} is not a valid e-mail address: {exc}") from exc
    if find_user(address) is not None:
        raise AccountError(f"an account for {address} exists already")
    if role in (AccountRole.ORGANISER, AccountRole.RAPPORTEUR) and meeting is None:
        raise AccountError(f"a {role.value} account needs --meeting SLUG")
    if password is not None and len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    user = User(
        email=address,
        email_key=email_key(address),
        password_hash=hash_password(password) if password else None,
        is_admin=role is AccountRole.ADMIN,
    )
    db.session.add(user)
    if meeting is not None and role is not AccountRole.ADMIN:
        user.meeting_roles.append(MeetingRole(meeting=meeting, role=role))
    db.session.flush()
    return user


def create_token(user: User, label: str | None = None) -> str:
    """A new API token for the user; only its hash is kept, so this is the one chance to see it."""
    token = "evt_" + secrets.token_urlsafe(32)
    db.session.add(ApiToken(user=user, token_hash=token_digest(token), label=label))
    db.session.flush()
    return token


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
