"""Self-check of bench/generate.py: its synthetic meetings keep the wen-meeting/1 contract.

The generator feeds benchmarks and checks with data the application has never seen; a wrong
document there would blame the application for the generator's mistakes.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from datetime import date, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bench.generate import NAMES, generate_meeting

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_PATH = Path(__file__).resolve().parents[2] / "shared/contract/meeting.schema.json"
GENERATOR = ROOT / "bench" / "generate.py"

# (scale, seed) of the documents checked.
CASES = {"scale-1": (1, 1), "scale-3-seed-7": (3, 7)}
REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
LOCAL = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}$")
INSTANT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")

Doc = dict[str, Any]


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request: pytest.FixtureRequest) -> tuple[int, Doc]:
    scale, seed = CASES[request.param]
    return scale, generate_meeting(scale, seed=seed)


def _local(text: str, zone: ZoneInfo) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_valid_against_the_contract_schema(case: tuple[int, Doc]) -> None:
    if not SCHEMA_PATH.is_file():
        pytest.skip(f"no contract schema at {SCHEMA_PATH}")
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
    _, doc = case
    errors = [f"{e.json_path}: {e.message}" for e in validator.iter_errors(doc)]
    assert errors == []


def test_refs_are_unique_and_resolve(case: tuple[int, Doc]) -> None:
    _, doc = case
    refs: dict[str, set[str]] = {}
    for key in ("organisations", "participants", "rooms", "sessions"):
        listed = [item["ref"] for item in doc[key]]
        assert len(listed) == len(set(listed)), f"duplicate refs in {key}"
        assert all(REF.match(ref) for ref in listed), key
        refs[key] = set(listed)
    orgs, people, rooms = refs["organisations"], refs["participants"], refs["rooms"]

    assert doc["meeting"]["chair"] in people
    assert all(p["organisation"] in orgs for p in doc["participants"])
    for session in doc["sessions"]:
        if "room" in session:
            assert session["room"] in rooms, session["ref"]
        assert set(session["chairs"]) <= people, session["ref"]
        assert set(session["speakers"]) <= people, session["ref"]
        if "rapporteur" in session:
            assert session["rapporteur"] in people, session["ref"]
        for outcome in session.get("record", {}).get("outcomes", []):
            if "owner" in outcome:
                assert outcome["owner"] in orgs, session["ref"]
            if "speaker" in outcome:
                assert outcome["speaker"] in people, session["ref"]


def test_people_with_a_part_in_the_programme_are_approved(case: tuple[int, Doc]) -> None:
    _, doc = case
    status = {p["ref"]: p["status"] for p in doc["participants"]}
    assert status[doc["meeting"]["chair"]] == "approved"
    for session in doc["sessions"]:
        involved = [*session["chairs"], *session["speakers"]]
        involved += [session["rapporteur"]] if "rapporteur" in session else []
        assert all(status[ref] == "approved" for ref in involved), session["ref"]


def test_emails_instants_and_countries_are_well_formed(case: tuple[int, Doc]) -> None:
    _, doc = case
    emails = [p["email"].lower() for p in doc["participants"]]
    assert len(emails) == len(set(emails))
    assert all(e.isascii() and e.count("@") == 1 for e in emails)

    meeting = doc["meeting"]
    opens = _instant(meeting["registration_opens"])
    closes = _instant(meeting["registration_closes"])
    for person in doc["participants"]:
        for key in ("registered_at", "checked_in_at"):
            if key in person:
                assert INSTANT.match(person[key]), (person["ref"], key)
        if "registered_at" in person:
            assert opens <= _instant(person["registered_at"]) <= closes, person["ref"]
        if "checked_in_at" in person:
            assert person["status"] == "approved"

    pycountry = pytest.importorskip("pycountry")
    valid = {c.alpha_2 for c in pycountry.countries}
    codes = [meeting["venue"]["country"]] if "country" in meeting["venue"] else []
    for org in doc["organisations"]:
        codes += [org["country"]] if "country" in org else []
        codes += org.get("members", [])
        if org["kind"] == "country":
            assert "country" in org, org["ref"]
    assert set(codes) <= valid


def test_sessions_fit_the_meeting_and_no_room_is_double_booked(case: tuple[int, Doc]) -> None:
    _, doc = case
    first = date.fromisoformat(doc["meeting"]["start_date"])
    last = date.fromisoformat(doc["meeting"]["end_date"])
    by_room: dict[str, list[tuple[datetime, datetime, str]]] = defaultdict(list)
    for session in doc["sessions"]:
        assert LOCAL.match(session["start"]) and LOCAL.match(session["end"]), session["ref"]
        start = datetime.fromisoformat(session["start"])
        end = datetime.fromisoformat(session["end"])
        assert start < end, session["ref"]
        assert first <= start.date() <= last and end.date() == start.date(), session["ref"]
        assert start.hour >= 7 and end.hour < 21, session["ref"]
        if "room" in session:
            by_room[session["room"]].append((start, end, session["ref"]))
    assert len(by_room) >= 2
    for room, booked in by_room.items():
        booked.sort()
        for (_, end, ref), (start, _, next_ref) in pairwise(booked):
            assert end <= start, f"{room}: {ref} overlaps {next_ref}"
    concurrent = Counter(s["start"] for s in doc["sessions"] if "room" in s)
    assert max(concurrent.values()) >= 2, "no parallel sessions"


def test_meeting_spans_a_daylight_saving_change(case: tuple[int, Doc]) -> None:
    _, doc = case
    zone = ZoneInfo(doc["meeting"]["timezone"])
    offsets = set()
    for session in doc["sessions"]:
        for key in ("start", "end"):
            moment = _local(session[key], zone)
            # Neither in the skipped hour nor in the repeated one.
            assert moment.utcoffset() == moment.replace(fold=1).utcoffset(), session["ref"]
        offsets.add(_local(session["start"], zone).utcoffset())
    assert len(offsets) >= 2


def test_scale_sets_the_size(case: tuple[int, Doc]) -> None:
    scale, doc = case
    assert 0.9 * 110 * scale <= len(doc["participants"]) <= 1.1 * 110 * scale
    assert 0.9 * 16 * scale <= len(doc["sessions"]) <= 1.1 * 16 * scale
    assert len(doc["rooms"]) == max(2, scale)
    assert {o["kind"] for o in doc["organisations"]} == {
        "wen",
        "country",
        "igo",
        "cso",
        "donor",
        "other",
    }


def test_quotas_and_capacity_hold_the_approved(case: tuple[int, Doc]) -> None:
    _, doc = case
    meeting = doc["meeting"]
    kind = {o["ref"]: o["kind"] for o in doc["organisations"]}
    approved = [p for p in doc["participants"] if p["status"] == "approved"]
    assert len(approved) <= meeting["capacity"]
    for org, count in Counter(p["organisation"] for p in approved).items():
        assert count <= meeting["quotas"][kind[org]], org


def test_edge_cases_are_present(case: tuple[int, Doc]) -> None:
    _, doc = case
    people = doc["participants"]
    sessions = doc["sessions"]
    records = [s["record"] for s in sessions if "record" in s]
    assert {p["status"] for p in people} == {
        "pending",
        "approved",
        "waitlisted",
        "declined",
        "cancelled",
    }
    assert Counter(p["status"] for p in people).most_common(1)[0][0] == "approved"
    assert {p["role"] for p in people} >= {
        "head_of_delegation",
        "delegate",
        "observer",
        "speaker",
        "chair",
        "rapporteur",
        "organiser",
        "secretariat",
    }
    assert any(p.get("list_consent") is False for p in people)
    families = {p["family_name"] for p in people}
    givens = {p["given_name"] for p in people}
    assert "<script>alert(1)</script>" in families
    assert "<b>Bold</b>" in givens
    assert 'O\'Brien & "Sons"' in families
    for script, (given_names, family_names) in NAMES.items():
        assert any(
            p["given_name"] in given_names and p["family_name"] in family_names for p in people
        ), script

    assert {s["kind"] for s in sessions} == {
        "plenary",
        "breakout",
        "panel",
        "closed",
        "side_event",
        "ceremony",
        "break",
    }
    assert all(s["public"] is False for s in sessions if s["kind"] == "closed")
    assert all("chairs" in s and "speakers" in s for s in sessions)
    assert {r["status"] for r in records} == {"draft", "submitted", "approved"}
    assert all("outcomes" in r for r in records)
    outcomes = [o for r in records for o in r["outcomes"]]
    assert {o["kind"] for o in outcomes} == {
        "decision",
        "recommendation",
        "conclusion",
        "action",
        "statement",
    }
    for outcome in outcomes:
        if outcome["kind"] == "action":
            assert {"owner", "due", "done"} <= set(outcome)
        if outcome["kind"] == "statement":
            assert "speaker" in outcome
    assert any(
        s["kind"] == "closed" and s.get("record", {}).get("status") == "approved" for s in sessions
    )


def test_same_seed_same_document_other_seed_other_document() -> None:
    first = generate_meeting(2, seed=11)
    assert json.dumps(first) == json.dumps(generate_meeting(2, seed=11))
    assert first != generate_meeting(2, seed=12)


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(ValueError):
        generate_meeting(0)
    with pytest.raises(ValueError):
        generate_meeting(1, slug="Not A Slug")


def test_cli_writes_the_same_document_quickly(tmp_path: Path) -> None:
    out = tmp_path / "s20.json"
    began = time.monotonic()
    subprocess.run(
        [sys.executable, str(GENERATOR), "--scale", "20", "--seed", "4", "--out", str(out)],
        check=True,
    )
    assert time.monotonic() - began < 10
    assert json.loads(out.read_text(encoding="utf-8")) == generate_meeting(20, seed=4)

    shown = subprocess.run(
        [sys.executable, str(GENERATOR), "--scale", "1", "--slug", "tiny"],
        check=True,
        capture_output=True,
        encoding="utf-8",
    )
    assert json.loads(shown.stdout) == generate_meeting(1, slug="tiny")
