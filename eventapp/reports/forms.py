"""The organisers' publishing form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField
from wtforms.fields.choices import SelectChoice

from ..models import ReportKind

LANGUAGE_NAMES = {"en": _l("English"), "fr": _l("French"), "es": _l("Spanish")}


class PublishForm(FlaskForm):
    kind = SelectField(
        _l("Document"),
        choices=[
            SelectChoice(ReportKind.CHAIR_SUMMARY.value, _l("Chair's summary")),
            SelectChoice(ReportKind.FULL_REPORT.value, _l("Report of the meeting")),
        ],
    )
    lang = SelectField(
        _l("Language"),
        choices=[SelectChoice(code, name) for code, name in LANGUAGE_NAMES.items()],
    )
