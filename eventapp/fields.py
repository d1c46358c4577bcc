"""Form fields and validators that the web forms share with the interchange format.

The forms say what the schema says: times written with four-digit years, one-line texts without
control characters, the same largest numbers. The rule itself lives in interchange.validate.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import DateField, DateTimeLocalField
from wtforms.validators import ValidationError

from . import localtime
from .interchange.validate import is_one_line


class LocalDateTimeField(DateTimeLocalField):
    """A wall-clock time in a datetime-local input, shown as the schema writes it (0999-…)."""

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        return localtime.format_local(self.data) if self.data else ""


class CalendarDateField(DateField):
    """A date in a date input, with a four-digit year: strftime writes year 999 as "999"."""

    def _value(self) -> str:
        if self.raw_data:
            return " ".join(self.raw_data)
        return self.data.isoformat() if self.data else ""


class OneLine:
    """Refuses line breaks and control characters: the text may go into a mail header."""

    def __init__(self, message: Any = None):
        self.message = message or _l("Write this on one line, without line breaks or tabs.")

    def __call__(self, form: Any, field: Any) -> None:
        if isinstance(field.data, str) and not is_one_line(field.data):
            raise ValidationError(str(self.message))
