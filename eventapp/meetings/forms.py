"""The organisers' forms: the meeting's settings, an organisation, a merge of two."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import available_timezones

from flask import current_app
from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    Field,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from ..fields import CalendarDateField, LocalDateTimeField
from ..interchange.validate import maximum
from ..models import KIND_ORDER, Approval, Meeting, OrganisationKind
from ..vocabulary import choices, label
from .organisations import DelegationRow, OrganisationDetails, country_choices

LANGUAGE_NAMES = {"en": _l("English"), "fr": _l("French"), "es": _l("Spanish")}
NO_LIMIT = _l("Leave it empty for no limit.")


def _zones() -> list[str]:
    return sorted(name for name in available_timezones() if "/" in name or name == "UTC")


def _number(text: Any, *, least: int, **kwargs: Any) -> IntegerField:
    top = maximum("meeting", "capacity")
    return IntegerField(
        text,
        validators=[Optional(), NumberRange(min=least, max=top)],
        render_kw={"inputmode": "numeric", "min": least, "max": top},
        **kwargs,
    )


class MultiCheckboxField(SelectMultipleField):
    """Several choices as checkboxes, one label each."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class SettingsForm(FlaskForm):
    """Every setting of the meeting; quota fields (one per organisation kind) are added below."""

    title = StringField(_l("Title"), validators=[DataRequired()])
    description = TextAreaField(_l("Description"))
    start_date = CalendarDateField(_l("First day"), validators=[DataRequired()])
    end_date = CalendarDateField(_l("Last day"), validators=[DataRequired()])
    timezone = SelectField(
        _l("Time zone"),
        description=_l(
            "The meeting's local time. Sessions keep their local times when it changes."
        ),
    )
    venue_name = StringField(_l("Venue"), render_kw={"autocomplete": "off"})
    venue_city = StringField(_l("City"))
    venue_country = SelectField(_l("Country"))
    registration_opens = LocalDateTimeField(_l("Registration opens"), validators=[Optional()])
    registration_closes = LocalDateTimeField(_l("Registration closes"), validators=[Optional()])
    approval = SelectField(_l("Approval of registrations"), choices=choices(Approval))
    capacity = _number(
        _l("Capacity: most approved participants in all"), least=1, description=NO_LIMIT
    )
    original_language = SelectField(
        _l("Original language"),
        description=_l("The language the meeting's documents are written in first."),
    )
    other_languages = MultiCheckboxField(_l("Other languages"))

    def __init__(self, meeting: Meeting, lang: str, **kwargs: Any):
        if "formdata" not in kwargs and not kwargs.get("obj"):
            kwargs.update(self.initial(meeting))
        super().__init__(**kwargs)
        self.timezone.choices = [SelectChoice(z, z) for z in _zones()]
        self.venue_country.choices = [SelectChoice("", "—")] + [
            SelectChoice(code, name) for code, name in country_choices(lang)
        ]
        offered = [(c, LANGUAGE_NAMES.get(c, c)) for c in current_app.config["LANGUAGES"]]
        self.original_language.choices = [SelectChoice(c, n) for c, n in offered]
        self.other_languages.choices = [SelectChoice(c, n) for c, n in offered]
        for kind in KIND_ORDER:
            self[f"quota_{kind.value}"].label.text = label(kind)
        self.registration_opens.description = gettext(
            "Local time of the meeting (%(zone)s). Leave it empty to open registration now.",
            zone=meeting.timezone,
        )
        self.registration_closes.description = gettext(
            "Local time of the meeting (%(zone)s). Leave it empty to keep registration open.",
            zone=meeting.timezone,
        )

    @staticmethod
    def initial(meeting: Meeting) -> dict[str, Any]:
        """The form's values for the meeting as it stands (the window in local time)."""
        zone = meeting.zone
        languages = meeting.languages or list(current_app.config["LANGUAGES"])[:1]
        values: dict[str, Any] = {
            "title": meeting.title,
            "description": meeting.description or "",
            "start_date": meeting.start_date,
            "end_date": meeting.end_date,
            "timezone": meeting.timezone,
            "venue_name": meeting.venue_name or "",
            "venue_city": meeting.venue_city or "",
            "venue_country": meeting.venue_country or "",
            "approval": meeting.approval_rule.value,
            "capacity": meeting.capacity,
            "original_language": languages[0],
            "other_languages": languages[1:],
        }
        for key in ("registration_opens", "registration_closes"):
            moment = getattr(meeting, key)
            values[key] = moment.astimezone(zone).replace(tzinfo=None) if moment else None
        for kind in KIND_ORDER:
            values[f"quota_{kind.value}"] = meeting.quota_for(kind)
        return values

    def quota_fields(self) -> list[Field]:
        return [self[f"quota_{kind.value}"] for kind in KIND_ORDER]

    def changes(self) -> dict[str, Any]:
        """The settings as the meeting service takes them (the window as local times)."""
        original = self.original_language.data
        chosen = self.other_languages.data or []
        others = [c for c in current_app.config["LANGUAGES"] if c in chosen and c != original]
        return {
            "title": self.title.data,
            "description": self.description.data,
            "start_date": self.start_date.data,
            "end_date": self.end_date.data,
            "timezone": self.timezone.data,
            "venue_name": self.venue_name.data,
            "venue_city": self.venue_city.data,
            "venue_country": self.venue_country.data,
            "registration_opens": self.registration_opens.data,
            "registration_closes": self.registration_closes.data,
            "approval": self.approval.data,
            "capacity": self.capacity.data,
            "quotas": {
                kind.value: self[f"quota_{kind.value}"].data
                for kind in KIND_ORDER
                if self[f"quota_{kind.value}"].data is not None
            },
            "languages": [original, *others],
        }

    def field_for(self, setting: str) -> Field | None:
        """The field that shows a problem of the service's setting (quotas.<kind> too)."""
        if setting.startswith("quotas."):
            name = "quota_" + setting.removeprefix("quotas.")
        else:
            name = {"languages": "original_language", "quotas": "quota_wen"}.get(setting, setting)
        return self._fields.get(name)


