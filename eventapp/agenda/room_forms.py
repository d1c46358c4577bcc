"""The organisers' forms for the meeting's rooms: add one, or change its name and capacity."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..fields import OneLine
from ..interchange.validate import maximum
from .sessions import NAME_LENGTH

# As the schema's room: a capacity is at least one place.
LARGEST_CAPACITY = maximum("room", "capacity")


class PlacesField(IntegerField):
    """A number of places, or nothing: its error is a sentence a user reads, not a type name."""

    def process_formdata(self, valuelist: list[str]) -> None:
        if valuelist and not valuelist[0].strip():
            self.data = None  # left empty: the capacity is not known
            return
        try:
            super().process_formdata([v.strip() for v in valuelist])
        except ValueError as exc:
            message = _l("Write the capacity as a whole number of places, e.g. 120.")
            raise ValueError(message) from exc


class RoomForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[
            InputRequired(message=_l("Give the room a name.")),
            Length(max=NAME_LENGTH),
            OneLine(),
        ],
    )
    capacity = PlacesField(
        _l("Capacity"),
        validators=[
            Optional(),
            NumberRange(
                min=1,
                max=LARGEST_CAPACITY,
                message=_l("A capacity is a number of places from %(min)d to %(max)d."),
            ),
        ],
        description=_l("Places in the room; leave it empty if you do not know."),
    )
