"""Letters of nomination on a delegation's pages: the list, the upload, the download.

The delegation's page includes templates/delegations/_letters.html (the list and the form);
the form posts here. The rules are in letters.py; these views read the request and answer.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import (
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from .. import unit_of_work, uploads
from ..accounts.permissions import (
    DELEGATION_SPEAKER,
    allow,
    current_account,
    speaks_for_delegation,
)
from ..lookups import find_delegation, meeting_or_404, requested_meeting
from ..models import Delegation, Meeting
from ..web import ascii_header_text
from . import letters
from .routes import bp

# The delegation's own page, once it exists; until then the letters' page stands in for it.
DELEGATION_PAGE = "delegations.delegation"


def _delegation_or_404(slug: str, ref: str) -> tuple[Meeting, Delegation]:
    meeting = meeting_or_404(slug)
    delegation = find_delegation(meeting, ref)
    if delegation is None:
        abort(404)
    return meeting, delegation


def _page(
    meeting: Meeting,
    delegation: Delegation,
    *,
    letter_error: str | None = None,
    problem: str | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    response = current_app.make_response(
        (
            render_template(
                "delegations/letters.html",
                meeting=meeting,
                delegation=delegation,
                letters=letters.letters_of(delegation),
                letter_error=letter_error,
                problem=problem,
                delegation_page=_delegation_page(meeting, delegation),
            ),
            status,
        )
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _delegation_page(meeting: Meeting, delegation: Delegation) -> str | None:
    if DELEGATION_PAGE not in current_app.view_functions:
        return None
    return url_for(DELEGATION_PAGE, slug=meeting.slug, ref=delegation.ref)


@bp.get("/meetings/<slug>/delegations/<ref>/letters")
@allow(DELEGATION_SPEAKER)
def letters_page(slug: str, ref: str) -> ResponseReturnValue:
    """The delegation's letters of nomination and the form to upload one."""
    meeting, delegation = _delegation_or_404(slug, ref)
    return _page(meeting, delegation)


@bp.post("/meetings/<slug>/delegations/<ref>/letters")
@allow(DELEGATION_SPEAKER)
def upload_letter(slug: str, ref: str) -> ResponseReturnValue:
    """Keep the uploaded letter, if it is one; the form again with the reason if not."""
    meeting, delegation = _delegation_or_404(slug, ref)
    upload = request.files.get("letter")
    given = upload if upload is not None and upload.filename else None  # none chosen: ""
    try:
        data = letters.read_upload(given.stream if given is not None else None)
        letters.check_letter(data)
        letter, new = letters.upload_letter(
            meeting, delegation, data, given.filename if given else None, current_account()
        )
    except letters.LetterRefused as exc:
        unit_of_work.discard()
        return _page(meeting, delegation, letter_error=str(exc), status=400)
    except uploads.StoreNotWritable:
        unit_of_work.discard()
        return _page(
            meeting,
            delegation,
            letter_error=_(
                "The server could not store the letter (its disk may be full). Nothing was "
                "kept: please try again later, or tell the meeting's organisers."
            ),
            status=503,
        )
    if new:
        flash(_("The letter %(name)s is uploaded.", name=letter.filename), "success")
    else:
        flash(
            _(
                "This letter was uploaded already, as %(name)s: it is kept once.",
                name=letter.filename,
            ),
            "info",
        )
    target = _delegation_page(meeting, delegation) or url_for(
        "delegations.letters_page", slug=slug, ref=ref
    )
    return redirect(target + "#letters", code=303)


@bp.get("/meetings/<slug>/delegations/<ref>/letters/<sha256>.pdf")
@allow(DELEGATION_SPEAKER)
def letter_file(slug: str, ref: str, sha256: str) -> ResponseReturnValue:
    """The letter's file, to the delegation's focal points and the organisers only."""
    meeting, delegation = _delegation_or_404(slug, ref)
    letter = letters.find_letter(delegation, sha256)
    if letter is None:
        abort(404)
    try:
        data = letters.letter_bytes(letter)
    except (uploads.StoredFileMissing, uploads.StoredFileChanged) as exc:
        current_app.logger.error("letter %s of %s not served: %s", sha256, delegation.ref, exc)
        return _page(
            meeting,
            delegation,
            problem=_(
                "The file of the letter %(name)s is no longer on the server. Upload the "
                "letter again to restore it.",
                name=letter.filename,
            ),
            status=410,
        )
    response = Response(data, mimetype="application/pdf")
    response.headers["Content-Disposition"] = _attachment(letter.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _attachment(name: str) -> str:
    """attachment; filename="...": ASCII for every client, the name as written (RFC 6266's
    filename*) for those that read it."""
    plain = ascii_header_text(name).replace("\\", "_").replace('"', "'")
    header = f'attachment; filename="{plain}"'
    if plain != name:
        header += f"; filename*=UTF-8''{quote(name, safe='')}"
    return header


@bp.errorhandler(RequestEntityTooLarge)
def too_large(exc: RequestEntityTooLarge) -> ResponseReturnValue:
    """A body over MAX_CONTENT_LENGTH: on the upload, the form again saying so (to those who
    may see it: the body was refused before the access rule was applied)."""
    unit_of_work.discard()
    args = request.view_args or {}
    slug, ref = str(args.get("slug", "")), str(args.get("ref", ""))
    meeting = requested_meeting(slug) if request.endpoint == "delegations.upload_letter" else None
    delegation = find_delegation(meeting, ref) if meeting is not None else None
    if (
        meeting is not None
        and delegation is not None
        and speaks_for_delegation(current_account(), meeting, ref)
    ):
        return _page(meeting, delegation, letter_error=letters.too_large_message(), status=413)
    return render_template("errors/error.html", code=413, error=exc), 413
