"""Rapporteurs write their sessions' records; the chair and organisers approve them."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
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
from ..models import Meeting, OutcomeKind, RecordStatus, RevisionChange, Session
from ..registration.service import participant_choices
from . import service
from .access import RECORD_APPROVER
from .forms import BLANK_OUTCOMES, CommentForm, RecordForm

bp = Blueprint("records", __name__)


@bp.get("/meetings/<slug>/records")
@allow(RECORD_TEAM)
def index(slug: str) -> ResponseReturnValue:
    """Every session's record and how far it is (a rapporteur's own sessions only), with the
    counts by stage and a filter by stage (?stage=…)."""
    meeting = meeting_or_404(slug)
    rows = service.record_rows(meeting, current_account())
    stage = request.args.get("stage", "")
    if stage not in service.STAGES:
        stage = ""
    return render_template(
        "records/index.html",
        meeting=meeting,
        sessions=[r for r in rows if not stage or r.stage == stage],
        counts=service.stage_counts(rows),
        stage=stage,
        stages=service.STAGES,
        stage_label=service.stage_label,
        approver=may_approve(current_account(), meeting),
    )


@bp.get("/meetings/<slug>/awaiting-approval")
@allow(RECORD_APPROVER)
def queue(slug: str) -> ResponseReturnValue:
    """The records submitted for approval, the longest waiting first."""
    meeting = meeting_or_404(slug)
    return render_template(
        "records/queue.html", meeting=meeting, waiting=service.awaiting_approval(meeting)
    )


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
    # Preview: the form again, with its summary as it will read; nothing is saved.
    previewing = request.method == "POST" and "preview" in request.form
    if previewing:
        status = 200 if form.validate() else 400
    elif request.method == "POST":
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
    history = service.revisions(session)
    shown = service.sent_back(session, history)
    return render_template(
        "records/edit.html",
        meeting=meeting,
        session=session,
        form=form,
        problems=problems,
        approver=approver,
        preview=(form.summary.data or "") if previewing else None,
        sent_back=shown,
        sent_back_at=shown.at.astimezone(meeting.zone) if shown else None,
        revisions=[service.revision_row(r, meeting.zone) for r in history],
        may_return=service.may_change(session, RevisionChange.RETURNED, approver=approver),
        may_reopen=service.may_change(session, RevisionChange.REOPENED, approver=approver),
    ), status


@bp.get("/meetings/<slug>/records/<ref>/revisions/<int:number>")
@allow(RECORD_KEEPER)
def revision(slug: str, ref: str, number: int) -> ResponseReturnValue:
    """The record as one of its revisions left it, to read."""
    meeting = meeting_or_404(slug)
    session = session_or_404(meeting, ref)
    kept = service.revision(session, number)
    if kept is None:
        abort(404)
    organisations, people = _choices(meeting)
    return render_template(
        "records/revision.html",
        meeting=meeting,
        session=session,
        revision=service.revision_row(kept, meeting.zone),
        record=kept.document,
        outcomes=[
            {**o, "due": date.fromisoformat(o["due"]) if o.get("due") else None}
            for o in kept.document.get("outcomes", [])
        ],
        statuses={s.value: s for s in RecordStatus},
        kinds={k.value: k for k in OutcomeKind},
        organisations=dict(organisations),
        people=dict(people),
    )


SEND_BACK = {
    "return": RevisionChange.RETURNED,
    "reopen": RevisionChange.REOPENED,
}


@bp.route(
    "/meetings/<slug>/records/<ref>/return", methods=["GET", "POST"], defaults={"how": "return"}
)
@bp.route(
    "/meetings/<slug>/records/<ref>/reopen", methods=["GET", "POST"], defaults={"how": "reopen"}
)
@allow(RECORD_APPROVER)
def send_back(slug: str, ref: str, how: str) -> ResponseReturnValue:
    """The chair or an organiser sends a record back to its rapporteur, or reopens it, with a
    comment: a page of its own, which says what follows, is the confirmation."""
    meeting = meeting_or_404(slug)
    session = session_or_404(meeting, ref, *service.WITH_RECORD)
    change = SEND_BACK[how]
    user = signed_in_account()
    approver = may_approve(user, meeting)
    back = redirect(url_for("records.edit", slug=slug, ref=ref), code=303)
    form = CommentForm()
    if not service.may_change(session, change, approver=approver):
        # Changed since the page that led here (someone else sent it back or reopened it).
        flash(_("The record's status changed meanwhile: nothing was done."), "error")
        return back
    if form.validate_on_submit():
        try:
            service.send_back(meeting, session, change, form.comment.data or "", user=user)
        except service.CommentMissing as exc:
            unit_of_work.discard()
            form.comment.errors = [str(exc)]
        except (service.NotAllowed, service.WrongStatus, service.RecordChanged) as exc:
            unit_of_work.discard()
            flash(str(exc), "error")
            return back
        except service.SessionGone as exc:
            unit_of_work.discard()
            flash(str(exc), "error")
            return redirect(url_for("records.index", slug=slug), code=303)
        else:
            if change is RevisionChange.RETURNED:
                flash(_("The record is sent back to its rapporteur as a draft."), "success")
            else:
                flash(_("The record is reopened as a draft."), "success")
            return back
    status = 400 if form.is_submitted() else 200
    return render_template(
        "records/send_back.html",
        meeting=meeting,
        session=session,
        form=form,
        change=change,
        current=session.record.status if session.record is not None else None,
    ), status
