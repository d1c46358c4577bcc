"""The organisers' pages for the meeting's settings and organisations: thin views."""

from __future__ import annotations

from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import Field

from .. import localtime, unit_of_work
from ..accounts.forms import ConfirmForm
from ..accounts.permissions import ORGANISER, allow
from ..lookups import find_delegation, meeting_or_404
from ..models import Delegation, Meeting
from ..registration import organisation_notices
from ..registration import service as registration_service
from ..registration.service import registration_state
from . import organisations, service
from .forms import MergeChoiceForm, OrganisationForm, SettingsForm

bp = Blueprint("meetings", __name__)


def _place_problems(
    form: FlaskForm, fields: dict[str, str], find: Callable[[str], Field | None] | None = None
) -> list[str]:
    """Each service problem next to its field; those without one for the summary."""
    unplaced = []
    for name, message in fields.items():
        field = find(name) if find is not None else form._fields.get(name)
        if field is None:
            unplaced.append(message)
        else:
            field.errors = [*field.errors, message]
    form._errors = None  # the summary reads the errors again, the service's included
    return unplaced


# -- settings ---------------------------------------------------------------------------------


@bp.route("/meetings/<slug>/manage/settings", methods=["GET", "POST"])
@allow(ORGANISER)
def settings(slug: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    form = SettingsForm(meeting, localtime.page_language())
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        try:
            result = service.change_settings(meeting, form.changes())
        except service.SettingsProblems as exc:
            unit_of_work.discard()
            problems = _place_problems(form, exc.fields, form.field_for)
            status = 422
        else:
            if result.changed:
                flash(
                    _(
                        "The settings are saved. Changed: %(names)s.",
                        names=service.names_of(result.changed),
                    ),
                    "success",
                )
            else:
                flash(_("Nothing was changed: the settings were already as sent."), "info")
            for warning in result.warnings:
                flash(warning, "error")
            return redirect(url_for("meetings.settings", slug=slug), code=303)
    elif form.is_submitted():
        status = 400
        # The service's problems too, for the fields the form could read: all shown at once.
        readable = {
            key: value
            for key, value in form.changes().items()
            if not getattr(form.field_for(key), "errors", None)
        }
        found = service.problems_of(meeting, readable)
        problems = _place_problems(
            form,
            {k: v for k, v in found.items() if not getattr(form.field_for(k), "errors", None)},
            form.field_for,
        )
    return render_template(
        "meetings/settings.html",
        meeting=meeting,
        form=form,
        problems=problems,
        registration=registration_state(meeting),
    ), status


# -- organisations ----------------------------------------------------------------------------


def _organisations_page(meeting: Meeting, form: OrganisationForm, problems: list[str]) -> str:
    rows = organisations.delegation_rows(meeting)
    return render_template(
        "meetings/organisations.html",
        meeting=meeting,
        rows=[r for r in rows if r.confirmed],
        unconfirmed=[r for r in rows if not r.confirmed],
        confirm_form=ConfirmForm(),
        form=form,
        problems=problems,
    )


@bp.route("/meetings/<slug>/manage/organisations", methods=["GET", "POST"])
@allow(ORGANISER)
def organisation_list(slug: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    form = OrganisationForm(localtime.page_language())
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        try:
            delegation = organisations.add_delegation(meeting, form.details())
        except organisations.OrganisationProblems as exc:
            unit_of_work.discard()
            problems = _place_problems(form, exc.fields)
            status = 422
        else:
            flash(
                _(
                    "%(name)s is added to the meeting's organisations.",
                    name=delegation.display_name,
                ),
                "success",
            )
            return redirect(url_for("meetings.organisation_list", slug=slug), code=303)
    elif form.is_submitted():
        status = 400
    return _organisations_page(meeting, form, problems), status


def _delegation_or_404(meeting: Meeting, ref: str) -> Delegation:
    delegation = find_delegation(meeting, ref)
    if delegation is None:
        abort(404)
    return delegation


@bp.route("/meetings/<slug>/manage/organisations/<ref>", methods=["GET", "POST"])
@allow(ORGANISER)
def organisation_edit(slug: str, ref: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    delegation = _delegation_or_404(meeting, ref)
    form = OrganisationForm(
        localtime.page_language(),
        data={
            "name": delegation.name,
            "acronym": delegation.acronym or "",
            "kind": delegation.kind.value,
            "country": delegation.country or "",
            "quota": delegation.quota,
        },
    )
    problems: list[str] = []
    status = 200
    if form.validate_on_submit():
        try:
            delegation, changed, warnings = organisations.change_delegation(
                meeting, ref, form.details()
            )
        except organisations.OrganisationGone:
            abort(404)
        except organisations.OrganisationProblems as exc:
            unit_of_work.discard()
            problems = _place_problems(form, exc.fields)
            status = 422
        else:
            if changed:
                flash(_("%(name)s is saved.", name=delegation.display_name), "success")
            else:
                flash(_("Nothing was changed."), "info")
            for warning in warnings:
                flash(warning, "error")
            return redirect(url_for("meetings.organisation_list", slug=slug), code=303)
    elif form.is_submitted():
        status = 400
    return render_template(
        "meetings/organisation_edit.html",
        meeting=meeting,
        delegation=delegation,
        form=form,
        problems=problems,
        seat_quota=meeting.quota_for(delegation.kind),
    ), status


@bp.post("/meetings/<slug>/manage/organisations/<ref>/confirm")
@allow(ORGANISER)
def organisation_confirm(slug: str, ref: str) -> ResponseReturnValue:
    """An organisation a registrant named becomes one of the meeting's; its people are told."""
    meeting = meeting_or_404(slug)
    _delegation_or_404(meeting, ref)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        delegation = organisations.confirm_delegation(meeting, ref)
    except organisations.OrganisationGone:
        abort(404)
    people = list(delegation.participants)
    registration_service.organisation_confirmed(meeting, delegation)
    organisation_notices.tell_confirmed(people, delegation)
    flash(
        ngettext(
            "%(name)s is confirmed; %(num)d person is told by e-mail.",
            "%(name)s is confirmed; %(num)d people are told by e-mail.",
            len(people),
            name=delegation.display_name,
        ),
        "success",
    )
    return redirect(url_for("meetings.organisation_list", slug=slug), code=303)


@bp.route("/meetings/<slug>/manage/organisations/<ref>/merge", methods=["GET", "POST"])
@allow(ORGANISER)
def organisation_merge(slug: str, ref: str) -> ResponseReturnValue:
    """GET: choose the organisation to merge into, then see what will happen; POST: merge."""
    meeting = meeting_or_404(slug)
    delegation = _delegation_or_404(meeting, ref)
    others = [r for r in organisations.delegation_rows(meeting) if r.ref != ref]
    choose = MergeChoiceForm(request.args, others)
    into = request.args.get("into")
    if not into or not choose.validate():
        status = 400 if into is not None else 200
        return render_template(
            "meetings/merge.html", meeting=meeting, delegation=delegation, choose=choose
        ), status
    confirm = ConfirmForm()
    if request.method == "POST":
        if not confirm.validate_on_submit():
            abort(400)
        was_confirmed = delegation.confirmed
        try:
            plan = organisations.merge_delegations(meeting, ref, into)
        except organisations.OrganisationGone:
            abort(404)
        if not was_confirmed and plan.target.confirmed:
            # The registrants who named it are told where they now belong.
            registration_service.organisation_confirmed(meeting, plan.target, plan.people)
            organisation_notices.tell_merged(list(plan.people), plan.target)
        flash(
            ngettext(
                "%(source)s is merged into %(target)s: %(num)d registration moved.",
                "%(source)s is merged into %(target)s: %(num)d registrations moved.",
                plan.registrations,
                source=plan.source.display_name,
                target=plan.target.display_name,
            ),
            "success",
        )
        for warning in plan.warnings:
            flash(warning, "error")
        return redirect(url_for("meetings.organisation_list", slug=slug), code=303)
    plan = organisations.merge_plan(meeting, ref, into)
    return render_template(
        "meetings/merge.html",
        meeting=meeting,
        delegation=delegation,
        choose=choose,
        plan=plan,
        confirm=confirm,
    )
