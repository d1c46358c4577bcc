"""The published agenda's public exports (contract, section 4): no login.

agenda.ics, schedule.xml, schedule.json and agenda.pdf answer 404 for an unknown meeting and
while the agenda is unpublished. Each is made once per change of the meeting (the response
cache keyed by its content version) and carries an ETag, so a matching If-None-Match is
answered 304 without anything being built; Last-Modified is the publication time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from .. import localtime, unit_of_work
from ..accounts.forms import ConfirmForm
from ..accounts.permissions import ORGANISER, PUBLIC, allow, signed_in_account
from ..interchange.exporter import session_document
from ..locking import lock_meeting
from ..lookups import find_meeting, meeting_or_404
from ..models import Meeting, Session
from ..pagecache import cached_response
from . import feeds, ical, people, published, schedule, service, sessions, versions
from .forms import EditSessionForm, MoveForm, SessionForm, problem_sentence, show_problems
from .warnings import SessionWarning, draft_warnings, session_warnings

bp = Blueprint("agenda", __name__)


def _published(slug: str) -> Meeting:
    meeting = find_meeting(slug)
    if meeting is None or meeting.agenda_published_at is None:
        abort(404)
    return meeting


def _export(
    meeting: Meeting,
    name: str,
    variant: str,
    build: Callable[[Any], str | bytes],
    mimetype: str,
    filename: str,
) -> Response:
    response = cached_response(
        meeting,
        name,
        variant,
        lambda: build(published.published_agenda(meeting)),
        mimetype=mimetype,
    )
    # If-Modified-Since alone cannot decide: sessions change without a new publication.
    response.last_modified = meeting.agenda_published_at
    if response.status_code == 200:
        response.headers.set("Content-Disposition", "inline", filename=filename)
    return response


@bp.get("/meetings/<slug>/agenda.ics")
@allow(PUBLIC)
def calendar(slug: str) -> Response:
    meeting = _published(slug)
    return _export(meeting, "agenda.ics", "", ical.calendar, "text/calendar", f"{slug}-agenda.ics")


@bp.get("/meetings/<slug>/schedule.xml")
@allow(PUBLIC)
def schedule_xml(slug: str) -> Response:
    meeting = _published(slug)
    return _export(
        meeting,
        "schedule.xml",
        "",
        schedule.schedule_xml,
        "application/xml",
        f"{slug}-schedule.xml",
    )


@bp.get("/meetings/<slug>/schedule.json")
@allow(PUBLIC)
def schedule_json(slug: str) -> Response:
    meeting = _published(slug)

    def build(agenda: published.Agenda) -> bytes:
        # Compact: the indenting encoder is pure Python and costs more than building the schedule.
        return json.dumps(schedule.schedule_json(agenda), ensure_ascii=False).encode()

    return _export(meeting, "schedule.json", "", build, "application/json", f"{slug}-schedule.json")


@bp.get("/meetings/<slug>/agenda.pdf")
@allow(PUBLIC)
def printable(slug: str) -> Response:
    lang = request.args.get("lang", "en")
    if lang not in current_app.config["LANGUAGES"]:
        abort(404)
    meeting = _published(slug)
    return _export(
        meeting,
        "agenda.pdf",
        lang,
        lambda agenda: service.agenda_pdf(agenda, lang),
        "application/pdf",
        f"{slug}-agenda-{lang}.pdf",
    )


@bp.get("/meetings/<slug>/calendar/<key>.ics")
@allow(PUBLIC)
def personal_calendar(slug: str, key: str) -> Response:
    """A person's own sessions: the key in the URL is the only credential a calendar app has."""
    meeting = find_meeting(slug)
    person = feeds.person_for_key(meeting, key) if meeting is not None else None
    if meeting is None or person is None:
        abort(404)
    response = Response(feeds.personal_feed(meeting, person), mimetype="text/calendar")
    # Private to its holder: no shared cache keeps it.
    response.headers["Cache-Control"] = "private, no-cache"
    response.headers.set("Content-Disposition", "inline", filename=f"{slug}-my-sessions.ics")
    response.add_etag()
    return response.make_conditional(request)


# -- organisers: the agenda builder ------------------------------------------------------------


def _rooms(meeting: Meeting) -> list[tuple[str, str]]:
    return [(r.ref, r.name) for r in meeting.rooms]


def _suggest(meeting: Meeting) -> str:
    return url_for("agenda.find_people", slug=meeting.slug)


def _live(meeting: Meeting, ref: str) -> Session:
    """The session an organiser's URL names; 404 when unknown or cancelled."""
    try:
        return sessions.live_session(meeting, ref)
    except sessions.SessionGone:
        abort(404)


def _refused(
    meeting: Meeting,
    form: FlaskForm,
    exc: sessions.SessionProblems | sessions.SessionConflicts,
    fields: dict[str, str] | None = None,
) -> tuple[list[str], int]:
    """A service's refusal shown on the form: each sentence at its field; the status."""
    unit_of_work.discard()
    if isinstance(exc, sessions.SessionConflicts):
        # A clash names the session in the way: the service's sentence is for people already.
        clashes = [(c.path, c.message) for c in exc.conflicts]
        return show_problems(form, clashes, fields), 409
    found = [(p.path, problem_sentence(p, meeting)) for p in exc.problems]
    return show_problems(form, found, fields), 422


