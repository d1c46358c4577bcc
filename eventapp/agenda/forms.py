"""The organisers' forms of the agenda builder: add or edit a session, move it, pick people.

People are typed, not chosen from a select of every participant: agenda/people.py resolves
each name or e-mail, and a name that fits several people (or none) is a form error naming them.
What the agenda service refuses comes back as Problems located by JSON path; `show_problems`
puts each at its field as a sentence in the reader's language.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from typing import Any

from flask_babel import gettext, ngettext
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from .. import localtime
from ..fields import LocalDateTimeField, OneLine
from ..interchange.validate import Problem
from ..models import Meeting, Session, SessionKind
from ..vocabulary import choices
from .people import Directory, Match

# So many candidates are named in a form error; more would hide the field.
NAMED_CANDIDATES = 5


def _people_error(match: Match) -> str:
    found = match.candidates
    if not found:
        return gettext(
            "No approved participant matches “%(text)s”: check the spelling, or type the "
            "e-mail address.",
            text=match.text,
        )
    names = ", ".join(p.label for p in found[:NAMED_CANDIDATES])
    if len(found) > NAMED_CANDIDATES:
        return gettext(
            "Many people match “%(text)s”, among them %(names)s… — type more of the name or "
            "the e-mail.",
            text=match.text,
            names=names,
        )
    return ngettext(
        "%(num)d person matches “%(text)s”: %(names)s — type more of the name or the e-mail.",
        "%(num)d people match “%(text)s”: %(names)s — type more of the name or the e-mail.",
        len(found),
        text=match.text,
        names=names,
    )


class _TypedPeople:
    """Resolves what was typed, one person per line, to `refs` when the form is validated.

    Several values of the field (as a script or an older form may send) count as lines too.
    """

    data: str | None
    errors: list[str]
    refs: list[str]
    most = 200  # people in one field; more is a paste gone wrong, not a session

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist:
            self.data = "\n".join(str(v) for v in valuelist)

    def lines(self) -> list[str]:
        return [line.strip() for line in (self.data or "").splitlines() if line.strip()]

    def pre_validate(self, form: Any) -> None:
        self.refs = []
        lines = self.lines()
        if len(lines) > self.most:
            self.errors.append(
                gettext("Type one person only.")
                if self.most == 1
                else gettext("Type at most %(num)d people.", num=self.most)
            )
            return
        if not lines:
            return
        people: Directory = form.people()
        for line in lines:
            match = people.resolve(line)
            if match.person is None:
                self.errors.append(_people_error(match))
            elif match.person.ref not in self.refs:
                self.refs.append(match.person.ref)


class PeopleField(_TypedPeople, TextAreaField):
    """People typed one per line: a name, "Name (ORG)" or an e-mail address."""


class PersonField(_TypedPeople, StringField):
    """One person, typed as for PeopleField."""

    most = 1


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
    chairs = PeopleField(
        _l("Chairs"),
        description=_l(
            "One person per line: a name or an e-mail address of an approved participant."
        ),
        render_kw={"rows": 2},
    )
    speakers = PeopleField(
        _l("Speakers"),
        description=_l(
            "One person per line: a name or an e-mail address of an approved participant."
        ),
        render_kw={"rows": 3},
    )
    rapporteur = PersonField(
        _l("Rapporteur"),
        description=_l("A name or an e-mail address of an approved participant."),
    )
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=20000)])

    def set_choices(
        self,
        rooms: Iterable[tuple[str, str]],
        people: Callable[[], Directory],
        suggest: str | None = None,
    ) -> None:
        """The meeting's rooms, where the people typed are looked up (only when sent), and
        the address a script asks for suggestions while one types."""
        self.room.choices = [SelectChoice("", "—")] + [SelectChoice(r, n) for r, n in rooms]
        if suggest:
            for picker, adding in (
                (self.chairs, gettext("Add a chair: type part of a name or an e-mail")),
                (self.speakers, gettext("Add a speaker: type part of a name or an e-mail")),
                (self.rapporteur, None),
            ):
                picker.render_kw = {**(picker.render_kw or {}), "data-people": suggest}
                if adding:
                    picker.render_kw["data-add-label"] = adding
        found: list[Directory] = []

        def once() -> Directory:
            if not found:
                found.append(people())
            return found[0]

        self.people = once

    def fill(self, session: Session, people: Directory) -> None:
        """Show the session as stored (on a form not sent)."""
        for key, value in {
            "number": session.number or "",
            "title": session.title,
            "kind": session.kind.value,
            "start": session.start_local,
            "end": session.end_local,
            "room": session.room.ref if session.room else "",
            "public": session.public is not False,
            "chairs": "\n".join(people.label(p.ref) for p in session.chairs),
            "speakers": "\n".join(people.label(p.ref) for p in session.speakers),
            "rapporteur": people.label(session.rapporteur.ref) if session.rapporteur else "",
            "description": session.description or "",
        }.items():
            self[key].data = value
        for picker in (self.chairs, self.speakers):
            # Tall enough to show everyone, and one more line to add someone.
            picker.render_kw = {**(picker.render_kw or {}), "rows": max(2, len(picker.lines()) + 1)}

    def document(self) -> dict[str, object]:
        """The session as the schema writes it."""
        item: dict[str, object] = {
            "title": self.title.data,
            "kind": self.kind.data,
            "start": localtime.format_local(self.start.data),
            "end": localtime.format_local(self.end.data),
            "public": bool(self.public.data),
            "chairs": list(self.chairs.refs),
            "speakers": list(self.speakers.refs),
        }
        if self.rapporteur.refs:
            item["rapporteur"] = self.rapporteur.refs[0]
        # Browsers send a text area's lines ended by CR LF; the schema's texts end them by LF.
        description = (self.description.data or "").replace("\r\n", "\n").strip()
        if description:
            item["description"] = description
        for key in ("number", "room"):
            value = getattr(self, key).data
            if value:
                item[key] = value
        if "ref" in self and self.ref.data:
            item["ref"] = self.ref.data
        return item

    def changes(self, stored: Mapping[str, Any]) -> dict[str, object]:
        """What differs from the session as stored (schema-shaped): null removes a field."""
        wanted = self.document()
        changed: dict[str, object] = {}
        for key in ("number", "title", "kind", "start", "end", "room", "rapporteur"):
            if wanted.get(key) != stored.get(key):
                changed[key] = wanted.get(key)
        for key in ("chairs", "speakers"):
            if wanted[key] != stored.get(key, []):
                changed[key] = wanted[key]
        if (wanted.get("description") or None) != (stored.get("description") or None):
            changed["description"] = wanted.get("description")
        # Not stated means public: ticking the box of a session public by default changes nothing.
        if wanted["public"] != (stored.get("public") is not False):
            changed["public"] = wanted["public"]
        return changed


class EditSessionForm(SessionForm):
    """The session's own form: its ref is its address and stays."""

    ref = None  # type: ignore[assignment]


