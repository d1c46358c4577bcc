"""Import and export of wen-meeting/1 documents: validation, round trip, replace."""

from __future__ import annotations

import json
from typing import Any

import pytest
import sqlalchemy as sa

from eventapp.extensions import db
from eventapp.interchange import InvalidDocument, SlugTaken, check_document, export_meeting
from eventapp.models import Meeting, Participant, Session
from tests.factories import DEMO_SLUG, load
from tests.helpers import normalised


def test_demo_round_trip_is_lossless(demo_doc):
    load(demo_doc)
    assert normalised(export_meeting(DEMO_SLUG)) == normalised(demo_doc)


def test_cli_import_prints_slug_and_export_writes_same_document(runner, tmp_path, demo_doc):
    source = tmp_path / "in.json"
    source.write_text(json.dumps(demo_doc, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["meeting", "import", str(source)])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == DEMO_SLUG
    out = tmp_path / "out.json"
    result = runner.invoke(args=["meeting", "export", DEMO_SLUG, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert normalised(json.loads(out.read_text("utf-8"))) == normalised(demo_doc)


def test_existing_slug_is_refused_without_replace(runner, tmp_path, demo_doc):
    load(demo_doc)
    source = tmp_path / "in.json"
    demo_doc["meeting"]["title"] = "Changed title"
    source.write_text(json.dumps(demo_doc), encoding="utf-8")
    result = runner.invoke(args=["meeting", "import", str(source)])
    assert result.exit_code == 1
    assert "exists already" in result.output
    assert db.session.scalar(sa.select(Meeting.title)) != "Changed title"
    result = runner.invoke(args=["meeting", "import", "--replace", str(source)])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    assert db.session.scalar(sa.select(Meeting.title)) == "Changed title"
    assert db.session.scalar(sa.select(sa.func.count(Meeting.id))) == 1
    assert normalised(export_meeting(DEMO_SLUG)) == normalised(demo_doc)


def test_slug_taken_raised_by_service(demo_doc):
    from eventapp.interchange import import_meeting

    load(demo_doc)
    with pytest.raises(SlugTaken):
        import_meeting(demo_doc)


def _problems(doc: dict[str, Any]) -> dict[str, str]:
    return {p.path: p.message for p in check_document(doc)}


@pytest.mark.parametrize(
    ("change", "path", "words"),
    [
        (
            lambda d: d["meeting"].update(timezone="Mars/Olympus"),
            "$.meeting.timezone",
            "unknown time zone",
        ),
        (lambda d: d["meeting"].update(end_date="2013-03-04"), "$.meeting.end_date", "ends before"),
        (
            lambda d: d["meeting"].update(start_date="2013-02-30"),
            "$.meeting.start_date",
            "calendar date",
        ),
        (lambda d: d["meeting"].update(chair="nobody"), "$.meeting.chair", "no participant"),
        (
            lambda d: d["meeting"].update(registration_closes="2013-01-01T00:00:00Z"),
            "$.meeting.registration_closes",
            "closes before",
        ),
        (
            lambda d: d["meeting"]["venue"].update(country="QQ"),
            "$.meeting.venue.country",
            "ISO 3166",
        ),
        (
            lambda d: d["participants"][1].update(organisation="nope"),
            "$.participants[1].organisation",
            "no organisation",
        ),
        (
            lambda d: d["participants"][2].update(email="bad@"),
            "$.participants[2].email",
            "not a valid e-mail",
        ),
        (
            lambda d: d["participants"][3].update(email="CHAIR@example.org"),
            "$.participants[3].email",
            "already registered",
        ),
        (
            lambda d: d["participants"][4].update(ref="chair"),
            "$.participants[4].ref",
            "duplicate ref",
        ),
        (
            lambda d: d["participants"][4].update(registered_at="yesterday"),
            "$.participants[4].registered_at",
            "date-time",
        ),
        (
            lambda d: d["participants"][5].update(status="maybe"),
            "$.participants[5].status",
            "is not one of",
        ),
        (
            lambda d: d["participants"][5].pop("email"),
            "$.participants[5].email",
            "is required",
        ),
        (
            lambda d: d["rooms"].append({"ref": "plenary", "name": "Again"}),
            "$.rooms[2].ref",
            "duplicate ref",
        ),
        (
            lambda d: d["sessions"][0].update(end="2013-03-05T08:00"),
            "$.sessions[0].end",
            "ends before",
        ),
        (
            lambda d: d["sessions"][0].update(start="2013-03-07T09:00", end="2013-03-07T10:00"),
            "$.sessions[0].start",
            "outside the meeting",
        ),
        (
            lambda d: d["sessions"][0].update(start="2013-03-05T25:00"),
            "$.sessions[0].start",
            "not a valid",
        ),
        (lambda d: d["sessions"][0].update(room="attic"), "$.sessions[0].room", "no room"),
        (
            lambda d: d["sessions"][0]["chairs"].append("ghost"),
            "$.sessions[0].chairs[1]",
            "no participant",
        ),
        (
            lambda d: d["sessions"][0].update(rapporteur="ghost"),
            "$.sessions[0].rapporteur",
            "no participant",
        ),
        (
            lambda d: d["sessions"][4]["record"]["outcomes"][0].update(owner="ghost"),
            "$.sessions[4].record.outcomes[0].owner",
            "no organisation",
        ),
        (
            lambda d: d["sessions"][0]["record"]["outcomes"][1].update(speaker="ghost"),
            "$.sessions[0].record.outcomes[1].speaker",
            "no participant",
        ),
        (lambda d: d.update(extra=1), "$.extra", "not allowed"),
        (lambda d: d.update(format="wen-meeting/2"), "$.format", "wen-meeting/1"),
    ],
)
def test_each_kind_of_problem_is_located(demo_doc, change, path, words):
    change(demo_doc)
    problems = _problems(demo_doc)
    assert path in problems, problems
    assert words in problems[path]


def test_nonexistent_local_time_is_refused(demo_doc):
    demo_doc["meeting"].update(
        timezone="Europe/Geneva", start_date="2026-03-29", end_date="2026-03-29"
    )
    for session in demo_doc["sessions"]:
        session["start"] = session["start"].replace("2013-03-05", "2026-03-29")
        session["end"] = session["end"].replace("2013-03-05", "2026-03-29")
    demo_doc["sessions"][0].update(start="2026-03-29T02:30", end="2026-03-29T09:30")
    problems = _problems(demo_doc)
    assert "does not exist" in problems["$.sessions[0].start"]


def test_invalid_document_writes_nothing(runner, tmp_path, demo_doc):
    demo_doc["participants"][0]["email"] = "not-an-address"
    demo_doc["sessions"][1]["room"] = "nowhere"
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(demo_doc), encoding="utf-8")
    result = runner.invoke(args=["meeting", "import", str(source)])
    assert result.exit_code == 1
    assert "$.participants[0].email" in result.output
    assert "$.sessions[1].room" in result.output
    assert "nothing was imported" in result.output
    assert db.session.scalar(sa.select(sa.func.count(Meeting.id))) == 0
    assert db.session.scalar(sa.select(sa.func.count(Participant.id))) == 0


def test_not_json_is_reported(runner, tmp_path):
    source = tmp_path / "broken.json"
    source.write_text("{broken", encoding="utf-8")
    result = runner.invoke(args=["meeting", "import", str(source)])
    assert result.exit_code == 1
    assert "$: not valid JSON" in result.output


def test_missing_file_is_reported(runner, tmp_path):
    result = runner.invoke(args=["meeting", "import", str(tmp_path / "absent.json")])
    assert result.exit_code == 1
    assert "cannot read" in result.output


def test_export_unknown_meeting(runner):
    result = runner.invoke(args=["meeting", "export", "no-such-meeting"])
    assert result.exit_code == 1
    assert "no meeting with slug" in result.output


def test_absent_optional_fields_stay_absent(demo_doc):
    pending = next(p for p in demo_doc["participants"] if p["ref"] == "p-pending")
    assert "funded" not in pending and "honorific" not in pending
    load(demo_doc)
    exported = export_meeting(DEMO_SLUG)
    again = next(p for p in exported["participants"] if p["ref"] == "p-pending")
    assert again == pending


def test_utc_instants_follow_daylight_saving(demo_doc):
    # Europe/Geneva leaves summer time on 2026-10-25: 09:00 is 07:00Z before, 08:00Z after.
    demo_doc["meeting"].update(
        timezone="Europe/Geneva", start_date="2026-10-23", end_date="2026-10-26"
    )
    demo_doc["sessions"][0].update(start="2026-10-23T09:00", end="2026-10-23T09:30")
    demo_doc["sessions"][1].update(start="2026-10-26T09:00", end="2026-10-26T09:30")
    for session in demo_doc["sessions"][2:]:
        for key in ("start", "end"):
            session[key] = session[key].replace("2013-03-05", "2026-10-24")
    load(demo_doc)
    by_ref = {s.ref: s for s in db.session.scalars(sa.select(Session))}
    assert by_ref["s-open"].start_utc.isoformat() == "2026-10-23T07:00:00+00:00"
    assert by_ref["s-net"].start_utc.isoformat() == "2026-10-26T08:00:00+00:00"
    assert export_meeting(DEMO_SLUG)["sessions"][1]["start"] == "2026-10-26T09:00"


def test_organisation_is_one_entity_across_meetings(demo_doc):
    from eventapp.models import Organisation

    load(demo_doc)
    second = json.loads(json.dumps(demo_doc))
    second["meeting"]["slug"] = "second-global-wen-meeting"
    load(second)
    organisations = db.session.scalar(sa.select(sa.func.count(Organisation.id)))
    assert organisations == len(demo_doc["organisations"])


def test_import_warns_when_quotas_already_exceeded(runner, tmp_path, demo_doc):
    demo_doc["meeting"]["quotas"]["igo"] = 1
    source = tmp_path / "in.json"
    source.write_text(json.dumps(demo_doc), encoding="utf-8")
    result = runner.invoke(args=["meeting", "import", str(source)])
    assert result.exit_code == 0
    assert "exceed the quota of 1" in result.output


def test_invalid_document_raises_with_every_problem(demo_doc):
    from eventapp.interchange import import_meeting

    demo_doc["rooms"][0]["capacity"] = 0
    demo_doc["sessions"][0]["kind"] = "party"
    with pytest.raises(InvalidDocument) as caught:
        import_meeting(demo_doc)
    paths = {p.path for p in caught.value.problems}
    assert paths == {"$.rooms[0].capacity", "$.sessions[0].kind"}


def test_nul_characters_are_located(demo_doc):
    demo_doc["participants"][2]["family_name"] = "Hargre\x00aves"
    problems = _problems(demo_doc)
    assert problems["$.participants[2].family_name"] == "contains a NUL character"
