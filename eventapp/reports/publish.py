"""Publishing a report: a new immutable version, numbered 1, 2, 3... per meeting, kind and language.

A version's file is written once and never overwritten; its SHA-256 is of those exact bytes.
Publishing again is a new version, even when nothing changed. The service only flushes; the
caller commits.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import uuid
from pathlib import Path

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..extensions import db
from ..locking import lock_meeting
from ..models import Meeting, ReportKind, ReportVersion, User
from ..models.types import utcnow
from . import render

logger = logging.getLogger(__name__)


PUBLISH_ATTEMPTS = 5


class PublishError(RuntimeError):
    """A report could not be published (unknown language, store not writable...)."""


class VersionTaken(PublishError):
    """Other publications kept taking the next version number."""


class QueueUnreachable(PublishError):
    """The job queue (REDIS_URL) did not take the publication."""


class StoreNotWritable(PublishError):
    """The report store refused the file (read-only, full, not a folder...); nothing is kept."""


def reports_dir() -> Path:
    return Path(current_app.config["REPORTS_DIR"]).resolve()


def stored_name(meeting: Meeting, kind: ReportKind, lang: str, version: int) -> str:
    """Where a version lives, relative to REPORTS_DIR: <slug>/<kind>-<lang>-v<N>.pdf."""
    return f"{meeting.slug}/{kind.value}-{lang}-v{version}.pdf"


def newest_version(meeting: Meeting, kind: ReportKind, lang: str) -> int:
    """The highest published version number, 0 while none is published."""
    highest = db.session.scalar(
        sa.select(sa.func.max(ReportVersion.version)).where(
            ReportVersion.meeting_id == meeting.id,
            ReportVersion.kind == kind,
            ReportVersion.language == lang,
        )
    )
    return highest or 0


def publish_report(
    meeting: Meeting, kind: ReportKind, lang: str, *, actor: User | None = None
) -> ReportVersion:
    """Render the report from the approved records and store it as the next version.

    The row is flushed before the file is written, so that a concurrent publisher of the same
    number fails on the unique constraint instead of racing for the file.
    """
    if lang not in current_app.config["LANGUAGES"]:
        raise PublishError(f"unsupported language {lang!r}")
    for _attempt in range(PUBLISH_ATTEMPTS):
        number = newest_version(meeting, kind, lang) + 1
        published_at = utcnow()
        pdf = render.report_pdf(
            meeting, kind, lang, preview=False, version=number, issued=published_at.date()
        )
        # Publishers of a meeting take turns from here to the commit (the file write only); on
        # SQLite this write also opens the transaction the savepoint below belongs to, which a
        # savepoint alone would commit when released.
        lock_meeting(meeting)
        if newest_version(meeting, kind, lang) >= number:
            logger.info("version %d of %s %s published meanwhile; retrying", number, kind, lang)
            continue
        version = ReportVersion(
            meeting_id=meeting.id,
            kind=kind,
            language=lang,
            version=number,
            sha256=hashlib.sha256(pdf).hexdigest(),
            filename=stored_name(meeting, kind, lang, number),
            size=len(pdf),
            published_at=published_at,
        )
        try:
            with db.session.begin_nested():
                db.session.add(version)
        except IntegrityError:
            # Another publisher took this number first: render again as the next one.
            logger.info("version %d of %s %s taken meanwhile; retrying", number, kind, lang)
            continue
        break
    else:
        raise VersionTaken("other publications kept taking the next version number; try again")
    # The row is only flushed: if the file cannot be written, the caller rolls the row back.
    _write_once(reports_dir() / version.filename, pdf)
    version.published_by = actor.email if actor else None
    audit.log(
        "report.published",
        meeting=meeting,
        target=version.filename,
        details={"version": number, "sha256": version.sha256},
        actor=actor,
    )
    logger.info(
        "published %s %s %s version %d sha256 %s",
        meeting.slug,
        kind.value,
        lang,
        number,
        version.sha256,
    )
    return version


def _write_once(path: Path, data: bytes) -> None:
    """Create the file with exactly these bytes, whole or not at all.

    The bytes go to a temporary file beside it, renamed into place once complete, so a full or
    read-only store leaves nothing behind (StoreNotWritable). An existing file is never
    overwritten: one that no committed version holds is moved aside first.
    """
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            # No committed version holds this number (the flush above proved it), so the file is
            # left over from a publish whose transaction never committed: keep it aside, unread.
            aside = path.with_name(f"{path.name}.orphan-{utcnow():%Y%m%dT%H%M%S%f}")
            path.rename(aside)
            logger.warning("moved a file no version refers to aside: %s -> %s", path, aside.name)
        with partial.open("xb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, path)
    except OSError as exc:
        logger.error("report store refused %s: %s", path, exc)
        raise StoreNotWritable(
            f"the report store cannot take {path.name}: {exc.strerror or exc} ({path.parent})"
        ) from exc
    finally:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)


class StoredFileMissing(LookupError):
    """A published version's file is not in the store."""


class StoredFileChanged(RuntimeError):
    """A published version's file no longer has the SHA-256 it was published with."""


def published_versions(meeting: Meeting) -> list[ReportVersion]:
    """Every published version of the meeting's documents, by kind and language, newest first."""
    return list(
        db.session.scalars(
            sa.select(ReportVersion)
            .where(ReportVersion.meeting_id == meeting.id)
            .order_by(ReportVersion.kind, ReportVersion.language, ReportVersion.version.desc())
        )
    )


def find_version(
    meeting: Meeting, kind: ReportKind, lang: str, number: int | None = None
) -> ReportVersion | None:
    """A published version: the given number, or the newest one; None if there is none."""
    query = sa.select(ReportVersion).where(
        ReportVersion.meeting_id == meeting.id,
        ReportVersion.kind == kind,
        ReportVersion.language == lang,
    )
    if number is not None:
        query = query.where(ReportVersion.version == number)
    return db.session.scalar(query.order_by(ReportVersion.version.desc()).limit(1))


def read_version(version: ReportVersion) -> bytes:
    """The exact bytes that were published, checked against their SHA-256 before anyone gets them.

    StoredFileMissing or StoredFileChanged rather than ever serving a different file.
    """
    store = reports_dir()
    path = (store / version.filename).resolve()
    if not path.is_relative_to(store):
        raise StoredFileMissing(f"{version.filename} lies outside the report store")
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise StoredFileMissing(f"{path} is missing") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != version.sha256:
        raise StoredFileChanged(f"{path} has sha256 {digest}, published as {version.sha256}")
    return data
