"""Outgoing e-mail through a transactional outbox.

send() adds the message to the `outbox` table in the caller's transaction: a change that rolls
back sends nothing, and a committed one is never lost. After the request (and by
`flask --app wsgi mail deliver`) the due rows leave: by SMTP to MAIL_URL or as an .eml file in
OUTBOX_DIR, delivered here, or with REDIS_URL by an RQ job that drains the outbox (one job
queued at a time, whatever the number of requests). A failure is logged and kept on its row
(attempts, last error), and the row is tried again later with a growing delay; it never fails
the request that caused the message. Notices (send_notice) are written when they first leave.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import smtplib
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Any, cast
from urllib.parse import unquote, urlsplit

import idna
import sqlalchemy as sa
from flask import current_app, g, has_request_context, render_template
from flask_babel import get_locale
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from . import unit_of_work
from .batched import write_with_commit
from .extensions import db
from .models.outbox import OutboxMessage
from .models.types import utcnow

logger = logging.getLogger(__name__)

# Only when the application was configured without load_config (config.DEVELOPMENT_SENDER).
SENDER = "eventapp <no-reply@eventapp.invalid>"
QUEUE = "mail"
# A delivery holds its row this long; past it, another delivery may take the row again.
LEASE = timedelta(minutes=5)
# After the n-th failure the row waits BACKOFF * 2**(n-1), at most MAX_BACKOFF.
BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=6)
_table = cast(sa.Table, OutboxMessage.__table__)


class MailNotSent(RuntimeError):
    """The mail server would not take a message; the message says why."""


# -- composing -------------------------------------------------------------------------------


def one_line(text: str) -> str:
    """Header text on one line: CR, LF and the other line breaks become spaces."""
    text = " ".join(part.strip() for part in text.splitlines())
    return "".join(ch if ch.isprintable() else " " for ch in text).strip()


def envelope_address(address: str) -> tuple[str, bool]:
    """The address as the envelope carries it, and whether that needs SMTPUTF8.

    A non-ASCII domain is written as its A-label (IDNA), which every server takes; only a
    non-ASCII local part needs an internationalised (SMTPUTF8) message.
    """
    local, at, domain = one_line(address).rpartition("@")
    if not at:
        return domain, not domain.isascii()
    if not domain.isascii():
        # One IDNA refuses stays UTF-8: a server with SMTPUTF8 may still take it.
        with contextlib.suppress(idna.IDNAError):
            domain = idna.encode(domain, uts46=True).decode("ascii")
    address = f"{local}@{domain}"
    return address, not address.isascii()


@dataclass(frozen=True)
class Attachment:
    """A file sent with a message (the agenda as .ics, say)."""

    filename: str
    content: bytes
    mimetype: str  # "text/calendar"
    params: tuple[tuple[str, str], ...] = ()


def sender() -> str:
    """The configured sender (MAIL_FROM), as the From header carries it."""
    return one_line(str(current_app.config.get("MAIL_FROM") or SENDER))


def language(*preferred: str | None) -> str:
    """The first of these languages the application speaks, else its default one."""
    spoken = current_app.config["LANGUAGES"]
    for lang in preferred:
        if lang in spoken:
            return str(lang)
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


_LINK = re.compile(r"https?://[^\s<>\"]+")
# Punctuation that ends a sentence rather than the link it follows.
_TRAILING = ".,;:!?)»"


@dataclass(frozen=True)
class Piece:
    """A run of a line: text, or a link whose text is its address."""

    text: str
    link: bool = False


def pieces(line: str) -> list[Piece]:
    """A line cut into text and links (http and https only), for the HTML part."""
    found: list[Piece] = []
    at = 0
    for match in _LINK.finditer(line):
        url = match.group(0).rstrip(_TRAILING)
        if match.start() > at:
            found.append(Piece(line[at : match.start()]))
        found.append(Piece(url, link=True))
        at = match.start() + len(url)
    if at < len(line):
        found.append(Piece(line[at:]))
    return found


def paragraphs(body: str) -> list[list[list[Piece]]]:
    """The text as paragraphs (blank-line separated), each a list of lines cut into pieces."""
    blocks = re.split(r"\n\s*\n", body.replace("\r\n", "\n").strip())
    return [[pieces(line) for line in block.split("\n")] for block in blocks if block.strip()]


def html_body(subject: str, body: str) -> str:
    """The HTML part: the same paragraphs and links as the text, every value escaped."""
    # A signature ("-- " on a line of its own) is set apart, smaller, under a rule.
    text, _, signature = body.replace("\r\n", "\n").partition("\n-- \n")
    return render_template(
        "mail/message.html",
        subject=subject,
        paragraphs=paragraphs(text),
        signature=paragraphs(signature),
        lang=str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"]),
    )


def compose(
    to: str, subject: str, body: str, *, attachments: Sequence[Attachment] = ()
) -> EmailMessage:
    """A message with its text, the same as HTML (multipart/alternative, text first), and any
    attachments; headers are set through the API, so nothing in them is injected."""
    address, international = envelope_address(to)
    # SMTPUTF8 writes a UTF-8 address as it is, never as an RFC 2047 word inside the address.
    message = EmailMessage(policy=policy.SMTPUTF8 if international else policy.default)
    from_ = sender()
    message["From"] = from_
    message["To"] = address
    message["Subject"] = one_line(subject)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=_id_domain(from_))
    message.set_content(body)
    message.add_alternative(html_body(one_line(subject), body), subtype="html")
    for file in attachments:
        maintype, _, subtype = file.mimetype.partition("/")
        message.add_attachment(
            file.content,
            maintype=maintype,
            subtype=subtype,
            filename=file.filename,
            params=dict(file.params),
        )
    return message


def _id_domain(from_: str) -> str:
    """The sender's domain for Message-IDs (as A-label), else eventapp.invalid."""
    domain = envelope_address(parseaddr(from_)[1])[0].rpartition("@")[2]
    return domain if domain and domain.isascii() else "eventapp.invalid"


