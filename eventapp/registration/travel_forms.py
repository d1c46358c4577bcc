"""The travel-support forms: the organisers' decision (POST) and the requests page's filters."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Form, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, Length, Optional, ValidationError

from ..models import KIND_ORDER, Participant
from ..vocabulary import choices
from .travel import DECISIONS, NOTE_LENGTH, decision_of

_CHOOSE = _l("Choose one of the options offered.")


def _strip(value: str | None) -> str | None:
    return value.strip() if isinstance(value, str) else value


class TravelSupportForm(FlaskForm):
    """Grant or decline travel support, with a note to the person, or take a decision back."""

    decision = SelectField(
        _l("Decision on travel support"),
        choices=[
            SelectChoice("granted", _l("Grant: the organisers fund the travel")),
            SelectChoice("declined", _l("Decline")),
            SelectChoice("undecided", _l("Not decided yet")),
        ],
        # A forged value gets a sentence rather than WTForms' "Not a valid choice".
        validate_choice=False,
        validators=[AnyOf(DECISIONS, message=_l("Choose to grant, to decline, or not yet."))],
    )
    note = TextAreaField(
        _l("Note to the person"),
        # No Optional(): it would stop validate_note, which asks for a note when declining.
        validators=[Length(max=NOTE_LENGTH)],
        filters=[_strip],
        description=_l(
            "Written in the e-mail the person gets, and shown on their registration page. "
            "Optional when granting (what is covered, say); say why when declining."
        ),
        render_kw={"rows": 3},
    )

    def validate_note(self, field: Any) -> None:
        if self.decision.data == "declined" and not field.data:
            raise ValidationError(_l("Say why, in a sentence the person will read."))

    @classmethod
    def of(cls, person: Participant) -> TravelSupportForm:
        """The form as the registration stands: its decision and note."""
        return cls(
            formdata=None,
            decision=decision_of(person.funded),
            note=person.travel_support_note or "",
        )

    @property
    def granted(self) -> bool | None:
        """The decision as the service takes it."""
        return {"granted": True, "declined": False}.get(self.decision.data or "")


class TravelFilterForm(Form):
    """The requests page's filters: a GET form, so that a filtered list can be bookmarked."""

    decision = SelectField(
        _l("Decision"),
        choices=[
            SelectChoice("", _l("Any")),
            SelectChoice("undecided", _l("To decide")),
            SelectChoice("granted", _l("Granted")),
            SelectChoice("declined", _l("Declined")),
        ],
        validate_choice=False,
        validators=[Optional(), AnyOf(DECISIONS, message=_CHOOSE)],
    )
    kind = SelectField(
        _l("Kind of organisation"),
        choices=[SelectChoice("", _l("Any kind")), *choices(KIND_ORDER)],
        validate_choice=False,
        validators=[Optional(), AnyOf([k.value for k in KIND_ORDER], message=_CHOOSE)],
    )
