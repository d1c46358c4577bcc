"""What many tests do the same way: sign in as a browser does, call the API, read answers back.

Test modules import these (and tests/factories.py), never each other.
"""

from __future__ import annotations

import email
import os
import re
import socket
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from eventapp.extensions import db
from eventapp.models import Meeting, OutboxMessage, Participant, RegistrationStatus

from .factories import DEMO_SLUG, PASSWORD, api_token, make_account

REGISTER = f"/meetings/{DEMO_SLUG}/register"
REGISTRATIONS = f"/api/v1/meetings/{DEMO_SLUG}/registrations"
SESSIONS = f"/api/v1/meetings/{DEMO_SLUG}/sessions"
# The mark every page of a preview carries (reports not published).
PREVIEW = "PREVIEW – NOT PUBLISHED"


# -- the browser -------------------------------------------------------------------------------


# The organiser the `desk` fixture (tests/conftest.py) signs in.
DESK_ORGANISER = "desk@example.org"


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    """The CSRF token of the client's session, read from a form page as a browser would."""
    html = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
        r'name="csrf_token" value="([^"]+)"', html
    )
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD) -> TestResponse:
    token = csrf_token(client)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


def registration_form(
    client: FlaskClient, token_from: str = REGISTER, **overrides: str
) -> dict[str, str]:
    """The online registration form as Malee Suksawat fills it in, with the CSRF token."""
    data = {
        "csrf_token": csrf_token(client, token_from),
        "organisation": "th",
        "honorific": "Ms",
        "given_name": "Malee",
        "family_name": "Suksawat",
        "position": "Customs officer",
        "email": "malee@example.org",
        "role": "delegate",
        "dietary": "vegetarian",
        "list_consent": "y",
    }
    data.update(overrides)
    return data


def form_fields(html: str) -> dict[str, str]:
    """What the browser would send back as the form stands (inputs and selected options)."""
    fields: dict[str, str] = {}
    for tag in re.findall(r"<input\b[^>]*>", html):
        attributes = dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        name = attributes.get("name")
        if not name:
            continue
        if attributes.get("type") in ("checkbox", "radio"):
            # As a browser does: a box is sent only when ticked.
            if re.search(r"\schecked(?:[\s>=/])", tag):
                fields[name] = attributes.get("value", "on")
            continue
        fields[name] = attributes.get("value", "")
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option selected value="([^"]*)"', body) or re.search(
            r'<option value="([^"]*)" selected', body
        )
        first = re.search(r'<option[^>]*value="([^"]*)"', body)
        # As a browser does: the selected option, else the first one.
        fields[name] = chosen.group(1) if chosen else (first.group(1) if first else "")
    for name, text in re.findall(
        r'<textarea[^>]*name="([^"]+)"[^>]*>\r?\n?(.*?)</textarea>', html, re.S
    ):
        fields[name] = text
    return {k: v.replace("&#39;", "'").replace("&amp;", "&") for k, v in fields.items()}


# -- the API -----------------------------------------------------------------------------------


def bearer(email: str) -> dict[str, str]:
    """The Authorization header of a new token of that account."""
    return {"Authorization": f"Bearer {api_token(email)}"}


def organiser_headers(meeting: Meeting, email: str = "org@example.org") -> dict[str, str]:
    """The Authorization header of a new organiser of the meeting."""
    make_account(email, "organiser", meeting=meeting)
    return bearer(email)


def assert_error(response: TestResponse, status: int, code: str) -> dict[str, Any]:
    """The API's one error shape, with the status and code expected; returns the error."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.get_json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == code
    assert isinstance(body["error"]["message"], str) and body["error"]["message"]
    return cast(dict[str, Any], body["error"])


def registration_count(status: RegistrationStatus | None = None) -> int:
    """How many registrations are stored (of that status), as the database holds them now."""
    query = sa.select(sa.func.count(Participant.id))
    if status is not None:
        query = query.where(Participant.status == status)
    return db.session.scalar(query) or 0


@contextmanager
def counted() -> Iterator[list[str]]:
    """Every SQL statement sent to the database while the block runs."""
    statements: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)


# -- documents ---------------------------------------------------------------------------------


def normalised(doc: dict[str, Any]) -> dict[str, Any]:
    """List order aside, as the contract allows."""
    out = dict(doc)
    for key in ("organisations", "participants", "rooms", "sessions"):
        out[key] = sorted(doc[key], key=lambda item: item["ref"])
    return out


def pdftotext(pdf: bytes, *, layout: bool = False) -> str:
    """The text poppler reads from the PDF; pages separated by form feeds."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        args = ["pdftotext", "-enc", "UTF-8", *(["-layout"] if layout else []), file.name, "-"]
        return subprocess.run(args, check=True, capture_output=True, text=True).stdout


# -- mail --------------------------------------------------------------------------------------


def outbox_rows() -> list[OutboxMessage]:
    """The messages waiting in the outbox, oldest first, as the database holds them now."""
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def eml_files(app: Flask) -> list[Path]:
    """The messages delivered so far (without MAIL_URL each is an .eml file)."""
    folder = Path(app.config["OUTBOX_DIR"])
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def delivered_to(app: Flask, address: str) -> list[EmailMessage]:
    """Every delivered message addressed to that address."""
    found = []
    for path in sorted(eml_files(app), key=lambda p: p.stat().st_mtime_ns):
        message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
        if message["To"] == address:
            found.append(message)
    return found


