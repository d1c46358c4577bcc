"""Organisers' view of registrations."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from ..accounts.permissions import ORGANISER, allow, meeting_from
from . import service

bp = Blueprint("registration", __name__)


@bp.get("/meetings/<slug>/manage/")
@allow(ORGANISER)
def overview(slug: str) -> ResponseReturnValue:
    meeting = meeting_from({"slug": slug})
    assert meeting is not None  # the rule found it
    return render_template(
        "registration/overview.html", meeting=meeting, overview=service.overview(meeting)
    )
