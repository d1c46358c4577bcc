"""The published agenda's public exports (contract, section 4): no login.

agenda.ics, schedule.xml, schedule.json and agenda.pdf answer 404 for an unknown meeting and
while the agenda is unpublished. Each is made once per change of the meeting (the response
cache keyed by its content version) and carries an ETag, so a matching If-None-Match is
answered 304 without anything being built; Last-Modified is the publication time.
"""

from __future__ import annotations

import json

from flask import Blueprint, abort, current_app, request
from werkzeug.wrappers import Response

from ..accounts.permissions import PUBLIC, allow
from ..models import Meeting
from ..public.pagecache import cached_response
from . import ical, schedule, service

bp = Blueprint("agenda", __name__)


def _published(slug: str) -> Meeting:
    meeting = service.find_published(slug)
    if meeting is None:
        abort(404)
    return meeting


def _export(
    meeting: Meeting,
    name: str,
    variant: str,
    build,
    mimetype: str,
    filename: str,  # type: ignore[no-untyped-def]
) -> Response:
    response = cached_response(
        meeting,
        name,
        variant,
        lambda: build(service.published_agenda(meeting)),
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

    def build(agenda: service.PublishedAgenda) -> bytes:
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
