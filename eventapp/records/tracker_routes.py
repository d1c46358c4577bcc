"""The action tracker's pages, on the records' blueprint: the list, its CSV, the follow-up.

Those who approve records (the meeting's chair, its organisers) see every action and mark
them done; a rapporteur sees the actions of their own sessions, to read. The rules are in
tracker.py; these views read the forms and show what it says.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Response, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _

from .. import localtime, unit_of_work
from ..accounts.permissions import (
    RECORD_TEAM,
    allow,
    current_account,
    is_organiser,
    signed_in_account,
)
from ..lookups import meeting_or_404
from ..models import Meeting, RecordStatus
from ..registration.desk import page_links
from ..vocabulary import label
from . import tracker
from .access import RECORD_APPROVER
from .routes import bp
from .tracker_forms import FollowUpForm, TrackerFilterForm


def _read(
    meeting: Meeting,
) -> tuple[TrackerFilterForm, tracker.Actions, tracker.TrackerQuery, bool]:
    """The filter form read from the URL, the actions the account may follow, the form's
    query (every action when the form is not valid) and whether it was valid."""
    actions = tracker.meeting_actions(meeting, current_account())
    form = TrackerFilterForm(request.args)
    form.set_choices(actions.organisations, actions.sessions)
    valid = form.validate()
    return form, actions, form.query() if valid else tracker.TrackerQuery(), valid


def _page(
    meeting: Meeting,
    form: TrackerFilterForm,
    actions: tracker.Actions,
    query: tracker.TrackerQuery,
    status: int = 200,
) -> ResponseReturnValue:
    earlier: list[tracker.EarlierAction] | None = None
    if actions.everything and (query.organisation or query.earlier_everyone):
        earlier = tracker.earlier_open_actions(
            meeting,
            None if query.earlier_everyone else [query.organisation or ""],
            today=actions.today,
        )
    earlier_total = len(earlier or ())
    earlier = earlier[: tracker.PAGE_SIZE] if earlier is not None else None
    listed = tracker.listing(actions, query)
    # Each date and word once per page, not once per row: a list runs to thousands of rows.
    days = {r.due for r in listed.shown} | {e.due for e in earlier or ()}
    days |= {e.meeting_start for e in earlier or ()}
    language = str(get_locale() or "en")
    return render_template(
        "records/actions.html",
        meeting=meeting,
        form=form,
        query=query,
        actions=actions,
        listing=listed,
        dates={day: localtime.format_date(day, language) for day in days if day is not None},
        statuses={status: label(status) for status in RecordStatus},
        earlier=earlier,
        earlier_total=earlier_total,
        organisation_name=dict(actions.organisations).get(query.organisation or ""),
        organiser=is_organiser(current_account(), meeting),
        page_links=page_links(listed.page, listed.pages),
        follow_up=FollowUpForm(formdata=None, back=urlencode(query.args(page=listed.page))),
    ), status


@bp.get("/meetings/<slug>/actions")
@allow(RECORD_TEAM)
def actions(slug: str) -> ResponseReturnValue:
    """Every action item of the meeting's records, filtered, counted and sorted; the open
    actions of the same organisations from earlier meetings."""
    meeting = meeting_or_404(slug)
    form, actions, query, valid = _read(meeting)
    return _page(meeting, form, actions, query, 200 if valid else 400)


@bp.get("/meetings/<slug>/actions.csv")
@allow(RECORD_TEAM)
def actions_csv(slug: str) -> ResponseReturnValue:
    """The tracker's list as it is filtered and sorted, as CSV."""
    meeting = meeting_or_404(slug)
    form, actions, query, valid = _read(meeting)
    if not valid:
        return _page(meeting, form, actions, query, 400)
    body = tracker.csv_bytes(meeting, tracker.listing(actions, query).rows)
    response = Response(body, content_type="text/csv; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{meeting.slug}-actions.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/meetings/<slug>/actions/follow-up")
@allow(RECORD_APPROVER)
def follow_up(slug: str) -> ResponseReturnValue:
    """Mark one action (its row's button) or the ticked ones done or not done."""
    meeting = meeting_or_404(slug)
    form = FollowUpForm()
    back = form.back.data if form.back.validate(form) else ""
    there = url_for("records.actions", slug=slug) + (f"?{back}" if back else "")
    if not form.validate_on_submit():
        flash(_("The form had expired. Please send it again."), "error")
        return redirect(there, code=303)
    row = request.form.get("row", "")
    if row:
        mark, _colon, token = row.partition(":")
        tokens = [token]
    else:
        mark, tokens = request.form.get("mark", ""), request.form.getlist("action")
    if mark not in ("done", "open"):
        flash(_("Choose whether to mark the actions done or not done."), "error")
        return redirect(there, code=303)
    try:
        result = tracker.follow_up(meeting, tokens, done=mark == "done", user=signed_in_account())
    except tracker.StaleActions as exc:
        unit_of_work.discard()
        flash(str(exc), "error")
        return redirect(there, code=303)
    if result.changed and mark == "done":
        flash(
            ngettext("%(num)d action marked done.", "%(num)d actions marked done.", result.changed),
            "success",
        )
    elif result.changed:
        flash(
            ngettext(
                "%(num)d action marked not done.",
                "%(num)d actions marked not done.",
                result.changed,
            ),
            "success",
        )
    else:
        flash(_("Nothing to change: the actions chosen were already so."), "info")
    return redirect(there, code=303)
