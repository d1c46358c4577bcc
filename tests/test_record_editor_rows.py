"""The editor's outcome rows: one more row, a row removed on saving, rows moved up and down,
all without saving until asked; and the speakers of a statement, the session's own first."""

from __future__ import annotations

import re
from html import unescape

import pytest

from eventapp.extensions import db
from eventapp.lookups import find_session
from eventapp.models import Meeting
from eventapp.records import service
from eventapp.records.forms import moved, speakers
from tests.factories import DEMO_SLUG, make_account
from tests.helpers import form_fields, sign_in

CLOSE = f"/meetings/{DEMO_SLUG}/records/s-close"  # a draft with one outcome; rapporteur: rapp-2
IICWC = f"/meetings/{DEMO_SLUG}/records/s-iccwc"  # speakers p-cites-2, p-wb, p-dos; rapp-2


@pytest.fixture
def editor(client, demo_meeting: Meeting):  # type: ignore[no-untyped-def]
    make_account("rapp-2@example.org")
    sign_in(client, "rapp-2@example.org")
    return client


def fields_of(html: str) -> dict[str, str]:
    return {name: unescape(value) for name, value in form_fields(html).items()}


def texts(fields: dict[str, str]) -> list[str]:
    count = len({m for m in re.findall(r"outcomes-(\d+)-kind", " ".join(fields))})
    return [fields.get(f"outcomes-{n}-text", "") for n in range(count)]


def typed(editor) -> dict[str, str]:  # type: ignore[no-untyped-def]
    fields = fields_of(editor.get(CLOSE).get_data(as_text=True))
    fields.update(
        {
            "summary": "Typed, not saved.",
            "outcomes-0-text": "First.",
            "outcomes-1-text": "Second.",
            "outcomes-1-kind": "action",
            "outcomes-1-owner": "za",
            "outcomes-2-text": "Third.",
        }
    )
    return fields


def stored_document(meeting: Meeting) -> dict[str, object]:
    db.session.expire_all()
    session = find_session(meeting, "s-close")
    assert session is not None
    return service.document(session)


def test_add_an_outcome_gives_one_more_row_and_saves_nothing(editor, demo_meeting):
    before = stored_document(demo_meeting)
    fields = typed(editor)
    rows = len(texts(fields))
    response = editor.post(CLOSE, data={**fields, "add-outcome": "1"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    after = fields_of(html)
    assert texts(after) == [*texts(fields), ""]
    assert after["summary"] == "Typed, not saved." and after["outcomes-1-owner"] == "za"
    # The new row has the focus (the browser scrolls to it).
    assert re.search(
        rf'id="outcomes-{rows}-kind"[^>]*autofocus|autofocus[^>]*id="outcomes-{rows}-kind"', html
    )
    assert f'id="outcome-{rows + 1}"' in html
    assert stored_document(demo_meeting) == before


def test_move_down_and_up_reorder_the_rows_with_everything_typed(editor, demo_meeting):
    before = stored_document(demo_meeting)
    fields = typed(editor)
    response = editor.post(CLOSE, data={**fields, "move-1-down": "1"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    after = fields_of(html)
    assert texts(after)[:3] == ["First.", "Third.", "Second."]
    assert after["outcomes-2-kind"] == "action" and after["outcomes-2-owner"] == "za"
    assert after["summary"] == "Typed, not saved."
    # The moved row's button keeps the focus in the row's new place.
    assert re.search(r'name="move-2-down"[^>]*autofocus', html)
    assert stored_document(demo_meeting) == before

    up = fields_of(editor.post(CLOSE, data={**after, "move-2-up": "1"}).get_data(as_text=True))
    assert texts(up)[:3] == ["First.", "Second.", "Third."]
    # The first row cannot move up: nothing moves.
    same = fields_of(editor.post(CLOSE, data={**up, "move-0-up": "1"}).get_data(as_text=True))
    assert texts(same) == texts(up)
    first = editor.post(CLOSE, data=up).get_data(as_text=True)
    assert 'name="move-0-up"' not in first


def test_the_order_is_saved_and_a_removed_outcome_left_out(editor, demo_meeting):
    fields = typed(editor)
    fields = fields_of(editor.post(CLOSE, data={**fields, "move-2-up": "1"}).get_data(as_text=True))
    fields["outcomes-0-remove"] = "y"
    assert editor.post(CLOSE, data=fields).status_code == 303
    outcomes = stored_document(demo_meeting)["outcomes"]
    assert isinstance(outcomes, list)
    assert [o["text"] for o in outcomes] == ["Third.", "Second."]
    assert outcomes[1]["owner"] == "za"


def test_each_outcome_has_a_clearly_labelled_remove_box(editor):
    html = editor.get(CLOSE).get_data(as_text=True)
    assert re.search(
        r'<input id="outcomes-0-remove" name="outcomes-0-remove" type="checkbox"[^>]*>\s*'
        r'<label for="outcomes-0-remove">Remove this outcome when saving</label>',
        html,
    )
    assert "<legend>If it is an action</legend>" in html


def test_moved_swaps_two_rows_names_only():
    from werkzeug.datastructures import MultiDict

    data = MultiDict(
        [
            ("summary", "s"),
            ("outcomes-1-text", "one"),
            ("outcomes-10-text", "ten"),
            ("outcomes-2-text", "two"),
        ]
    )
    swapped = moved(data, 1, 1)
    assert swapped["outcomes-2-text"] == "one" and swapped["outcomes-1-text"] == "two"
    assert swapped["outcomes-10-text"] == "ten" and swapped["summary"] == "s"


def test_the_sessions_people_are_offered_first_as_speakers(editor):
    html = editor.get(IICWC).get_data(as_text=True)
    select = re.search(r'<select[^>]*name="outcomes-0-speaker"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None
    groups = re.findall(r'<optgroup label="([^"]+)">(.*?)</optgroup>', select.group(1), re.S)
    assert [label for label, _ in groups] == [
        "In this session",
        "Other participants of the meeting",
    ]
    first = re.findall(r'value="([^"]+)"', groups[0][1])
    # Its chair, its speakers and its rapporteur; the others after them.
    assert sorted(first) == sorted(["chair", "p-cites-2", "p-wb", "p-dos", "rapp-2"])
    others = re.findall(r'value="([^"]+)"', groups[1][1])
    assert "p-wco" in others and not set(first) & set(others)
    assert select.group(1).startswith('<option value="">')


def test_without_people_in_the_session_the_speakers_are_one_list():
    choices = speakers([("a", "A"), ("b", "B")], frozenset())
    assert [(c.value, c.optgroup) for c in choices] == [("", None), ("a", None), ("b", None)]
