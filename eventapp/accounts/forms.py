"""Forms of the accounts pages (CSRF through Flask-WTF)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length

from ..models import AccountRole
from ..vocabulary import choices
from .service import MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1000)])


class ForgotPasswordForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])


def _new_password_fields() -> tuple[PasswordField, PasswordField]:
    return (
        PasswordField(
            _l("New password"),
            validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH, max=1000)],
            description=_l("At least %(n)d characters.", n=MIN_PASSWORD_LENGTH),
        ),
        PasswordField(
            _l("Repeat the new password"),
            validators=[DataRequired(), EqualTo("password", message=_l("The passwords differ."))],
        ),
    )


class ResetPasswordForm(FlaskForm):
    password, confirm = _new_password_fields()


class ChangePasswordForm(FlaskForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    password, confirm = _new_password_fields()


class TokenForm(FlaskForm):
    label = StringField(
        _l("What the token is for"),
        validators=[Length(max=100)],
        description=_l("For example: registration import script."),
    )


class ConfirmForm(FlaskForm):
    """A button that changes something: only the CSRF token travels."""


class NewAccountForm(FlaskForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    admin = BooleanField(_l("Administrator"))


class AppointForm(FlaskForm):
    person = StringField(
        _l("Participant or e-mail address"),
        validators=[DataRequired(), Length(max=254)],
        description=_l(
            "Type a participant's name, part of it, or an e-mail address. Someone who has no "
            "account yet gets one, and is told how to choose a password."
        ),
    )
    role = SelectField(_l("Role"))

    def prepare(self, roles: list[AccountRole], suggest_url: str) -> None:
        """Offer the roles the signed-in account may appoint, and only those; people.js
        suggests participants from `suggest_url` as one types."""
        self.role.choices = choices(roles)
        self.person.render_kw = {"data-people": suggest_url}
