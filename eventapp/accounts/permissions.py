"""Who may do what: the one place that says it.

Every view declares its rule with @allow(RULE). A request to a view without a declared rule is
refused (deny by default), and a test walks the URL map to keep every route declared.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import Flask, abort, current_app, jsonify, redirect, request, url_for
from flask_login import current_user

from ..extensions import db
from ..lookups import find_session, requested_meeting
from ..models import (
    AccountRole,
    Delegation,
    FocalPoint,
    Meeting,
    Participant,
    RegistrationStatus,
    Session,
    User,
)

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Rule:
    """Who may use a view; `check` gets the account (None if anonymous) and the URL arguments."""

    name: str
    check: Callable[[User | None, dict[str, Any]], bool]
    needs_account: bool = True


def meeting_from(args: dict[str, Any]) -> Meeting | None:
    """The meeting named by the URL's slug, looked up once per request."""
    slug = args.get("slug")
    return None if slug is None else requested_meeting(slug)


def has_meeting_role(user: User, meeting: Meeting, role: AccountRole) -> bool:
    return any(r.meeting_id == meeting.id and r.role is role for r in user.meeting_roles)


def is_organiser(user: User | None, meeting: Meeting | None) -> bool:
    """Admins and the meeting's appointed organisers see and manage everything of it."""
    if user is None or meeting is None:
        return False
    return user.is_admin or has_meeting_role(user, meeting, AccountRole.ORGANISER)


def focal_delegations(user: User | None, meeting: Meeting | None) -> list[Delegation]:
    """The delegations of the meeting the account is a focal point of (usually one)."""
    if user is None or meeting is None:
        return []
    return list(
        db.session.scalars(
            sa.select(Delegation)
            .join(FocalPoint, FocalPoint.delegation_id == Delegation.id)
            .where(FocalPoint.user_id == user.id, Delegation.meeting_id == meeting.id)
            .order_by(Delegation.name)
        )
    )


def is_focal_point(user: User | None, meeting: Meeting | None) -> bool:
    return bool(focal_delegations(user, meeting))


def speaks_for_delegation(user: User | None, meeting: Meeting | None, ref: str) -> bool:
    """The account is a focal point of the meeting's delegation `ref`, or an organiser."""
    if is_organiser(user, meeting):
        return True
    return any(d.ref == ref for d in focal_delegations(user, meeting))


def participant_of(user: User | None, meeting: Meeting | None) -> Participant | None:
    """The account's own registration for the meeting: the same e-mail is the same person."""
    if user is None or meeting is None:
        return None
    return db.session.scalar(
        sa.select(Participant).where(
            Participant.meeting_id == meeting.id, Participant.email_key == user.email_key
        )
    )


def is_chair(user: User | None, meeting: Meeting | None) -> bool:
    """The meeting's chair, as named in the meeting, approves its records."""
    if user is None or meeting is None or meeting.chair is None:
        return False
    return meeting.chair.email_key == user.email_key and (
        meeting.chair.status is RegistrationStatus.APPROVED
    )


def is_rapporteur(user: User | None, meeting: Meeting | None) -> bool:
    """Appointed rapporteurs of the meeting, and participants named rapporteur of a session."""
    if user is None or meeting is None:
        return False
    if has_meeting_role(user, meeting, AccountRole.RAPPORTEUR):
        return True
    return (
        db.session.scalar(
            sa.select(sa.func.count(Session.id))
            .join(Participant, Session.rapporteur_id == Participant.id)
            .where(Session.meeting_id == meeting.id, Participant.email_key == user.email_key)
        )
        or 0
    ) > 0


def is_session_rapporteur(user: User | None, session: Session) -> bool:
    """The participant named rapporteur of the session is the account of the same address."""
    return (
        user is not None
        and session.rapporteur is not None
        and session.rapporteur.email_key == user.email_key
    )


def may_keep(user: User | None, meeting: Meeting, session: Session) -> bool:
    """May read and write the record: its rapporteur, the meeting's chair, its organisers."""
    return (
        is_session_rapporteur(user, session)
        or is_chair(user, meeting)
        or is_organiser(user, meeting)
    )


def may_approve(user: User | None, meeting: Meeting) -> bool:
    """May approve a record (or return it): the meeting's chair and its organisers."""
    return is_chair(user, meeting) or is_organiser(user, meeting)


def sees_every_record(user: User | None, meeting: Meeting) -> bool:
    """The records' list shows every session to those who approve, only their own to others."""
    return may_approve(user, meeting)


def _organiser(user: User | None, args: dict[str, Any]) -> bool:
    return is_organiser(user, meeting_from(args))


def _record_keeper(user: User | None, args: dict[str, Any]) -> bool:
    meeting = meeting_from(args)
    session = find_session(meeting, args.get("ref", "")) if meeting else None
    if meeting is None or session is None:
        abort(404)
    return may_keep(user, meeting, session)


