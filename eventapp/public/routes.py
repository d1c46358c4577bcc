"""Public pages: anyone may read them, no login (contract, section 4)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    render_template,
    send_from_directory,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from werkzeug.wrappers import Response

from .. import pagecache, unit_of_work
from ..accounts.permissions import PUBLIC, allow
from ..agenda import ical, published
from ..extensions import db
from ..lookups import meeting_or_404
from ..registration.service import registration_state
from . import service

bp = Blueprint("public", __name__)


def _locale() -> str:
    return str(get_locale() or "en")


@bp.get("/healthz")
@allow(PUBLIC)
def healthz() -> ResponseReturnValue:
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        unit_of_work.discard()
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")


@bp.get("/")
@allow(PUBLIC)
def index() -> ResponseReturnValue:
    return render_template("public/index.html", meetings=service.list_meetings(_locale()))


@bp.get("/meetings/<slug>/")
@allow(PUBLIC)
def meeting_home(slug: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    locale = _locale()
    # Whether registration is open changes with the clock, not the content: part of the key.
    return pagecache.serve(
        meeting,
        f"home-{registration_state(meeting)}",
        locale,
        lambda: render_template(
            "public/meeting.html", meeting=service.summary(meeting, locale), page="home"
        ),
    )


@bp.get("/meetings/<slug>/agenda")
@allow(PUBLIC)
def agenda(slug: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    locale = _locale()
    return pagecache.serve(
        meeting,
        "agenda",
        locale,
        lambda: render_template(
            "public/agenda.html",
            meeting=service.summary(meeting, locale),
            days=published.public_days(meeting),
            page="agenda",
        ),
    )


@bp.get("/meetings/<slug>/agenda/changes")
@allow(PUBLIC)
def agenda_changes(slug: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    locale = _locale()

    def render() -> str:
        shown = service.agenda_changes(meeting)
        if shown is None:
            abort(404)  # never published: nothing is cached
        return render_template(
            "public/changes.html",
            meeting=service.summary(meeting, locale),
            versions=shown,
            zone=meeting.zone,
            page="changes",
        )

    return pagecache.serve(meeting, "changes", locale, render)


@bp.get("/meetings/<slug>/sessions/<ref>")
@allow(PUBLIC)
def session_page(slug: str, ref: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    locale = _locale()

    def render() -> str:
        shown = service.session_page(meeting, ref)
        if shown is None:
            # Raised through the cache, which keeps nothing of it: a hidden session stays a 404.
            abort(404)
        return render_template(
            "public/session.html",
            meeting=service.summary(meeting, locale),
            shown=shown,
            page="session",
        )

    return pagecache.serve(meeting, f"session-{ref}", locale, render)


@bp.get("/meetings/<slug>/sessions/<ref>.ics")
@allow(PUBLIC)
def session_calendar(slug: str, ref: str) -> Response:
    meeting = meeting_or_404(slug)

    def render() -> bytes:
        agenda = service.session_agenda(meeting, ref)
        if agenda is None:
            abort(404)  # as the page: nothing is cached
        return ical.calendar(agenda)

    response = pagecache.cached_response(
        meeting, f"session-{ref}.ics", "", render, mimetype="text/calendar"
    )
    if response.status_code == 200:
        response.headers.set("Content-Disposition", "inline", filename=f"{slug}-{ref}.ics")
    return response


@bp.get("/meetings/<slug>/participants")
@allow(PUBLIC)
def participants(slug: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    locale = _locale()

    def render() -> str:
        groups = service.listed_participants(meeting)
        return render_template(
            "public/participants.html",
            meeting=service.summary(meeting, locale),
            groups=groups,
            total=sum(g.count for g in groups),
            page="participants",
        )

    return pagecache.serve(meeting, "participants", locale, render)


@bp.get("/favicon.ico")
@allow(PUBLIC)
def favicon() -> ResponseReturnValue:
    return send_from_directory(
        current_app.static_folder or "", "favicon.svg", mimetype="image/svg+xml"
    )