# -- queueing in the caller's transaction ------------------------------------------------------


def send(message: EmailMessage) -> int:
    """Store the message in the outbox, in the caller's transaction; it leaves after the commit.
    The row's id."""
    recipient = message["To"].addresses[0].addr_spec
    return cast(int, _store(recipient, message=_raw(message)))


# A notice's kind -> what writes its message from the notice's data (None: nobody to tell now).
NoticeWriter = Callable[[dict[str, Any]], EmailMessage | None]
_writers: dict[str, NoticeWriter] = {}


def notice_writer(kind: str) -> Callable[[NoticeWriter], NoticeWriter]:
    """Register the writer of one kind of notice (see send_notice)."""

    def register(writer: NoticeWriter) -> NoticeWriter:
        _writers[kind] = writer
        return writer

    return register


def send_notice(to: str, kind: str, **data: Any) -> None:
    """Store a notice in the outbox, in the caller's transaction: what it says (`data`, plain
    JSON values), written into a message by its kind's writer when it first leaves.

    For the messages that changes of many rows cause (registrations, decisions): writing one
    (its language, HTML part, attachments) costs more than the change, and the change may hold
    the meeting's lock. The data is what holds at the time of the change (a status, say); the
    writer reads the rest as it stands when the message leaves.
    """
    notice = {"kind": kind, **data}
    _store(envelope_address(to)[0], notice=notice)


# Built once; statements rather than the unit of work, as the outbox's rows are written once
# and never read back by the request (a registration stores one under the meeting's lock).
_INSERT = sa.insert(_table).returning(_table.c.id)
_INSERT_WITH_COMMIT = sa.insert(_table).inline()  # no id read back


def _store(
    recipient: str, *, message: bytes | None = None, notice: dict[str, Any] | None = None
) -> int | None:
    """A row into the caller's transaction, due now; a request notes it, to hand it on once
    committed (after_request, request_outbox_ids). Its id; None for a notice on PostgreSQL,
    whose row leaves with the COMMIT (eventapp/batched.py), an id nobody waits for."""
    now = utcnow()
    values: dict[str, Any] = {"recipient": recipient, "created_at": now, "next_attempt_at": now}
    # Only what is given: a JSON column would keep None as JSON's null, not SQL's NULL.
    if message is not None:
        values["message"] = message
    row_id: int | None = None
    if notice is not None:
        values["notice"] = notice
        write_with_commit(_INSERT_WITH_COMMIT, values)
    else:
        row_id = int(db.session.execute(_INSERT, values).scalar_one())
    if has_request_context():
        g.setdefault("mail_rows", []).append(row_id)
    return row_id


