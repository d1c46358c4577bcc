"""The organisers' publishing form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from ..models import ReportKind
from ..vocabulary import choices

LANGUAGE_NAMES = {"en": _l("English"), "fr": _l("French"), "es": _l("Spanish")}


class PublishForm(FlaskForm):
    kind = SelectField(
        _l("Document"),
        choices=choices(ReportKind),
    )
    lang = SelectField(
        _l("Language"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
    )