def _organiser_or_focal_point(user: User | None, args: dict[str, Any]) -> bool:
    meeting = meeting_from(args)
    return is_organiser(user, meeting) or is_focal_point(user, meeting)


def _delegation_speaker(user: User | None, args: dict[str, Any]) -> bool:
    return speaks_for_delegation(user, meeting_from(args), str(args.get("ref", "")))


def _record_team(user: User | None, args: dict[str, Any]) -> bool:
    meeting = meeting_from(args)
    return is_organiser(user, meeting) or is_chair(user, meeting) or is_rapporteur(user, meeting)


PUBLIC = Rule("anyone", lambda user, args: True, needs_account=False)
SIGNED_IN = Rule("any signed-in account", lambda user, args: user is not None)
ADMIN = Rule("administrators", lambda user, args: user is not None and user.is_admin)
ORGANISER = Rule("the meeting's organisers and administrators", _organiser)
# The routes that serve a focal point answer for their own delegations only.
ORGANISER_OR_FOCAL_POINT = Rule(
    "the meeting's organisers, administrators and the focal points of its organisations",
    _organiser_or_focal_point,
)
# A delegation's pages (URL argument `ref`: the organisation's reference in the meeting).
DELEGATION_SPEAKER = Rule(
    "the organisation's focal points, the meeting's organisers and administrators",
    _delegation_speaker,
)
RECORD_TEAM = Rule(
    "the meeting's rapporteurs, its chair, its organisers and administrators", _record_team
)
RECORD_KEEPER = Rule(
    "the session's rapporteur, the meeting's chair, its organisers and administrators",
    _record_keeper,
)


def may_appoint(user: User | None, meeting: Meeting, role: AccountRole) -> bool:
    """Organisers appoint rapporteurs; only administrators appoint organisers."""
    if user is None:
        return False
    if role is AccountRole.ORGANISER:
        return user.is_admin
    return role is AccountRole.RAPPORTEUR and is_organiser(user, meeting)


def allow(rule: Rule) -> Callable[[F], F]:
    """Declare who may use a view. The check itself runs in `enforce` before every request."""

    def mark(view: F) -> F:
        view.access_rule = rule  # type: ignore[attr-defined]
        return view

    return mark


def rule_of(app: Flask, endpoint: str) -> Rule | None:
    view = app.view_functions.get(endpoint)
    return getattr(view, "access_rule", None)


def current_account() -> User | None:
    """The account behind this request: an API token on /api/, the session cookie elsewhere."""
    if request.path.startswith("/api/"):
        from ..api.auth import token_user

        return token_user()
    user = current_user._get_current_object() if current_user.is_authenticated else None
    return user if isinstance(user, User) else None


def signed_in_account() -> User:
    """The account of a request whose route lets no one in without one (SIGNED_IN and stricter)."""
    user = current_account()
    if user is None:  # not reached: the route's rule answered first
        abort(401)
    return user


def _has_nul(values: Any) -> bool:
    if not values:
        return False
    items = list(values.items(multi=True) if hasattr(values, "getlist") else values.items())
    return any("\x00" in f"{key}{value}" for key, value in items)


def _static_endpoint(endpoint: str) -> bool:
    return endpoint == "static" or endpoint.endswith(".static")


def enforce() -> Any:
    """before_request: apply the view's rule; no rule declared means no access."""
    endpoint = request.endpoint
    if endpoint is None or _static_endpoint(endpoint):
        return None  # 404s and static files
    if _has_nul(request.view_args) or _has_nul(request.args) or _has_nul(request.form):
        # No text we store or look up contains NUL (PostgreSQL refuses it): bad input, said so.
        abort(400, description="The request contains a NUL character.")
    rule = rule_of(current_app, endpoint)
    if rule is None:
        current_app.logger.error("route %s declares no access rule: refused", endpoint)
        abort(403)
    if not rule.needs_account:
        return None
    user = current_account()
    if user is None:
        return _needs_sign_in()
    args = request.view_args or {}
    if "slug" in args and meeting_from(args) is None:
        abort(404)
    if not rule.check(user, args):
        abort(403)
    return None


def _needs_sign_in() -> Any:
    if request.path.startswith("/api/"):
        body = {"error": {"code": "unauthorized", "message": "A valid bearer token is required."}}
        response = jsonify(body)
        response.status_code = 401
        response.headers["WWW-Authenticate"] = 'Bearer realm="eventapp"'
        return response
    return redirect(url_for("accounts.login", next=request.full_path.rstrip("?")))


__all__ = [
    "ADMIN",
    "ORGANISER",
    "PUBLIC",
    "RECORD_KEEPER",
    "RECORD_TEAM",
    "SIGNED_IN",
    "Rule",
    "allow",
    "current_account",
    "enforce",
    "is_chair",
    "is_organiser",
    "is_rapporteur",
    "is_session_rapporteur",
    "may_appoint",
    "may_approve",
    "may_keep",
    "meeting_from",
    "participant_of",
    "sees_every_record",
]
