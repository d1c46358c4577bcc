"""The forms of a delegation's pages: a nomination, and the organisers' naming of focal points."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, DataRequired, Email, Length, Optional

from ..fields import OneLine
from ..models import PARTICIPATION_ROLES, ParticipantRole
from ..registration.forms import OWN_LANGUAGE_NAMES
from ..registration.service import LANGUAGES, RegistrationRequest
from ..vocabulary import choices


def _line(label: object, size: int, *, required: bool = False) -> StringField:
    first = DataRequired() if required else Optional()
    return StringField(label, validators=[first, Length(max=size), OneLine()])


class NominationForm(FlaskForm):
    """A person a focal point nominates: the public form's fields, said of someone else."""

    honorific = StringField(
        _l("Title"),
        validators=[Optional(), Length(max=40), OneLine()],
        description=_l("e.g. Ms, Mr, Dr"),
    )
    given_name = _line(_l("Given name"), 120, required=True)
    family_name = _line(_l("Family name"), 120, required=True)
    position = _line(_l("Position"), 300)
    email = EmailField(
        _l("E-mail address"),
        validators=[DataRequired(), Email(), Length(max=254)],
        description=_l("The person's own address: they are told there, and sign in with it."),
    )
    role = SelectField(
        _l("Role"),
        choices=choices(PARTICIPATION_ROLES),
        default=ParticipantRole.DELEGATE.value,
        validate_choice=False,
        validators=[
            AnyOf(
                [role.value for role in PARTICIPATION_ROLES],
                message=_l("Choose one of the roles offered."),
            )
        ],
    )
    language = SelectField(
        _l("Language for e-mails"),
        choices=[SelectChoice(code, name) for code, name in OWN_LANGUAGE_NAMES.items()],
        validate_choice=False,
        validators=[
            Optional(),
            AnyOf(LANGUAGES, message=_l("Choose one of the languages offered.")),
        ],
    )
    needs_visa_letter = BooleanField(_l("Needs a letter of invitation for a visa"))
    travel_support_requested = BooleanField(
        _l("Asks the organisers to fund their travel (the organisers decide)")
    )
    dietary = _line(_l("Dietary requirements"), 300)
    accessibility = _line(_l("Accessibility needs"), 300)
    list_consent = BooleanField(
        _l("Agrees that their name, organisation and position appear in the published list"),
        description=_l("They can change this themselves later."),
    )

    def request(self, organisation: str) -> RegistrationRequest:
        """What the form asks, for the delegation `organisation` (its ref)."""
        return RegistrationRequest(
            organisation=organisation,
            given_name=self.given_name.data or "",
            family_name=self.family_name.data or "",
            email=self.email.data or "",
            role=ParticipantRole(self.role.data),
            honorific=self.honorific.data or None,
            position=self.position.data or None,
            travel_support_requested=bool(self.travel_support_requested.data),
            needs_visa_letter=bool(self.needs_visa_letter.data),
            dietary=self.dietary.data or None,
            accessibility=self.accessibility.data or None,
            list_consent=bool(self.list_consent.data),
            language=self.language.data or None,
        )


class FocalPointForm(FlaskForm):
    """An organiser names a focal point: by address, or one of the organisation's people."""

    email = EmailField(
        _l("E-mail address"),
        validators=[Optional(), Email(), Length(max=254)],
        description=_l("They are told by e-mail, with a link to choose a password."),
    )
    participant = SelectField(
        _l("Or one of its registered people"),
        validate_choice=False,
    )

    def set_people(self, people: list[tuple[str, str]]) -> None:
        self.participant.choices = [SelectChoice("", "—")] + [
            SelectChoice(ref, name) for ref, name in people
        ]
