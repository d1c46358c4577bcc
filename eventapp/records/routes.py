"""Rapporteurs write their sessions' records; the chair and organisers approve them."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

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
from ..vocabulary import label
from . import service
from .access import RECORD_APPROVER
from .compare import compare as compare_records
from .forms import BLANK_OUTCOMES, CommentForm, RecordForm, RestoreForm, moved

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


# The buttons that rearrange the editor's outcomes: "move-<row>-up", "move-<row>-down".
_MOVE = re.compile(r"move-(\d+)-(up|down)")


def _rearranged(form: RecordForm) -> tuple[RecordForm, str | None]:
    """The editor's form after "Add an outcome" (the new row's kind has the focus) or a "Move
    up/down" button, nothing saved; and the name of the moved row's button to focus."""
    if "add-outcome" in request.form:
        form.outcomes.append_entry()
        form.outcomes[-1].kind.render_kw = {"autofocus": True}
        return form, None
    found = next(filter(None, (_MOVE.fullmatch(name) for name in request.form)), None)
    if found is None:
        return form, None
    row, way = int(found.group(1)), found.group(2)
    to = row - 1 if way == "up" else row + 1
    if not 0 <= to < len(form.outcomes):
        return form, None
    form = RecordForm(formdata=moved(request.form, row, to - row))
    if to == 0 or to == len(form.outcomes) - 1:  # its button that way is gone: the other one
        way = "down" if way == "up" else "up"
    return form, f"move-{to}-{way}"


def _rearranging() -> bool:
    return "add-outcome" in request.form or any(_MOVE.fullmatch(name) for name in request.form)


@bp.route("/meetings/<slug>/records/<ref>", methods=["GET", "POST"])
@allow(RECORD_KEEPER)
def edit(slug: str, ref: str) -> ResponseReturnValue:
    """The record editor. Preview, "Add an outcome" and the "Move" buttons show the form
    again as typed, nothing saved; a save someone else's overtook shows both versions (409)."""
    meeting = meeting_or_404(slug)
    session = session_or_404(meeting, ref, *service.WITH_RECORD)
    user = signed_in_account()
    approver = may_approve(user, meeting)
    organisations, people = _choices(meeting)
    form = RecordForm() if request.method == "POST" else _form_for(session)
    focus = None
    if request.method == "POST" and _rearranging():
        form, focus = _rearranged(form)
    form.set_choices(
        organisations,
        people,
        approver,
        RecordStatus(service.document(session)["status"]),
        service.session_people(session),
    )
    problems: list[str] = []
    conflict = None
    status = 200
    # Preview: the form again, with its summary as it will read; nothing is saved.
    previewing = request.method == "POST" and "preview" in request.form
    if previewing:
        status = 200 if form.validate() else 400
    elif request.method == "POST" and not _rearranging():
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
                session = session_or_404(meeting, ref, *service.WITH_RECORD)
                conflict = _conflict(session, form)
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
        status = 400 if not (problems or conflict) else 409
    history = service.revisions(session)
    shown = service.sent_back(session, history)
    return render_template(
        "records/edit.html",
        meeting=meeting,
        session=session,
        form=form,
        focus=focus,
        problems=problems,
        conflict=conflict,
        approver=approver,
        preview=(form.summary.data or "") if previewing else None,
        sent_back=shown,
        sent_back_at=shown.at.astimezone(meeting.zone) if shown else None,
        revisions=[service.revision_row(r, meeting.zone) for r in history],
        may_return=service.may_change(session, RevisionChange.RETURNED, approver=approver),
        may_reopen=service.may_change(session, RevisionChange.REOPENED, approver=approver),
        **_names(meeting, organisations, people),
    ), status


def _conflict(session: Session, form: RecordForm) -> dict[str, Any]:
    """Someone saved the record after the writer opened it: their version and the writer's,
    for the page to show side by side; the form now names their version, so that saving
    it again writes the writer's over theirs."""
    theirs = service.document(session)
    history = service.revisions(session)
    form.etag.data = service.etag(session)
    readable = _readable(theirs), _readable(form.document(theirs))
    return {
        "theirs": readable[0],
        "yours": readable[1],
        "changes": compare_records(*readable),
        "saved": service.revision_row(history[-1], session.meeting.zone) if history else None,
    }


def _readable(record: dict[str, Any]) -> dict[str, Any]:
    """A record as the schema writes it, with its due dates as dates, for a page to show."""
    return {
        **record,
        "outcomes": [
            {**o, "due": date.fromisoformat(o["due"]) if o.get("due") else None}
            for o in record.get("outcomes", [])
        ],
    }


def _names(
    meeting: Meeting, organisations: list[tuple[str, str]], people: list[tuple[str, str]]
) -> dict[str, Any]:
    """What a page needs to show a record's document in words: the labels of its statuses
    and kinds, and the names of the organisations and people it names by ref."""
    return {
        "statuses": {s.value: s for s in RecordStatus},
        "kinds": {k.value: k for k in OutcomeKind},
        "organisations": dict(organisations),
        "people": dict(people),
    }


