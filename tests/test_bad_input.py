"""Bad input never gives a 500, and every value the schema allows fits its column.

Each entry point (the JSON API, `meeting import`, the web forms) is fed what an attacker or a
careless export would send: the answer is a 4xx with the JSON path, a located problem on the
command line, or a form error, and nothing is stored.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa

from eventapp import localtime
from eventapp.extensions import db
from eventapp.interchange import check_document, export_meeting, parse_document
from eventapp.interchange.validate import InvalidDocument, check_registration
from eventapp.models import AuditEntry, Meeting, Participant, Record, Session
from tests.factories import DEMO_SLUG, demo_document, load, make_account, open_meeting
from tests.helpers import (
    AGENDA_MANAGE,
    REGISTER,
    assert_error,
    bearer,
    form_fields,
    normalised,
    registration_count,
    registration_form,
    session_form,
    sign_in,
)

API = f"/api/v1/meetings/{DEMO_SLUG}"
REGISTRATIONS = f"{API}/registrations"
SESSIONS = f"{API}/sessions"
RECORD = f"{SESSIONS}/s-close/record"


@pytest.fixture
def organiser(demo_meeting):  # type: ignore[no-untyped-def]
    make_account("org@example.org", "organiser", meeting=demo_meeting)
    return bearer("org@example.org")


def post_raw(client, url: str, text: str, headers: dict[str, str], method: str = "post"):  # type: ignore[no-untyped-def]
    return getattr(client, method)(
        url,
        data=text.encode("utf-8", "surrogatepass"),
        content_type="application/json",
        headers=headers,
    )


def import_text(runner, tmp_path, text: str):  # type: ignore[no-untyped-def]
    source = tmp_path / "in.json"
    source.write_bytes(text.encode("utf-8", "surrogatepass"))
    return runner.invoke(args=["meeting", "import", str(source)])


def assert_refused_on_the_command_line(result, *located: str) -> None:  # type: ignore[no-untyped-def]
    assert result.exit_code == 1, result.output
    # A listed problem, not a traceback.
    assert isinstance(result.exception, SystemExit), result.exception
    assert "nothing was imported" in result.output
    for text in located:
        assert text in result.output, result.output
    assert db.session.scalar(sa.select(sa.func.count(Meeting.id))) == 0


# -- item 2: problems at a path and below it; every message kept ------------------------------


def test_a_missing_property_beside_a_deeper_problem_is_sorted_not_a_crash():
    problems = check_registration({"organisation": 1})
    paths = [p.path for p in problems]
    assert "$.organisation" in paths
    assert {"$.given_name", "$.family_name", "$.email", "$.role"} <= set(paths)
    doc = demo_document()
    del doc["participants"][0]["email"]
    doc["participants"][0]["organisation"] = 1
    assert {p.path for p in check_document(doc)} >= {
        "$.participants[0].email",
        "$.participants[0].organisation",
    }


def test_api_registration_with_a_bad_body_is_422_with_every_field(client, organiser):
    error = assert_error(
        client.post(REGISTRATIONS, json={"organisation": 1}, headers=organiser),
        422,
        "unprocessable_entity",
    )
    assert (
        "integer" in error["fields"]["$.organisation"]
        or "string" in error["fields"]["$.organisation"]
    )
    error = assert_error(
        client.post(REGISTRATIONS, json={}, headers=organiser), 422, "unprocessable_entity"
    )
    missing = {"$.organisation", "$.given_name", "$.family_name", "$.email", "$.role"}
    assert set(error["fields"]) == missing
    assert all(error["fields"][path] == "is required" for path in missing)
    assert db.session.scalar(sa.select(sa.func.count(Participant.id))) == len(
        demo_document()["participants"]
    )


def test_every_message_at_one_path_is_kept(client, organiser):
    body = {
        "ref": "s-long",
        "title": "Line\r\n" + "x" * 300,
        "kind": "plenary",
        "start": "2013-03-05T12:45",
        "end": "2013-03-05T13:45",
    }
    error = assert_error(
        client.post(SESSIONS, json=body, headers=organiser), 422, "unprocessable_entity"
    )
    message = error["fields"]["$.title"]
    assert "too long" in message and "control character" in message, message


def test_an_unexpected_property_is_named_at_its_own_path(client, organiser):
    error = assert_error(
        client.post(REGISTRATIONS, json={"nickname": "Bo"}, headers=organiser),
        422,
        "unprocessable_entity",
    )
    assert "not allowed" in error["fields"]["$.nickname"]


def test_cli_lists_a_missing_property_and_a_deeper_problem(runner, tmp_path):
    doc = demo_document()
    del doc["participants"][0]["email"]
    doc["participants"][0]["organisation"] = 1
    result = import_text(runner, tmp_path, json.dumps(doc))
    assert_refused_on_the_command_line(
        result, "$.participants[0].email: is required", "$.participants[0].organisation"
    )


# -- item 3: malformed bodies -----------------------------------------------------------------


DEEP = "[" * 100_000 + "]" * 100_000
NESTED = '{"given_name": ' + "[" * 40 + "]" * 40 + "}"
HUGE = '{"attendance": ' + "9" * 5000 + ', "status": "draft"}'
SURROGATE = '{"status": "draft", "summary": "broken \\ud800 text"}'


@pytest.mark.parametrize(
    ("text", "path", "words"),
    [
        (DEEP, "$", "nested"),
        (NESTED, "$.given_name" + "[0]" * 31, "nested"),
        (HUGE, "$.attendance", "5000 digits"),
        (SURROGATE, "$.summary", "surrogate"),
        ('{"status": NaN}', "$", "not valid JSON"),
        ('{"status": "draft", "attendance": 1e999}', "$.attendance", "not a finite number"),
    ],
)
def test_the_parser_locates_what_json_cannot_carry_here(text, path, words):
    with pytest.raises(InvalidDocument) as caught:
        parse_document(text)
    found = {p.path: p.message for p in caught.value.problems}
    assert path in found, found
    assert words in found[path]


@pytest.mark.parametrize(
    "text", [DEEP, NESTED, HUGE, SURROGATE, '{"status": "draft", "\\udfff": 1}']
)
def test_api_answers_malformed_bodies_with_4xx(client, organiser, text):
    for url, method, extra in (
        (RECORD, "put", {"If-Match": "*"}),
        (REGISTRATIONS, "post", {}),
        (SESSIONS, "post", {}),
        ("/api/v1/meetings", "post", {}),
        (API, "put", {}),
    ):
        response = post_raw(client, url, text, {**organiser, **extra}, method)
        assert 400 <= response.status_code < 500, (url, response.get_data(as_text=True)[:300])
        assert response.is_json
        assert response.get_json()["error"]["code"] in {
            "bad_request",
            "unprocessable_entity",
            "forbidden",
        }


def test_api_locates_a_huge_number(client, organiser):
    error = assert_error(
        post_raw(client, RECORD, HUGE, {**organiser, "If-Match": "*"}, "put"),
        422,
        "unprocessable_entity",
    )
    assert "5000 digits" in error["fields"]["$.attendance"]
    assert record_of("s-close").attendance == 65


@pytest.mark.parametrize(
    ("text", "located"),
    [
        (DEEP, "$: "),
        (HUGE, "$.attendance: "),
        (SURROGATE, "$.summary: "),
    ],
)
def test_cli_lists_malformed_documents(runner, tmp_path, text, located):
    assert_refused_on_the_command_line(import_text(runner, tmp_path, text), located)


def _at_the_end_of_time(doc: dict[str, Any]) -> None:
    doc["meeting"].update(
        start_date="9999-12-30", end_date="9999-12-31", timezone="America/New_York"
    )
    for session in doc["sessions"]:
        for key in ("start", "end"):
            session[key] = session[key].replace("2013-03-05", "9999-12-30")
    # The first ends at midnight, the second in year 10000 in UTC.
    doc["sessions"][0].update(start="9999-12-30T23:00", end="9999-12-31T00:00")
    doc["sessions"][1].update(start="9999-12-31T20:00", end="9999-12-31T23:00")


def test_dates_at_the_ends_of_the_calendar_are_problems_not_crashes(runner, tmp_path):
    doc = demo_document()
    _at_the_end_of_time(doc)
    doc["meeting"]["registration_opens"] = "0001-01-01T00:00:00+01:00"
    doc["participants"][0]["registered_at"] = "9999-12-31T23:59:59-01:00"
    problems = {p.path: p.message for p in check_document(doc)}
    assert "$.sessions[0].end" not in problems
    assert "calendar" in problems["$.sessions[1].end"], problems
    assert "calendar" in problems["$.meeting.registration_opens"]
    assert "calendar" in problems["$.participants[0].registered_at"]
    result = import_text(runner, tmp_path, json.dumps(doc))
    assert_refused_on_the_command_line(result, "$.sessions[1].end", "$.meeting.registration_opens")


def _on(doc: dict[str, Any], first: str, last: str, zone: str) -> None:
    doc["meeting"].update(start_date=first, end_date=last, timezone=zone)
    doc["meeting"].pop("registration_opens")
    doc["meeting"].pop("registration_closes")
    for session in doc["sessions"]:
        for key in ("start", "end"):
            session[key] = session[key].replace("2013-03-05", last)


@pytest.mark.parametrize(
    ("first", "last", "zone", "path"),
    [
        # Calendar feeds describe the zone up to the year after the meeting.
        ("9999-12-30", "9999-12-31", "Asia/Bangkok", "$.meeting.end_date"),
        # Midnight of 1 January of year 1 in Bangkok is in year 0 in UTC.
        ("0001-01-01", "0001-01-01", "Asia/Bangkok", "$.meeting.start_date"),
        ("2013-03-05", "2014-03-06", "Asia/Bangkok", "$.meeting.end_date"),
    ],
)
def test_a_meeting_s_days_must_fit_the_calendar(first, last, zone, path):
    doc = demo_document()
    _on(doc, first, last, zone)
    problems = {p.path: p.message for p in check_document(doc)}
    assert path in problems, problems


@pytest.mark.parametrize(
    ("first", "last", "zone"),
    [
        ("0001-01-01", "0001-01-02", "America/New_York"),
        ("9998-12-30", "9998-12-31", "Pacific/Kiritimati"),
    ],
)
def test_a_meeting_at_the_ends_of_the_calendar_is_shown_everywhere(client, first, last, zone):
    doc = demo_document()
    _on(doc, first, last, zone)
    assert check_document(doc) == []
    load(doc)
    assert normalised(export_meeting(DEMO_SLUG)) == normalised(doc)
    for page in ("", "agenda", "agenda.ics", "schedule.xml", "schedule.json", "participants"):
        response = client.get(f"/meetings/{DEMO_SLUG}/{page}")
        assert response.status_code == 200, (page, response.status_code)


def test_api_session_at_the_end_of_time_is_422(client, organiser):
    body = {
        "ref": "s-late",
        "title": "Late",
        "kind": "plenary",
        "start": "0001-01-01T00:00",
        "end": "0001-01-01T01:00",
    }
    error = assert_error(
        client.post(SESSIONS, json=body, headers=organiser), 422, "unprocessable_entity"
    )
    assert "$.start" in error["fields"]


# -- the web forms ----------------------------------------------------------------------------


MANAGE = AGENDA_MANAGE


@pytest.fixture
def organiser_in_browser(client, demo_meeting):  # type: ignore[no-untyped-def]
    make_account("org@example.org", "organiser", meeting=demo_meeting)
    sign_in(client, "org@example.org")
    return client


@pytest.mark.parametrize(
    "when", [("9999-12-31T22:00", "9999-12-31T23:00"), ("0001-01-01T00:00", "0001-01-01T01:00")]
)
def test_agenda_form_at_the_ends_of_the_calendar_is_a_form_error(organiser_in_browser, when):
    client = organiser_in_browser
    response = client.post(MANAGE, data=session_form(client, start=when[0], end=when[1]))
    assert 400 <= response.status_code < 500
    assert "error-summary" in response.get_data(
        as_text=True
    ) or "aria-invalid" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Session.id).where(Session.ref == "s-side")) is None


def record_page(client, ref: str = "s-close") -> str:  # type: ignore[no-untyped-def]
    return client.get(f"/meetings/{DEMO_SLUG}/records/{ref}").get_data(as_text=True)


def record_form(client, ref: str = "s-close", **fields: str) -> dict[str, str]:  # type: ignore[no-untyped-def]
    data = form_fields(record_page(client, ref))
    data.update(fields)
    return data


def record_of(ref: str) -> Record:
    db.session.expire_all()
    return db.session.scalar(sa.select(Record).join(Session).where(Session.ref == ref))


@pytest.mark.parametrize("due", ["9999-12-31", "0001-01-01"])
def test_record_form_takes_due_dates_at_the_ends_of_the_calendar(organiser_in_browser, due):
    client = organiser_in_browser
    data = record_form(
        client,
        **{"outcomes-1-kind": "action", "outcomes-1-text": "Report back.", "outcomes-1-due": due},
    )
    response = client.post(f"/meetings/{DEMO_SLUG}/records/s-close", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    assert record_of("s-close").outcomes[1].due == date.fromisoformat(due)
    assert f'value="{due}"' in record_page(client)


# -- item 7: integers and texts that the schema allows fit the columns -------------------------


def test_api_attendance_is_bounded_at_a_million(client, organiser):
    headers = {**organiser, "If-Match": "*"}
    ok = client.put(RECORD, json={"status": "draft", "attendance": 1_000_000}, headers=headers)
    assert ok.status_code == 200, ok.get_data(as_text=True)
    assert record_of("s-close").attendance == 1_000_000
    for value in (1_000_001, 2**31, 2**63):
        error = assert_error(
            client.put(RECORD, json={"status": "draft", "attendance": value}, headers=headers),
            422,
            "unprocessable_entity",
        )
        assert "maximum" in error["fields"]["$.attendance"]
    assert record_of("s-close").attendance == 1_000_000


def test_record_form_attendance_is_bounded_at_a_million(organiser_in_browser):
    client = organiser_in_browser
    url = f"/meetings/{DEMO_SLUG}/records/s-close"
    response = client.post(url, data=record_form(client, attendance="1000001"))
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert record_of("s-close").attendance == 65
    for value in (str(2**31), "9" * 5000):
        response = client.post(url, data=record_form(client, attendance=value))
        assert response.status_code == 400
    response = client.post(url, data=record_form(client, attendance="1000000"))
    assert response.status_code == 303
    assert record_of("s-close").attendance == 1_000_000


def test_import_refuses_capacities_beyond_a_million(runner, tmp_path):
    doc = demo_document()
    doc["meeting"]["capacity"] = 2**31
    doc["rooms"][0]["capacity"] = 1_000_001
    doc["meeting"]["quotas"]["wen"] = 2**40
    result = import_text(runner, tmp_path, json.dumps(doc))
    assert_refused_on_the_command_line(
        result, "$.meeting.capacity", "$.rooms[0].capacity", "$.meeting.quotas.wen"
    )


def _longest(length: int, unit: str = "ß") -> str:
    # ß is two bytes in UTF-8 and two letters when case-folded: the worst case for keys.
    return (unit * length)[:length]


def _email(length: int) -> str:
    local = "l" * 64
    labels, left = [], length - len(local) - 1 - len(".org")
    while left > 0:
        label = "d" * min(63, left - 1 if left > 63 else left)
        labels.append(label)
        left -= len(label) + 1
    return f"{local}@{'.'.join(labels)}.org"


def maximal_document() -> dict[str, Any]:
    """The demo with every text at its schema's maxLength and every number at its maximum."""
    doc = demo_document()
    m = doc["meeting"]
    translations = {"fr": {"title": _longest(300, "é"), "description": _longest(20000, "é")}}
    m.update(
        title=_longest(300),
        short_title=_longest(80),
        document_symbol=_longest(80, "S"),
        host=_longest(300),
        description=_longest(20000),
        venue={"name": _longest(300), "city": _longest(120), "country": "TH"},
        capacity=1_000_000,
        quotas=dict.fromkeys(("wen", "country", "igo", "cso", "donor", "other"), 1_000_000),
        translations=translations,
    )
    org = doc["organisations"][0]
    org.update(name=_longest(300), acronym=_longest(40), website=_longest(300, "w"))
    person = doc["participants"][0]
    person.update(
        honorific=_longest(40),
        given_name=_longest(120),
        family_name=_longest(120),
        position=_longest(300),
        email=_email(254),
        dietary=_longest(300),
        accessibility=_longest(300),
        language="fr",
        travel_support_requested=True,
    )
    doc["rooms"][0].update(name=_longest(300), capacity=1_000_000)
    session = doc["sessions"][0]
    session.update(number=_longest(20, "9"), title=_longest(300), translations=translations)
    session["record"].update(
        summary=_longest(20000), attendance=1_000_000, translations=translations
    )
    session["record"]["outcomes"][0].update(text=_longest(20000), translations=translations)
    return doc


