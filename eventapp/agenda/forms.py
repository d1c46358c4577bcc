"""The organisers' form to add a session to the agenda."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from .. import localtime
from ..fields import LocalDateTimeField, OneLine
from ..models import SessionKind
from ..vocabulary import choices


class SessionForm(FlaskForm):
    ref = StringField(
        _l("Reference"),
        validators=[Optional(), Regexp(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")],
        description=_l(
            "A short code, unique in the meeting, e.g. s-opening. Leave it empty to have one "
            "made from the title."
        ),
    )
    number = StringField(
        _l("Agenda item number"), validators=[Optional(), Length(max=20), OneLine()]
    )
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300), OneLine()])
    kind = SelectField(_l("Kind"), choices=choices(SessionKind))
    start = LocalDateTimeField(_l("Starts (local time)"), validators=[DataRequired()])
    end = LocalDateTimeField(_l("Ends (local time)"), validators=[DataRequired()])
    room = SelectField(_l("Room"))
    public = BooleanField(_l("Public: shown on the public agenda"), default=True)
    chairs = SelectMultipleField(_l("Chairs"))
    speakers = SelectMultipleField(_l("Speakers"))
    rapporteur = SelectField(_l("Rapporteur"))
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)])

    def set_choices(self, rooms: list[tuple[str, str]], people: list[tuple[str, str]]) -> None:
        self.room.choices = [SelectChoice("", "—")] + [SelectChoice(r, n) for r, n in rooms]
        self.rapporteur.choices = [SelectChoice("", "—")] + [SelectChoice(r, n) for r, n in people]
        for field in (self.chairs, self.speakers):
            field.choices = [SelectChoice(r, n) for r, n in people]

    def document(self) -> dict[str, object]:
        """The session as the schema writes it."""
        item: dict[str, object] = {
            "title": self.title.data,
            "kind": self.kind.data,
            "start": localtime.format_local(self.start.data),
            "end": localtime.format_local(self.end.data),
            "public": bool(self.public.data),
            "chairs": list(self.chairs.data or []),
            "speakers": list(self.speakers.data or []),
        }
        for key in ("number", "room", "rapporteur", "description"):
            value = getattr(self, key).data
            if value:
                item[key] = value
        if self.ref.data:
            item["ref"] = self.ref.data
        return item
