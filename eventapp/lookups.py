"""Finding a meeting, a session and a registration by their public keys: the one way.

(And an account by the id the administrators' pages carry.)

A meeting is known by its slug, a session and a registration by (meeting, ref). The `find_`
functions answer None for a key that names nothing, or that cannot be a key at all (too long,
a NUL, which PostgreSQL refuses); services and commands use them. The `_or_404` functions are
what views and the API call; the API's error handler turns the 404 into its JSON error.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import abort, g, has_request_context
from sqlalchemy.orm.interfaces import ORMOption

from .extensions import db
from .models import Delegation, Meeting, Participant, Session, User

KEY_LENGTH = 64  # slugs and refs are VARCHAR(64)


def _could_be_key(text: str | None) -> bool:
    return text is not None and 0 < len(text) <= KEY_LENGTH and "\x00" not in text


def find_meeting(slug: str | None) -> Meeting | None:
    """The meeting with that slug."""
    if slug is None or not _could_be_key(slug):
        return None
    return db.session.scalar(_BY_SLUG, {"slug": slug})


_BY_SLUG = sa.select(Meeting).where(Meeting.slug == sa.bindparam("slug"))  # every request's


def could_be_key(text: str | None) -> bool:
    """Whether the text could be a slug or a ref (else it names nothing, unasked)."""
    return _could_be_key(text)


def with_meeting(query: sa.Select[Any]) -> sa.Select[Any]:
    """The query's rows, each with the meeting whose slug is bound as "slug" (or None): for a
    request's first query, which then tells requested_meeting (remember_meeting)."""
    return query.add_columns(Meeting).outerjoin(Meeting, Meeting.slug == sa.bindparam("slug"))


def remember_meeting(slug: str, meeting: Meeting | None) -> None:
    """What a query of the request's own found for the URL's slug (the API token's, which
    reads the meeting with it), for requested_meeting to answer without asking again."""
    g.setdefault("_meetings_by_slug", {})[slug] = meeting


def requested_meeting(slug: str | None) -> Meeting | None:
    """The meeting a request's URL names, read once per request: the access rule and the
    view share it. Outside a request, as find_meeting."""
    if not has_request_context():
        return find_meeting(slug)
    cache: dict[str | None, Meeting | None] = g.setdefault("_meetings_by_slug", {})
    if slug not in cache:
        cache[slug] = find_meeting(slug)
    return cache[slug]


def meeting_or_404(slug: str) -> Meeting:
    """The meeting a URL names; 404 when there is none."""
    meeting = requested_meeting(slug)
    if meeting is None:
        abort(404)
    return meeting


def find_session(meeting: Meeting, ref: str, *load: ORMOption) -> Session | None:
    """The meeting's session with that ref; `load`: what the caller needs loaded with it."""
    if not _could_be_key(ref):
        return None
    return db.session.scalar(
        sa.select(Session)
        .where(Session.meeting_id == meeting.id, Session.ref == ref)
        .options(*load)
    )


def session_or_404(meeting: Meeting, ref: str, *load: ORMOption) -> Session:
    session = find_session(meeting, ref, *load)
    if session is None:
        abort(404)
    return session


def find_registration(meeting: Meeting, ref: str) -> Participant | None:
    """The meeting's registration (participant) with that ref."""
    if not _could_be_key(ref):
        return None
    return db.session.scalar(
        sa.select(Participant).where(Participant.meeting_id == meeting.id, Participant.ref == ref)
    )


def find_delegation(meeting: Meeting, ref: str) -> Delegation | None:
    """The meeting's organisation (delegation) with that ref."""
    if not _could_be_key(ref):
        return None
    return db.session.scalar(
        sa.select(Delegation).where(Delegation.meeting_id == meeting.id, Delegation.ref == ref)
    )


def registration_or_404(meeting: Meeting, ref: str) -> Participant:
    person = find_registration(meeting, ref)
    if person is None:
        abort(404)
    return person


def account_or_404(user_id: int) -> User:
    """An account by its id, as the administrators' pages name it."""
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


__all__ = [
    "account_or_404",
    "find_meeting",
    "find_registration",
    "find_session",
    "meeting_or_404",
    "registration_or_404",
    "requested_meeting",
    "session_or_404",
]