def _saved(session: Session, warnings: list[SessionWarning], message: str) -> Response:
    flash(message, "success")
    for warning in warnings:
        flash(warning.message, "error")
    return redirect(
        url_for("agenda.manage", slug=session.meeting.slug, _anchor=session.ref), code=303
    )


def _draft_by_day(
    meeting: Meeting, items: list[sessions.DraftRow], rooms: list[tuple[str, str]]
) -> list[tuple[date, list[tuple[str | None, list[sessions.DraftRow]]]]]:
    """Every meeting day (and any other day a session is on), each with its sessions by room,
    rooms in the meeting's order and sessions without a room last."""
    days: dict[date, dict[str | None, list[sessions.DraftRow]]] = {
        d: {} for d in localtime.meeting_days(meeting.start_date, meeting.end_date)
    }
    for item in items:
        days.setdefault(item.start_local.date(), {}).setdefault(item.room, []).append(item)
    order = {name: n for n, (_, name) in enumerate(rooms)}
    return [
        (day, sorted(by_room.items(), key=lambda pair: order.get(pair[0] or "", len(order))))
        for day, by_room in sorted(days.items())
    ]


@bp.route("/meetings/<slug>/manage/agenda", methods=["GET", "POST"])
@allow(ORGANISER)
def manage(slug: str) -> ResponseReturnValue:
    """The draft agenda day by day and room by room, with the form to add a session."""
    meeting = meeting_or_404(slug)
    form = SessionForm()
    rooms = _rooms(meeting)
    form.set_choices(rooms, lambda: people.directory(meeting), _suggest(meeting))
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        try:
            session, warnings = sessions.create_session(meeting, form.document())
        except (sessions.SessionProblems, sessions.SessionConflicts) as exc:
            problems, status = _refused(meeting, form, exc)
        else:
            return _saved(
                session,
                warnings,
                _(
                    "“%(title)s” is in the draft agenda. Publish the agenda to show it to the "
                    "public.",
                    title=session.title,
                ),
            )
    elif form.is_submitted():
        status = 400
    items = sessions.draft_agenda(meeting)
    return render_template(
        "agenda/manage.html",
        meeting=meeting,
        form=form,
        days=_draft_by_day(meeting, items, rooms),
        count=len(items),
        warnings=draft_warnings(meeting),
        problems=problems,
        publication=versions.publication(meeting),
        confirm_form=ConfirmForm(),
    ), status


def _session_page(
    meeting: Meeting,
    session: Session,
    form: EditSessionForm,
    move: MoveForm,
    problems: list[str],
    status: int,
    sent: str | None = None,
) -> ResponseReturnValue:
    return render_template(
        "agenda/session.html",
        meeting=meeting,
        session=session,
        form=form,
        move=move,
        problems=problems,
        sent=sent,
        warnings=session_warnings(session),
    ), status


def _forms(
    meeting: Meeting, session: Session, sent: str | None = None
) -> tuple[EditSessionForm, MoveForm]:
    """The session's edit and move forms: the one `sent` as sent, the other as stored."""
    keep = [p.ref for p in session.chairs + session.speakers]
    keep += [session.rapporteur.ref] if session.rapporteur else []
    directory = people.directory(meeting, keep=keep)
    rooms = _rooms(meeting)
    form = EditSessionForm() if sent == "edit" else EditSessionForm(formdata=None)
    form.set_choices(rooms, lambda: directory, _suggest(meeting))
    move = MoveForm() if sent == "move" else MoveForm(formdata=None)
    move.set_choices(meeting, rooms, localtime.page_language())
    if sent != "edit":
        form.fill(session, directory)
    if sent != "move":
        move.fill(session)
    return form, move


@bp.route("/meetings/<slug>/manage/agenda/sessions/<ref>", methods=["GET", "POST"])
@allow(ORGANISER)
def edit_session(slug: str, ref: str) -> ResponseReturnValue:
    """One session of the draft: its warnings, and the forms to change and move it."""
    meeting = meeting_or_404(slug)
    session = _live(meeting, ref)
    form, move = _forms(meeting, session, "edit" if request.method == "POST" else None)
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        changes = form.changes(session_document(session))
        if not changes:
            return _saved(
                session, [], _("Nothing was changed in “%(title)s”.", title=session.title)
            )
        try:
            session, warnings = sessions.change_session(meeting, ref, changes)
        except (sessions.SessionProblems, sessions.SessionConflicts) as exc:
            problems, status = _refused(meeting, form, exc)
            session = _live(meeting, ref)
        else:
            message = _("“%(title)s” is changed in the draft agenda.", title=session.title)
            return _saved(session, warnings, message)
    elif form.is_submitted():
        status = 400
    sent = "edit" if form.is_submitted() else None
    return _session_page(meeting, session, form, move, problems, status, sent)