def mail_text(message: EmailMessage | bytes) -> str:
    """The plain-text part of a message (or of its bytes), as shown without HTML."""
    if isinstance(message, bytes):
        message = email.message_from_bytes(message, policy=policy.default)
    part = message.get_body(preferencelist=("plain",))
    assert part is not None, "the message has no plain-text part"
    return str(cast(EmailMessage, part).get_content())


def texts_to(app: Flask, address: str) -> list[str]:
    """The plain text of every message delivered to the address, oldest first."""
    return [mail_text(message) for message in delivered_to(app, address)]


def closed_port() -> int:
    """A loopback port nothing listens on: connections are refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Received:
    """What a loopback SMTP server (aiosmtpd) was given: sender, recipients, options, bytes."""

    def __init__(self) -> None:
        self.envelopes: list[tuple[str, list[str], list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.envelopes.append(
            (
                envelope.mail_from,
                list(envelope.rcpt_tos),
                list(envelope.mail_options),
                envelope.original_content,
            )
        )
        return "250 OK"

    def messages(self) -> list[EmailMessage]:
        """Each message as its recipient's mail program reads it."""
        return [email.message_from_bytes(raw, policy=policy.default) for *_, raw in self.envelopes]


@contextmanager
def smtp_server(*, utf8: bool = True) -> Iterator[tuple[int, Received]]:
    """A real SMTP server on loopback for the duration: its port and what it received."""
    from aiosmtpd.controller import Controller

    received = Received()
    controller = Controller(
        received, hostname="127.0.0.1", port=closed_port(), enable_SMTPUTF8=utf8
    )
    controller.start()
    try:
        yield controller.port, received
    finally:
        controller.stop()


def redis_or_skip(url: str) -> Any:
    """A connection to an emptied Redis database, or the test is skipped (never in CI)."""
    from redis import Redis
    from redis.exceptions import ConnectionError as RedisDown

    connection = Redis.from_url(url)
    try:
        connection.ping()
    except RedisDown:
        if os.environ.get("CI"):
            raise
        pytest.skip(f"Redis does not answer at {url} (.ci/run starts it)")
    connection.flushdb()
    return connection


def reset_link(app: Flask, address: str) -> str:
    """The path of the password-reset link last mailed to that address."""
    links = [
        found.group(1)
        for message in delivered_to(app, address)
        if (found := re.search(r"http://\S+(/password/reset/\S+)", mail_text(message)))
    ]
    assert links, f"no reset link was mailed to {address}"
    return links[-1]


@contextmanager
def another_app(app: Flask, **config: Any) -> Iterator[Flask]:
    """A second application on the suite's database, as another worker would be; given back.

    `create_app` hands the one limiter to the newest application: it goes back to the suite's.
    """
    from eventapp import create_app
    from eventapp.extensions import limiter

    other = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
            "OUTBOX_DIR": app.config["OUTBOX_DIR"],
            "FAST_PASSWORD_HASHING": True,
            **config,
        }
    )
    try:
        yield other
    finally:
        with other.app_context():
            db.engine.dispose()
        limiter.init_app(app)


_LIBICAL_EVENTS = """
import sys
import gi
gi.require_version("ICalGLib", "3.0")
from gi.repository import ICalGLib
cal = ICalGLib.Component.new_from_string(sys.stdin.read())
errors = cal.count_errors()
event = cal.get_first_component(ICalGLib.ComponentKind.VEVENT_COMPONENT)
while event is not None:
    print(event.get_uid(), event.get_sequence(), event.get_status().value_nick)
    event = cal.get_next_component(ICalGLib.ComponentKind.VEVENT_COMPONENT)
print("errors", errors)
"""


def libical_events(text: str) -> tuple[int, dict[str, tuple[int, str]]]:
    """What libical (Debian's binding, run by the system Python) reads in an iCalendar text.

    The errors it counts, and each event's session ref (its UID's first part) with its
    SEQUENCE and STATUS.
    """
    import shutil

    import pytest

    python = shutil.which("python3", path="/usr/bin")
    probe = [python or "python3", "-c", "import gi; gi.require_version('ICalGLib', '3.0')"]
    if python is None or subprocess.run(probe, capture_output=True).returncode:
        pytest.skip("libical's GObject binding (gir1.2-ical-3.0) is not installed")
    run = subprocess.run(
        [python, "-c", _LIBICAL_EVENTS], input=text, capture_output=True, text=True, check=True
    )
    *lines, errors = run.stdout.splitlines()
    events = {}
    for line in lines:
        uid, sequence, status = line.split()
        events[uid.split(".")[0]] = (int(sequence), status)
    return int(errors.removeprefix("errors ")), events


AGENDA_MANAGE = f"/meetings/{DEMO_SLUG}/manage/agenda"


def session_form(client: FlaskClient, **fields: Any) -> dict[str, Any]:
    """The organisers' add-a-session form, filled in for a side event of the demo meeting."""
    data: dict[str, Any] = {
        "csrf_token": csrf_token(client, AGENDA_MANAGE),
        "ref": "s-side",
        "title": "Side event: forensics",
        "kind": "side_event",
        "start": "2013-03-05T12:45",
        "end": "2013-03-05T13:45",
        "room": "room-b",
        "public": "y",
    }
    data.update(fields)
    return data


def at_once(app: Flask, jobs: list[Callable[[FlaskClient], Any]]) -> list[Any]:
    """Run each job in its own thread with its own client, all released together."""
    barrier = threading.Barrier(len(jobs))
    results: list[Any] = [None] * len(jobs)

    def run(index: int) -> None:
        client = app.test_client()
        barrier.wait()
        results[index] = jobs[index](client)

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results
