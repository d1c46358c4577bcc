"""The organisers' rooms page: list the meeting's rooms, add, rename, set capacity, remove.

Registered on the agenda blueprint (imported at the end of routes.py). The rules are the room
services of sessions.py; a refusal there is shown on the page as its sentence, nothing changed.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from .. import unit_of_work
from ..accounts.forms import ConfirmForm
from ..accounts.permissions import ORGANISER, allow
from ..lookups import meeting_or_404
from ..models import Meeting
from . import sessions
from .room_forms import RoomForm
from .routes import bp


def _prefix(ref: str) -> str:
    # One form per room on the page: its fields' names and ids carry the room's ref.
    return f"edit-{ref}"


def _room_or_404(meeting: Meeting, ref: str) -> sessions.RoomRow:
    room = sessions.find_room(meeting, ref)
    if room is None:
        abort(404)
    return room


def _page(
    meeting: Meeting,
    *,
    add_form: RoomForm | None = None,
    add_problems: list[str] | None = None,
    failed: tuple[str, RoomForm, list[str]] | None = None,
) -> str:
    """The rooms page; `failed` is the room whose change was refused, its form and problems."""
    rooms = sessions.room_list(meeting)
    forms = {
        room.ref: RoomForm(
            prefix=_prefix(room.ref),
            formdata=None,
            data={"name": room.name, "capacity": room.capacity},
        )
        for room in rooms
    }
    problems: dict[str, list[str]] = {}
    if failed is not None:
        ref, form, found = failed
        forms[ref], problems[ref] = form, found
    return render_template(
        "agenda/rooms.html",
        meeting=meeting,
        rooms=rooms,
        forms=forms,
        problems=problems,
        add_form=add_form or RoomForm(formdata=None),
        add_problems=add_problems or [],
    )


@bp.route("/meetings/<slug>/manage/agenda/rooms", methods=["GET", "POST"])
@allow(ORGANISER)
def rooms(slug: str) -> ResponseReturnValue:
    """The meeting's rooms; a POST adds one."""
    meeting = meeting_or_404(slug)
    form = RoomForm()
    if form.validate_on_submit():
        try:
            room = sessions.add_room(meeting, form.name.data or "", form.capacity.data)
        except sessions.RoomProblem as exc:
            unit_of_work.discard()
            return _page(meeting, add_form=form, add_problems=[str(exc)]), 422
        flash(_("%(room)s is added to the meeting's rooms.", room=room.name), "success")
        return redirect(url_for("agenda.rooms", slug=slug), code=303)
    if form.is_submitted():
        return _page(meeting, add_form=form), 400
    return _page(meeting)


@bp.post("/meetings/<slug>/manage/agenda/rooms/<ref>")
@allow(ORGANISER)
def change_room(slug: str, ref: str) -> ResponseReturnValue:
    """A new name or capacity for one room; its sessions follow it."""
    meeting = meeting_or_404(slug)
    room = _room_or_404(meeting, ref)
    form = RoomForm(prefix=_prefix(ref))
    if not form.validate_on_submit():
        return _page(meeting, failed=(ref, form, [])), 400
    name, capacity = form.name.data or "", form.capacity.data
    try:
        if " ".join(name.split()) != room.name:
            sessions.rename_room(meeting, ref, name)
        if capacity != room.capacity:
            sessions.set_room_capacity(meeting, ref, capacity)
    except sessions.RoomProblem as exc:
        unit_of_work.discard()
        return _page(meeting, failed=(ref, form, [str(exc)])), 422
    flash(_("The room %(room)s is saved.", room=" ".join(name.split())), "success")
    return redirect(url_for("agenda.rooms", slug=slug, _anchor=f"room-{ref}"), code=303)


@bp.route("/meetings/<slug>/manage/agenda/rooms/<ref>/remove", methods=["GET", "POST"])
@allow(ORGANISER)
def remove_room(slug: str, ref: str) -> ResponseReturnValue:
    """GET says what removing the room does; POST (with the CSRF token) removes it."""
    meeting = meeting_or_404(slug)
    room = _room_or_404(meeting, ref)
    form = ConfirmForm()
    problem, status = None, 200
    # Without the CSRF token a POST never reaches here: CSRFProtect answers it 400.
    if form.validate_on_submit():
        try:
            sessions.remove_room(meeting, ref)
        except sessions.RoomInUse as exc:
            unit_of_work.discard()
            problem, status = str(exc), 409
        else:
            flash(_("The room %(room)s is removed.", room=room.name), "success")
            return redirect(url_for("agenda.rooms", slug=slug), code=303)
    return render_template(
        "agenda/room_remove.html", meeting=meeting, room=room, form=form, problem=problem
    ), status
