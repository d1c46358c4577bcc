"""Public downloads of published reports (contract, section 4): no login.

/meetings/<slug>/reports/<kind>.pdf is the newest version, <kind>-v<N>.pdf a given one;
?lang= picks the language (default en). A stored file that is missing or changed since it was
published is never served: the error is logged and the answer is 404 or 410.
"""

from __future__ import annotations

import io
import re

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from .. import unit_of_work
from ..accounts.permissions import (
    ORGANISER,
    PUBLIC,
    allow,
    current_account,
)
from ..lookups import meeting_or_404
from ..models import ReportKind
from . import jobs, publish, render
from .forms import PublishForm

bp = Blueprint("reports", __name__)

# "<kind>" or "<kind>-v<N>"; at most nine digits, so a number always fits the column.
NAME = re.compile(r"(?P<kind>[a-z]+(?:-[a-z]+)*?)(?:-v(?P<number>[1-9][0-9]{0,8}))?", re.ASCII)
YEAR = 365 * 24 * 3600


def parse_name(name: str) -> tuple[ReportKind, int | None] | None:
    """('full-report', None) from 'full-report', ('chair-summary', 3) from 'chair-summary-v3'."""
    match = NAME.fullmatch(name)
    if match is None:
        return None
    try:
        kind = ReportKind(match["kind"])
    except ValueError:
        return None
    return kind, int(match["number"]) if match["number"] else None


@bp.get("/meetings/<slug>/reports/<name>.pdf")
@allow(PUBLIC)
def download(slug: str, name: str) -> Response:
    parsed = parse_name(name)
    lang = request.args.get("lang", "en")
    if parsed is None or lang not in current_app.config["LANGUAGES"]:
        abort(404)
    kind, number = parsed
    meeting = meeting_or_404(slug)
    version = publish.find_version(meeting, kind, lang, number)
    if version is None:
        abort(404)
    try:
        data = publish.read_version(version)
    except publish.StoredFileMissing as exc:
        current_app.logger.error("report %s v%d not served: %s", name, version.version, exc)
        abort(404)
    except publish.StoredFileChanged as exc:
        current_app.logger.error("report %s v%d not served: %s", name, version.version, exc)
        abort(410)
    response = send_file(
        io.BytesIO(data),
        mimetype="application/pdf",
        as_attachment=False,
        download_name=f"{meeting.slug}-{kind.value}-{lang}-v{version.version}.pdf",
        etag=version.sha256,
        last_modified=version.published_at,
        max_age=YEAR if number is not None else 0,
    )
    if number is not None:
        # A version's bytes never change: caches may keep them for good.
        response.cache_control.immutable = True
    else:
        # The newest version moves on: caches may keep it, but must ask again (ETag) each time.
        response.cache_control.public = True
        response.cache_control.no_cache = True
    return response


# -- organisers: previews and publishing ------------------------------------------------------


@bp.route("/meetings/<slug>/manage/reports", methods=["GET", "POST"])
@allow(ORGANISER)
def manage(slug: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    form = PublishForm()
    if form.validate_on_submit():
        kind = ReportKind(form.kind.data)
        try:
            version = jobs.request_publication(meeting, kind, form.lang.data, current_account())
        except publish.PublishError as exc:
            unit_of_work.discard()
            current_app.logger.error("publication of %s %s refused: %s", slug, kind.value, exc)
            flash(_publish_failure(exc), "error")
            return redirect(url_for("reports.manage", slug=slug), code=303)
        if version is None:
            flash(_("The publication is queued: it appears below when it is done."), "info")
        else:
            flash(_("Version %(number)d is published.", number=version.version), "success")
        return redirect(url_for("reports.manage", slug=slug), code=303)
    versions = publish.published_versions(meeting)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "reports/manage.html", meeting=meeting, form=form, versions=versions, kinds=list(ReportKind)
    ), status


def _publish_failure(exc: publish.PublishError) -> str:
    """What the organiser is told when nothing could be published."""
    if isinstance(exc, publish.StoreNotWritable):
        return _(
            "Nothing was published: the server could not store the report (its disk may be "
            "full or read-only). Please tell the system administrator, then try again."
        )
    if isinstance(exc, publish.QueueUnreachable):
        return _("Nothing was published: the publication queue does not answer. Try again later.")
    if isinstance(exc, publish.VersionTaken):
        return _(
            "Nothing was published: other publications of this report were under way at the "
            "same moment. Try again."
        )
    return _("Nothing was published: the report could not be published. Try again.")


@bp.get("/meetings/<slug>/manage/reports/preview/<kind>.pdf")
@allow(ORGANISER)
def preview(slug: str, kind: str) -> Response:
    meeting = meeting_or_404(slug)
    lang = request.args.get("lang", "en")
    try:
        report_kind = ReportKind(kind)
    except ValueError:
        abort(404)
    if lang not in current_app.config["LANGUAGES"]:
        abort(404)
    pdf = render.report_pdf(meeting, report_kind, lang, preview=True)
    response = send_file(
        io.BytesIO(pdf),
        mimetype="application/pdf",
        download_name=f"{meeting.slug}-{kind}-{lang}-preview.pdf",
    )
    response.headers["Cache-Control"] = "no-store"
    return response
