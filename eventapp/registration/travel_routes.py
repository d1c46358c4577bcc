"""Travel support on the organisers' pages: the decision on a registration's page, and the
page of every request with its CSV. The rules are in travel.py; these views read the forms
and show what it says."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal
from flask_babel import gettext as _

from .. import unit_of_work
from ..accounts.permissions import ORGANISER, allow
from ..lookups import meeting_or_404, registration_or_404
from ..models import Meeting
from . import exports, travel
from .routes import bp, detail_page
from .travel_forms import TravelFilterForm, TravelSupportForm


@bp.post("/meetings/<slug>/manage/registrations/<ref>/travel-support")
@allow(ORGANISER)
def travel_support_decide(slug: str, ref: str) -> ResponseReturnValue:
    """Grant, decline or take back travel support; the person is told by e-mail."""
    meeting = meeting_or_404(slug)
    person = registration_or_404(meeting, ref)
    form = TravelSupportForm()
    if form.validate_on_submit():
        try:
            changed = travel.decide_travel_support(meeting, person, form.granted, form.note.data)
        except travel.TravelSupportError as exc:
            for name, message in exc.fields.items():
                form[name].errors = [*form[name].errors, message]
        else:
            if changed:
                flash(
                    _(
                        "Travel support for %(name)s: %(decision)s. They are told by e-mail.",
                        name=person.full_name,
                        decision=travel.decision_words(person.funded),
                    ),
                    "success",
                )
            else:
                flash(_("Nothing was changed."), "info")
            url = url_for("registration.detail", slug=slug, ref=ref)
            return redirect(url + "#travel-support", code=303)
    unit_of_work.discard()
    return detail_page(meeting, person, travel_form=form), 400


def _read(meeting: Meeting) -> tuple[TravelFilterForm, travel.TravelQuery, bool]:
    form = TravelFilterForm(request.args)
    valid = form.validate()
    return form, travel.query_from(form.data if valid else {}), valid


@bp.get("/meetings/<slug>/manage/travel-support")
@allow(ORGANISER)
def travel_support(slug: str) -> ResponseReturnValue:
    """Every registration that asked for travel support or has a decision, with the counts."""
    meeting = meeting_or_404(slug)
    form, query, valid = _read(meeting)
    return render_template(
        "registration/travel_support.html",
        meeting=meeting,
        form=form,
        query=query,
        counts=travel.counts(meeting),
        rows=travel.rows(meeting, query),
        number=format_decimal,
    ), (200 if valid else 400)


@bp.get("/meetings/<slug>/manage/travel-support.csv")
@allow(ORGANISER)
def travel_support_csv(slug: str) -> ResponseReturnValue:
    """The requests page's rows, filtered as the page is, as a CSV file."""
    meeting = meeting_or_404(slug)
    _form, query, valid = _read(meeting)
    if not valid:
        return travel_support(slug)
    body = exports.csv_document(travel.csv_lines(travel.rows(meeting, query)))
    response = Response(body, mimetype="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="{meeting.slug}-travel-support.csv"'
    )
    response.headers["Cache-Control"] = "no-store"
    return response
