"""The published agenda's public exports (contract, section 4): no login.

agenda.ics, schedule.xml, schedule.json and agenda.pdf answer 404 for an unknown meeting and
while the agenda is unpublished. Each is made once per change of the meeting (the response
cache keyed by its content version) and carries an ETag, so a matching If-None-Match is
answered 304 without anything being built; Last-Modified is the publication time.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from werkzeug.wrappers import Response

from .. import unit_of_work
from ..accounts.forms import ConfirmForm
from ..accounts.permissions import ORGANISER, PUBLIC, allow, signed_in_account
from ..lookups import find_meeting, meeting_or_404
from ..models import Meeting
from ..pagecache import cached_response
from ..registration.service import participant_choices
from . import feeds, ical, published, schedule, service, sessions, versions
from .forms import SessionForm

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
        return json.dumps(schedule.schedule_json(agenda), ensure_ascii=False, indent=1).encode()

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


# -- organisers: the agenda as it stands, and adding to it --------------------------------------


@bp.route("/meetings/<slug>/manage/agenda", methods=["GET", "POST"])
@allow(ORGANISER)
def manage(slug: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    form = SessionForm()
    rooms = [(r.ref, r.name) for r in meeting.rooms]
    form.set_choices(rooms, participant_choices(meeting, approved_only=True))
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        try:
            session, warnings = sessions.create_session(meeting, form.document())
        except sessions.SessionProblems as exc:
            unit_of_work.discard()
            problems = [f"{p.path}: {p.message}" for p in exc.problems]
        except sessions.SessionConflicts as exc:
            unit_of_work.discard()
            problems = [c.message for c in exc.conflicts]
        else:
            flash(
                _(
                    "Session %(ref)s is in the draft agenda. Publish the agenda to show it "
                    "to the public.",
                    ref=session.ref,
                ),
                "success",
            )
            for warning in warnings:
                flash(warning.message, "error")
            return redirect(url_for("agenda.manage", slug=slug), code=303)
        status = 409
    elif form.is_submitted():
        status = 400
    return render_template(
        "agenda/manage.html",
        meeting=meeting,
        form=form,
        items=sessions.draft_agenda(meeting),
        problems=problems,
        publication=versions.publication(meeting),
        confirm_form=ConfirmForm(),
    ), status


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


from . import room_routes  # noqa: E402,F401
from . import version_routes  # noqa: E402,F401