def test_everything_the_schema_allows_is_stored_and_exported_unchanged():
    doc = maximal_document()
    assert len(doc["participants"][0]["email"]) == 254
    assert check_document(doc) == []
    load(doc)
    assert normalised(export_meeting(DEMO_SLUG)) == normalised(doc)


def test_a_session_with_the_longest_title_keeps_a_writable_record(client, organiser):
    body = {
        "ref": "s-long",
        "title": _longest(300),
        "kind": "plenary",
        "start": "2013-03-05T12:45",
        "end": "2013-03-05T13:45",
    }
    response = client.post(SESSIONS, json=body, headers=organiser)
    assert response.status_code == 201, response.get_data(as_text=True)
    for status in ("draft", "submitted"):
        response = client.put(
            f"{SESSIONS}/s-long/record",
            json={"status": status, "summary": "Done."},
            headers={**organiser, "If-Match": "*"},
        )
        assert response.status_code == 200, response.get_data(as_text=True)
    limit = AuditEntry.__table__.c.target.type.length
    targets = db.session.scalars(sa.select(AuditEntry.target)).all()
    assert targets and all(t is None or len(t) <= limit for t in targets)
    assert any(t and t.startswith("s-long (ßß") and t.endswith("…") for t in targets)


def test_a_registration_with_the_longest_address_is_stored(client, organiser):
    body = {
        "organisation": "za",
        "given_name": _longest(120),
        "family_name": _longest(120),
        "email": _email(254),
        "role": "delegate",
    }
    response = client.post(REGISTRATIONS, json=body, headers=organiser)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["email"] == body["email"]


