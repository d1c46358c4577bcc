"""Bearer-token authentication for the API (never the session cookie, so no CSRF exposure)."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import g, request
from sqlalchemy.orm import joinedload

from ..accounts.service import token_digest
from ..extensions import db
from ..lookups import could_be_key, remember_meeting, with_meeting
from ..models import ApiToken, User
from ..models.types import utcnow

# Recording every use would turn each read into a write; once in a while is enough. The use is
# saved with the request's unit of work: by any request that succeeds, reads included.
LAST_USED_RESOLUTION = timedelta(minutes=5)


# One query for the token and its account, built once: every API request asks; and, when
# the URL names a meeting, the meeting too, which the access rule asks next.
_BY_DIGEST = (
    sa.select(ApiToken)
    .where(ApiToken.token_hash == sa.bindparam("digest"))
    # The account's roles too: the access rule asks them next (admins aside).
    .options(joinedload(ApiToken.user).joinedload(User.meeting_roles))
)
_BY_DIGEST_WITH_MEETING = with_meeting(_BY_DIGEST)


def _token(digest: str) -> ApiToken | None:
    slug = (request.view_args or {}).get("slug")
    if slug is None or not could_be_key(slug):
        return db.session.scalars(_BY_DIGEST, {"digest": digest}).unique().one_or_none()
    found = (
        db.session.execute(_BY_DIGEST_WITH_MEETING, {"digest": digest, "slug": slug})
        .unique()
        .one_or_none()
    )
    if found is None:
        return None
    remember_meeting(slug, found[1])
    return found[0]


def token_user() -> User | None:
    """The account whose valid token this request carries, looked up once per request."""
    if "api_user" in g:
        return g.api_user
    g.api_user = None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    row = _token(token_digest(token.strip()))
    if row is None or row.revoked_at is not None or not row.user.active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        row.last_used_at = now
    g.api_user = row.user
    return row.user
