"""Organisers' messages to participants: write, preview, confirm, send; the messages sent.

One page and one POST: the form's button says the step (preview, edit, send). The rules are in
messages.py; these views only read the form and show what the service says.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import ngettext

from .. import unit_of_work
from ..accounts.permissions import ORGANISER, allow
from ..lookups import meeting_or_404
from ..models import Meeting, RegistrationStatus
from . import messages, service
from .message_forms import MessageForm
from .routes import bp


def _form(meeting: Meeting, **defaults: object) -> MessageForm:
    form = MessageForm(**defaults) if defaults else MessageForm()
    form.set_organisations(service.organisation_choices(meeting))
    return form


def _page(meeting: Meeting, form: MessageForm, status: int = 200) -> ResponseReturnValue:
    sent = messages.sent_messages(meeting)
    return render_template(
        "registration/messages.html",
        meeting=meeting,
        form=form,
        sent=sent,
        described={m.message_id: messages.describe(meeting, m.filters) for m in sent},
        placeholders=messages.PLACEHOLDERS,
    ), status


def _preview(
    meeting: Meeting, form: MessageForm, problem: str | None = None, status: int = 200
) -> ResponseReturnValue:
    draft = form.draft()
    shown = messages.preview(meeting, draft)
    return render_template(
        "registration/messages_preview.html",
        meeting=meeting,
        form=form,
        preview=shown,
        filters=messages.describe(meeting, draft.query.args()),
        problem=problem,
    ), status


@bp.get("/meetings/<slug>/manage/messages")
@allow(ORGANISER)
def messages_page(slug: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    form = _form(
        meeting,
        formdata=None,
        status=RegistrationStatus.APPROVED.value,
        message_id=messages.new_message_id(),
    )
    return _page(meeting, form)


@bp.post("/meetings/<slug>/manage/messages")
@allow(ORGANISER)
def messages_step(slug: str) -> ResponseReturnValue:
    """preview: the count and the first message; edit: the form again; send: after the
    confirmation, one message per person, once."""
    meeting = meeting_or_404(slug)
    form = _form(meeting)
    step = request.form.get("step", "preview")
    if step == "edit":
        form.validate_on_submit()
        form.csrf_token.errors = []
        # Back to writing: the values as they were, without a list of errors.
        for field in form:
            field.errors = []
        return _page(meeting, form)
    if not form.validate_on_submit():
        unit_of_work.discard()
        return _page(meeting, form, 400)
    if step != "send":
        return _preview(meeting, form)
    expected = form.expected.data or ""
    try:
        sent = messages.send(
            meeting, form.draft(), expected=int(expected) if expected.isdigit() else None
        )
    except messages.AlreadySent as exc:
        unit_of_work.discard()
        flash(str(exc), "info")
        return redirect(url_for("registration.messages_page", slug=slug) + "#sent", code=303)
    except messages.RecipientsChanged as exc:
        unit_of_work.discard()
        form.expected.data = str(exc.count)
        return _preview(meeting, form, problem=str(exc), status=409)
    except messages.MessageError as exc:
        unit_of_work.discard()
        return _preview(meeting, form, problem=str(exc), status=409)
    flash(
        ngettext(
            "Your message is on its way to %(num)d person.",
            "Your message is on its way to %(num)d people.",
            sent.recipients,
        ),
        "success",
    )
    return redirect(url_for("registration.messages_page", slug=slug) + "#sent", code=303)