def _raw(message: EmailMessage) -> bytes:
    # CRLF line ends, as SMTP wants them (servers refuse bare LF); .eml files take them too.
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def _written(session: Session, row: dict[str, Any]) -> bytes | None:
    """The row's message, written from its notice the first time (and kept, so that a retry
    sends the same words); None for a notice with nobody left to tell, whose row is gone."""
    if row["message"] is not None:
        return bytes(row["message"])
    notice = dict(row["notice"] or {})
    writer = _writers.get(str(notice.get("kind")))
    if writer is None:
        raise MailNotSent(f"no writer for a notice of kind {notice.get('kind')!r}")
    message = writer(notice)
    if message is None:
        session.execute(sa.delete(_table).where(_table.c.id == row["id"]))
        session.commit()
        logger.info("message %s: nobody to tell any more (%s)", row["id"], notice.get("kind"))
        return None
    raw = _raw(message)
    session.execute(sa.update(_table).where(_table.c.id == row["id"]).values(message=raw))
    session.commit()
    return raw


def after_request() -> bool:
    """Called once the request's unit of work is over: True when it committed mail to deliver.

    A request that was rolled back took its messages with it: nothing is left to send.
    """
    return bool(g.get("mail_rows")) and unit_of_work.committed()


# -- delivering --------------------------------------------------------------------------------


@dataclass
class Delivery:
    """What one round of delivery did."""

    sent: int = 0
    queued: int = 0
    failed: int = 0


def deliver_due(limit: int | None = 50) -> Delivery:
    """Hand on the messages that are due (a few at a time after requests); never raises.

    With REDIS_URL, an RQ worker delivers them (see hand_on); else they are delivered here.
    """
    if current_app.config.get("REDIS_URL"):
        return hand_on()
    return deliver_here(limit)


def deliver_here(limit: int | None = 50) -> Delivery:
    """Deliver the messages that are due, in this process; never raises."""
    done = Delivery()
    now = utcnow()
    try:
        with Session(db.engine) as session:
            query = (
                sa.select(_table.c.id)
                .where(_table.c.next_attempt_at <= now)
                .order_by(_table.c.next_attempt_at, _table.c.id)
            )
            due = session.scalars(query.limit(limit) if limit else query).all()
    except SQLAlchemyError:
        logger.exception("the outbox could not be read; its messages wait for the next delivery")
        return done
    for outbox_id in due:
        try:
            outcome = _deliver_one(outbox_id)
        except Exception:  # never let mail fail its caller
            logger.exception("message %s: delivery failed unexpectedly", outbox_id)
            outcome = "failed"
        if outcome == "sent":
            done.sent += 1
        elif outcome == "failed":
            done.failed += 1
    return done


def _claim(session: Session, outbox_id: int) -> dict[str, Any] | None:
    """Take the row for this delivery if it is still due (another worker may have it)."""
    now = utcnow()
    taken = cast(
        sa.CursorResult[Any],
        session.execute(
            sa.update(_table)
            .where(_table.c.id == outbox_id, _table.c.next_attempt_at <= now)
            .values(next_attempt_at=now + LEASE)
        ),
    )
    session.commit()
    if taken.rowcount != 1:
        return None
    row = session.execute(sa.select(_table).where(_table.c.id == outbox_id)).mappings().first()
    return dict(row) if row else None


def _failed(session: Session, row: dict[str, Any], error: BaseException) -> None:
    attempts = row["attempts"] + 1
    wait = min(BACKOFF * 2 ** (attempts - 1), MAX_BACKOFF)
    reason = f"{type(error).__name__}: {error}"[:500]
    session.execute(
        sa.update(_table)
        .where(_table.c.id == row["id"])
        .values(attempts=attempts, last_error=reason, next_attempt_at=utcnow() + wait)
    )
    session.commit()
    logger.warning(
        "message %s to %s not delivered (attempt %d, next in %s): %s",
        row["id"],
        row["recipient"],
        attempts,
        wait,
        reason,
    )


def _deliver_one(outbox_id: int) -> str:
    with Session(db.engine) as session:
        row = _claim(session, outbox_id)
        if row is None:
            return "busy"
        try:
            raw = _written(session, row)
            if raw is None:
                return "dropped"
            where = transmit(raw, row["recipient"])
        except Exception as exc:
            session.rollback()
            _failed(session, row, exc)
            return "failed"
        session.execute(sa.delete(_table).where(_table.c.id == outbox_id))
        session.commit()
    logger.info("message %s to %s delivered to %s", outbox_id, row["recipient"], where)
    return "sent"


# -- handing on to RQ ---------------------------------------------------------------------------