class MoveForm(FlaskForm):
    """Another day, start time or room; the session keeps its length."""

    move_day = SelectField(_l("Day"))
    move_start = TimeField(_l("Starts at (local time)"), validators=[DataRequired()])
    move_room = SelectField(_l("Room"))

    def set_choices(self, meeting: Meeting, rooms: Iterable[tuple[str, str]], lang: str) -> None:
        days = localtime.meeting_days(meeting.start_date, meeting.end_date)
        self.move_day.choices = [
            SelectChoice(d.isoformat(), localtime.format_day(d, lang)) for d in days
        ]
        self.move_room.choices = [SelectChoice("", "—")] + [SelectChoice(r, n) for r, n in rooms]

    def fill(self, session: Session) -> None:
        self.move_day.data = session.start_local.date().isoformat()
        self.move_start.data = session.start_local.time()
        self.move_room.data = session.room.ref if session.room else ""

    def changes(self, session: Session) -> dict[str, object]:
        """The session's new start, end and room."""
        start = datetime.combine(date.fromisoformat(self.move_day.data), self.move_start.data)
        end = start + (session.end_local - session.start_local)
        return {
            "start": localtime.format_local(start),
            "end": localtime.format_local(end),
            "room": self.move_room.data or None,
        }


def problem_sentence(problem: Problem, meeting: Meeting) -> str:
    """What the service found, said to the organiser (its own words are for developers)."""
    key = field_of(problem.path)
    text = problem.message
    if key in ("start", "end"):
        if "outside the meeting's dates" in text:
            return gettext(
                "This is outside the meeting's days (%(days)s).",
                days=localtime.format_date_range(
                    meeting.start_date, meeting.end_date, localtime.page_language()
                ),
            )
        if "does not exist" in text:
            return gettext(
                "This time does not exist in %(zone)s: the clocks go forward then. Choose "
                "another time.",
                zone=meeting.timezone,
            )
        if "ends before or when it starts" in text:
            return gettext("The session must end after it starts.")
        return gettext("Enter a date and a time of day in the years 1 to 9999.")
    if key == "room":
        return gettext("Choose one of the meeting's rooms.")
    if key in ("chairs", "speakers", "rapporteur"):
        return gettext("Choose people among the meeting's participants.")
    if key == "ref":
        return gettext("This reference cannot be used: choose another one.")
    return gettext("This cannot be stored as given: please correct it.")


def field_of(path: str) -> str:
    """The form field a JSON path is about: "$.chairs[1]" -> "chairs"; "" for the whole."""
    return path.removeprefix("$").removeprefix(".").split("[", 1)[0].split(".", 1)[0]


def show_problems(
    form: FlaskForm,
    problems: Iterable[tuple[str, str]],
    fields: Mapping[str, str] | None = None,
) -> list[str]:
    """Put each (JSON path, sentence) at its field of the form (`fields` renames: "start" ->
    "move_start"); returns the sentences about no field, for the error summary."""
    rest: list[str] = []
    for path, sentence in problems:
        name = field_of(path)
        name = (fields or {}).get(name, name)
        if name and name in form:
            field = form[name]
            if sentence not in field.errors:
                field.errors = [*field.errors, sentence]
        elif sentence not in rest:
            rest.append(sentence)
    return rest
