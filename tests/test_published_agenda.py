"""agenda/published.py: the one read model behind the agenda page, the exports, the printable
agenda and the reports' annex."""

from __future__ import annotations

import ast
import re
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from bench.generate import generate_meeting
from eventapp.agenda import published, service, versions
from eventapp.extensions import db
from eventapp.models import Session

from .conftest import DEMO_SLUG, demo_document, load

ROOT = Path(__file__).resolve().parent.parent


def _statements(include_closed: bool, scale: int) -> int:
    meeting = load(generate_meeting(scale, slug=f"scale-{scale}"))
    db.session.expire_all()
    db.session.refresh(meeting)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        agenda = published.build(meeting, include_closed=include_closed)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    assert agenda.items
    return len(statements)


@pytest.mark.parametrize("include_closed", [False, True])
def test_the_agenda_is_built_in_three_statements_whatever_the_meetings_size(
    include_closed: bool,
) -> None:
    # The newest version, the meeting's rooms, the people it names.
    assert _statements(include_closed, 1) == _statements(include_closed, 3) == 3


def test_the_annex_has_every_session_and_the_public_agenda_only_public_ones() -> None:
    meeting = load(demo_document())
    public = published.published_agenda(meeting)
    annex = published.build(meeting, include_closed=True)
    every = [s.ref for s in sorted(meeting.sessions, key=lambda s: (s.start_local, s.id))]
    assert [i.ref for i in annex.items] == every
    assert {i.ref for i in annex.items if i.closed} == {"s-closed"}
    assert [i.ref for i in public.items] == [r for r in every if r != "s-closed"]
    assert all(not i.closed for i in public.items)


def test_a_change_to_a_closed_session_leaves_the_public_sessions_as_they_were() -> None:
    meeting = load(demo_document())
    before = published.published_agenda(meeting)
    assert published.published_agenda(meeting).fingerprint == before.fingerprint
    closed = db.session.scalar(sa.select(Session).where(Session.ref == "s-closed"))
    assert closed is not None
    closed.title = "Another closed title"
    db.session.flush()
    assert published.published_agenda(meeting).fingerprint == before.fingerprint
    # Published, it is a new publication (a new DTSTAMP) of the same public sessions.
    versions.publish(meeting)
    assert published.published_agenda(meeting).items == before.items
    opening = db.session.scalar(sa.select(Session).where(Session.ref == "s-open"))
    assert opening is not None
    opening.title = "Another opening"
    db.session.flush()
    # A draft until published.
    assert published.published_agenda(meeting).items == before.items
    versions.publish(meeting)
    assert published.published_agenda(meeting).items != before.items


def test_page_and_printable_agenda_show_the_same_days_and_the_schedule_every_day(
    app: Flask, client: FlaskClient
) -> None:
    doc = demo_document()
    # A last meeting day without sessions: the schedules list it, the page and PDF do not.
    end = date.fromisoformat(doc["meeting"]["end_date"]) + timedelta(days=1)
    doc["meeting"]["end_date"] = end.isoformat()
    meeting = load(doc)
    page = client.get(f"/meetings/{DEMO_SLUG}/agenda").get_data(as_text=True)
    with app.test_request_context():
        printable = service.agenda_html(published.published_agenda(meeting), "en")
    page_days = re.findall(r'<section class="agenda-day" aria-labelledby="day-([\d-]+)"', page)
    print_days = re.findall(
        r'<section class="agenda-day" aria-labelledby="day-([\d-]+)"', printable
    )
    assert page_days == print_days
    assert end.isoformat() not in page_days
    assert page_days
    xml = client.get(f"/meetings/{DEMO_SLUG}/schedule.xml").data
    xml_days = [d.get("date") for d in ET.fromstring(xml).findall("./day")]
    assert xml_days[-1] == end.isoformat()
    assert set(page_days) < set(xml_days)
    page_sessions = re.findall(r'<li class="session kind-[a-z_]+" id="session-([^"]+)"', page)
    assert page_sessions == [i.ref for i in published.published_agenda(meeting).items]


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add("." * node.level + node.module)
    return names


@pytest.mark.parametrize(
    "path",
    [
        "eventapp/agenda/published.py",
        "eventapp/agenda/service.py",
        "eventapp/agenda/ical.py",
        "eventapp/agenda/schedule.py",
        "eventapp/agenda/routes.py",
        "eventapp/agenda/sessions.py",
        "eventapp/reports/service.py",
    ],
)
def test_the_agenda_is_not_taken_from_the_public_pages(path: str) -> None:
    assert not {name for name in _imports(ROOT / path) if "public" in name}