# The drain's flag, read and set by a request that stored mail (one Lua call, atomic):
# - absent: no drain is coming; the request sets "queued" and queues a drain job;
# - "queued": a drain job waits in the queue and has not started since the flag was set;
# - a time T (seconds since the epoch): a drain job started and promises to scan the outbox,
#   from the start, at T or later before it stops, so that it finds every message committed
#   before T. A job's first promise is its start plus DRAIN_LEASE; it renews it while messages
#   keep arriving. A T about to pass counts as absent.
# So a request that finds (or sets) "queued" at time t knows that its messages until t plus
# DRAIN_LEASE will be found (a job starting after t promises to scan after that); one that
# finds a T knows it until T. It keeps that time and, until it is near, asks Redis nothing: a
# burst of registrations costs a round trip to Redis every second or so per worker, not one
# per registration. The flag expires, should the workers be stopped for that long.
DRAIN_QUEUED = "eventapp:mail:drain-queued"
DRAIN_QUEUED_FOR = 300  # seconds
DRAIN_LEASE = 2.0  # seconds a drain job promises to scan for, from its start or its renewal
DRAIN_POLL = 0.2  # seconds between the scans of a drain waiting for its promise to pass
# A drain renews its promise for this long at most, then lets it pass and ends, and the next
# request queues the next drain: the workers also publish reports, which wait meanwhile.
DRAIN_RENEWED_FOR = 30.0  # seconds
CLOCK_MARGIN = 0.5  # seconds: the clocks of a web worker and a drain may differ by this much
_QUEUED = b"queued"
# KEYS[1]: the flag; ARGV: now, the margin, the flag's expiry. Returns the flag as found, or
# false when this call set it to "queued" (the caller queues the drain).
_CHECK_AND_SET = """
local found = redis.call('GET', KEYS[1])
if found then
  local promise = tonumber(found)
  if (not promise) or (promise - tonumber(ARGV[2]) > tonumber(ARGV[1])) then
    return found
  end
end
redis.call('SET', KEYS[1], 'queued', 'EX', ARGV[3])
return false
"""
_clients: dict[str, Any] = {}
_scripts: dict[str, Any] = {}  # _CHECK_AND_SET, by URL (sent once, then called by its hash)
# By Redis URL: until when this process's messages are sure to be found (see DRAIN_QUEUED).
_promised: dict[str, float] = {}


def _redis() -> Any:
    """One client per process and URL: connecting costs more than the registration it serves.
    Short timeouts: an unreachable queue must not hold up the answer to a request."""
    url = str(current_app.config["REDIS_URL"])
    if url not in _clients:
        from redis import Redis

        _clients[url] = Redis.from_url(url, socket_connect_timeout=2, socket_timeout=5)
    return _clients[url]


def hand_on(outbox_ids: Sequence[int] | None = None) -> Delivery:
    """Make sure an RQ job will deliver the outbox: one job drains every message that is due,
    however many requests stored them; none is queued while one waits, and a request asks
    nothing of Redis while a running drain has promised to look again (see DRAIN_QUEUED).

    `outbox_ids`: the messages this call is about (a request's own); when the queue cannot be
    reached they are kept with the error and tried again later (None: every due message).
    """
    from redis.exceptions import RedisError

    url = str(current_app.config["REDIS_URL"])
    now = time.time()
    if _promised.get(url, 0.0) - CLOCK_MARGIN > now:
        return Delivery(queued=1)  # committed before the drain's promised scan
    try:
        connection = _redis()
        if url not in _scripts:
            _scripts[url] = connection.register_script(_CHECK_AND_SET)
        found = _scripts[url](
            keys=[DRAIN_QUEUED], args=[repr(now), repr(CLOCK_MARGIN), DRAIN_QUEUED_FOR]
        )
        if found is None:
            _queue_drain(connection)
        _promised[url] = now + DRAIN_LEASE if found in (None, _QUEUED) else float(found)
        return Delivery(queued=1)
    except RedisError as exc:
        logger.warning("the mail queue cannot be reached; the outbox waits: %s", exc)
        _postpone(outbox_ids, exc)
        return Delivery(failed=1)


def _queue_drain(connection: Any) -> None:
    from rq import Queue

    try:
        Queue(QUEUE, connection=connection).enqueue(
            drain_job, description="deliver the e-mail outbox"
        )
    except BaseException:
        connection.delete(DRAIN_QUEUED)
        raise


