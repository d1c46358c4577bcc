"""The confirmations that personal data rights ask for before anything is removed."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length, ValidationError


class EraseForm(FlaskForm):
    """A participant confirms that their registration's details are to be erased."""

    understood = BooleanField(
        _l("I understand that my registration is cancelled and its details erased for good"),
        validators=[DataRequired(message=_l("Tick the box to confirm that you want this."))],
    )


class PurgeForm(FlaskForm):
    """An organiser confirms a purge by typing the meeting's short title (or its address
    name, when it has no short title)."""

    confirm = StringField(
        _l("Type the meeting's short title to confirm"),
        validators=[DataRequired(message=_l("Type the meeting's short title.")), Length(max=300)],
    )

    def __init__(self, expected: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.expected = expected
        self.confirm.description = _l("Type: %(title)s", title=expected)

    def validate_confirm(self, field: StringField) -> None:
        if (field.data or "").strip().casefold() != self.expected.casefold():
            raise ValidationError(
                _l("This is not the meeting's short title: type %(title)s.", title=self.expected)
            )
