"""The published agenda's four exports: agenda.ics, schedule.xml, schedule.json, agenda.pdf.

They validate against the consumers' own schemas (contract/voc-schedule), show only public
sessions and only listed people, place sessions at the right instant across a DST change,
keep their identifiers across requests and re-imports, and answer conditional requests.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import icalendar
import pytest
import sqlalchemy as sa
import xmlschema
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from jsonschema import Draft6Validator, FormatChecker
from pypdf import PdfReader

from bench.generate import generate_meeting
from eventapp.agenda import ical, published, schedule, versions
from eventapp.extensions import db
from eventapp.models import Meeting, Session, SessionKind

from .conftest import DEMO_SLUG, SHARED, demo_document, load

VOC = SHARED / "contract" / "voc-schedule"
EXPORTS = ("agenda.ics", "schedule.xml", "schedule.json", "agenda.pdf")
CLOSED_TITLE = "Closed session of heads of networks"
UNLISTED = ("Tomás", "O'Brien")  # p-freeland: approved, but no consent to be listed
MARKUP_TITLE = '<b>Presentations</b> & "networks" <script>alert(1)</script>'


# --- validators ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def xsd() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(VOC / "schedule.xml.xsd")


def _format_checker() -> FormatChecker:
    # Every format jsonschema knows (date, date-time, uuid...), and "uri", which it checks only
    # with an optional package we do not install: an absolute http(s) URL without spaces.
    checker = FormatChecker()

    @checker.checks("uri")
    def is_uri(value: object) -> bool:
        if not isinstance(value, str):
            return True
        parts = urlsplit(value)
        return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value

    return checker


@pytest.fixture(scope="module")
def json_validator() -> Draft6Validator:
    schema = json.loads((VOC / "schema.json").read_text("utf-8"))
    Draft6Validator.check_schema(schema)
    return Draft6Validator(schema, format_checker=_format_checker())


def assert_valid_json(validator: Draft6Validator, data: Any) -> None:
    errors = [f"{e.json_path}: {e.message[:300]}" for e in validator.iter_errors(data)]
    assert not errors, "\n".join(errors[:20])


# --- reading the exports back -------------------------------------------------------------


def publish_agenda() -> None:
    """Publish the draft (the demo meeting's) as its next version, as an organiser does."""
    meeting = db.session.scalar(sa.select(Meeting).where(Meeting.slug == DEMO_SLUG))
    assert meeting is not None
    versions.publish(meeting)
    db.session.commit()


def get(client: FlaskClient, slug: str, name: str, **kwargs: Any):  # type: ignore[no-untyped-def]
    response = client.get(f"/meetings/{slug}/{name}", **kwargs)
    assert response.status_code == 200, (name, response.status_code)
    return response


def vevents(ics: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(ics).walk("VEVENT"))


def xml_events(xml: bytes) -> list[ET.Element]:
    return ET.fromstring(xml).findall("./day/room/event")


def json_events(data: dict[str, Any]) -> list[dict[str, Any]]:
    days = data["schedule"]["conference"]["days"]
    return [event for day in days for events in day["rooms"].values() for event in events]


def pdftotext(pdf: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        args = ["pdftotext", "-enc", "UTF-8", file.name, "-"]
        return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def squash(text: str) -> str:
    """Without whitespace or hyphens: table cells break lines anywhere."""
    return re.sub(r"[\s-]+", "", text)


def export_texts(client: FlaskClient, slug: str) -> dict[str, str]:
    """Each export as text a reader would see (the PDF through pdftotext, the ICS unfolded)."""
    texts = {}
    for name in EXPORTS:
        body = get(client, slug, name).data
        if name.endswith(".pdf"):
            texts[name] = pdftotext(body)
        elif name.endswith(".ics"):
            texts[name] = "\n".join(
                f"{e.get('summary')}\n{e.get('description', '')}" for e in vevents(body)
            )
        else:
            texts[name] = body.decode()
    return texts


# --- meetings -----------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def agenda_cache(app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test renders into a cache folder of its own, never the real instance folder."""
    folder = tmp_path / "agenda-cache"
    monkeypatch.setitem(app.config, "AGENDA_CACHE_DIR", folder)
    return folder


def _session(doc: dict[str, Any], ref: str) -> dict[str, Any]:
    return next(s for s in doc["sessions"] if s["ref"] == ref)


def dst_document() -> dict[str, Any]:
    """The demo moved to Geneva (an alias of Europe/Zurich), 23-26 October 2026.

    The clocks go back on Sunday the 25th at 03:00 (UTC+02:00 to UTC+01:00): the opening is
    before, one session spans the change, the closing is after. Saturday has no session.
    """
    doc = demo_document()
    meeting = doc["meeting"]
    meeting.update(timezone="Europe/Geneva", start_date="2026-10-23", end_date="2026-10-26")
    for session in doc["sessions"]:
        for key in ("start", "end"):
            session[key] = "2026-10-23" + session[key][10:]
    _session(doc, "s-net")["title"] = MARKUP_TITLE
    iccwc = _session(doc, "s-iccwc")
    iccwc["start"], iccwc["end"] = "2026-10-25T01:30", "2026-10-25T03:30"
    non = _session(doc, "s-non")
    non["start"], non["end"] = "2026-10-25T10:00", "2026-10-25T11:00"
    close = _session(doc, "s-close")
    close["start"], close["end"] = "2026-10-26T09:00", "2026-10-26T09:30"
    return doc


def exposed_document() -> dict[str, Any]:
    """The demo with people and sessions that must never show: the unlisted Tomás O'Brien
    speaks in a public session, and a panel is marked not public (besides the closed session).
    """
    doc = demo_document()
    _session(doc, "s-net")["speakers"].append("p-freeland")
    _session(doc, "s-iccwc")["public"] = False
    return doc


def bench_document() -> dict[str, Any]:
    return generate_meeting(2, seed=3)


def public_headings(doc: dict[str, Any]) -> set[str]:
    """What each public session of a document should be called in the exports."""
    return {
        f"{s['number']}. {s['title']}" if s.get("number") else s["title"]
        for s in doc["sessions"]
        if s.get("public", True) is not False and s["kind"] != "closed"
    }


def closed_titles(doc: dict[str, Any]) -> set[str]:
    return {
        s["title"]
        for s in doc["sessions"]
        if s.get("public", True) is False or s["kind"] == "closed"
    }


# --- validity -----------------------------------------------------------------------------

DOCUMENTS = {"demo": demo_document, "dst": dst_document, "bench": bench_document}


@pytest.mark.parametrize("source", sorted(DOCUMENTS))
def test_schedule_exports_validate_and_carry_exactly_the_public_sessions(
    client: FlaskClient,
    xsd: xmlschema.XMLSchema,
    json_validator: Draft6Validator,
    source: str,
) -> None:
    doc = DOCUMENTS[source]()
    slug = load(doc).slug
    expected = public_headings(doc)
    assert closed_titles(doc), "the meeting has sessions that must not show"

    xml = get(client, slug, "schedule.xml")
    assert xml.mimetype == "application/xml"
    xsd.validate(BytesIO(xml.data))
    assert {e.findtext("title") for e in xml_events(xml.data)} == expected
    days = ET.fromstring(xml.data).findall("./day")
    assert [d.get("index") for d in days] == [str(n) for n in range(1, len(days) + 1)]
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", d.get("date") or "") for d in days)

    data = get(client, slug, "schedule.json").get_json()
    assert_valid_json(json_validator, data)
    assert {e["title"] for e in json_events(data)} == expected

    ics = get(client, slug, "agenda.ics")
    assert {str(e["summary"]) for e in vevents(ics.data)} == expected


def test_closed_sessions_and_unlisted_people_never_appear(client: FlaskClient) -> None:
    doc = exposed_document()
    load(doc)
    texts = export_texts(client, DEMO_SLUG)
    for name, text in texts.items():
        flat = squash(text)
        assert squash("Presentations by the Wildlife Enforcement Networks") in flat, name
        # Named: the chair, listed; the speaker beside the unlisted one in the same session.
        assert "Scanlon" in text, name
        assert "Srisai" in text, name
        assert squash(CLOSED_TITLE) not in flat, name
        assert squash("Support from ICCWC to the networks") not in flat, name
        for part in UNLISTED:
            assert part not in text, (name, part)


# --- iCalendar ----------------------------------------------------------------------------


def test_calendar_has_zone_stable_uids_stamps_and_places(client: FlaskClient) -> None:
    load(dst_document())
    response = get(client, DEMO_SLUG, "agenda.ics")
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert response.headers["Content-Disposition"] == (f"inline; filename={DEMO_SLUG}-agenda.ics")
    cal = icalendar.Calendar.from_ical(response.data)
    assert str(cal["version"]) == "2.0"
    assert str(cal["prodid"]) == ical.PRODID
    assert str(cal["calscale"]) == "GREGORIAN"
    assert str(cal["method"]) == "PUBLISH"
    assert str(cal["x-wr-timezone"]) == "Europe/Zurich"
    assert str(cal["x-wr-calname"]).startswith("First Global Meeting")

    (zone,) = cal.walk("VTIMEZONE")
    assert str(zone["tzid"]) == "Europe/Zurich"
    assert {c.name for c in zone.subcomponents} == {"STANDARD", "DAYLIGHT"}

    events = vevents(response.data)
    uids = [str(e["uid"]) for e in events]
    assert len(set(uids)) == len(uids) == 6
    assert f"s-open.{DEMO_SLUG}@eventapp" in uids
    published = db.session.scalar(sa.select(Meeting.agenda_published_at))
    for event in events:
        assert event["dtstamp"].dt == published.replace(microsecond=0)
        assert event["dtstart"].params["TZID"] == "Europe/Zurich"
        ref = str(event["uid"]).split(".")[0]
        assert str(event["url"]) == f"http://127.0.0.1:5000/meetings/{DEMO_SLUG}/sessions/{ref}"
        assert str(event["location"]).startswith("Plenary Hall, Queen Sirikit")
    by_uid = {str(e["uid"]): e for e in events}
    net = by_uid[f"s-net.{DEMO_SLUG}@eventapp"]
    assert str(net["summary"]) == f"2. {MARKUP_TITLE}"
    assert [str(c) for c in net["categories"].cats] == ["Plenary"]
    assert "Chair: Mr John E. Scanlon" in str(net["description"])
    # Who first, one line each, then the session's description.
    assert str(net["description"]).endswith(
        "\n\nShort presentations by each network: structure, membership, achievements, challenges."
    )

    again = get(client, DEMO_SLUG, "agenda.ics")
    assert [str(e["uid"]) for e in vevents(again.data)] == uids
    assert again.data == response.data


def test_vtimezone_has_both_parts_where_the_zone_has_dst() -> None:
    # Over whole years: a March meeting in Zurich still gets the summer part.
    zurich = ical.vtimezone("Europe/Zurich", 2026, 2026)
    assert {c.name for c in zurich.subcomponents} == {"STANDARD", "DAYLIGHT"}
    bangkok = ical.vtimezone("Asia/Bangkok", 2013, 2013)
    assert {c.name for c in bangkok.subcomponents} == {"STANDARD"}


# --- DST ----------------------------------------------------------------------------------

# Local 09:00 is 07:00Z before the clocks go back and 08:00Z after; s-iccwc spans the change.
INSTANTS = {
    "s-open": (datetime(2026, 10, 23, 7, 0, tzinfo=UTC), datetime(2026, 10, 23, 7, 30, tzinfo=UTC)),
    "s-iccwc": (
        datetime(2026, 10, 24, 23, 30, tzinfo=UTC),
        datetime(2026, 10, 25, 2, 30, tzinfo=UTC),
    ),
    "s-close": (
        datetime(2026, 10, 26, 8, 0, tzinfo=UTC),
        datetime(2026, 10, 26, 8, 30, tzinfo=UTC),
    ),
}


def test_instants_are_right_across_the_dst_change(client: FlaskClient) -> None:
    load(dst_document())
    events = {
        str(e["uid"]).split(".")[0]: e for e in vevents(get(client, DEMO_SLUG, "agenda.ics").data)
    }
    for ref, (start, end) in INSTANTS.items():
        assert events[ref]["dtstart"].dt.astimezone(UTC) == start, ref
        assert events[ref]["dtend"].dt.astimezone(UTC) == end, ref

    by_slug = {
        e.findtext("slug"): e for e in xml_events(get(client, DEMO_SLUG, "schedule.xml").data)
    }
    xml = {slug.split("-", 1)[1]: event for slug, event in by_slug.items()}
    assert xml["s-open"].findtext("date") == "2026-10-23T09:00:00+02:00"
    assert xml["s-close"].findtext("date") == "2026-10-26T09:00:00+01:00"
    for ref, (start, _end) in INSTANTS.items():
        assert datetime.fromisoformat(xml[ref].findtext("date") or "") == start, ref
    # Three hours pass between 01:30 summer time and 03:30 winter time.
    assert xml["s-iccwc"].findtext("duration") == "03:00"
    assert xml["s-iccwc"].findtext("start") == "01:30"

    data = get(client, DEMO_SLUG, "schedule.json").get_json()
    events_json = {e["slug"].split("-", 1)[1]: e for e in json_events(data)}
    for ref, (start, end) in INSTANTS.items():
        assert datetime.fromisoformat(events_json[ref]["date"]) == start, ref
        assert datetime.fromisoformat(events_json[ref]["end"]) == end, ref
    days = {d["date"]: d for d in data["schedule"]["conference"]["days"]}
    assert sorted(days) == ["2026-10-23", "2026-10-24", "2026-10-25", "2026-10-26"]
    assert days["2026-10-24"]["rooms"] == {}
    assert days["2026-10-25"]["day_start"] == "2026-10-25T01:30:00+02:00"
    assert days["2026-10-25"]["day_end"] == "2026-10-25T11:00:00+01:00"


# --- identifiers --------------------------------------------------------------------------


def identifiers(client: FlaskClient) -> dict[str, Any]:
    xml = xml_events(get(client, DEMO_SLUG, "schedule.xml").data)
    data = get(client, DEMO_SLUG, "schedule.json").get_json()
    return {
        "uid": sorted(str(e["uid"]) for e in vevents(get(client, DEMO_SLUG, "agenda.ics").data)),
        "xml": sorted((e.get("guid"), e.get("id"), e.findtext("slug")) for e in xml),
        "json": sorted((e["guid"], str(e["id"]), e["slug"]) for e in json_events(data)),
        "persons": sorted((p["name"], p["guid"]) for e in json_events(data) for p in e["persons"]),
        "rooms": data["schedule"]["conference"]["rooms"],
        "acronym": data["schedule"]["conference"]["acronym"],
    }


def test_identifiers_are_stable_across_requests_and_a_replacing_import(
    client: FlaskClient, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    doc = demo_document()
    load(doc)
    first = identifiers(client)
    assert first == identifiers(client)
    assert first["xml"] == first["json"]
    assert len({guid for guid, _, _ in first["xml"]}) == len(first["xml"]) == 6
    assert first["acronym"] == "first_global_wen_meeting"
    assert {"s-open", "s-break"} <= {slug.split("-", 1)[1] for _, _, slug in first["xml"]}

    # A replacing import makes new rows (and, on PostgreSQL, new ids) and a new publication;
    # the identifiers depend on neither.
    published = db.session.scalar(sa.select(Meeting.agenda_published_at))
    db.session.remove()
    path = tmp_path / "meeting.json"
    path.write_text(json.dumps(doc), "utf-8")
    result = runner.invoke(args=["meeting", "import", str(path), "--replace"])
    assert result.exit_code == 0, result.output
    assert db.session.scalar(sa.select(Meeting.agenda_published_at)) != published
    assert identifiers(client) == first


def person_ids(client: FlaskClient) -> dict[str, Any]:
    """Each presenter's (guid, name) with the numeric id of every place it is written."""
    xml = [
        (p.get("guid"), p.text, p.get("id"))
        for e in xml_events(get(client, DEMO_SLUG, "schedule.xml").data)
        for p in e.findall("./persons/person")
    ]
    data = get(client, DEMO_SLUG, "schedule.json").get_json()
    json_persons = [
        (p["guid"], p["name"], p["id"]) for e in json_events(data) for p in e["persons"]
    ]
    return {"xml": sorted(xml), "json": sorted(json_persons)}


def test_presenters_carry_a_numeric_id_stable_across_a_replacing_import(
    client: FlaskClient, runner: FlaskCliRunner, tmp_path: Path
) -> None:
    # ConfClerk files presenters under <person id>: without it a schedule shows none.
    doc = demo_document()
    load(doc)
    first = person_ids(client)
    assert first["xml"], "the demo's public sessions name their chairs and speakers"
    ids: dict[str, int] = {}
    for guid, name, number in first["xml"]:
        assert number is not None and re.fullmatch(r"[1-9][0-9]*", number), (name, number)
        # One person, one number, in every session they take part in; no two share one.
        assert ids.setdefault(guid, int(number)) == int(number), name
        assert 1 <= int(number) < 2**31
    assert len(set(ids.values())) == len(ids)
    assert first["json"] == [(guid, name, int(number)) for guid, name, number in first["xml"]]

    # The number hangs on the meeting's slug and the participant's ref, not on database ids.
    db.session.remove()
    path = tmp_path / "meeting.json"
    path.write_text(json.dumps(doc), "utf-8")
    result = runner.invoke(args=["meeting", "import", str(path), "--replace"])
    assert result.exit_code == 0, result.output
    assert person_ids(client) == first


def test_event_slugs_and_ids_for_awkward_references() -> None:
    agenda = _agenda_with_refs(["S.1", "s_1", "ab", "x-", "Zz.edge_case-1", "plain-ref"])
    ids = schedule.event_ids(agenda)
    slugs = [i.slug for i in ids.values()]
    assert len(set(slugs)) == len(slugs)
    assert ids["plain-ref"].slug == "wen9-plain-ref"
    for value in slugs:
        assert re.fullmatch(r"[a-z0-9_]{4,}-[a-z0-9\-_]{4,}", value), value
        assert re.search(r"^[a-z0-9_-]+[a-z0-9]$", value), value
    assert all(1 <= i.id < 2**31 for i in ids.values())
    assert len({i.id for i in ids.values()}) == len(ids)


def _agenda_with_refs(refs: list[str]) -> published.Agenda:
    from datetime import date, timedelta

    from eventapp.localtime import zone

    tz = zone("Europe/Zurich")
    start = datetime(2026, 3, 5, 9, 0, tzinfo=tz)
    items = tuple(
        published.Item(
            ref=ref,
            number=None,
            title=ref,
            kind=SessionKind.PLENARY,
            description=None,
            start=start + timedelta(hours=n),
            end=start + timedelta(hours=n, minutes=30),
            room=None,
            chairs=(),
            speakers=(),
        )
        for n, ref in enumerate(refs)
    )
    day = published.Day(1, date(2026, 3, 5), items[0].start, items[-1].end, ("UTC+01:00",), items)
    return published.Agenda(
        slug="wen9",
        title="WEN 9",
        short_title=None,
        document_symbol=None,
        host=None,
        description=None,
        venue_name=None,
        venue_city=None,
        venue_country=None,
        timezone="Europe/Zurich",
        start_date=date(2026, 3, 5),
        end_date=date(2026, 3, 5),
        languages=(),
        published_at=datetime(2026, 1, 1, tzinfo=UTC),
        base_url="http://127.0.0.1:5000",
        days=(day,),
    )


# --- zone names and acronyms the schemas are strict about -----------------------------------


@pytest.mark.parametrize(
    ("timezone", "slug", "in_json", "acronym"),
    [
        ("America/Argentina/Buenos_Aires", "gwen-ba", True, "gwen_ba"),
        ("Asia/Ho_Chi_Minh", "hcm", True, "hcm_2013"),
        ("UTC", "wen-utc", True, "wen_utc"),
        ("Etc/GMT-7", "x", False, "x_2013"),
    ],
)
def test_time_zone_name_and_acronym_keep_both_forms_valid(
    client: FlaskClient,
    xsd: xmlschema.XMLSchema,
    json_validator: Draft6Validator,
    timezone: str,
    slug: str,
    in_json: bool,
    acronym: str,
) -> None:
    doc = demo_document()
    doc["meeting"].update(timezone=timezone, slug=slug)
    load(doc)
    data = get(client, slug, "schedule.json").get_json()
    assert_valid_json(json_validator, data)
    conference = data["schedule"]["conference"]
    assert conference.get("time_zone_name") == (timezone if in_json else None)
    assert conference["acronym"] == acronym
    xml = get(client, slug, "schedule.xml").data
    xsd.validate(BytesIO(xml))
    # The XML form's time_zone_name is any string: it always names the zone.
    assert ET.fromstring(xml).findtext("./conference/time_zone_name") == timezone
    assert ET.fromstring(xml).findtext("./conference/acronym") == acronym


# --- the printable agenda -----------------------------------------------------------------


def test_printable_agenda_shows_the_public_agenda_in_local_time(client: FlaskClient) -> None:
    load(dst_document())
    response = get(client, DEMO_SLUG, "agenda.pdf")
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] == (
        f"inline; filename={DEMO_SLUG}-agenda-en.pdf"
    )
    text = pdftotext(response.data)
    flat = squash(text)
    for title in ("Opening of the meeting and adoption of the agenda", "Closing of the meeting"):
        assert squash(title) in flat
    assert squash(MARKUP_TITLE) in flat
    assert squash(CLOSED_TITLE) not in flat
    assert "Europe/Zurich" in text
    assert "Local time is UTC+02:00." in text  # Friday
    assert "Local time is UTC+01:00." in text  # Monday
    assert squash("Local time is UTC+02:00 until the clocks change, then UTC+01:00.") in flat
    assert "Saturday" not in text  # no public session that day

    reader = PdfReader(BytesIO(response.data))
    root = reader.trailer["/Root"]
    assert "/StructTreeRoot" in root
    assert root["/MarkInfo"]["/Marked"]
    assert root["/Lang"] == "en"


def test_printable_agenda_embeds_every_script(client: FlaskClient) -> None:
    doc = bench_document()
    slug = load(doc).slug
    pdf = get(client, slug, "agenda.pdf").data
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        out = subprocess.run(["pdffonts", file.name], check=True, capture_output=True, text=True)
    rows = [line.split() for line in out.stdout.splitlines()[2:] if line.strip()]
    assert rows
    # Columns from the right: object ID, uni, sub, emb.
    assert all(row[-5] == "yes" for row in rows), out.stdout
    text = pdftotext(pdf)
    # A listed speaker of a public session written in Cyrillic, and markup as text.
    assert "Кузнецов" in text
    assert "<b>Bold</b>" in text


def test_printable_agenda_is_rendered_once_then_served_from_the_cache(
    client: FlaskClient, agenda_cache: Path
) -> None:
    load(demo_document())
    first = get(client, DEMO_SLUG, "agenda.pdf")
    (cached,) = agenda_cache.glob("*.pdf")
    assert re.fullmatch(rf"{DEMO_SLUG}-en-\d+-[0-9a-f]{{20}}\.pdf", cached.name)
    assert cached.read_bytes() == first.data
    assert not list(agenda_cache.glob(".*.part"))  # no temporary file left behind

    # The process's own response cache answers first; another process (a fresh one here)
    # finds the file on disk and serves it without rendering: prove it with bytes no render
    # makes.
    from eventapp.pagecache import pages

    assert get(client, DEMO_SLUG, "agenda.pdf").data == first.data
    pages.clear()
    marker = b"%PDF-1.7\n% served from the cache\n"
    cached.write_bytes(marker)
    assert get(client, DEMO_SLUG, "agenda.pdf").data == marker
    pages.clear()

    # Without the cache folder the agenda is rendered again, and cached again.
    for file in agenda_cache.iterdir():
        file.unlink()
    agenda_cache.rmdir()
    again = get(client, DEMO_SLUG, "agenda.pdf")
    assert again.data.startswith(b"%PDF-") and again.data != marker
    assert [p.name for p in agenda_cache.glob("*.pdf")] == [cached.name]

    # Another language is another file; its chrome (dates) is in that language.
    french = get(client, DEMO_SLUG, "agenda.pdf", query_string={"lang": "fr"})
    french_text = pdftotext(french.data)
    assert "Ordre du jour" in french_text
    assert "mardi 5 mars 2013" in french_text
    assert PdfReader(BytesIO(french.data)).trailer["/Root"]["/Lang"] == "fr"
    assert len(list(agenda_cache.glob("*.pdf"))) == 2

    # A change to the agenda is a new file; the old one of that language is dropped.
    db.session.execute(
        sa.update(Session).where(Session.ref == "s-open").values(title="Opening, as amended")
    )
    publish_agenda()
    amended = get(client, DEMO_SLUG, "agenda.pdf")
    assert amended.headers["ETag"] != first.headers["ETag"]
    assert "Opening, as amended" in pdftotext(amended.data)
    names = sorted(p.name for p in agenda_cache.glob(f"{DEMO_SLUG}-en-*.pdf"))
    assert len(names) == 1 and names[0] != cached.name


# --- HTTP: conditional requests, 404s -------------------------------------------------------


@pytest.mark.parametrize("name", EXPORTS)
def test_revalidation_answers_304_until_the_agenda_changes(client: FlaskClient, name: str) -> None:
    load(demo_document())
    response = get(client, DEMO_SLUG, name)
    etag = response.headers["ETag"]
    published = db.session.scalar(sa.select(Meeting.agenda_published_at))
    assert response.last_modified == published.replace(microsecond=0)
    assert response.cache_control.public and response.cache_control.no_cache

    unchanged = client.get(f"/meetings/{DEMO_SLUG}/{name}", headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.data == b""
    assert unchanged.headers["ETag"] == etag

    weak = client.get(f"/meetings/{DEMO_SLUG}/{name}", headers={"If-None-Match": f"W/{etag}"})
    assert weak.status_code == 304
    other = client.get(f"/meetings/{DEMO_SLUG}/{name}", headers={"If-None-Match": '"other"'})
    assert other.status_code == 200
    # If-Modified-Since alone does not decide: the publication time says nothing of later edits.
    since = client.get(
        f"/meetings/{DEMO_SLUG}/{name}",
        headers={"If-Modified-Since": response.headers["Last-Modified"]},
    )
    assert since.status_code == 200

    # A session renamed and published again is a new version of every export.
    db.session.execute(
        sa.update(Session).where(Session.ref == "s-open").values(title="Opening, as amended")
    )
    publish_agenda()
    changed = client.get(f"/meetings/{DEMO_SLUG}/{name}", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag


@pytest.mark.parametrize("name", EXPORTS)
def test_unknown_meeting_or_unpublished_agenda_is_404(client: FlaskClient, name: str) -> None:
    assert client.get(f"/meetings/no-such-meeting/{name}").status_code == 404
    load(demo_document())
    assert client.get(f"/meetings/{DEMO_SLUG}/{name}").status_code == 200
    db.session.execute(sa.update(Meeting).values(agenda_published_at=None))
    db.session.commit()
    assert client.get(f"/meetings/{DEMO_SLUG}/{name}").status_code == 404


def test_printable_agenda_is_served_when_the_cache_cannot_be_written(
    client: FlaskClient, app: Flask, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load(demo_document())
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would be")
    monkeypatch.setitem(app.config, "AGENDA_CACHE_DIR", blocker / "agenda")
    response = get(client, DEMO_SLUG, "agenda.pdf")
    assert response.data.startswith(b"%PDF-")
    assert "Opening of the meeting" in pdftotext(response.data)


@pytest.mark.parametrize("name", EXPORTS)
def test_exports_set_no_cookie(client: FlaskClient, name: str) -> None:
    # Shared caches may keep them: nothing personal may ride along, even with ?lang=.
    load(demo_document())
    response = get(client, DEMO_SLUG, name, query_string={"lang": "fr"})
    assert "Set-Cookie" not in response.headers


def test_printable_agenda_in_an_unknown_language_is_404(client: FlaskClient) -> None:
    load(demo_document())
    response = client.get(f"/meetings/{DEMO_SLUG}/agenda.pdf", query_string={"lang": "de"})
    assert response.status_code == 404


# --- the service ----------------------------------------------------------------------------


def test_published_agenda_is_built_from_three_queries(app: Flask) -> None:
    meeting = load(exposed_document())
    db.session.refresh(meeting)
    statements: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        agenda = published.published_agenda(meeting)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
    # The newest version, the meeting's rooms, the people it names.
    assert len(statements) == 3, statements
    assert [i.ref for i in agenda.items] == ["s-open", "s-net", "s-break", "s-non", "s-close"]
    net = agenda.items[1]
    assert "p-freeland" not in {p.ref for p in net.speakers}
    assert "p-asean-1" in {p.ref for p in net.speakers}