def _postpone(outbox_ids: Sequence[int] | None, error: BaseException) -> None:
    """Messages that could not be handed on: counted as a failed attempt, with the error, due
    again after the usual wait (the next hand-over, or `flask mail deliver`, takes them)."""
    reason = f"{type(error).__name__}: {error}"[:500]
    now = utcnow()
    where = (
        _table.c.id.in_(list(outbox_ids))
        if outbox_ids is not None
        else _table.c.next_attempt_at <= now
    )
    try:
        with Session(db.engine) as session:
            session.execute(
                sa.update(_table)
                .where(where, _table.c.attempts == 0)
                .values(attempts=1, last_error=reason, next_attempt_at=now + BACKOFF)
            )
            session.commit()
    except SQLAlchemyError:
        logger.exception("the outbox could not be updated; its messages stay due")


def request_outbox_ids() -> list[int] | None:
    """The ids of the messages the request stored (after its commit); None when some are not
    known (notices written with the commit): then they are the due messages."""
    rows = list(g.get("mail_rows", ()))
    return None if None in rows else rows


def drain_job() -> str:
    """The RQ job: deliver every due message, with an application of its own made from the
    worker's environment, for as long as it promised in the flag (see DRAIN_QUEUED)."""
    from rq import get_current_job

    from . import create_app

    job = get_current_job()
    connection = job.connection if job is not None else None
    # Without a queue (called in-process) there is no flag, and no promise to keep.
    promise = time.time() + (DRAIN_LEASE if connection is not None else 0)
    if connection is not None:  # "queued" becomes the promise of the job now started
        connection.set(DRAIN_QUEUED, repr(promise), ex=DRAIN_QUEUED_FOR)
    app = create_app()
    with app.app_context():
        try:
            done = _drain(connection, promise)
            return f"delivered {done.sent}, failed {done.failed}"
        finally:
            # The job's own connections end with it, the one the notices were read with too.
            db.session.remove()
            db.engine.dispose()


def _drain(connection: Any, promise: float) -> Delivery:
    """Scan the outbox, and keep the promise made in the flag: stop only after a scan begun at
    the promised time or later found nothing due. While messages keep arriving (a burst of
    registrations), renew the promise, so that their requests need not ask Redis."""
    done = Delivery()
    renew_until = time.time() + DRAIN_RENEWED_FOR
    while True:
        began = time.time()
        more = deliver_here(limit=None)
        done = Delivery(done.sent + more.sent, done.queued, done.failed + more.failed)
        busy = bool(more.sent or more.failed)
        if not busy and began >= promise:
            return done
        renewing = connection is not None and began < renew_until
        if busy and renewing and promise - time.time() < 1:
            promise = time.time() + DRAIN_LEASE  # renewed with a second or less to run
            connection.set(DRAIN_QUEUED, repr(promise), ex=DRAIN_QUEUED_FOR)
        if not busy:
            time.sleep(DRAIN_POLL)  # for the promise to pass, looking now and then


def transmit(raw: bytes, recipient: str) -> str:
    """Send one stored message now; returns where it went, raises when it could not."""
    config = current_app.config
    mail_url = config.get("MAIL_URL")
    if not mail_url:
        return _write_eml(Path(config["OUTBOX_DIR"]), raw)
    parts = urlsplit(mail_url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 25
    envelope_from = envelope_address(parseaddr(str(config.get("MAIL_FROM") or SENDER))[1])[0]
    international = not (recipient.isascii() and envelope_from.isascii())
    with smtplib.SMTP(host, port, timeout=config.get("MAIL_TIMEOUT", 10)) as smtp:
        smtp.ehlo()
        if parts.scheme == "smtp+starttls":
            smtp.starttls()
            smtp.ehlo()
        if parts.username:
            smtp.login(unquote(parts.username), unquote(parts.password or ""))
        options: list[str] = []
        if international:
            if not smtp.has_extn("smtputf8"):
                raise MailNotSent(
                    f"the mail server {host}:{port} does not offer SMTPUTF8, which the "
                    f"address {recipient} needs; the message stays in the outbox"
                )
            options = ["SMTPUTF8", *(["BODY=8BITMIME"] if smtp.has_extn("8bitmime") else [])]
        smtp.sendmail(envelope_from, [recipient], raw, mail_options=options)
    return f"{host}:{port}"


def _write_eml(folder: Path, raw: bytes) -> str:
    """The message as an .eml file, whole or not at all (written aside, then renamed)."""
    folder.mkdir(parents=True, exist_ok=True)
    name = uuid.uuid4().hex
    partial = folder / f".{name}.tmp"
    try:
        partial.write_bytes(raw)
        os.replace(partial, folder / f"{name}.eml")
    finally:
        partial.unlink(missing_ok=True)
    return str(folder / f"{name}.eml")
