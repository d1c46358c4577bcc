"""A delegation's pages: its focal points' view of their organisation at a meeting, where they
nominate, replace and withdraw its people and name its head; and the organisers' page where
each organisation's focal points are named. Thin views: the rules are in nominations.py,
service.py and the registration service."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from .. import mail, unit_of_work
from ..accounts.forms import ConfirmForm
from ..accounts.permissions import (
    DELEGATION_SPEAKER,
    ORGANISER,
    ORGANISER_OR_FOCAL_POINT,
    allow,
    focal_delegations,
    is_organiser,
    participant_of,
    signed_in_account,
)
from ..accounts.service import AccountError
from ..lookups import account_or_404, meeting_or_404
from ..models import Approval, Delegation, Meeting, Participant, User
from ..registration import notices as registration_notices
from ..registration import service as registration
from ..vocabulary import label
from . import nominations, notices, service
from .forms import FocalPointForm, NominationForm

bp = Blueprint("delegations", __name__)


def _delegation_or_404(meeting: Meeting, ref: str) -> Delegation:
    found = service.delegation(meeting, ref)
    if found is None:
        abort(404)
    return found


def _member_or_404(delegation: Delegation, ref: str) -> Participant:
    person = nominations.member(delegation, ref)
    if person is None:
        abort(404)
    return person


def _back(meeting: Meeting, delegation: Delegation) -> ResponseReturnValue:
    return redirect(
        url_for("delegations.delegation", slug=meeting.slug, ref=delegation.ref), code=303
    )


# -- the focal points' pages ------------------------------------------------------------------


@bp.get("/meetings/<slug>/delegations/")
@allow(ORGANISER_OR_FOCAL_POINT)
def index(slug: str) -> ResponseReturnValue:
    """The delegations the account speaks for (organisers: all); straight to the one if one."""
    meeting = meeting_or_404(slug)
    user = signed_in_account()
    organiser = is_organiser(user, meeting)
    if organiser:
        delegations = nominations.confirmed_delegations(meeting)
    else:
        delegations = focal_delegations(user, meeting)
    if len(delegations) == 1:
        return redirect(url_for("delegations.delegation", slug=slug, ref=delegations[0].ref))
    return render_template(
        "delegations/index.html", meeting=meeting, delegations=delegations, organiser=organiser
    )


@bp.get("/meetings/<slug>/delegations/<ref>")
@allow(DELEGATION_SPEAKER)
def delegation(slug: str, ref: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    delegation = _delegation_or_404(meeting, ref)
    user = signed_in_account()
    return render_template(
        "delegations/show.html",
        meeting=meeting,
        delegation=delegation,
        seats=nominations.seats(meeting, delegation),
        members=nominations.members(delegation),
        seated=nominations.SEATED,
        head=nominations.HEAD,
        automatic=meeting.approval_rule is Approval.AUTOMATIC,
        can_nominate=_may_register(meeting, user),
        organiser=is_organiser(user, meeting),
        form=ConfirmForm(),
        # For the letters of nomination (templates/delegations/_letters.html).
        letters=list(delegation.letters),
    )


def _may_register(meeting: Meeting, user: User) -> bool:
    """Focal points nominate while registration is open; organisers at any time."""
    return registration.registration_open(meeting) or is_organiser(user, meeting)


def _problems(form: NominationForm, exc: registration.RegistrationError) -> list[str]:
    """The service's problems at their fields, the others as sentences; nothing is kept."""
    unit_of_work.discard()
    problems = []
    for name, message in exc.fields.items():
        if name in form and name != "csrf_token":
            form[name].errors = [*form[name].errors, message]
        else:
            problems.append(message)
    if not exc.fields:
        problems.append(str(exc))
    return problems


def _nomination_page(
    meeting: Meeting,
    delegation: Delegation,
    form: NominationForm,
    problems: list[str],
    *,
    replacing: Participant | None = None,
    is_open: bool = True,
) -> ResponseReturnValue:
    if not is_open:
        status = 409 if form.is_submitted() else 200
    else:
        status = 400 if form.is_submitted() else 200
    return render_template(
        "delegations/nominate.html",
        meeting=meeting,
        delegation=delegation,
        form=form,
        problems=problems,
        replacing=replacing,
        is_open=is_open,
        state=registration.registration_state(meeting),
    ), status


def _new_form(meeting: Meeting) -> NominationForm:
    form = NominationForm()
    if not form.is_submitted():
        # The person's language is not the focal point's page's: the meeting's first.
        form.language.data = mail.language(*(meeting.languages or ()))
    return form


