"""Rapporteurs write their sessions' records; the chair and organisers approve them."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from .. import unit_of_work
from ..accounts.permissions import (
    RECORD_KEEPER,
    RECORD_TEAM,
    allow,
    current_account,
    may_approve,
    signed_in_account,
)
from ..lookups import meeting_or_404, session_or_404
from ..models import Meeting, RecordStatus, Session
from ..registration.service import participant_choices
from . import service
from .forms import BLANK_OUTCOMES, RecordForm

bp = Blueprint("records", __name__)


@bp.get("/meetings/<slug>/records")
@allow(RECORD_TEAM)
def index(slug: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    rows = service.record_rows(meeting, current_account())
    return render_template("records/index.html", meeting=meeting, sessions=rows)


def _choices(meeting: Meeting) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    organisations = sorted(
        ((d.ref, d.display_name) for d in meeting.delegations), key=lambda c: c[1].casefold()
    )
    people = participant_choices(meeting)
    return organisations, people


def _form_for(session: Session) -> RecordForm:
    current = service.document(session)
    rows: list[dict[str, object]] = []
    for outcome in current.get("outcomes", []):
        due = outcome.get("due")
        rows.append({**outcome, "due": date.fromisoformat(due) if due else None})
    rows += [{}] * BLANK_OUTCOMES
    return RecordForm(
        formdata=None,
        data={
            "etag": service.etag(session),
            "summary": current.get("summary"),
            "attendance": current.get("attendance"),
            "status": current["status"],
            "outcomes": rows,
        },
    )


@bp.route("/meetings/<slug>/records/<ref>", methods=["GET", "POST"])
@allow(RECORD_KEEPER)
def edit(slug: str, ref: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    session = session_or_404(meeting, ref, *service.WITH_RECORD)
    user = signed_in_account()
    approver = may_approve(user, meeting)
    organisations, people = _choices(meeting)
    form = RecordForm() if request.method == "POST" else _form_for(session)
    form.set_choices(
        organisations, people, approver, RecordStatus(service.document(session)["status"])
    )
    problems: list[str] = []
    status = 200
    if request.method == "POST":
        if form.validate():
            try:
                service.replace(
                    meeting,
                    session,
                    form.document(service.document(session)),
                    user=user,
                    read_current=lambda tag: tag == form.etag.data,
                )
            except service.RecordProblems as exc:
                unit_of_work.discard()
                problems = [f"{p.path}: {p.message}" for p in exc.problems]
            except service.RecordChanged:
                unit_of_work.discard()
                problems = [
                    _(
                        "Someone saved this record after you opened it. Open it again to see "
                        "their version, then make your changes."
                    )
                ]
            except service.NotAllowed as exc:
                unit_of_work.discard()
                problems = [str(exc)]
            except service.SessionGone as exc:
                unit_of_work.discard()
                flash(str(exc), "error")
                return redirect(url_for("records.index", slug=slug), code=303)
            else:
                flash(_("The record is saved."), "success")
                return redirect(url_for("records.edit", slug=slug, ref=ref), code=303)
        status = 400 if not problems else 409
    return render_template(
        "records/edit.html",
        meeting=meeting,
        session=session,
        form=form,
        problems=problems,
        approver=approver,
    ), status