# -- translations, language, travel support: stored losslessly --------------------------------


def test_translations_language_and_travel_support_round_trip(runner, tmp_path):
    doc = demo_document()
    doc["meeting"]["translations"] = {
        "fr": {"title": "Première réunion mondiale", "description": "Une réunion."},
        "es": {"title": "Primera reunión mundial"},
    }
    doc["sessions"][0]["translations"] = {"fr": {"title": "Ouverture"}}
    doc["sessions"][0]["record"]["translations"] = {"es": {"summary": "Resumen.\n\nDos."}}
    doc["sessions"][0]["record"]["outcomes"][0]["translations"] = {"fr": {"text": "Décision."}}
    doc["participants"][0].update(language="es", travel_support_requested=False)
    doc["participants"][1].update(language="fr", travel_support_requested=True)
    source = tmp_path / "in.json"
    source.write_text(json.dumps(doc, ensure_ascii=False), encoding="utf-8")
    result = runner.invoke(args=["meeting", "import", str(source)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "out.json"
    result = runner.invoke(args=["meeting", "export", DEMO_SLUG, "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert normalised(json.loads(out.read_text("utf-8"))) == normalised(doc)
    assert "language" not in export_meeting(DEMO_SLUG)["participants"][2]


def test_the_record_editor_keeps_the_translations_of_unchanged_texts(client):
    doc = demo_document()
    record = doc["sessions"][-1]["record"]  # s-close
    record["translations"] = {"fr": {"summary": "Projet : remarques de clôture."}}
    record["outcomes"][0]["translations"] = {"es": {"text": "BORRADOR: observaciones."}}
    meeting = load(doc)
    make_account("org@example.org", "organiser", meeting=meeting)
    sign_in(client, "org@example.org")
    url = f"/meetings/{DEMO_SLUG}/records/s-close"
    assert client.post(url, data=record_form(client, attendance="70")).status_code == 303
    stored = export_meeting(DEMO_SLUG)["sessions"][-1]["record"]
    assert stored["attendance"] == 70
    assert stored["translations"] == record["translations"]
    assert stored["outcomes"][0]["translations"] == record["outcomes"][0]["translations"]
    changed = record_form(client, summary="The Chair closed the meeting.")
    assert client.post(url, data=changed).status_code == 303
    stored = export_meeting(DEMO_SLUG)["sessions"][-1]["record"]
    assert "translations" not in stored  # the French summary no longer says the same
    assert stored["outcomes"][0]["translations"] == record["outcomes"][0]["translations"]


# -- item 13: four-digit years everywhere -----------------------------------------------------


def test_times_are_written_with_four_digit_years():
    assert localtime.format_local(datetime(999, 4, 2, 10, 0)) == "0999-04-02T10:00"
    assert localtime.format_local(datetime(1, 1, 1, 0, 0, 5)) == "0001-01-01T00:00:05"
    assert localtime.format_instant(datetime(999, 4, 2, 10, tzinfo=UTC)) == "0999-04-02T10:00:00Z"
    assert (
        localtime.format_instant(datetime(999, 4, 2, 10, 0, 0, 5000, tzinfo=UTC))
        == "0999-04-02T10:00:00.005000Z"
    )


def _in_year_999(doc: dict[str, Any]) -> None:
    doc["meeting"].update(
        start_date="0999-03-05",
        end_date="0999-03-05",
        registration_opens="0999-01-01T00:00:00Z",
        registration_closes="0999-03-01T12:30:00Z",
    )
    for session in doc["sessions"]:
        for key in ("start", "end"):
            session[key] = session[key].replace("2013-", "0999-")
    for person in doc["participants"]:
        for key in ("registered_at", "checked_in_at"):
            if key in person:
                person[key] = "0999-02-01T08:00:00Z"
    for session in doc["sessions"]:
        for outcome in (session.get("record") or {}).get("outcomes", []):
            if "due" in outcome:
                outcome["due"] = "0999-04-30"


def test_a_meeting_in_year_999_exports_what_it_imported(runner, tmp_path):
    doc = demo_document()
    _in_year_999(doc)
    assert check_document(doc) == []
    source = tmp_path / "in.json"
    source.write_text(json.dumps(doc), encoding="utf-8")
    assert runner.invoke(args=["meeting", "import", str(source)]).exit_code == 0
    out = tmp_path / "out.json"
    assert runner.invoke(args=["meeting", "export", DEMO_SLUG, "--out", str(out)]).exit_code == 0
    exported = json.loads(out.read_text("utf-8"))
    assert normalised(exported) == normalised(doc)
    assert check_document(exported) == []
    result = runner.invoke(args=["meeting", "import", "--replace", str(out)])
    assert result.exit_code == 0, result.output


def test_the_record_form_shows_a_due_date_of_year_999_padded(client):
    doc = demo_document()
    _in_year_999(doc)
    meeting = load(doc)
    make_account("org@example.org", "organiser", meeting=meeting)
    sign_in(client, "org@example.org")
    page = record_page(client, "s-iccwc")
    dues = re.findall(r'name="outcomes-\d+-due"[^>]*value="([^"]*)"', page) + re.findall(
        r'value="([^"]*)"[^>]*name="outcomes-\d+-due"', page
    )
    assert "0999-04-30" in dues, dues


def test_the_agenda_form_shows_a_year_999_padded(app):
    from werkzeug.datastructures import MultiDict

    from eventapp.agenda.forms import SessionForm

    with app.test_request_context():
        form = SessionForm(formdata=None, data={"start": datetime(999, 3, 5, 9, 0)})
        assert 'value="0999-03-05T09:00"' in form.start()
        form = SessionForm(
            formdata=MultiDict({"start": "0999-03-05T09:00", "end": "0999-03-05T10:00"}),
            meta={"csrf": False},
        )
        form.set_choices([], [])
        form.validate()
        assert form.start.data == datetime(999, 3, 5, 9, 0)
        document = form.document()
        assert document["start"] == "0999-03-05T09:00"


# -- item 6 (input side): text that goes into headers is one line -----------------------------


@pytest.mark.parametrize(
    ("change", "path"),
    [
        (lambda d: d["meeting"].update(title="Title\r\nBcc: x@example.org"), "$.meeting.title"),
        (lambda d: d["meeting"].update(short_title="A\nB"), "$.meeting.short_title"),
        (lambda d: d["organisations"][0].update(name="Org\rX"), "$.organisations[0].name"),
        (
            lambda d: d["participants"][0].update(given_name="Ann\x0bX"),
            "$.participants[0].given_name",
        ),
        (
            lambda d: d["participants"][0].update(family_name="Lee\u2028X"),
            "$.participants[0].family_name",
        ),
        (lambda d: d["rooms"][0].update(name="Room\x85A"), "$.rooms[0].name"),
        (lambda d: d["sessions"][0].update(title="Opening\r\nX-Evil: 1"), "$.sessions[0].title"),
        (
            lambda d: d["meeting"].update(translations={"fr": {"title": "Titre\nSuite"}}),
            "$.meeting.translations.fr.title",
        ),
    ],
)
def test_header_text_with_line_breaks_is_refused_where_it_is(change, path):
    doc = demo_document()
    change(doc)
    problems = {p.path: p.message for p in check_document(doc)}
    assert path in problems, problems
    assert "control character" in problems[path]


def test_multi_line_texts_keep_their_line_breaks():
    doc = demo_document()
    doc["meeting"]["description"] = "First.\r\n\r\nSecond.\tTabbed."
    doc["sessions"][0]["record"]["summary"] = "One.\n\nTwo."
    doc["sessions"][0]["record"]["outcomes"][0]["text"] = "Decided:\n- this"
    doc["sessions"][0]["translations"] = {"fr": {"description": "Un.\nDeux."}}
    assert check_document(doc) == []


def test_cli_refuses_a_title_with_a_header_in_it(runner, tmp_path):
    doc = demo_document()
    doc["meeting"]["title"] = "Title\r\nBcc: x@example.org"
    result = import_text(runner, tmp_path, json.dumps(doc))
    assert_refused_on_the_command_line(result, "$.meeting.title: ")


def test_api_refuses_names_with_line_breaks(client, organiser):
    body = {
        "organisation": "za",
        "given_name": "Eve\r\nBcc: all@example.org",
        "family_name": "Ndlovu",
        "email": "eve@example.org",
        "role": "delegate",
    }
    error = assert_error(
        client.post(REGISTRATIONS, json=body, headers=organiser), 422, "unprocessable_entity"
    )
    assert "control character" in error["fields"]["$.given_name"]


def test_registration_form_refuses_names_with_line_breaks(client):
    open_meeting()
    before = registration_count()
    data = registration_form(client, given_name="Eve\r\nBcc: x@example.org")
    response = client.post(REGISTER, data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert 'aria-invalid="true"' in html and "line" in html
    assert registration_count() == before


def test_agenda_form_refuses_a_title_with_line_breaks(organiser_in_browser):
    client = organiser_in_browser
    response = client.post(MANAGE, data=session_form(client, title="Side\r\nBcc: x@example.org"))
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Session.id).where(Session.ref == "s-side")) is None
