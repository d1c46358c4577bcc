"""The form organisers write a message to participants with: to whom, subject and body."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Regexp, ValidationError

from ..fields import OneLine
from ..models import OrganisationKind, RegistrationStatus
from . import messages
from .forms import DeskFilterForm, _any, _offered


def _placeholders_known(form: FlaskForm, field: Any) -> None:
    unknown = messages.unknown_placeholders(field.data or "")
    if unknown:
        raise ValidationError(
            ngettext(
                "%(names)s is not a placeholder: use {given_name}, {family_name}, "
                "{organisation} or {reference}.",
                "%(names)s are not placeholders: use {given_name}, {family_name}, "
                "{organisation} or {reference}.",
                len(unknown),
                names=", ".join(unknown),
            )
        )


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class MessageForm(FlaskForm):
    """To whom (the desk's filters), and what; the hidden fields carry it to the sending."""

    # The desk's own filters, so that a message reaches the people the desk lists.
    status = DeskFilterForm.status
    kind = DeskFilterForm.kind
    organisation = SelectField(_l("Organisation"), validate_choice=False)
    subject = StringField(
        _l("Subject"),
        validators=[DataRequired(), Length(max=200), OneLine(), _placeholders_known],
        filters=[_strip],
    )
    body = TextAreaField(
        _l("Message"),
        validators=[DataRequired(), Length(max=10_000), _placeholders_known],
        filters=[_strip],
        description=_l("Leave an empty line between paragraphs. Links are kept as links."),
        render_kw={"rows": 12},
    )
    message_id = HiddenField(validators=[DataRequired(), Regexp(messages.MESSAGE_ID.pattern)])
    # The number of recipients the organiser confirmed; the sending checks it still holds.
    expected = HiddenField()

    def set_organisations(self, options: list[tuple[str, str]]) -> None:
        self.organisation.choices = _any(_l("Any organisation")) + [
            (ref, name) for ref, name in options
        ]
        self.organisation.validators = _offered(ref for ref, _ in options)

    def draft(self) -> messages.Draft:
        return messages.Draft(
            message_id=self.message_id.data or "",
            subject=self.subject.data or "",
            body=self.body.data or "",
            status=RegistrationStatus(self.status.data) if self.status.data else None,
            kind=OrganisationKind(self.kind.data) if self.kind.data else None,
            organisation=self.organisation.data or "",
        )
