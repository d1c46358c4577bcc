"""Online registration, and the organisers' view and decisions on registrations."""

from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from .. import unit_of_work
from ..accounts.forms import ConfirmForm
from ..accounts.permissions import (
    ORGANISER,
    PUBLIC,
    SIGNED_IN,
    allow,
    current_account,
)
from ..extensions import limiter
from ..lookups import meeting_or_404, registration_or_404
from ..models import Participant, ParticipantRole
from ..vocabulary import label
from . import notices, service
from .forms import OwnDetailsForm, RegistrationForm

bp = Blueprint("registration", __name__)


@bp.route("/meetings/<slug>/register", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit("60 per hour", methods=["POST"])
def register(slug: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    form = RegistrationForm()
    form.set_organisations(service.organisation_choices(meeting))
    is_open = service.registration_open(meeting)
    if not is_open:
        status = 403 if form.is_submitted() else 200
        return render_template(
            "registration/register.html", meeting=meeting, form=form, is_open=False
        ), status
    if form.validate_on_submit():
        wanted = service.RegistrationRequest(
            organisation=form.organisation.data or "",
            given_name=form.given_name.data or "",
            family_name=form.family_name.data or "",
            email=form.email.data or "",
            role=ParticipantRole(form.role.data),
            honorific=form.honorific.data,
            position=form.position.data,
            funded=form.funded.data,
            needs_visa_letter=form.needs_visa_letter.data,
            dietary=form.dietary.data,
            accessibility=form.accessibility.data,
            list_consent=form.list_consent.data,
        )
        try:
            person = service.register(meeting, wanted)
        except service.RegistrationError as exc:
            unit_of_work.discard()
            for name, message in exc.fields.items():
                if name in form:
                    form[name].errors = [*form[name].errors, message]
        else:
            notices.confirm_registration(person)  # in the outbox, committed with the registration
            flash(notices.status_sentence(person), "success")
            return redirect(url_for("registration.registered", slug=slug), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "registration/register.html", meeting=meeting, form=form, is_open=True
    ), status


@bp.get("/meetings/<slug>/register/done")
@allow(PUBLIC)
def registered(slug: str) -> ResponseReturnValue:
    return render_template("registration/registered.html", meeting=meeting_or_404(slug))


# -- participants: their own registrations ----------------------------------------------------


def _own(participant_id: int) -> Participant:
    user = current_account()
    person = service.own_registration(user.email_key, participant_id) if user else None
    if person is None:
        abort(404)
    return person


@bp.route("/account/registrations/<int:participant_id>", methods=["GET", "POST"])
@allow(SIGNED_IN)
def own_details(participant_id: int) -> ResponseReturnValue:
    person = _own(participant_id)
    form = OwnDetailsForm(obj=person if request.method == "GET" else None)
    if form.validate_on_submit():
        service.update_own_details(
            person,
            dietary=form.dietary.data,
            accessibility=form.accessibility.data,
            needs_visa_letter=bool(form.needs_visa_letter.data),
            list_consent=bool(form.list_consent.data),
        )
        flash(_("Your registration is updated."), "success")
        return redirect(url_for("accounts.account"), code=303)
    return render_template(
        "registration/own.html",
        person=person,
        form=form,
        confirm_form=ConfirmForm(),
        can_cancel=person.status in service.TRANSITIONS["cancel"],
    ), (400 if form.is_submitted() else 200)


@bp.post("/account/registrations/<int:participant_id>/cancel")
@allow(SIGNED_IN)
def cancel_own(participant_id: int) -> ResponseReturnValue:
    person = _own(participant_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        changed = service.change(person.meeting, person, "cancel", by_participant=True)
    except service.InvalidTransition as exc:
        unit_of_work.discard()
        flash(str(exc), "error")
    else:
        notices.tell_status([p for p in changed if p is not person])
        flash(_("Your registration is cancelled."), "info")
    return redirect(url_for("accounts.account"), code=303)


@bp.get("/meetings/<slug>/manage/")
@allow(ORGANISER)
def overview(slug: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    return render_template(
        "registration/overview.html",
        meeting=meeting,
        overview=service.overview(meeting),
        confirm_form=ConfirmForm(),
    )


@bp.post("/meetings/<slug>/manage/registrations/<ref>/<any(approve, decline, cancel):action>")
@allow(ORGANISER)
def decide(slug: str, ref: str, action: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    person = registration_or_404(meeting, ref)
    try:
        changed = service.change(meeting, person, action)
    except service.InvalidTransition as exc:
        unit_of_work.discard()
        flash(str(exc), "error")
    else:
        notices.tell_status(changed)
        flash(
            _("%(name)s: %(status)s.", name=person.full_name, status=label(person.status)),
            "success",
        )
    return redirect(url_for("registration.overview", slug=slug, _anchor=f"p-{ref}"), code=303)
