"""`flask --app wsgi ...` commands (contract, section 3): each a thin call into a service."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NoReturn

import click
import sqlalchemy as sa
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from .accounts import service as accounts
from .delegations import service as delegations
from .extensions import db
from .interchange import (
    InvalidDocument,
    MeetingNotFound,
    SlugTaken,
    export_meeting,
    import_meeting,
    parse_document,
)
from .interchange.exporter import load_meeting
from .models import AccountRole, Meeting, ReportKind


class CommandGroup(AppGroup):
    """A group whose commands answer a database failure with a sentence, not a traceback."""

    def invoke(self, ctx: click.Context) -> object:
        try:
            return super().invoke(ctx)
        except SQLAlchemyError as exc:
            db.session.rollback()
            reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
            click.echo(f"error: the database refused the command: {reason}", err=True)
            click.echo("Is the schema up to date? Run: flask --app wsgi db upgrade", err=True)
            sys.exit(1)


meeting_cli = CommandGroup("meeting", help="Import and export meetings (wen-meeting/1 documents).")
report_cli = CommandGroup("report", help="Render and publish the Chair's summary and full report.")
user_cli = CommandGroup("user", help="Manage accounts.")
token_cli = CommandGroup("token", help="Manage API tokens.")
demo_cli = CommandGroup("demo", help="The demo meeting.")


def fail(message: str) -> NoReturn:
    """Stop with a message on stderr and exit status 1, having written nothing."""
    db.session.rollback()
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


@meeting_cli.command("import")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--replace", is_flag=True, help="Replace the meeting with the same slug.")
def meeting_import(file: str, replace: bool) -> None:
    """Validate FILE and create the meeting it describes; prints the slug."""
    try:
        raw = sys.stdin.buffer.read() if file == "-" else Path(file).read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror}")
    try:
        result = import_meeting(parse_document(raw), replace=replace)
        db.session.commit()
    except InvalidDocument as exc:
        db.session.rollback()
        click.echo(f"error: {file} is not a valid wen-meeting/1 document:", err=True)
        for problem in exc.problems:
            click.echo(f"  {problem}", err=True)
        click.echo(f"{len(exc.problems)} problem(s); nothing was imported.", err=True)
        sys.exit(1)
    except SlugTaken as exc:
        fail(str(exc))
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(result.meeting.slug)


@meeting_cli.command("export")
@click.argument("slug")
@click.option(
    "--out", "out", type=click.Path(dir_okay=False), help="File to write (default stdout)."
)
def meeting_export(slug: str, out: str | None) -> None:
    """Write the meeting SLUG as a wen-meeting/1 document."""
    try:
        document = export_meeting(slug)
    except MeetingNotFound as exc:
        fail(str(exc))
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    if out and out != "-":
        Path(out).write_text(text, encoding="utf-8")
    else:
        click.echo(text, nl=False)


KIND_CHOICE = click.Choice([k.value for k in ReportKind])
LANG_CHOICE = click.Choice(["en", "fr", "es"])


@report_cli.command("render")
@click.argument("slug")
@click.option("--kind", type=KIND_CHOICE, required=True)
@click.option("--lang", type=LANG_CHOICE, default="en", show_default=True)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False),
    required=True,
    help="PDF file to write; a name ending in .html writes the HTML instead.",
)
def report_render(slug: str, kind: str, lang: str, out: str) -> None:
    """Render a preview of a report from the approved records; nothing is published."""
    from .reports import render

    try:
        meeting = load_meeting(slug)
    except MeetingNotFound as exc:
        fail(str(exc))
    target = Path(out)
    try:
        if target.suffix.lower() in (".html", ".htm"):
            target.write_text(
                render.report_html(meeting, ReportKind(kind), lang, preview=True), encoding="utf-8"
            )
        else:
            target.write_bytes(render.report_pdf(meeting, ReportKind(kind), lang, preview=True))
    except OSError as exc:
        fail(f"cannot write {out}: {exc.strerror or exc}")
    click.echo(str(target))


@report_cli.command("publish")
@click.argument("slug")
@click.option("--kind", type=KIND_CHOICE, required=True)
@click.option("--lang", type=LANG_CHOICE, default="en", show_default=True)
def report_publish(slug: str, kind: str, lang: str) -> None:
    """Render and publish a new immutable version; prints `version N sha256 HEX`."""
    from .reports import publish

    try:
        meeting = load_meeting(slug)
    except MeetingNotFound as exc:
        fail(str(exc))
    try:
        version = publish.publish_report(meeting, ReportKind(kind), lang)
    except publish.PublishError as exc:
        fail(f"nothing published: {exc}")
    db.session.commit()
    click.echo(f"version {version.version} sha256 {version.sha256}")


FOCAL_POINT = "focal-point"


@user_cli.command("create")
@click.argument("email")
@click.option(
    "--role",
    type=click.Choice([r.value for r in AccountRole] + [FOCAL_POINT]),
    required=True,
)
@click.option(
    "--meeting", "slug", help="The meeting an organiser, rapporteur or focal point serves."
)
@click.option("--organisation", "ref", help="The organisation (its ref) a focal point speaks for.")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def user_create(
    email: str, role: str, slug: str | None, ref: str | None, password_stdin: bool
) -> None:
    """Create an account."""
    meeting = None
    if slug:
        try:
            meeting = load_meeting(slug)
        except MeetingNotFound as exc:
            fail(str(exc))
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else None
    if role == FOCAL_POINT:
        _create_focal_point(email, meeting, ref, password)
        return
    if ref:
        fail("--organisation is for a focal point (--role focal-point) only")
    try:
        user = accounts.create_user(email, AccountRole(role), meeting=meeting, password=password)
        db.session.commit()
    except accounts.AccountError as exc:
        fail(str(exc))
    where = f" of {slug}" if slug and role != "admin" else ""
    click.echo(f"created {role}{where}: {user.email}")


def _create_focal_point(
    email: str, meeting: Meeting | None, ref: str | None, password: str | None
) -> None:
    """An organisation's focal point: its account (made if new), then the appointment. An
    account that exists already is appointed as it is."""
    if meeting is None or not ref:
        fail("a focal point needs a meeting and an organisation: --meeting SLUG --organisation REF")
    assert meeting is not None and ref is not None
    found = delegations.delegation(meeting, ref)
    if found is None:
        fail(f"the meeting {meeting.slug} has no organisation with ref {ref!r}")
    assert found is not None
    try:
        existing = accounts.find_user(email)
        if existing is not None and password is not None:
            fail(f"an account for {existing.email} exists already: its password is left as it is")
        if existing is None:
            accounts.create_user(email, AccountRole.PARTICIPANT, password=password)
        user, appointed = delegations.appoint_focal_point(meeting, found, email)
        db.session.commit()
    except accounts.AccountError as exc:
        fail(str(exc))
    done = "created" if existing is None else ("appointed" if appointed else "already")
    click.echo(f"{done} focal-point of {found.ref} at {meeting.slug}: {user.email}")


@token_cli.command("create")
@click.argument("email")
@click.option("--label", help="What the token is for.")
def token_create(email: str, label: str | None) -> None:
    """Print a new API token for the account EMAIL (shown once, stored hashed)."""
    user = accounts.find_user(email)
    if user is None:
        fail(f"no account for {email}")
    token = accounts.create_token(user, label)
    db.session.commit()
    click.echo(token)


@demo_cli.command("load")
def demo_load() -> None:
    """Load the demo meeting and demo accounts, where absent."""
    from .demo import DEMO_SLUG, load_demo

    if current_app.config["EVENTAPP_ENV"] == "production":
        fail("the demo accounts have known passwords: demo load is refused in production")
    created, demo_accounts = load_demo()
    db.session.commit()
    base = current_app.config["BASE_URL"]
    click.echo(f"demo meeting {'loaded' if created else 'present'}: {base}/meetings/{DEMO_SLUG}/")
    click.echo("demo accounts (email / password):")
    for account in demo_accounts:
        click.echo(f"  {account.email:<24} {account.password:<22} {account.what}")


mail_cli = CommandGroup("mail", help="The outbox of e-mail waiting to be delivered.")


@mail_cli.command("deliver")
def mail_deliver() -> None:
    """Deliver every message that is due (also those that failed before and waited)."""
    from . import mail
    from .models import OutboxMessage

    done = mail.deliver_here(limit=None)  # here, whether or not RQ workers run
    waiting = db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)))
    click.echo(
        f"delivered {done.sent}, failed {done.failed}; {waiting} message(s) still in the outbox"
    )
    if done.failed:
        sys.exit(1)


def register_commands(app: Flask) -> None:
    for group in (meeting_cli, report_cli, user_cli, token_cli, demo_cli, mail_cli):
        app.cli.add_command(group)