@bp.route("/meetings/<slug>/delegations/<ref>/nominate", methods=["GET", "POST"])
@allow(DELEGATION_SPEAKER)
def nominate(slug: str, ref: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    delegation = _delegation_or_404(meeting, ref)
    user = signed_in_account()
    form = _new_form(meeting)
    if not _may_register(meeting, user):
        return _nomination_page(meeting, delegation, form, [], is_open=False)
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            person = nominations.nominate(meeting, delegation, form.request(delegation.ref), user)
        except registration.RegistrationError as exc:
            problems = _problems(form, exc)
        else:
            notices.tell_nominated(person, user)
            flash(
                _(
                    "%(name)s is nominated: %(status)s. They are told by e-mail.",
                    name=person.full_name,
                    status=label(person.status),
                ),
                "success",
            )
            return _back(meeting, delegation)
    return _nomination_page(meeting, delegation, form, problems)


@bp.post("/meetings/<slug>/delegations/<ref>/members/<member>/head")
@allow(DELEGATION_SPEAKER)
def make_head(slug: str, ref: str, member: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    delegation = _delegation_or_404(meeting, ref)
    person = _member_or_404(delegation, member)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        former = nominations.make_head(meeting, delegation, person)
    except nominations.NotAMember as exc:
        unit_of_work.discard()
        flash(str(exc), "error")
    else:
        flash(_("%(name)s is the head of delegation.", name=person.full_name), "success")
        if former is not None:
            flash(_("%(name)s is now a delegate.", name=former.full_name), "info")
    return _back(meeting, delegation)


def _seated_or_back(
    meeting: Meeting, delegation: Delegation, person: Participant
) -> ResponseReturnValue | None:
    """None if the person holds or waits for a seat; else back to the delegation, told why."""
    if person.status in nominations.SEATED:
        return None
    flash(
        _(
            "The registration of %(name)s is no longer active: there is nothing to change.",
            name=person.full_name,
        ),
        "info",
    )
    return _back(meeting, delegation)


@bp.route("/meetings/<slug>/delegations/<ref>/members/<member>/replace", methods=["GET", "POST"])
@allow(DELEGATION_SPEAKER)
def replace(slug: str, ref: str, member: str) -> ResponseReturnValue:
    """The nomination form for the newcomer; on sending, they take the person's seat."""
    meeting = meeting_or_404(slug)
    delegation = _delegation_or_404(meeting, ref)
    person = _member_or_404(delegation, member)
    user = signed_in_account()
    gone = _seated_or_back(meeting, delegation, person)
    if gone is not None:
        return gone
    form = _new_form(meeting)
    if not form.is_submitted():
        form.role.data = person.role.value
    if not _may_register(meeting, user):
        return _nomination_page(meeting, delegation, form, [], replacing=person, is_open=False)
    problems: list[str] = []
    if form.validate_on_submit():
        try:
            newcomer = nominations.replace(
                meeting, delegation, person, form.request(delegation.ref), user
            )
        except registration.RegistrationError as exc:
            problems = _problems(form, exc)
        else:
            notices.tell_replaced(person, user, newcomer)
            notices.tell_nominated(newcomer, user, replaces=person)
            flash(
                _(
                    "%(new)s takes the place of %(old)s, whose registration is cancelled. "
                    "Both are told by e-mail.",
                    new=newcomer.full_name,
                    old=person.full_name,
                ),
                "success",
            )
            return _back(meeting, delegation)
    return _nomination_page(meeting, delegation, form, problems, replacing=person)


@bp.route("/meetings/<slug>/delegations/<ref>/members/<member>/withdraw", methods=["GET", "POST"])
@allow(DELEGATION_SPEAKER)
def withdraw(slug: str, ref: str, member: str) -> ResponseReturnValue:
    """GET: what withdrawing does, and a button; POST: the registration is cancelled."""
    meeting = meeting_or_404(slug)
    delegation = _delegation_or_404(meeting, ref)
    person = _member_or_404(delegation, member)
    form = ConfirmForm()
    if request.method == "GET":
        gone = _seated_or_back(meeting, delegation, person)
        if gone is not None:
            return gone
        return render_template(
            "delegations/withdraw.html",
            meeting=meeting,
            delegation=delegation,
            person=person,
            form=form,
        )
    if not form.validate_on_submit():
        abort(400)
    try:
        changed = nominations.withdraw(meeting, delegation, person, signed_in_account())
    except registration.RegistrationError as exc:
        unit_of_work.discard()
        flash(str(exc), "error")
    else:
        # The person is told, and anyone the freed seat went to, once it is committed.
        registration_notices.tell_status(changed)
        flash(
            _(
                "The nomination of %(name)s is withdrawn: their registration is cancelled and "
                "they are told by e-mail.",
                name=person.full_name,
            ),
            "success",
        )
    return _back(meeting, delegation)


# -- the organisers' page: each organisation's focal points ----------------------------------


def _focal_points_page(
    meeting: Meeting, delegation: Delegation, form: FocalPointForm, status: int = 200
) -> ResponseReturnValue:
    return render_template(
        "delegations/focal_points.html",
        meeting=meeting,
        delegation=delegation,
        form=form,
        focal_points=[
            (fp.user, _registered_name(meeting, fp.user)) for fp in delegation.focal_points
        ],
    ), status


def _registered_name(meeting: Meeting, user: User) -> str | None:
    found = participant_of(user, meeting)
    return found.full_name if found is not None else None


def _people_of(delegation: Delegation) -> list[tuple[str, str]]:
    return [
        (p.ref, f"{p.full_name} — {p.email}")
        for p in nominations.members(delegation)
        if p.status in nominations.SEATED
    ]


def _chosen_address(form: FocalPointForm, delegation: Delegation) -> str | None:
    """The address the form names, or None with the error at its field."""
    typed = (form.email.data or "").strip()
    chosen = form.participant.data or ""
    if typed and chosen:
        form.participant.errors = [
            _("Either type an e-mail address or choose one of its people, not both.")
        ]
        return None
    if chosen:
        person = nominations.member(delegation, chosen)
        if person is None:
            form.participant.errors = [_("Choose one of the people offered.")]
            return None
        return person.email
    if not typed:
        form.email.errors = [
            _("Type the focal point's e-mail address, or choose one of the organisation's people.")
        ]
        return None
    return typed


@bp.route("/meetings/<slug>/manage/organisations/<ref>/focal-points", methods=["GET", "POST"])
@allow(ORGANISER)
def focal_points(slug: str, ref: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    delegation = _delegation_or_404(meeting, ref)
    form = FocalPointForm()
    form.set_people(_people_of(delegation))
    if not form.validate_on_submit():
        return _focal_points_page(meeting, delegation, form, 400 if form.is_submitted() else 200)
    address = _chosen_address(form, delegation)
    if address is None:
        return _focal_points_page(meeting, delegation, form, 400)
    try:
        user, appointment = service.appoint_focal_point(meeting, delegation, address)
    except AccountError as exc:
        unit_of_work.discard()
        form.email.errors = [str(exc)]
        return _focal_points_page(meeting, delegation, form, 400)
    if appointment is None:
        flash(
            _(
                "%(email)s is a focal point of %(organisation)s already.",
                email=user.email,
                organisation=delegation.display_name,
            ),
            "info",
        )
    else:
        notices.tell_focal_point(meeting, delegation, user)
        flash(
            _(
                "%(email)s is now a focal point of %(organisation)s, and is told by e-mail.",
                email=user.email,
                organisation=delegation.display_name,
            ),
            "success",
        )
    return redirect(url_for("delegations.focal_points", slug=slug, ref=ref), code=303)


@bp.route(
    "/meetings/<slug>/manage/organisations/<ref>/focal-points/<int:user_id>/remove",
    methods=["GET", "POST"],
)
@allow(ORGANISER)
def remove_focal_point(slug: str, ref: str, user_id: int) -> ResponseReturnValue:
    """GET: whom the organisation loses as a focal point, and a button; POST: removed."""
    meeting = meeting_or_404(slug)
    delegation = _delegation_or_404(meeting, ref)
    user = account_or_404(user_id)
    if not any(fp.user_id == user.id for fp in delegation.focal_points):
        abort(404)
    form = ConfirmForm()
    if request.method == "GET":
        return render_template(
            "delegations/remove_focal_point.html",
            meeting=meeting,
            delegation=delegation,
            user=user,
            name=_registered_name(meeting, user),
            form=form,
        )
    if not form.validate_on_submit():
        abort(400)
    service.dismiss_focal_point(meeting, delegation, user)
    flash(
        _(
            "%(email)s no longer speaks for %(organisation)s.",
            email=user.email,
            organisation=delegation.display_name,
        ),
        "success",
    )
    return redirect(url_for("delegations.focal_points", slug=slug, ref=ref), code=303)


# The letters of nomination, on the same blueprint (their views are the letters' module's).
from . import letter_routes  # noqa: E402, F401