@bp.get("/meetings/<slug>/records/<ref>/revisions/<int:number>")
@allow(RECORD_KEEPER)
def revision(slug: str, ref: str, number: int) -> ResponseReturnValue:
    """The record as one of its revisions left it, to read."""
    meeting = meeting_or_404(slug)
    session = session_or_404(meeting, ref)
    kept = service.revision(session, number)
    if kept is None:
        abort(404)
    history = service.revisions(session)
    return render_template(
        "records/revision.html",
        meeting=meeting,
        session=session,
        revision=service.revision_row(kept, meeting.zone),
        record=_readable(kept.document),
        numbers=[r.number for r in history],
        newest=history[-1].number,
        **_names(meeting, *_choices(meeting)),
    )


@bp.get("/meetings/<slug>/records/<ref>/revisions/compare")
@allow(RECORD_KEEPER)
def compare(slug: str, ref: str) -> ResponseReturnValue:
    """Two revisions of the record compared (?a=…&b=…, either order): what changed from the
    older to the newer. Numbers that name no revision: the form again, with the error."""
    meeting = meeting_or_404(slug)
    session = session_or_404(meeting, ref)
    history = {r.number: r for r in service.revisions(session)}
    a, b = request.args.get("a", type=int), request.args.get("b", type=int)
    error, status = None, 200
    if a is None or b is None:
        error, status = _("Choose the two revisions to compare."), 400
    elif a not in history or b not in history:
        missing = a if a not in history else b
        error, status = _("This record has no revision %(n)d.", n=missing), 404
    older = newer = None
    if error is None:
        assert a is not None and b is not None
        older, newer = history[min(a, b)], history[max(a, b)]
    return render_template(
        "records/compare.html",
        meeting=meeting,
        session=session,
        error=error,
        numbers=list(history),
        a=older.number if older else (a if a in history else None),
        b=newer.number if newer else (b if b in history else None),
        older=service.revision_row(older, meeting.zone) if older else None,
        newer=service.revision_row(newer, meeting.zone) if newer else None,
        changes=(
            compare_records(_readable(older.document), _readable(newer.document))
            if older and newer
            else None
        ),
        **_names(meeting, *_choices(meeting)),
    ), status


@bp.route("/meetings/<slug>/records/<ref>/revisions/<int:number>/restore", methods=["GET", "POST"])
@allow(RECORD_KEEPER)
def restore(slug: str, ref: str, number: int) -> ResponseReturnValue:
    """Restore an earlier revision: the page says what the record becomes (status and changes)
    and is the confirmation; the restore is a new revision, the history stays as it is."""
    meeting = meeting_or_404(slug)
    session = session_or_404(meeting, ref, *service.WITH_RECORD)
    kept = service.revision(session, number)
    if kept is None:
        abort(404)
    user = signed_in_account()
    form = RestoreForm()
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            restored = service.restore(
                meeting, session, kept, user=user, read_current=lambda tag: tag == form.etag.data
            )
        except service.RecordChanged:
            unit_of_work.discard()
            session = session_or_404(meeting, ref, *service.WITH_RECORD)
            problems = [
                _(
                    "Someone changed the record after you opened this page: nothing was "
                    "restored. Below is what restoring would change now; restore it again if "
                    "you still want to."
                )
            ]
        except service.RecordProblems:
            unit_of_work.discard()
            problems = [
                _(
                    "Revision %(n)d names people or organisations who are no longer part of "
                    "the meeting: it cannot be restored. Copy what you need from it into the "
                    "record instead.",
                    n=number,
                )
            ]
        except service.NothingToRestore as exc:
            unit_of_work.discard()
            flash(str(exc), "success")
            return redirect(url_for("records.edit", slug=slug, ref=ref), code=303)
        except service.SessionGone as exc:
            unit_of_work.discard()
            flash(str(exc), "error")
            return redirect(url_for("records.index", slug=slug), code=303)
        else:
            flash(
                _(
                    "Revision %(n)d is restored, as revision %(new)d. Its status: %(status)s.",
                    n=number,
                    new=restored.number,
                    status=label(restored.status),
                ),
                "success",
            )
            return redirect(url_for("records.edit", slug=slug, ref=ref), code=303)
    form.etag.data = service.etag(session)
    current = service.document(session)
    approver = may_approve(user, meeting)
    becomes = service.restored_status(
        session.record.status if session.record is not None else None, approver=approver
    )
    return render_template(
        "records/restore.html",
        meeting=meeting,
        session=session,
        form=form,
        problems=problems,
        revision=service.revision_row(kept, meeting.zone),
        becomes=becomes,
        current=RecordStatus(current["status"]),
        approver=approver,
        changes=compare_records(
            _readable(current), _readable({**kept.document, "status": becomes.value})
        ),
        **_names(meeting, *_choices(meeting)),
    ), 400 if form.is_submitted() else 200


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
