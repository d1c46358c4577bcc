"""Publishing as a background job: on RQ workers when REDIS_URL is set, else in the request.

A full report of a large meeting takes tens of seconds to lay out; a web request should not
wait for it, and several web workers should not render at once.
"""

from __future__ import annotations

from flask import current_app

from ..extensions import db
from ..models import Meeting, ReportKind, ReportVersion, User
from .publish import QueueUnreachable, publish_report

QUEUE = "reports"


def request_publication(
    meeting: Meeting, kind: ReportKind, lang: str, actor: User | None
) -> ReportVersion | None:
    """Publish now (returns the version, flushed) or queue it (returns None)."""
    redis_url = current_app.config.get("REDIS_URL")
    if not redis_url:
        return publish_report(meeting, kind, lang, actor=actor)
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue

    connection = Redis.from_url(redis_url, socket_connect_timeout=2, socket_timeout=5)
    try:
        Queue(QUEUE, connection=connection).enqueue(
            publish_job,
            meeting.id,
            kind.value,
            lang,
            actor.id if actor else None,
            job_timeout=30 * 60,
            description=f"publish {meeting.slug} {kind.value} {lang}",
        )
    except RedisError as exc:
        raise QueueUnreachable(f"the job queue at REDIS_URL does not answer: {exc}") from exc
    return None


def publish_job(meeting_id: int, kind: str, lang: str, actor_id: int | None) -> str:
    """The RQ job: an application of its own, from the worker's environment."""
    from .. import create_app

    app = create_app()
    with app.app_context():
        try:
            meeting = db.session.get(Meeting, meeting_id)
            if meeting is None:
                return f"meeting {meeting_id} no longer exists: nothing published"
            actor = db.session.get(User, actor_id) if actor_id is not None else None
            version = publish_report(meeting, ReportKind(kind), lang, actor=actor)
            db.session.commit()
            return f"version {version.version} sha256 {version.sha256}"
        finally:
            db.session.remove()
            db.engine.dispose()  # the job's own connections end with it
