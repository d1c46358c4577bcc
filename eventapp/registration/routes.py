"""Online registration, and the organisers' view and decisions on registrations."""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs, urlencode

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _

from .. import mail, unit_of_work
from ..accounts.forms import ConfirmForm
from ..accounts.permissions import (
    ORGANISER,
    PUBLIC,
    SIGNED_IN,
    allow,
    current_account,
    is_organiser,
)
from ..agenda.notify import recipient_language
from ..extensions import db, limiter
from ..locking import lock_meeting
from ..lookups import meeting_or_404, registration_or_404
from ..models import (
    Meeting,
    OrganisationKind,
    Participant,
    ParticipantRole,
    RegistrationStatus,
)
from ..vocabulary import label
from . import desk, exports, notices, service
from .forms import (
    OWN_LANGUAGE_NAMES,
    PUBLIC_ROLES,
    DecisionForm,
    DeskFilterForm,
    OrganiserRegistrationForm,
    OwnDetailsForm,
    ReasonForm,
    RegistrationForm,
)
from .travel_forms import TravelSupportForm

bp = Blueprint("registration", __name__)


@bp.route("/meetings/<slug>/register", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit("60 per hour", methods=["POST"])
def register(slug: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    form = RegistrationForm()
    lang = _page_language()
    form.set_organisations(service.organisation_choices(meeting), lang)
    if not form.is_submitted():
        form.language.data = lang if lang in service.LANGUAGES else "en"
        earlier = _cancelled_own(meeting, request.args.get("again", type=int))
        if earlier is not None:
            _fill_from(form, earlier)
    is_open = service.registration_open(meeting)
    if not is_open:
        status = 403 if form.is_submitted() else 200
        return render_template(
            "registration/register.html",
            meeting=meeting,
            form=form,
            is_open=False,
            state=service.registration_state(meeting),
            # An organiser who lands here needs the way to reopen it, not a dead end.
            organiser=is_organiser(current_account(), meeting),
        ), status
    if form.validate_on_submit():
        wanted = _request_from(form)
        try:
            person = service.register(meeting, wanted)
        except service.RegistrationError as exc:
            _show_errors(form, exc)
        else:
            notices.confirm_registration(person)  # in the outbox, committed with the registration
            flash(notices.status_sentence(person.status), "success")
            if not person.delegation.confirmed:
                flash(
                    _(
                        "The organisers will first confirm %(organisation)s, which the meeting "
                        "did not list; you will be told by e-mail.",
                        organisation=person.delegation.display_name,
                    ),
                    "info",
                )
            return redirect(url_for("registration.registered", slug=slug), code=303)
    status = 400 if form.is_submitted() else 200
    return render_template(
        "registration/register.html", meeting=meeting, form=form, is_open=True
    ), status


def _cancelled_own(meeting: Meeting, participant_id: int | None) -> Participant | None:
    """The signed-in person's own cancelled registration at this meeting (the "Register again"
    link names it), or None."""
    user = current_account()
    if user is None or participant_id is None:
        return None
    earlier = service.own_registration(user.email_key, participant_id)
    if earlier is None or earlier.meeting_id != meeting.id:
        return None
    return earlier if earlier.status is RegistrationStatus.CANCELLED else None


def _fill_from(form: RegistrationForm, earlier: Participant) -> None:
    """Registering again starts from what the person gave before: nothing to type again, and
    their language and organisation kept (the latter if the meeting lists it)."""
    for name in ("honorific", "given_name", "family_name", "email", "position"):
        form[name].data = getattr(earlier, name) or ""
    form.dietary.data = earlier.dietary or ""
    form.accessibility.data = earlier.accessibility or ""
    form.travel_support_requested.data = bool(earlier.travel_support_requested)
    form.needs_visa_letter.data = bool(earlier.needs_visa_letter)
    form.list_consent.data = bool(earlier.list_consent)
    if earlier.role in PUBLIC_ROLES:
        form.role.data = earlier.role.value
    if earlier.language in service.LANGUAGES:
        form.language.data = earlier.language
    if earlier.delegation.confirmed:
        form.organisation.data = earlier.delegation.ref


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
    if request.method == "POST":
        lock_meeting(person.meeting)  # a cancellation under way is finished before we look
        db.session.refresh(person)
        if person.status is RegistrationStatus.CANCELLED:
            unit_of_work.discard()
            flash(
                _(
                    "Your registration is cancelled: your needs and your consent can no longer "
                    "be changed."
                ),
                "error",
            )
            return redirect(
                url_for("registration.own_details", participant_id=participant_id), code=303
            )
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
        # A cancelled registration keeps what it said; registering again changes it.
        can_change=person.status is not RegistrationStatus.CANCELLED,
        can_register_again=person.status is RegistrationStatus.CANCELLED
        and service.registration_open(person.meeting),
    ), (400 if form.is_submitted() else 200)


@bp.route("/account/registrations/<int:participant_id>/cancel", methods=["GET", "POST"])
@allow(SIGNED_IN)
def cancel_own(participant_id: int) -> ResponseReturnValue:
    """GET: what cancelling does, and a button; POST: the registration is cancelled."""
    person = _own(participant_id)
    form = ConfirmForm()
    if request.method == "GET":
        if person.status not in service.TRANSITIONS["cancel"]:
            flash(
                _("A registration with the status “%(status)s” cannot be cancelled.")
                % {"status": label(person.status)},
                "info",
            )
            return redirect(url_for("registration.own_details", participant_id=person.id))
        return render_template("registration/cancel_own.html", person=person, form=form)
    if not form.validate_on_submit():
        abort(400)
    try:
        changed = service.change(person.meeting, person, "cancel", by_participant=True)
    except service.InvalidTransition as exc:
        unit_of_work.discard()
        flash(str(exc), "error")
    else:
        # The person is told too (and anyone a freed place went to), once it is committed.
        notices.tell_status(changed)
        flash(_("Your registration is cancelled."), "info")
    return redirect(url_for("accounts.account"), code=303)


# -- the organisers' desk ---------------------------------------------------------------------


def _desk_query(meeting: Meeting) -> tuple[DeskFilterForm, desk.DeskQuery, desk.Figures, bool]:
    """The desk's filter form read from the URL, its query, the figures, and whether valid."""
    figures = desk.figures(meeting)
    form = DeskFilterForm(request.args)
    form.set_organisations([(d.ref, d.name) for d in figures.delegations])
    valid = form.validate()
    return form, desk.query_from(form.data if valid else {}), figures, valid


def _desk_page(
    meeting: Meeting,
    form: DeskFilterForm,
    query: desk.DeskQuery,
    figures: desk.Figures,
    status: int = 200,
) -> ResponseReturnValue:
    listing = desk.listing(meeting, query)
    return render_template(
        "registration/overview.html",
        meeting=meeting,
        form=form,
        query=query,
        figures=figures,
        chart=desk.chart(figures.kinds),
        colours=desk.STATUS_COLOURS,
        listing=listing,
        page_links=desk.page_links(listing.page, listing.pages),
        offered={status: service.offered_actions(status) for status in RegistrationStatus},
        # Each word once per page, not once per row (one table per enum: see vocabulary.py).
        labels={
            values: {value: label(value) for value in values}
            for values in (RegistrationStatus, OrganisationKind, ParticipantRole)
        },
        decision_form=DecisionForm(formdata=None),
        select_all=request.args.get("select") == "page",
        back=urlencode(query.args(page=listing.page)),
        number=format_decimal,
    ), status


@bp.get("/meetings/<slug>/manage/")
@allow(ORGANISER)
def overview(slug: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    form, query, figures, valid = _desk_query(meeting)
    return _desk_page(meeting, form, query, figures, 200 if valid else 400)


@bp.get("/meetings/<slug>/manage/registrations.csv", defaults={"format": "csv"})
@bp.get("/meetings/<slug>/manage/registrations.xlsx", defaults={"format": "xlsx"})
@allow(ORGANISER)
def export(slug: str, format: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    form, query, figures, valid = _desk_query(meeting)
    if not valid:
        return _desk_page(meeting, form, query, figures, 400)
    if format == "csv":
        body, mimetype = exports.csv_bytes(meeting, query), "text/csv; charset=utf-8"
    else:
        body = exports.xlsx_bytes(meeting, query)
        mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{meeting.slug}-registrations.{format}"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _back_to_desk(slug: str, back: str | None) -> str:
    """The desk as it was (its query string, kept by the form), never another site."""
    query = parse_qs(back or "", max_num_fields=20)
    known: dict[str, Any] = {k: v[0] for k, v in query.items() if k in desk.QUERY_FIELDS}
    return url_for("registration.overview", slug=slug, **known)


@bp.post("/meetings/<slug>/manage/decisions")
@allow(ORGANISER)
def decide_many(slug: str) -> ResponseReturnValue:
    """The desk's ticked registrations: a confirmation page first, then the decisions."""
    meeting = meeting_or_404(slug)
    form = DecisionForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        flash(_("Choose a decision for the registrations you ticked."), "error")
        return redirect(_back_to_desk(slug, form.back.data), code=303)
    refs = list(dict.fromkeys(form.ref.data or []))
    if not refs:
        flash(_("Tick at least one registration, then choose the decision."), "error")
        return redirect(_back_to_desk(slug, form.back.data), code=303)
    people = service.registrations_by_ref(meeting, refs)
    action = form.action.data or ""
    if not form.confirmed.data:
        return _confirmation(meeting, people, action, form, missing=len(refs) - len(people))
    reason = (form.reason.data or "").strip() or None
    outcomes = service.decide_many(meeting, people, action, reason=reason)
    changed = [p for o in outcomes for p in o.changed]
    notices.tell_status(changed, reason=reason, decided=[o.person for o in outcomes])
    return render_template(
        "registration/decided.html",
        meeting=meeting,
        sentences=desk.decision_report(outcomes, action, missing=len(refs) - len(people)),
        back=_back_to_desk(slug, form.back.data),
    )


def _confirmation(
    meeting: Meeting,
    people: list[Participant],
    action: str,
    form: ReasonForm,
    *,
    missing: int = 0,
    single: Participant | None = None,
) -> str:
    if single is not None and not form.back.data:
        back = url_for("registration.detail", slug=meeting.slug, ref=single.ref)
    else:
        back = _back_to_desk(meeting.slug, form.back.data)
    return render_template(
        "registration/confirm.html",
        meeting=meeting,
        people=people,
        will=[p for p in people if action in service.offered_actions(p.status)],
        action=action,
        form=form,
        missing=missing,
        single=single,
        back=back,
    )


@bp.post("/meetings/<slug>/manage/registrations/<ref>/<any(approve, decline, cancel):action>")
@allow(ORGANISER)
def decide(slug: str, ref: str, action: str) -> ResponseReturnValue:
    """One decision; declining and cancelling show a confirmation page first."""
    meeting = meeting_or_404(slug)
    form = ReasonForm()
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400)
        unit_of_work.discard()
        person = registration_or_404(meeting, ref)
        return _confirmation(meeting, [person], action, form, single=person), 400
    person = registration_or_404(meeting, ref)
    if action != "approve" and not form.confirmed.data:
        return _confirmation(meeting, [person], action, form, single=person)
    reason = (form.reason.data or "").strip() or None
    try:
        changed = service.change(meeting, person, action, reason=reason)
    except service.InvalidTransition as exc:
        unit_of_work.discard()
        flash(str(exc), "error")
    else:
        notices.tell_status(changed, reason=reason, decided=[person])
        flash(
            _("%(name)s: %(status)s.", name=person.full_name, status=label(person.status)),
            "success",
        )
    if form.back.data:
        return redirect(_back_to_desk(slug, form.back.data) + f"#p-{ref}", code=303)
    return redirect(url_for("registration.detail", slug=slug, ref=ref), code=303)


@bp.get("/meetings/<slug>/manage/registrations/<ref>")
@allow(ORGANISER)
def detail(slug: str, ref: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    return detail_page(meeting, registration_or_404(meeting, ref))


def detail_page(
    meeting: Meeting, person: Participant, travel_form: TravelSupportForm | None = None
) -> str:
    """A registration's page; `travel_form` as sent, with its errors (travel_routes.py)."""
    return render_template(
        "registration/detail.html",
        meeting=meeting,
        person=person,
        actions=service.offered_actions(person.status),
        history=desk.history_lines(desk.history(meeting, person), _field_labels()),
        form=ReasonForm(formdata=None),
        travel_form=travel_form or TravelSupportForm.of(person),
        language=recipient_language(meeting, person),
        language_names=OWN_LANGUAGE_NAMES,
    )


def _field_labels() -> dict[str, str]:
    form = OrganiserRegistrationForm(formdata=None, meta={"csrf": False})
    return {name: str(form[name].label.text) for name in form._fields if name != "csrf_token"}


def _page_language() -> str:
    locale = get_locale()
    return locale.language if locale is not None else "en"


def _request_from(form: RegistrationForm) -> service.RegistrationRequest:
    """What the public form, or the organisers' add and edit form, asks."""
    return service.RegistrationRequest(
        organisation=form.organisation.data or "",
        given_name=form.given_name.data or "",
        family_name=form.family_name.data or "",
        email=form.email.data or "",
        role=ParticipantRole(form.role.data),
        honorific=form.honorific.data,
        position=form.position.data,
        # The organisers' decision on their form; the person's request on both.
        funded=form.funded.data if isinstance(form, OrganiserRegistrationForm) else None,
        travel_support_requested=form.travel_support_requested.data,
        needs_visa_letter=form.needs_visa_letter.data,
        dietary=form.dietary.data,
        accessibility=form.accessibility.data,
        list_consent=form.list_consent.data,
        language=(form.language.data or None) if form.language is not None else None,
        new_organisation=form.new_organisation(),
    )


def _show_errors(form: RegistrationForm, exc: service.RegistrationError) -> None:
    """The service's problems at their fields; nothing of the attempt is kept."""
    unit_of_work.discard()
    for name, message in exc.fields.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]


@bp.route("/meetings/<slug>/manage/registrations/<ref>/edit", methods=["GET", "POST"])
@allow(ORGANISER)
def edit(slug: str, ref: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    person = registration_or_404(meeting, ref)
    form = OrganiserRegistrationForm(
        obj=person if request.method == "GET" else None,
        data={"organisation": person.delegation.ref, "role": person.role.value}
        if request.method == "GET"
        else None,
    )
    form.set_organisations(service.organisation_choices(meeting, unconfirmed=True))
    # The language their mail is written in now: theirs, else the meeting's first one.
    shown_language = recipient_language(meeting, person)
    if not form.is_submitted():
        form.language.data = shown_language
    if form.validate_on_submit():
        wanted = _request_from(form)
        if person.language is None and wanted.language == shown_language:
            # As shown to a person who chose none: nothing chosen, so no change to record.
            wanted = replace(wanted, language=None)
        try:
            changed = service.update_registration(meeting, person, wanted)
        except service.RegistrationError as exc:
            _show_errors(form, exc)
        else:
            flash(
                _("The registration of %(name)s is updated.", name=person.full_name)
                if changed
                else _("Nothing was changed."),
                "success",
            )
            return redirect(url_for("registration.detail", slug=slug, ref=ref), code=303)
    return render_template("registration/edit.html", meeting=meeting, person=person, form=form), (
        400 if form.is_submitted() else 200
    )


@bp.route("/meetings/<slug>/manage/new-registration", methods=["GET", "POST"])
@allow(ORGANISER)
def add(slug: str) -> ResponseReturnValue:
    """An organiser registers someone, as the public form does, at any time."""
    meeting = meeting_or_404(slug)
    form = OrganiserRegistrationForm()
    form.set_organisations(service.organisation_choices(meeting, unconfirmed=True))
    if not form.is_submitted():
        # The organiser's page language says nothing of the person's: the meeting's first.
        form.language.data = mail.language(*(meeting.languages or ()))
    if form.validate_on_submit():
        try:
            person = service.register(meeting, _request_from(form), by_organiser=True)
        except service.RegistrationError as exc:
            _show_errors(form, exc)
        else:
            notices.confirm_registration(person)
            flash(
                _(
                    "%(name)s is registered: %(status)s.",
                    name=person.full_name,
                    status=label(person.status),
                ),
                "success",
            )
            return redirect(url_for("registration.detail", slug=slug, ref=person.ref), code=303)
    return render_template("registration/edit.html", meeting=meeting, person=None, form=form), (
        400 if form.is_submitted() else 200
    )


# On bp: the organisers' messages, personal data rights, travel support.
from . import (  # noqa: E402, F401
    message_routes,
    privacy_routes,
    travel_routes,
)
