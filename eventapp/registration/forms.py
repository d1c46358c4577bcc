"""The online registration form: field names are the schema's participant properties."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Email, Length, Optional

from ..fields import OneLine
from ..models import ParticipantRole
from ..vocabulary import choices

__all__ = ["PUBLIC_ROLES", "OwnDetailsForm", "RegistrationForm"]

# What a member of the public may say they come as. The meeting's offices (chair, rapporteur,
# organiser, secretariat) are given by the organisers, through the API or an import.
PUBLIC_ROLES = (
    ParticipantRole.HEAD_OF_DELEGATION,
    ParticipantRole.DELEGATE,
    ParticipantRole.OBSERVER,
    ParticipantRole.SPEAKER,
)


class OwnDetailsForm(FlaskForm):
    """What participants change of their own registration."""

    needs_visa_letter = BooleanField(_l("I need a letter of invitation for a visa"))
    dietary = StringField(
        _l("Dietary requirements"),
        validators=[Optional(), Length(max=300), OneLine()],
        description=_l("Seen only by the organisers."),
    )
    accessibility = StringField(
        _l("Accessibility needs"),
        validators=[Optional(), Length(max=300), OneLine()],
        description=_l("Seen only by the organisers."),
    )
    list_consent = BooleanField(
        _l("My name, organisation and position may appear in the published list of participants")
    )


class RegistrationForm(OwnDetailsForm):
    """Registering: who, for which organisation, and the needs and consent of OwnDetailsForm."""

    organisation = SelectField(
        _l("Organisation"),
        validators=[DataRequired(message=_l("Choose the organisation you represent."))],
        description=_l("The network, country or organisation you represent."),
    )
    honorific = StringField(
        _l("Title"),
        validators=[Optional(), Length(max=40), OneLine()],
        description=_l("e.g. Ms, Mr, Dr"),
    )
    given_name = StringField(
        _l("Given name"), validators=[DataRequired(), Length(max=120), OneLine()]
    )
    family_name = StringField(
        _l("Family name"), validators=[DataRequired(), Length(max=120), OneLine()]
    )
    position = StringField(_l("Position"), validators=[Optional(), Length(max=300), OneLine()])
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(
        _l("Role"),
        choices=choices(PUBLIC_ROLES),
        default=ParticipantRole.DELEGATE.value,
        # A forged value gets this sentence rather than WTForms' "Not a valid choice".
        validate_choice=False,
        validators=[
            AnyOf(
                [role.value for role in PUBLIC_ROLES],
                message=_l("Choose one of the roles offered."),
            )
        ],
    )
    funded = BooleanField(_l("I ask for my travel to be funded by the organisers"))

    def set_organisations(self, choices: list[tuple[str, str]]) -> None:
        self.organisation.choices = [SelectChoice("", _l("Choose…"))] + [
            SelectChoice(ref, label) for ref, label in choices
        ]
