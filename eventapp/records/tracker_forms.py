"""The action tracker's forms: its filters (a GET form, to bookmark) and its follow-up (POST)."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Form, HiddenField, IntegerField, SearchField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import AnyOf, Length, NumberRange, Optional

from ..fields import CalendarDateField
from .tracker import SORTS, STATES, TEXT_SEARCH_LENGTH, TrackerQuery

_CHOOSE = _l("Choose one of the options offered.")


def _offered(values: list[str]) -> list[Any]:
    # A forged value gets a sentence rather than WTForms' "Not a valid choice".
    return [Optional(), AnyOf(values, message=_CHOOSE)]


class TrackerFilterForm(Form):
    """Which actions the tracker lists, and in which order."""

    q = SearchField(
        _l("Search"),
        validators=[Optional(), Length(max=TEXT_SEARCH_LENGTH)],
        description=_l("Words of the action's text."),
    )
    organisation = SelectField(_l("Organisation"), validate_choice=False)
    state = SelectField(
        _l("State"),
        choices=[
            SelectChoice("", _l("Every action")),
            SelectChoice("open", _l("Open")),
            SelectChoice("overdue", _l("Overdue")),
            SelectChoice("done", _l("Done")),
        ],
        validate_choice=False,
        validators=_offered([s for s in STATES if s != "all"]),
    )
    session = SelectField(_l("Session"), validate_choice=False)
    due_before = CalendarDateField(_l("Due before"), validators=[Optional()])
    sort = SelectField(
        _l("Sort by"),
        choices=[
            SelectChoice("", _l("Session, in agenda order")),
            SelectChoice("due", _l("Due date, soonest first")),
            SelectChoice("owner", _l("Organisation")),
        ],
        validate_choice=False,
        validators=_offered([s for s in SORTS if s != "session"]),
    )
    earlier = BooleanField(
        _l(
            "Also show the open actions of every organisation of this meeting from earlier meetings"
        ),
        false_values=("", "0", "false"),
    )
    page = IntegerField(_l("Page"), validators=[Optional(), NumberRange(min=1, max=1_000_000)])

    def set_choices(
        self, organisations: list[tuple[str, str]], sessions: list[tuple[str, str]]
    ) -> None:
        self.organisation.choices = [SelectChoice("", _l("Every organisation"))] + [
            SelectChoice(ref, name) for ref, name in organisations
        ]
        self.organisation.validators = _offered([ref for ref, _ in organisations])
        self.session.choices = [SelectChoice("", _l("Every session"))] + [
            SelectChoice(ref, name) for ref, name in sessions
        ]
        self.session.validators = _offered([ref for ref, _ in sessions])

    def query(self) -> TrackerQuery:
        """The query the (validated) form states."""
        return TrackerQuery(
            organisation=self.organisation.data or None,
            state=self.state.data or "all",
            session=self.session.data or None,
            due_before=self.due_before.data,
            text=(self.q.data or "").strip(),
            sort=self.sort.data or "session",
            earlier_everyone=bool(self.earlier.data),
            page=self.page.data or 1,
        )


class FollowUpForm(FlaskForm):
    """Mark actions done or not done: the ticked ones (`action`, each a tracker token, and
    `mark`), or one row's button (`row`: "done:<token>" or "open:<token>")."""

    # The tracker's query string, to come back to the same filtered list.
    back = HiddenField(validators=[Optional(), Length(max=2000)])
