"""Public pages: anyone may read them, no login (contract, section 4)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, jsonify, render_template, send_from_directory
from flask_babel import get_locale

from ..extensions import db
from ..models import Meeting
from . import service

bp = Blueprint("public", __name__)


def _meeting_or_404(slug: str) -> Meeting:
    meeting = service.find_meeting(slug)
    if meeting is None:
        abort(404)
    return meeting


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    try:
        db.session.execute(sa.text("SELECT 1"))
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return jsonify(status="unavailable"), 503
    return jsonify(status="ok")


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    meetings = db.session.scalars(sa.select(Meeting).order_by(Meeting.start_date.desc())).all()
    return render_template("public/index.html", meetings=meetings)


@bp.get("/meetings/<slug>/")
def meeting_home(slug: str):  # type: ignore[no-untyped-def]
    meeting = _meeting_or_404(slug)
    return render_template(
        "public/meeting.html", meeting=service.summary(meeting, str(get_locale()))
    )


@bp.get("/meetings/<slug>/agenda")
def agenda(slug: str):  # type: ignore[no-untyped-def]
    meeting = _meeting_or_404(slug)
    return render_template(
        "public/agenda.html",
        meeting=service.summary(meeting, str(get_locale())),
        days=service.public_agenda(meeting),
    )


@bp.get("/meetings/<slug>/participants")
def participants(slug: str):  # type: ignore[no-untyped-def]
    meeting = _meeting_or_404(slug)
    return render_template(
        "public/participants.html",
        meeting=service.summary(meeting, str(get_locale())),
        groups=service.listed_participants(meeting),
    )


@bp.get("/favicon.ico")
def favicon():  # type: ignore[no-untyped-def]
    from flask import current_app

    return send_from_directory(current_app.static_folder or "", "favicon.svg",
                               mimetype="image/svg+xml")
