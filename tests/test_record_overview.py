"""The overview of every session's record (stages, counts, filter) and the chair's approval
queue: who sees them, what they show, and what they cost."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient

from eventapp.extensions import db
from eventapp.lookups import find_session
from eventapp.models import Meeting, RecordStatus, RevisionChange, Session, User
from eventapp.records import service
from tests.factories import DEMO_SLUG, demo_document, load, make_account
from tests.helpers import counted, sign_in

RECORDS = f"/meetings/{DEMO_SLUG}/records"
QUEUE = f"/meetings/{DEMO_SLUG}/awaiting-approval"


def session_of(meeting: Meeting, ref: str) -> Session:
    db.session.expire_all()
    session = find_session(meeting, ref)
    assert session is not None
    return session


def write(meeting: Meeting, ref: str, user: User, status: RecordStatus) -> None:
    """The session's record as it stands, saved by `user` with a new status, and committed."""
    session = session_of(meeting, ref)
    data = {**service.document(session), "status": status.value}
    service.replace(meeting, session, data, user=user, read_current=lambda tag: True)
    db.session.commit()


def turn(meeting: Meeting, ref: str, user: User, change: RevisionChange) -> None:
    service.send_back(meeting, session_of(meeting, ref), change, "Please check.", user=user)
    db.session.commit()


@pytest.fixture
def stages(demo_meeting: Meeting) -> dict[str, User]:
    """The demo's records at every stage: s-break not started, s-close a draft, s-iccwc sent
    back, s-open reopened, s-closed then s-close submitted (in that order), s-net and s-non
    approved."""
    chair = make_account("chair@example.org")
    rapporteur = make_account("rapp-2@example.org")
    turn(demo_meeting, "s-iccwc", chair, RevisionChange.RETURNED)
    turn(demo_meeting, "s-open", chair, RevisionChange.REOPENED)
    turn(demo_meeting, "s-closed", chair, RevisionChange.REOPENED)
    write(demo_meeting, "s-closed", rapporteur, RecordStatus.SUBMITTED)
    return {"chair": chair, "rapporteur": rapporteur}


def rows(html: str) -> dict[str, str]:
    """Each row of the page's table, by the session's reference in its first link."""
    found = {}
    for row in re.findall(r"<tr>(.*?)</tr>", html, re.S):
        ref = re.search(r'/records/([\w-]+)"', row)
        if ref:
            found[ref.group(1)] = re.sub(r"<[^>]+>", " ", row)
    return found


def test_the_overview_names_each_records_stage_in_words(client, demo_meeting, stages):
    sign_in(client, "chair@example.org")
    html = client.get(RECORDS).get_data(as_text=True)
    shown = rows(html)
    assert list(shown) == [
        s.ref for s in sorted(demo_meeting.sessions, key=lambda s: (s.start_local, s.id))
    ]
    wanted = {
        "s-break": "Not started",
        "s-close": "Draft",
        "s-iccwc": "Sent back",
        "s-open": "Reopened",
        "s-closed": "Submitted",
        "s-net": "Approved",
        "s-non": "Approved",
    }
    for ref, stage in wanted.items():
        assert f" {stage} " in shown[ref], (ref, shown[ref])
    assert "Last saved" in html
    assert re.search(r"\d{4}, \d\d:\d\d\s*$", shown["s-close"])  # when last saved
    assert shown["s-break"].rstrip().endswith("—")  # never saved
    for count, stage in [(1, "Not started"), (1, "Draft"), (1, "Submitted"), (2, "Approved")]:
        assert f">{stage}: {count}</a>" in html
    assert "Records awaiting approval (1)" in html


@pytest.mark.parametrize(
    ("stage", "refs"),
    [
        ("submitted", ["s-closed"]),
        ("approved", ["s-net", "s-non"]),
        ("sent-back", ["s-iccwc"]),
        ("not-started", ["s-break"]),
        ("no-such-stage", None),  # ignored: every session
    ],
)
def test_the_overview_filters_by_stage(client, demo_meeting, stages, stage, refs):
    sign_in(client, "chair@example.org")
    html = client.get(f"{RECORDS}?stage={stage}").get_data(as_text=True)
    assert sorted(rows(html)) == sorted(refs or [s.ref for s in demo_meeting.sessions])


