"""The online registration form: field names are the schema's participant properties."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    Form,
    HiddenField,
    IntegerField,
    SearchField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    AnyOf,
    DataRequired,
    Email,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from ..fields import OneLine
from ..meetings.organisations import country_choices
from ..models import KIND_ORDER, OrganisationKind, ParticipantRole, RegistrationStatus
from ..vocabulary import choices
from .desk import SORTS, YES_NO
from .service import LANGUAGES, NewOrganisation

__all__ = [
    "OWN_LANGUAGE_NAMES",
    "PUBLIC_ROLES",
    "DecisionForm",
    "DeskFilterForm",
    "OrganiserRegistrationForm",
    "OwnDetailsForm",
    "ReasonForm",
    "RegistrationForm",
]

# What a member of the public may say they come as. The meeting's offices (chair, rapporteur,
# organiser, secretariat) are given by the organisers, through the API or an import.
PUBLIC_ROLES = (
    ParticipantRole.HEAD_OF_DELEGATION,
    ParticipantRole.DELEGATE,
    ParticipantRole.OBSERVER,
    ParticipantRole.SPEAKER,
)

# Each language in its own name, as people look for theirs.
OWN_LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español"}


def _role_field(roles: tuple[ParticipantRole, ...]) -> SelectField:
    return SelectField(
        _l("Role"),
        choices=choices(roles),
        default=ParticipantRole.DELEGATE.value,
        # A forged value gets this sentence rather than WTForms' "Not a valid choice".
        validate_choice=False,
        validators=[
            AnyOf([role.value for role in roles], message=_l("Choose one of the roles offered."))
        ],
    )


def _any(label: object) -> list[SelectChoice]:
    return [SelectChoice("", label)]


def _offered(values: Iterable[str]) -> list[Any]:
    # A forged value gets a sentence rather than WTForms' "Not a valid choice".
    return [Optional(), AnyOf(list(values), message=_l("Choose one of the options offered."))]


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
        description=_l("The network, country or organisation you represent."),
        # The service says which it knows, in a sentence rather than "Not a valid choice".
        validate_choice=False,
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
    role = _role_field(PUBLIC_ROLES)
    travel_support_requested = BooleanField(
        _l("I ask the organisers to fund my travel"),
        description=_l("The organisers decide, and tell you by e-mail."),
    )
    language = SelectField(
        _l("Language for e-mails"),
        choices=[SelectChoice(code, name) for code, name in OWN_LANGUAGE_NAMES.items()],
        validate_choice=False,
        # Without it (an older form, a script): the meeting's first language.
        validators=[
            Optional(),
            AnyOf(LANGUAGES, message=_l("Choose one of the languages offered.")),
        ],
    )
    # "My organisation is not listed": used when `organisation` is left unchosen.
    new_organisation_name = StringField(
        _l("Name of the organisation"),
        validators=[Optional(), Length(max=300), OneLine()],
        description=_l("Its full name, as it would appear in the list of participants."),
    )
    new_organisation_kind = SelectField(
        _l("Kind of organisation"),
        choices=_any(_l("Choose…")) + choices(KIND_ORDER),
        validate_choice=False,
        validators=_offered(k.value for k in OrganisationKind),
    )
    new_organisation_country = SelectField(
        _l("Country"),
        description=_l(
            "For a national delegation, the country itself; otherwise where it is based."
        ),
        validate_choice=False,
    )

    def set_organisations(self, choices: list[tuple[str, str]], lang: str = "en") -> None:
        self.organisation.choices = [SelectChoice("", _l("Choose…"))] + [
            SelectChoice(ref, label) for ref, label in choices
        ]
        if self.new_organisation_country is None:  # the organisers' form has none
            return
        countries = country_choices(lang)
        self.new_organisation_country.choices = _any("—") + [
            SelectChoice(code, name) for code, name in countries
        ]
        self.new_organisation_country.validators = _offered(code for code, _ in countries)

    def validate_organisation(self, field: Any) -> None:
        # Either one chosen from the list, or one named as not listed.
        if not field.data and not (self.new_organisation_name.data or "").strip():
            raise ValidationError(
                _l("Choose the organisation you represent, or name it below if it is not listed.")
            )

    def validate_new_organisation_kind(self, field: Any) -> None:
        if (self.new_organisation_name.data or "").strip() and not field.data:
            raise ValidationError(_l("Choose the kind of organisation."))

    def new_organisation(self) -> NewOrganisation | None:
        """The organisation named as not listed, if one is."""
        name = (self.new_organisation_name.data or "").strip()
        if not name:
            return None
        return NewOrganisation(
            name=name,
            kind=self.new_organisation_kind.data or "",
            country=self.new_organisation_country.data or None,
        )

    @property
    def proposing(self) -> bool:
        """Whether the "not listed" part should be open: something was written in it."""
        return bool(
            (self.new_organisation_name.data or "").strip()
            or self.new_organisation_kind.data
            or self.new_organisation_country.data
        )


class OrganiserRegistrationForm(RegistrationForm):
    """An organiser adds or edits a registration: the public form's fields, any role."""

    role = _role_field(tuple(ParticipantRole))
    organisation = SelectField(
        _l("Organisation"),
        validators=[DataRequired(message=_l("Choose the organisation this person represents."))],
    )
    # Organisers choose from the list (and add an organisation on the organisations page).
    new_organisation_name = None
    new_organisation_kind = None
    new_organisation_country = None

    def validate_organisation(self, field: Any) -> None:
        pass

    def new_organisation(self) -> NewOrganisation | None:
        return None

    travel_support_requested = BooleanField(_l("Asked for travel support"))
    funded = BooleanField(
        _l("Travel support granted"),
        description=_l(
            "The organisers' decision. To decline, or to write the person a note, use "
            "“Travel support” on the registration's page: it tells them by e-mail."
        ),
    )
    needs_visa_letter = BooleanField(_l("Needs a letter of invitation for a visa"))
    list_consent = BooleanField(
        _l("Name, organisation and position may appear in the published list of participants")
    )


