"""Signing in and out, passwords, API tokens, and the administration of accounts."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user

from .. import audit
from ..agenda import feeds, people
from ..extensions import csrf, limiter
from ..lookups import account_or_404, meeting_or_404
from ..mailbox import mailbox_key
from ..models import AccountRole, Meeting, Participant, User
from ..vocabulary import label
from . import forms, notices, overview, service
from .permissions import (
    ADMIN,
    ORGANISER,
    PUBLIC,
    SIGNED_IN,
    allow,
    may_appoint,
    signed_in_account,
)

bp = Blueprint("accounts", __name__)


def _account_key() -> str:
    """Failed sign-ins are counted per mailbox named in the form, whoever tries it."""
    return f"account:{mailbox_key(request.form.get('email') or '')}"


def _failed(response: Response) -> bool:
    """A failed sign-in: wrong credentials, or a form refused (no valid CSRF token...)."""
    return bool(g.get("sign_in_failed"))


def _safe_next(target: str | None) -> str:
    """Only paths of this site: never another host (open redirect), never a broken header.

    Control characters would split the Location header; browsers read a backslash as "/", so
    "/\\evil.example" would lead away; anything but printable ASCII is refused with them.
    """
    if not target or not all(" " < ch <= "~" for ch in target) or "\\" in target:
        return url_for("accounts.account")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("accounts.account")
    return target


@bp.route("/login", methods=["GET", "POST"])
@allow(PUBLIC)
# The form checks its CSRF token itself, so that a refused token counts as a failed sign-in.
@csrf.exempt
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_ACCOUNT"],
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed,
)
@limiter.limit(
    lambda: current_app.config["LOGIN_LIMIT_ADDRESS"],
    methods=["POST"],
    deduct_when=_failed,
)
def login() -> ResponseReturnValue:
    form = forms.LoginForm()
    if form.validate_on_submit():
        user = service.authenticate(form.email.data or "", form.password.data or "")
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")))
        g.sign_in_failed = True
        # The same words whether the account exists or not.
        form.password.errors = [_("The e-mail address or the password is not right.")]
    elif request.method == "POST":
        g.sign_in_failed = True
    status = 200
    if request.method == "POST":
        status = 400 if "csrf_token" in form.errors else 401
    return render_template("accounts/login.html", form=form), status


@bp.post("/logout")
@allow(PUBLIC)
def logout() -> ResponseReturnValue:
    form = forms.ConfirmForm()
    if form.validate_on_submit():
        logout_user()
        flash(_("You are signed out."), "info")
    return redirect(url_for("public.index"))


@bp.route("/password/forgot", methods=["GET", "POST"])
@allow(PUBLIC)
@limiter.limit("10 per hour", methods=["POST"])
def forgot_password() -> ResponseReturnValue:
    form = forms.ForgotPasswordForm()
    if form.validate_on_submit():
        service.send_password_reset(form.email.data or "")
        # The same answer whether the account exists or not.
        return render_template("accounts/forgot_sent.html", email=form.email.data)
    return render_template("accounts/forgot.html", form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@allow(PUBLIC)
def reset_password(token: str) -> ResponseReturnValue:
    user = service.user_for_reset_token(token)
    if user is None:
        return render_template("accounts/reset_invalid.html"), 400
    form = forms.ResetPasswordForm()
    if form.validate_on_submit():
        service.set_password(user, form.password.data or "")
        logout_user()
        flash(_("Your password is changed. Sign in with it now."), "success")
        return redirect(url_for("accounts.login"))
    return render_template("accounts/reset.html", form=form)


@bp.get("/account")
@allow(SIGNED_IN)
def account() -> ResponseReturnValue:
    return _account_with()


@bp.post("/account/password")
@allow(SIGNED_IN)
def change_password() -> ResponseReturnValue:
    user = signed_in_account()
    form = forms.ChangePasswordForm()
    if form.validate_on_submit():
        try:
            service.change_password(user, form.current.data or "", form.password.data or "")
        except service.AccountError:
            form.current.errors = [_("The current password is not right.")]
        else:
            # Signing in again with the new fingerprint keeps this browser, drops the others.
            login_user(user)
            flash(_("Your password is changed."), "success")
            return redirect(url_for("accounts.account"))
    return _account_with(password_form=form), 400


@bp.post("/account/tokens")
@allow(SIGNED_IN)
def create_token() -> ResponseReturnValue:
    user = signed_in_account()
    form = forms.TokenForm()
    if not form.validate_on_submit():
        return _account_with(token_form=form), 400
    token = service.create_token(user, form.label.data or None)
    return _account_with(new_token=token)


@bp.post("/account/tokens/<int:token_id>/revoke")
@allow(SIGNED_IN)
def revoke_token(token_id: int) -> ResponseReturnValue:
    user = signed_in_account()
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    try:
        service.revoke_token(user, token_id)
    except service.AccountError:
        abort(404)
    flash(_("The token is revoked."), "info")
    return redirect(url_for("accounts.account"))


@bp.post("/account/calendar/renew")
@allow(SIGNED_IN)
def renew_calendar() -> ResponseReturnValue:
    """A new calendar link: the old one, wherever it was given, stops working."""
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    feeds.renew_key(signed_in_account())
    flash(
        _(
            "Your calendar links are renewed: the old ones no longer work. Subscribe again "
            "with the new ones."
        ),
        "info",
    )
    return redirect(url_for("accounts.account", _anchor="calendars"), code=303)


def _account_with(**overrides: object) -> str:
    user = signed_in_account()
    context: dict[str, object] = {
        "account": overview.account_overview(user),
        "password_form": forms.ChangePasswordForm(formdata=None),
        "token_form": forms.TokenForm(formdata=None),
        "confirm_form": forms.ConfirmForm(),
        "new_token": None,
    }
    context.update(overrides)
    return render_template("accounts/account.html", **context)


# -- administration ---------------------------------------------------------------------------


@bp.route("/admin/accounts", methods=["GET", "POST"])
@allow(ADMIN)
def admin_accounts() -> ResponseReturnValue:
    form = forms.NewAccountForm()
    status = 200
    if form.validate_on_submit():
        role = AccountRole.ADMIN if form.admin.data else AccountRole.PARTICIPANT
        try:
            user = service.create_user(form.email.data or "", role)
        except service.AccountError as exc:
            form.email.errors = [str(exc)]
            status = 400
        else:
            flash(_("Account %(email)s created.", email=user.email), "success")
            return redirect(url_for("accounts.admin_accounts"))
    elif request.method == "POST":
        status = 400
    return render_template(
        "accounts/admin_accounts.html",
        form=form,
        users=service.account_list(),
        confirm_form=forms.ConfirmForm(),
    ), status


@bp.post("/admin/accounts/<int:user_id>/active")
@allow(ADMIN)
def admin_toggle_active(user_id: int) -> ResponseReturnValue:
    if not forms.ConfirmForm().validate_on_submit():
        abort(400)
    user = account_or_404(user_id)
    if user.id == current_user.id:
        flash(_("You cannot deactivate your own account."), "error")
        return redirect(url_for("accounts.admin_accounts"))
    service.set_active(user, not user.active)
    return redirect(url_for("accounts.admin_accounts"))


# -- a meeting's team and its audit log ---------------------------------------------------------


def _roles_to_appoint(meeting: Meeting) -> list[AccountRole]:
    user = signed_in_account()
    return [r for r in service.MEETING_ROLES if may_appoint(user, meeting, r)]


def _who(user: User, participant: Participant | None) -> str:
    return f"{participant.full_name} ({user.email})" if participant else user.email


@bp.route("/meetings/<slug>/manage/team", methods=["GET", "POST"])
@allow(ORGANISER)
def team(slug: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    roles = _roles_to_appoint(meeting)
    form = forms.AppointForm()
    form.prepare(roles, url_for("accounts.team_people", slug=slug))
    wanted = request.form.get("role", "")
    if wanted in set(service.MEETING_ROLES) and AccountRole(wanted) not in roles:
        abort(403)  # an organiser asking to appoint an organiser: a role only admins give
    status = 200
    if form.validate_on_submit():
        role = AccountRole(form.role.data)
        try:
            found = service.find_appointee(meeting, form.person.data or "")
        except service.AccountError as exc:
            form.person.errors = [str(exc)]
            status = 422
        else:
            who = _who(found.user, found.participant)
            if service.appoint(found.user, meeting, role) is None:
                flash(_("%(who)s is %(role)s already.", who=who, role=label(role)), "info")
            else:
                notices.tell_appointed(found.user, meeting, role, found.participant)
                flash(
                    _(
                        "%(who)s is appointed: %(role)s. They are told by e-mail.",
                        who=who,
                        role=label(role),
                    ),
                    "success",
                )
            return redirect(url_for("accounts.team", slug=slug), code=303)
    elif request.method == "POST":
        status = 400
    return render_template(
        "accounts/team.html",
        meeting=meeting,
        team=service.meeting_team(meeting),
        dismissable=set(roles),
        form=form,
        roles=roles,
    ), status


@bp.get("/meetings/<slug>/manage/team/people")
@allow(ORGANISER)
def team_people(slug: str) -> Response:
    """The registered participants matching ?q= (name, organisation or e-mail), for the picker."""
    meeting = meeting_or_404(slug)
    directory = service.people_to_appoint(meeting)
    return people.suggestions_answer(directory, request.args.get("q", ""))


@bp.route("/meetings/<slug>/manage/team/<int:user_id>/<role>/dismiss", methods=["GET", "POST"])
@allow(ORGANISER)
def dismiss(slug: str, user_id: int, role: str) -> ResponseReturnValue:
    """GET says what removing the appointment does; POST (with CSRF) removes it."""
    meeting = meeting_or_404(slug)
    try:
        account_role = AccountRole(role)
    except ValueError:
        abort(404)
    user = account_or_404(user_id)
    if not service.is_appointed(user, meeting, account_role):
        abort(404)
    if not may_appoint(signed_in_account(), meeting, account_role):
        abort(403)
    form = forms.ConfirmForm()
    if form.validate_on_submit():
        service.dismiss(user, meeting, account_role)
        flash(
            _("%(email)s is no longer %(role)s.", email=user.email, role=label(account_role)),
            "success",
        )
        return redirect(url_for("accounts.team", slug=slug), code=303)
    return render_template(
        "accounts/team_dismiss.html",
        meeting=meeting,
        member=user,
        role=account_role,
        form=form,
    ), (400 if request.method == "POST" else 200)


# The filter's words for each kind of action the services log (the part before the dot).
ACTION_KINDS = {
    "account": _l("Accounts"),
    "agenda": _l("Agenda"),
    "meeting": _l("Meeting"),
    "message": _l("Messages"),
    "organisation": _l("Organisations"),
    "record": _l("Records"),
    "registration": _l("Registrations"),
    "report": _l("Reports"),
    "room": _l("Rooms"),
    "session": _l("Sessions"),
    "team": _l("Team"),
    "token": _l("API tokens"),
}


@bp.get("/meetings/<slug>/manage/log")
@allow(ORGANISER)
def audit_log(slug: str) -> ResponseReturnValue:
    meeting = meeting_or_404(slug)
    kind = request.args.get("kind", "").strip() or None
    page = audit.meeting_log_page(meeting, page=request.args.get("page", 1, type=int), kind=kind)
    return render_template(
        "accounts/audit_log.html",
        meeting=meeting,
        log=page,
        lines=[audit.line(e, meeting.zone) for e in page.entries],
        kind=kind,
        kind_names={k: str(ACTION_KINDS.get(k, k)) for k in page.kinds},
    )
