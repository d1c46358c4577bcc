"""The record editor: summary, attendance and the outcomes, as the rapporteur writes them."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from ..fields import CalendarDateField
from ..interchange.validate import maximum
from ..models import OutcomeKind, RecordStatus
from ..vocabulary import choices
from .service import COMMENT_LENGTH

BLANK_OUTCOMES = 3  # empty rows offered for new outcomes; more after each save


class OutcomeForm(Form):
    kind = SelectField(
        _l("Kind"),
        choices=choices(OutcomeKind),
        default=OutcomeKind.DECISION.value,
    )
    text = TextAreaField(_l("Text"), validators=[Optional(), Length(max=20000)])
    owner = SelectField(_l("Responsible organisation (actions)"), validate_choice=True)
    due = CalendarDateField(_l("Due (actions)"), validators=[Optional()])
    done = BooleanField(_l("Done (actions)"))
    speaker = SelectField(_l("Speaker (statements)"), validate_choice=True)
    remove = BooleanField(_l("Remove this outcome when saving"))


class RecordForm(FlaskForm):
    etag = HiddenField()
    summary = TextAreaField(
        _l("Summary"),
        validators=[Optional(), Length(max=20000)],
        description=_l(
            "Markdown: **bold**, *italics*, lists (lines that begin with - or 1.), links as "
            "[text](https://…), headings as # Heading. Preview shows it as it will read."
        ),
        render_kw={"rows": 12},  # a session's summary runs to paragraphs
    )
    attendance = IntegerField(
        _l("Attendance"),
        validators=[Optional(), NumberRange(min=0, max=maximum("record", "attendance"))],
        description=_l("How many took part in the session."),
    )
    status = RadioField(_l("Status"))
    outcomes = FieldList(FormField(OutcomeForm), min_entries=0)

    def set_choices(
        self,
        organisations: list[tuple[str, str]],
        people: list[tuple[str, str]],
        approver: bool,
        current: RecordStatus,
        in_session: frozenset[str] = frozenset(),
    ) -> None:
        """`current`: the record's status as stored. An approved record offers its status to
        its rapporteur too, chosen, so that saving it needs no other choice (the records
        service sends it back to the chair as submitted if they changed it). `in_session`:
        the refs of the session's own people, offered first as speakers."""
        statuses = [
            SelectChoice(RecordStatus.DRAFT.value, _l("Draft: still being written")),
            SelectChoice(RecordStatus.SUBMITTED.value, _l("Submitted to the chair for approval")),
        ]
        if approver:
            statuses.append(
                SelectChoice(RecordStatus.APPROVED.value, _l("Approved: goes into the reports"))
            )
        elif current is RecordStatus.APPROVED:
            statuses.append(
                SelectChoice(
                    RecordStatus.APPROVED.value,
                    _l("Approved: a change sends it back to the chair for approval"),
                )
            )
        self.status.choices = statuses
        # One list of each for every row, read only: a long record has dozens of rows and a
        # meeting hundreds of participants.
        owners = [SelectChoice("", "—")] + [SelectChoice(ref, name) for ref, name in organisations]
        speaking = speakers(people, in_session)
        for entry in self.outcomes:
            entry.form.owner.choices = owners
            entry.form.speaker.choices = speaking

    def document(self, current: dict[str, Any] | None = None) -> dict[str, object]:
        """The record as the schema writes it; rows without text are left out.

        The form does not edit `translations`: those of `current` (the record as stored) are
        kept wherever the text they translate is unchanged.
        """
        record: dict[str, object] = {"status": self.status.data}
        if self.summary.data and self.summary.data.strip():
            record["summary"] = self.summary.data.strip()
        if self.attendance.data is not None:
            record["attendance"] = self.attendance.data
        outcomes = []
        for entry in self.outcomes:
            row = entry.form
            if row.remove.data or not (row.text.data and row.text.data.strip()):
                continue
            outcome: dict[str, object] = {"kind": row.kind.data, "text": row.text.data.strip()}
            if row.owner.data:
                outcome["owner"] = row.owner.data
            if row.due.data:
                outcome["due"] = row.due.data.isoformat()
            if row.kind.data == OutcomeKind.ACTION.value:
                outcome["done"] = bool(row.done.data)
            if row.speaker.data:
                outcome["speaker"] = row.speaker.data
            outcomes.append(outcome)
        record["outcomes"] = outcomes
        if current:
            _keep_translations(current, record)
        return record


def speakers(people: list[tuple[str, str]], in_session: frozenset[str]) -> list[SelectChoice]:
    """The speakers a statement may have: the session's own people first, in a group of their
    own, then the meeting's other participants (one group, without a heading, if the session
    names nobody)."""
    first = _l("In this session") if in_session else None
    others = _l("Other participants of the meeting") if in_session else None
    return (
        [SelectChoice("", "—")]
        + [SelectChoice(ref, name, optgroup=first) for ref, name in people if ref in in_session]
        + [
            SelectChoice(ref, name, optgroup=others)
            for ref, name in people
            if ref not in in_session
        ]
    )


def moved(formdata: MultiDict[str, Any], row: int, step: int) -> MultiDict[str, Any]:
    """The editor's form as sent, with outcome `row` (from 0) moved `step` places (-1 up, +1
    down): its fields and its neighbour's swap names, so that everything typed stays."""
    other = row + step
    swap = {f"outcomes-{row}-": f"outcomes-{other}-", f"outcomes-{other}-": f"outcomes-{row}-"}
    renamed: MultiDict[str, Any] = MultiDict()
    for name, value in formdata.items(multi=True):
        prefix = next((p for p in swap if name.startswith(p)), None)
        renamed.add(swap[prefix] + name.removeprefix(prefix) if prefix else name, value)
    return renamed


def _keep_translations(current: dict[str, Any], record: dict[str, Any]) -> None:
    kept = _unchanged(current.get("translations"), current, record)
    if kept:
        record["translations"] = kept
    before = {(o["kind"], o["text"]): o for o in current.get("outcomes", [])}
    for outcome in record["outcomes"]:
        earlier = before.get((outcome["kind"], outcome["text"]))
        kept = _unchanged(earlier.get("translations"), earlier, outcome) if earlier else None
        if kept:
            outcome["translations"] = kept


def _unchanged(
    translations: dict[str, dict[str, str]] | None, before: dict[str, Any], after: dict[str, Any]
) -> dict[str, dict[str, str]] | None:
    """The translations whose original text is the same after the edit: the others are stale."""
    kept: dict[str, dict[str, str]] = {}
    for lang, texts in (translations or {}).items():
        same = {name: text for name, text in texts.items() if before.get(name) == after.get(name)}
        if same:
            kept[lang] = same
    return kept or None


class CommentForm(FlaskForm):
    """The chair's or an organiser's words when they send a record back or reopen it."""

    comment = TextAreaField(
        _l("Comment to the rapporteur"),
        description=_l("What should change, and why. The rapporteur sees it with the record."),
        render_kw={"rows": 5, "maxlength": COMMENT_LENGTH},
    )


class RestoreForm(FlaskForm):
    """The confirmation of a restore: the version of the record the page showed (its ETag)."""

    etag = HiddenField()