def test_a_rapporteur_sees_only_their_sessions_and_no_queue_link(client, demo_meeting, stages):
    sign_in(client, "rapp-2@example.org")
    html = client.get(RECORDS).get_data(as_text=True)
    assert sorted(rows(html)) == ["s-close", "s-closed", "s-iccwc", "s-open"]
    assert "awaiting approval" not in html


def test_the_queue_lists_submitted_records_oldest_first(client, demo_meeting, stages):
    write(demo_meeting, "s-close", stages["rapporteur"], RecordStatus.SUBMITTED)
    sign_in(client, "chair@example.org")
    html = client.get(QUEUE).get_data(as_text=True)
    assert "Records awaiting approval (2)" in html
    assert list(rows(html)) == ["s-closed", "s-close"]
    assert f'href="{RECORDS}/s-close/return"' in html
    # Approved from its page, it leaves the queue.
    write(demo_meeting, "s-closed", stages["chair"], RecordStatus.APPROVED)
    assert list(rows(client.get(QUEUE).get_data(as_text=True))) == ["s-close"]


def test_an_organiser_reaches_the_queue_from_the_management_pages(client, demo_meeting):
    make_account("org@example.org", "organiser", meeting=demo_meeting)
    sign_in(client, "org@example.org")
    html = client.get(f"/meetings/{DEMO_SLUG}/manage/").get_data(as_text=True)
    assert f'href="{QUEUE}"' in html
    assert client.get(QUEUE).status_code == 200
    assert "No record is waiting for approval." in client.get(QUEUE).get_data(as_text=True)


@pytest.mark.parametrize("who", ["rapp-2@example.org", "stranger@example.org"])
def test_rapporteurs_and_strangers_cannot_see_the_queue(client, demo_meeting, who):
    make_account(who)
    sign_in(client, who)
    assert client.get(QUEUE).status_code == 403


def test_the_queue_asks_the_anonymous_to_sign_in(client, demo_meeting):
    response = client.get(QUEUE)
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


# -- what the pages cost ---------------------------------------------------------------------


def _meeting(sessions: int) -> dict[str, Any]:
    """The demo meeting with that many sessions, every one with a rapporteur and a record at
    some stage (one in three submitted)."""
    doc = demo_document()
    start = datetime(2013, 3, 5, 7, 0)
    doc["sessions"] = []
    for n in range(sessions):
        begins = start + timedelta(minutes=15 * n)
        session: dict[str, Any] = {
            "ref": f"s-{n:03d}",
            "title": f"Session {n + 1}",
            "kind": "plenary",
            "start": begins.strftime("%Y-%m-%dT%H:%M"),
            "end": (begins + timedelta(minutes=15)).strftime("%Y-%m-%dT%H:%M"),
            "room": "plenary",
            "public": True,
            "rapporteur": ("rapp-1", "rapp-2")[n % 2],
        }
        if n % 4:
            status = ("submitted", "draft", "approved")[n % 3]
            session["record"] = {"status": status, "summary": "It met.", "outcomes": []}
        doc["sessions"].append(session)
    return doc


def _statements(client: FlaskClient, path: str) -> int:
    db.session.remove()  # a request starts with an empty session
    with counted() as statements:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(statements)


def test_the_overview_and_queue_cost_the_same_whatever_the_agenda(client):
    slugs = {}
    for size in (5, 50):
        doc = _meeting(size)
        doc["meeting"]["slug"] = slugs[size] = f"{DEMO_SLUG}-{size}"
        load(doc)
    make_account("chair@example.org")
    sign_in(client, "chair@example.org")
    for page in ("records", "awaiting-approval"):
        found = [_statements(client, f"/meetings/{slugs[size]}/{page}") for size in (5, 50)]
        assert found[0] == found[1], (page, found)
        assert found[0] <= 12, (page, found)
