"""The organisers' view of an earlier version of the agenda: as it was published, and its changes.

Registered on the agenda blueprint (imported at the end of routes.py). The agenda is the read
model built from that version (published.build), closed sessions included; its rooms and people
are named as they are now, as the public pages name them.
"""

from __future__ import annotations

from flask import abort, render_template
from flask.typing import ResponseReturnValue

from ..accounts.permissions import ORGANISER, allow
from ..lookups import meeting_or_404
from ..models import Change
from . import published, versions
from .routes import bp


@bp.get("/meetings/<slug>/manage/agenda/versions/<int:number>")
@allow(ORGANISER)
def agenda_version(slug: str, number: int) -> ResponseReturnValue:
    """Version `number` of the agenda as it was published; 404 for a version never published."""
    meeting = meeting_or_404(slug)
    version = published.find_version(meeting, number)
    if version is None:
        abort(404)
    newest = versions.newest(meeting)
    changes = [
        versions.ChangeLine(c["ref"], c.get("title", c["ref"]), Change(c["change"]))
        for c in version.changes
    ]
    return render_template(
        "agenda/version.html",
        meeting=meeting,
        agenda=published.build(meeting, include_closed=True, version=version),
        version=versions.VersionLine(
            version.number, version.published_at, version.published_by, changes
        ),
        newest=newest.number if newest else number,
    )