def _filter(label: Any, options: list[SelectChoice], values: Iterable[str]) -> SelectField:
    return SelectField(label, choices=options, validate_choice=False, validators=_offered(values))


def _yes_no_choices() -> list[SelectChoice]:
    return [
        SelectChoice("", _l("Either")),
        SelectChoice("yes", _l("Yes")),
        SelectChoice("no", _l("No")),
    ]


class DeskFilterForm(Form):
    """The desk's search and filters: a GET form, so that a filtered list can be bookmarked."""

    q = SearchField(
        _l("Search"),
        validators=[Optional(), Length(max=200)],
        description=_l("Name, e-mail address or organisation."),
    )
    status = _filter(
        _l("Status"),
        _any(_l("Any status")) + choices(RegistrationStatus),
        [s.value for s in RegistrationStatus],
    )
    kind = _filter(
        _l("Kind of organisation"),
        _any(_l("Any kind")) + choices(KIND_ORDER),
        [k.value for k in KIND_ORDER],
    )
    organisation = SelectField(_l("Organisation"), validate_choice=False)
    funded = _filter(_l("Travel support granted"), _yes_no_choices(), YES_NO)
    travel_support = _filter(_l("Asked for travel support"), _yes_no_choices(), YES_NO)
    visa_letter = _filter(_l("Visa letter"), _yes_no_choices(), YES_NO)
    checked_in = _filter(_l("Checked in"), _yes_no_choices(), YES_NO)
    sort = _filter(
        _l("Sort by"),
        [
            SelectChoice("name", _l("Name")),
            SelectChoice("organisation", _l("Organisation")),
            SelectChoice("status", _l("Status")),
            SelectChoice("registered", _l("Registered, oldest first")),
            SelectChoice("-registered", _l("Registered, newest first")),
        ],
        SORTS,
    )
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, max=1_000_000)])

    def set_organisations(self, choices: list[tuple[str, str]]) -> None:
        self.organisation.choices = _any(_l("Any organisation")) + [
            SelectChoice(ref, label) for ref, label in choices
        ]
        self.organisation.validators = _offered(ref for ref, _ in choices)


class ReasonForm(FlaskForm):
    """A decision's reason and its confirmation (one registration: the action is in the URL)."""

    reason = TextAreaField(
        _l("Reason"),
        validators=[Optional(), Length(max=1000)],
        description=_l(
            "Optional. It is written in the e-mail each person gets, and kept in the audit log."
        ),
    )
    # Set by the confirmation page: without it, a destructive decision is only shown.
    confirmed = HiddenField()
    # The desk's query string, to go back to the same filtered page afterwards.
    back = HiddenField(validators=[Optional(), Length(max=2000)])


class DecisionForm(ReasonForm):
    """Approve, decline or cancel the registrations ticked on the desk."""

    action = SelectField(
        _l("Decision"),
        choices=[
            SelectChoice("approve", _l("Approve")),
            SelectChoice("decline", _l("Decline")),
            SelectChoice("cancel", _l("Cancel")),
        ],
        validate_choice=False,
        validators=[AnyOf(("approve", "decline", "cancel"), message=_l("Choose a decision."))],
    )
    ref = SelectMultipleField(_l("Registrations"), validate_choice=False)
