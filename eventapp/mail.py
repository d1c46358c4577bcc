"""Outgoing e-mail: SMTP when MAIL_URL is set, else an .eml file in the outbox folder.

With REDIS_URL set, delivery runs as an RQ job so a request never waits on a mail server.
"""

from __future__ import annotations

import smtplib
import uuid
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app

SENDER = "eventapp <no-reply@eventapp.invalid>"


def compose(to: str, subject: str, body: str) -> EmailMessage:
    """A plain-text message; headers are set through the API, so nothing in them is injected."""
    message = EmailMessage()
    message["From"] = current_app.config.get("MAIL_SENDER", SENDER)
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="eventapp.invalid")
    message.set_content(body)
    return message


def send(message: EmailMessage) -> None:
    """Deliver now, or hand to the queue when there is one."""
    raw = message.as_bytes()
    mail_url = current_app.config.get("MAIL_URL")
    outbox = str(current_app.config["OUTBOX_DIR"])
    redis_url = current_app.config.get("REDIS_URL")
    if redis_url and not current_app.config.get("TESTING"):
        from redis import Redis
        from rq import Queue

        Queue("mail", connection=Redis.from_url(redis_url)).enqueue(deliver, raw, mail_url, outbox)
        return
    deliver(raw, mail_url, outbox)


def deliver(raw: bytes, mail_url: str | None, outbox: str) -> str:
    """Send one message (also the RQ job); returns where it went."""
    if mail_url:
        parts = urlsplit(mail_url)
        with smtplib.SMTP(parts.hostname or "127.0.0.1", parts.port or 25, timeout=30) as smtp:
            if parts.scheme == "smtp+starttls":
                smtp.starttls()
            if parts.username:
                smtp.login(parts.username, parts.password or "")
            sender, recipients = _envelope(raw)
            smtp.sendmail(sender, recipients, raw)
        return mail_url
    folder = Path(outbox)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.eml"
    path.write_bytes(raw)
    return str(path)


def _envelope(raw: bytes) -> tuple[str, list[str]]:
    from email import message_from_bytes
    from email.utils import getaddresses

    parsed = message_from_bytes(raw)
    sender = getaddresses([parsed.get("From", SENDER)])[0][1]
    return sender, [address for _, address in getaddresses(parsed.get_all("To", []))]