@bp.post("/meetings/<slug>/manage/agenda/sessions/<ref>/move")
@allow(ORGANISER)
def move_session(slug: str, ref: str) -> ResponseReturnValue:
    """The session at another day, time or room, as long as it was."""
    meeting = meeting_or_404(slug)
    session = _live(meeting, ref)
    form, move = _forms(meeting, session, "move")
    problems: list[str] = []
    status = 400
    if move.validate_on_submit():
        try:
            session, warnings = sessions.change_session(meeting, ref, move.changes(session))
        except (sessions.SessionProblems, sessions.SessionConflicts) as exc:
            fields = {"start": "move_start", "end": "move_start", "room": "move_room"}
            problems, status = _refused(meeting, move, exc, fields)
            session = _live(meeting, ref)
        else:
            room = session.room.name if session.room else _("no room")
            message = _(
                "“%(title)s” is moved to %(day)s, %(start)s–%(end)s, %(room)s, in the draft "
                "agenda.",
                title=session.title,
                day=localtime.format_day(session.start_local.date(), localtime.page_language()),
                start=localtime.format_clock(session.start_local, localtime.page_language()),
                end=localtime.format_clock(session.end_local, localtime.page_language()),
                room=room,
            )
            return _saved(session, warnings, message)
    return _session_page(meeting, session, form, move, problems, status, "move")


@bp.post("/meetings/<slug>/manage/agenda/sessions/<ref>/duplicate")
@allow(ORGANISER)
def duplicate_session(slug: str, ref: str) -> ResponseReturnValue:
    """A copy of the session at the same time, without a room: its page, to move it."""
    meeting = meeting_or_404(slug)
    _live(meeting, ref)
    # CSRFProtect has refused a POST without the form's token before this runs.
    copy, _warnings = sessions.duplicate_session(meeting, ref)
    flash(
        _(
            "This is a copy of “%(title)s”, at the same time and without a room: move it or "
            "change it, then publish the agenda.",
            title=copy.title,
        ),
        "success",
    )
    return redirect(url_for("agenda.edit_session", slug=slug, ref=copy.ref), code=303)


@bp.route("/meetings/<slug>/manage/agenda/sessions/<ref>/cancel", methods=["GET", "POST"])
@allow(ORGANISER)
def cancel_session(slug: str, ref: str) -> ResponseReturnValue:
    """GET: what cancelling the session does; POST: cancel it in the draft."""
    meeting = meeting_or_404(slug)
    session = _live(meeting, ref)
    form = ConfirmForm()
    if form.validate_on_submit():
        sessions.cancel_session(meeting, ref)
        flash(
            _(
                "“%(title)s” is cancelled in the draft agenda. Publish the agenda to show the "
                "cancellation to the public.",
                title=session.title,
            ),
            "success",
        )
        return redirect(url_for("agenda.manage", slug=slug), code=303)
    return render_template(
        "agenda/cancel.html",
        meeting=meeting,
        session=session,
        form=form,
        has_record=session.record is not None,
    )


@bp.route("/meetings/<slug>/manage/agenda/number", methods=["GET", "POST"])
@allow(ORGANISER)
def number_agenda(slug: str) -> ResponseReturnValue:
    """GET: what numbering the agenda does; POST: number its items 1, 2, 3… in time order."""
    meeting = meeting_or_404(slug)
    form = ConfirmForm()
    if form.validate_on_submit():
        lock_meeting(meeting)
        changed = sessions.number_agenda(meeting)
        if changed:
            flash(
                ngettext(
                    "The agenda items are numbered in time order: %(num)d session has a new "
                    "number.",
                    "The agenda items are numbered in time order: %(num)d sessions have a new "
                    "number.",
                    len(changed),
                ),
                "success",
            )
        else:
            flash(_("The agenda items were already numbered in time order."), "info")
        return redirect(url_for("agenda.manage", slug=slug), code=303)
    return render_template("agenda/number.html", meeting=meeting, form=form)


@bp.get("/meetings/<slug>/manage/agenda/people")
@allow(ORGANISER)
def find_people(slug: str) -> Response:
    """The approved participants matching ?q= (name, organisation or e-mail), for the pickers."""
    meeting = meeting_or_404(slug)
    return people.suggestions_answer(people.directory(meeting), request.args.get("q", ""))


@bp.post("/meetings/<slug>/manage/agenda/publish")
@allow(ORGANISER)
def publish(slug: str) -> ResponseReturnValue:
    """Publish the draft as the next version of the agenda: the public pages show it from now."""
    meeting = meeting_or_404(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        version = versions.publish(meeting, by=signed_in_account().email)
    except versions.NothingToPublish:
        unit_of_work.discard()
        flash(_("Nothing has changed since the agenda was last published."), "info")
    else:
        flash(
            ngettext(
                "Version %(version)d of the agenda is published, with %(num)d change.",
                "Version %(version)d of the agenda is published, with %(num)d changes.",
                len(version.changes),
                version=version.number,
            ),
            "success",
        )
    return redirect(url_for("agenda.manage", slug=slug), code=303)


# The organisers' rooms and versions pages register on this blueprint.
from . import room_routes, version_routes  # noqa: E402,F401
