"""Personal data rights: a participant's download and erasure of their registration, the
privacy notice, and the organisers' purge of a meeting's personal details once it is over.

The rules are in personal_data.py; these views read the confirmation and show the outcome.
"""

from __future__ import annotations

import json

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext

from .. import localtime, unit_of_work
from ..accounts.permissions import ORGANISER, PUBLIC, SIGNED_IN, allow, current_account
from ..extensions import db
from ..lookups import meeting_or_404
from ..models import Meeting, Participant
from . import notices, personal_data, service
from .privacy_forms import EraseForm, PurgeForm
from .routes import bp


def _own_registration(participant_id: int) -> Participant:
    """The signed-in person's own registration; 404 for anyone else's."""
    user = current_account()
    person = service.own_registration(user.email_key, participant_id) if user else None
    if person is None:
        abort(404)
    return person


@bp.get("/account/registrations/<int:participant_id>/data.json")
@allow(SIGNED_IN)
def own_data(participant_id: int) -> ResponseReturnValue:
    """Everything the system holds about the person of the registration, as a JSON file."""
    person = _own_registration(participant_id)
    document = personal_data.download(person)
    body = json.dumps(document, ensure_ascii=False, indent=2, sort_keys=False)
    response = Response(body + "\n", mimetype="application/json")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{person.meeting.slug}-{person.ref}-personal-data.json"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _erase_page(person: Participant, form: EraseForm, status: int = 200) -> ResponseReturnValue:
    return render_template(
        "registration/privacy_erase.html",
        person=person,
        form=form,
        erased_name=personal_data.ERASED_NAME_SHOWN,
        cancels=person.status in service.TRANSITIONS["cancel"],
    ), status


@bp.route("/account/registrations/<int:participant_id>/erase", methods=["GET", "POST"])
@allow(SIGNED_IN)
def erase_own(participant_id: int) -> ResponseReturnValue:
    """GET: what erasing does, and a confirmation; POST: the registration is cancelled and
    its details erased."""
    user = current_account()
    person = service.own_registration(user.email_key, participant_id) if user else None
    if person is None:
        earlier = db.session.get(Participant, participant_id)
        if request.method == "POST" and earlier is not None and earlier.erased_at is not None:
            # Sent twice (a double click): the first one erased it, and it is nobody's now.
            flash(_("This registration is erased."), "info")
            return redirect(url_for("accounts.account"), code=303)
        abort(404)
    form = EraseForm()
    if request.method == "GET":
        return _erase_page(person, form)
    if not form.validate_on_submit():
        unit_of_work.discard()
        return _erase_page(person, form, 400)
    promoted = personal_data.erase(person)
    notices.tell_status(promoted)  # anyone the freed seat went to
    flash(
        _(
            "Your registration is cancelled and its details are erased. Your account stays: "
            "to close it, write to the organisers."
        ),
        "success",
    )
    return redirect(url_for("accounts.account"), code=303)


@bp.get("/meetings/<slug>/privacy")
@allow(PUBLIC)
def privacy(slug: str) -> ResponseReturnValue:
    """The full privacy notice of a meeting's registration."""
    meeting = meeting_or_404(slug)
    return render_template(
        "registration/privacy.html",
        meeting=meeting,
        purged=meeting.personal_data_purged_at is not None,
    )


def _confirmation_word(meeting: Meeting) -> str:
    return meeting.short_title or meeting.slug


def _purge_page(
    meeting: Meeting, form: PurgeForm, problem: str | None = None, status: int = 200
) -> ResponseReturnValue:
    lang = localtime.page_language()
    plan = personal_data.purge_plan(meeting)
    return render_template(
        "registration/privacy_purge.html",
        meeting=meeting,
        form=form,
        plan=plan,
        problem=problem,
        possible_from=localtime.format_date(plan.possible_from, lang),
        purged_on=(
            localtime.format_date(
                plan.purged_at.astimezone(localtime.zone(meeting.timezone)).date(), lang
            )
            if plan.purged_at
            else None
        ),
    ), status


@bp.route("/meetings/<slug>/manage/personal-data", methods=["GET", "POST"])
@allow(ORGANISER)
def purge(slug: str) -> ResponseReturnValue:
    """GET: what a purge would clear, and when it is allowed; POST: after the confirmation,
    the meeting's personal details are purged."""
    meeting = meeting_or_404(slug)
    form = PurgeForm(_confirmation_word(meeting))
    if request.method == "GET":
        return _purge_page(meeting, form)
    if not form.validate_on_submit():
        unit_of_work.discard()
        return _purge_page(meeting, form, status=400)
    try:
        done = personal_data.purge(meeting)
    except personal_data.PurgeRefused as exc:
        unit_of_work.discard()
        return _purge_page(meeting, form, problem=str(exc), status=409)
    flash(
        ngettext(
            "The personal details of %(meeting)s are purged: %(num)d e-mail address replaced.",
            "The personal details of %(meeting)s are purged: %(num)d e-mail addresses replaced.",
            done.addresses,
            meeting=meeting.title,
        ),
        "success",
    )
    return redirect(url_for("registration.purge", slug=slug), code=303)