# One number per organisation kind, labelled with the kind's name (set when the form is made).
for _kind in KIND_ORDER:
    setattr(SettingsForm, f"quota_{_kind.value}", _number(_kind.value, least=0))


class OrganisationForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired()])
    acronym = StringField(_l("Acronym"), description=_l("Optional, e.g. UNODC."))
    kind = SelectField(_l("Kind"), choices=choices(OrganisationKind))
    country = SelectField(
        _l("Country"),
        description=_l(
            "For a national delegation, the country itself; otherwise where it is based."
        ),
    )
    quota = _number(
        _l("Quota of its own"),
        least=0,
        description=_l(
            "Most approved participants of this organisation. Leave it empty to use the quota "
            "of its kind."
        ),
    )

    def __init__(self, lang: str, **kwargs: Any):
        super().__init__(**kwargs)
        self.country.choices = [SelectChoice("", "—")] + [
            SelectChoice(code, name) for code, name in country_choices(lang)
        ]

    def details(self) -> OrganisationDetails:
        return OrganisationDetails(
            name=self.name.data or "",
            kind=self.kind.data or "",
            acronym=self.acronym.data,
            country=self.country.data,
            quota=self.quota.data,
        )


class MergeChoiceForm(FlaskForm):
    """The organisation to merge into: a GET form, since choosing changes nothing."""

    class Meta:
        csrf = False

    into = SelectField(_l("Merge into"), validators=[DataRequired()])

    def __init__(self, formdata: Any, others: Sequence[DelegationRow]):
        super().__init__(formdata=formdata)
        self.into.choices = [SelectChoice("", "—")] + [
            SelectChoice(r.ref, f"{r.name} ({r.acronym})" if r.acronym else r.name) for r in others
        ]
