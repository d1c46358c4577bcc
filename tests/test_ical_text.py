"""agenda.ics is written as text: every value escaped and every line folded as RFC 5545 says.

A reader (the icalendar library here; libical and Radicale in their own tests) must get back
exactly the text we meant, whatever characters it holds and wherever a fold falls.
"""

from __future__ import annotations

import icalendar
import pytest
from flask.testing import FlaskClient

from eventapp.agenda import ical
from tests.factories import DEMO_SLUG, demo_document, load
from tests.helpers import libical_events

TRICKY = [
    "plain",
    "a, b; c \\ d",
    "line one\nline two\r\nline three\rfour",
    "x" * 73 + "\\" + "y" * 10,  # an escape at the fold
    "x" * 72 + "é" * 3 + "z" * 80,  # two-octet characters across the fold
    "名前" * 60,  # three octets each
    "😀" * 40 + "," * 30,  # four octets each, then escapes
    "^" * 200,
    "tab\there",
]


def _unfolded_value(folded: str) -> str:
    prop = icalendar.Event.from_ical(f"BEGIN:VEVENT\r\n{folded}END:VEVENT\r\n")
    return str(prop["summary"])


@pytest.mark.parametrize("value", TRICKY)
def test_a_text_value_reads_back_as_written(value: str) -> None:
    folded = ical._fold(f"SUMMARY:{ical.text(value)}")
    expected = value.replace("\r\n", "\n").replace("\r", "\n")
    assert _unfolded_value(folded) == expected


@pytest.mark.parametrize("value", TRICKY)
def test_no_line_is_longer_than_75_octets(value: str) -> None:
    folded = ical._fold(f"SUMMARY:{ical.text(value)}")
    assert folded.endswith("\r\n")
    lines = folded[:-2].split("\r\n")
    assert all(len(line.encode()) <= 75 for line in lines)
    assert all(line.startswith(" ") for line in lines[1:])
    # Unfolding gives the line back, no character cut in two.
    assert "".join([lines[0], *(line[1:] for line in lines[1:])]) == f"SUMMARY:{ical.text(value)}"


def test_control_characters_are_dropped() -> None:
    assert ical.text("bell\x07 null\x00 escape\x1b del\x7f") == "bell null escape del"


def test_a_feed_of_awkward_titles_reads_back_in_libical_and_icalendar(client: FlaskClient) -> None:
    doc = demo_document()
    titles = {s["ref"]: value for s, value in zip(doc["sessions"], TRICKY, strict=False)}
    for session in doc["sessions"]:
        if session["ref"] in titles:
            session["title"] = titles[session["ref"]].replace("\r", " ").replace("\n", " ")
            session.pop("number", None)
    load(doc)
    text = client.get(f"/meetings/{DEMO_SLUG}/agenda.ics").get_data(as_text=True)
    errors, events = libical_events(text)
    assert errors == 0
    cal = icalendar.Calendar.from_ical(text)
    summaries = {str(e["uid"]).split(".")[0]: str(e["summary"]) for e in cal.walk("VEVENT")}
    shown = [ref for ref in titles if ref in events]  # public sessions only
    assert len(shown) >= 4
    for ref in shown:
        assert summaries[ref] == titles[ref].replace("\r", " ").replace("\n", " ")


def test_a_meeting_in_utc_writes_its_times_in_utc_form(client: FlaskClient) -> None:
    doc = demo_document()
    doc["meeting"]["timezone"] = "UTC"
    load(doc)
    text = client.get(f"/meetings/{DEMO_SLUG}/agenda.ics").get_data(as_text=True)
    starts = [line for line in text.split("\r\n") if line.startswith("DTSTART")]
    events = [line for line in starts if line.endswith("Z")]
    assert events and all(";TZID=" not in line for line in events)
    errors, read = libical_events(text)
    assert errors == 0 and read
