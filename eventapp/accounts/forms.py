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
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(
        _l("Role"),
        choices=choices([AccountRole.RAPPORTEUR, AccountRole.ORGANISER]),
    )
