"""The Chair's summary and the full report as real PDFs: what they carry, what they never carry.

Most tests read one rendering of a "rich" meeting (the demo plus records in every state,
names in every script, markup and people who did not consent), made once per module.
"""

from __future__ import annotations

import logging
import re
import subprocess
import tempfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskCliRunner
from pypdf import PdfReader

from eventapp.models import ReportKind
from eventapp.reports import render, service
from tests.factories import DEMO_SLUG, demo_document, load
from tests.helpers import PREVIEW, pdftotext

CS, REP = ReportKind.CHAIR_SUMMARY, ReportKind.FULL_REPORT

# One name per script the reports must print with real glyphs (given name, family name).
SCRIPT_NAMES = {
    "latin": ("Łukasz", "Żółkiewski-Ørsted"),
    "vietnamese": ("Nguyễn Thị", "Hương"),
    "cyrillic": ("Дмитрий", "Иванов"),
    "greek": ("Γιώργος", "Παπαδόπουλος"),
    "arabic": ("محمد", "العربي"),
    "chinese": ("明", "李"),
    "japanese": ("さくら", "山田"),
    "thai": ("สมชาย", "ใจดี"),
    "devanagari": ("प्रिया", "शर्मा"),
}
SCRIPT_NAME = "<script>alert(1)</script>"


# --- reading PDFs back -------------------------------------------------------------------


def pdffonts(pdf: bytes) -> list[list[str]]:
    """pdffonts' rows: name, type..., emb, sub, uni, object, ID."""
    with tempfile.NamedTemporaryFile(suffix=".pdf") as file:
        file.write(pdf)
        file.flush()
        out = subprocess.run(
            ["pdffonts", file.name], check=True, capture_output=True, text=True
        ).stdout
    return [line.split() for line in out.splitlines()[2:] if line.strip()]


def squash(text: str) -> str:
    """Text without whitespace or hyphens: lines break anywhere, and pdftotext joins a word
    broken after a hyphen without it."""
    return re.sub(r"[\s-]+", "", text)


@dataclass
class Rendered:
    html: str
    pdf: bytes
    text: str
    pages: list[str]
    logs: list[str]

    @property
    def flat(self) -> str:
        return squash(self.text)

    def has(self, expected: str) -> bool:
        return squash(expected) in self.flat


# --- the rich meeting --------------------------------------------------------------------


def rich_document() -> dict[str, Any]:
    """The demo meeting plus everything the report rules must tell apart."""
    doc = demo_document()
    people = {p["ref"]: p for p in doc["participants"]}
    sessions = {s["ref"]: s for s in doc["sessions"]}
    for n, (given, family) in enumerate(SCRIPT_NAMES.values()):
        doc["participants"].append(_person(f"script-{n}", "th", given, family))
    doc["participants"].append(_person("markup", "za", SCRIPT_NAME, "Tester"))
    people["p-wb"].update(
        dietary="DIETARYSECRET", accessibility="ACCESSSECRET", needs_visa_letter=True
    )
    # The draft record gains findings and an action: none of them may appear.
    sessions["s-close"]["record"]["outcomes"] += [
        {"kind": "decision", "text": "DRAFTONLY decision text."},
        {"kind": "action", "owner": "iccwc", "due": "2014-01-01", "text": "DRAFTONLY action."},
    ]
    doc["sessions"].append(
        {
            "ref": "s-aob",
            "number": "7",
            "title": "Any other business",
            "kind": "plenary",
            "start": "2013-03-05T17:00",
            "end": "2013-03-05T17:30",
            "room": "plenary",
            "record": {
                "status": "submitted",
                "summary": "SUBMITTEDONLY summary.",
                "outcomes": [
                    {"kind": "recommendation", "text": "SUBMITTEDONLY recommendation."},
                    {"kind": "action", "owner": "wco", "text": "SUBMITTEDONLY action."},
                ],
            },
        }
    )
    # Statements: named only when approved and consenting.
    sessions["s-non"]["record"]["outcomes"] += [
        {"kind": "statement", "speaker": "p-interpol", "text": "INTERPOLSTATEMENT."},
        # p-freeland is approved but did not consent to be listed.
        {"kind": "statement", "speaker": "p-freeland", "text": "FREELANDSTATEMENT."},
        # p-late consented but is waitlisted, not approved.
        {"kind": "statement", "speaker": "p-late", "text": "WAITLISTEDSTATEMENT."},
    ]
    sessions["s-iccwc"]["record"]["summary"] += " Markup stays text: <b>not bold</b> & <i>x</i>."
    return doc


def _person(ref: str, organisation: str, given: str, family: str) -> dict[str, Any]:
    return {
        "ref": ref,
        "organisation": organisation,
        "given_name": given,
        "family_name": family,
        "position": f"Position of {ref}",
        "email": f"{ref}@example.org",
        "role": "delegate",
        "status": "approved",
        "list_consent": True,
    }


def approved_outcomes(doc: dict[str, Any], *kinds: str) -> list[str]:
    return [
        o["text"]
        for s in doc["sessions"]
        if s.get("record", {}).get("status") == "approved"
        for o in s["record"].get("outcomes", [])
        if o["kind"] in kinds
    ]


_RENDERED: dict[ReportKind, Rendered] = {}


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def rich() -> dict[ReportKind, Rendered]:
    """Both reports of the rich meeting, rendered as previews once per module."""
    if not _RENDERED:
        meeting = load(rich_document())
        for kind in ReportKind:
            collect = _Collect()
            loggers = [logging.getLogger("weasyprint"), logging.getLogger("eventapp")]
            for logger in loggers:
                logger.addHandler(collect)
            try:
                html = render.report_html(meeting, kind, "en", preview=True)
                pdf = render.pdf_from_html(html)
            finally:
                for logger in loggers:
                    logger.removeHandler(collect)
            text = pdftotext(pdf)
            _RENDERED[kind] = Rendered(html, pdf, text, text.split("\f")[:-1], collect.messages)
    return _RENDERED


# --- content rules -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(ReportKind))
def test_only_approved_records_feed_the_reports(rich: dict[ReportKind, Rendered], kind):
    report = rich[kind]
    for absent in (
        "DRAFT – not yet approved",
        "Draft: closing remarks to be confirmed by the Chair.",
        "DRAFTONLY decision text.",
        "DRAFTONLY action.",
        "SUBMITTEDONLY summary.",
        "SUBMITTEDONLY recommendation.",
        "SUBMITTEDONLY action.",
        "Agenda item 6.",
        "Agenda item 7.",
    ):
        assert not report.has(absent), absent
    # A closed session's approved record is reported: approval is the gate.
    assert report.has("Heads of networks agreed to exchange focal point contact details")


def test_full_report_carries_every_approved_summary_and_outcome(rich):
    report, doc = rich[REP], rich_document()
    for session in doc["sessions"]:
        record = session.get("record", {})
        if record.get("status") != "approved":
            continue
        assert report.has(f"Agenda item {session['number']}. {session['title']}")
        assert report.has(record["summary"])
        for outcome in record["outcomes"]:
            assert report.has(outcome["text"]), outcome["text"]
    assert report.has("Heads of networks discussed operational matters in a closed session.")
    assert report.has("Closed session")


def test_statements_name_only_approved_consenting_speakers(rich):
    report = rich[REP]
    assert report.has(
        "Mr Daniel Hargreaves (International Criminal Police Organization): INTERPOLSTATEMENT."
    )
    assert report.has("A representative of Freeland Foundation: FREELANDSTATEMENT.")
    assert report.has("A representative of Thailand: WAITLISTEDSTATEMENT.")
    assert report.has("Mr John E. Scanlon (CITES Secretariat): The meeting is an important step")


@pytest.mark.parametrize("kind", list(ReportKind))
def test_people_without_consent_or_approval_are_never_named(rich, kind):
    report = rich[kind]
    for absent in ("Tomás", "O'Brien", "Wongsa", "Fifita", "Sione"):
        assert absent not in report.text, absent
    for secret in ("@example.org", "DIETARYSECRET", "ACCESSSECRET"):
        assert secret not in report.text
        assert secret not in report.html


def test_annex_lists_consenting_approved_participants_by_kind(rich):
    report = rich[REP]
    annex = report.flat[report.flat.index(squash("Annex II List of participants"), 2000) :]
    for name in ("Mr John E. Scanlon", "Ms Lucía Ramírez", "Mr Trần Văn Minh", "Ms Renée Côté"):
        assert squash(name) in annex
    assert squash("Secretary-General, CITES Secretariat") in annex
    kinds = [
        "Wildlife Enforcement Networks",
        "Countries",
        "Intergovernmental organizations",
        "Civil society organizations",
        "Donors",
    ]
    positions = [annex.index(squash(kind)) for kind in kinds]
    assert positions == sorted(positions)
    # Organisations within a kind, people within an organisation.
    assert annex.index(squash("CITES Secretariat (CITES)")) < annex.index(squash("World Bank"))
    assert annex.index(squash("Kofi Mensah")) < annex.index(squash("John E. Scanlon"))


def test_attendance_counts_organisations_and_approved_participants_per_kind(rich):
    doc = rich_document()
    kinds = {o["ref"]: o["kind"] for o in doc["organisations"]}
    approved = [p for p in doc["participants"] if p["status"] == "approved"]
    layout = " ".join(pdftotext(rich[REP].pdf, layout=True).split())
    labels = {
        "wen": "Wildlife Enforcement Networks",
        "country": "Countries",
        "igo": "Intergovernmental organizations",
        "cso": "Civil society organizations",
        "donor": "Donors",
        "other": "Other participants",
    }
    for kind, label in labels.items():
        people = [p for p in approved if kinds[p["organisation"]] == kind]
        organisations = {p["organisation"] for p in people}
        assert f"{label} {len(organisations)} {len(people)}" in layout
    total = len({p["organisation"] for p in approved})
    assert f"Total {total} {len(approved)}" in layout


def test_full_report_sections_agenda_annex_and_actions(rich):
    report = rich[REP]
    flat = report.flat
    sections = [
        "Introduction",
        "Attendance",
        "Proceedings",
        "Conclusions and recommendations",
        "Action items",
        "Annex I Agenda",
        "Annex II List of participants",
    ]
    after_toc = flat[flat.index(squash("Annex II List of participants")) + 30 :]
    positions = [after_toc.index(squash(s)) for s in sections]
    assert positions == sorted(positions)
    cover = report.pages[0]
    for part in (
        "ICCWC/GWEN/1/REP",
        "Distribution:",
        "General",
        "Date of issue:",
        "Original:",
        "English",
        "First Global Meeting of the Wildlife Enforcement Networks",
        "Queen Sirikit National Convention Center",
        "5 March 2013",
    ):
        assert part in " ".join(cover.split()), part
    assert report.has("It was convened by International Consortium on Combating Wildlife Crime")
    assert report.has("The meeting was chaired by Mr John E. Scanlon (CITES Secretariat).")
    # The agenda annex: every session in time order with local times, the closed one marked.
    agenda = flat[flat.rindex(squash("Annex I Agenda")) :]
    assert agenda.index(squash("09:00–09:30")) < agenda.index(squash("Coffee break"))
    assert squash("Closed session of heads of networks (closed)") in agenda
    assert squash("Meeting Room B") in agenda
    assert squash("17:00–17:30") in agenda and squash("Any other business") in agenda
    # Action items: owner, due date, status.
    actions = flat[flat.rindex(squash("Action items")) : flat.rindex(squash("Annex I Agenda"))]
    assert squash("International Consortium on Combating Wildlife Crime") in actions
    assert squash("31 December 2013") in actions and squash("Open") in actions


def test_chair_summary_carries_findings_next_steps_and_signature(rich):
    report, doc = rich[CS], rich_document()
    for part in (
        "ICCWC/GWEN/1/CS",
        "Chair's summary",
        "First Global Meeting of the Wildlife Enforcement Networks",
        "Queen Sirikit National Convention Center, Bangkok, Thailand",
        "5 March 2013",
        "Mr John E. Scanlon",
    ):
        assert report.has(part), part
    for text in approved_outcomes(doc, "decision", "recommendation", "conclusion"):
        assert report.has(text), text
    # Grouped by agenda item, in agenda order.
    items = [report.flat.index(squash(f"Agenda item {n}.")) for n in ("1", "2", "3", "4")]
    assert items == sorted(items)
    steps = report.flat[report.flat.index(squash("Next steps")) :]
    for text in approved_outcomes(doc, "action"):
        assert squash(text) in steps
    assert squash("International Consortium on Combating Wildlife Crime") in steps
    assert squash("31 March 2014") in steps
    # Statements are not findings; the summary ends with the Chair's signature.
    assert not report.has("INTERPOLSTATEMENT")
    signature = report.flat.index(squash("(signed) John E. Scanlon, Chair"))
    assert signature > report.flat.index(squash(approved_outcomes(doc, "action")[-1]))


def test_markup_in_names_and_summaries_is_printed_as_text(rich):
    for report in rich.values():
        assert "<script>" not in report.html
    full = rich[REP]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in full.html
    assert SCRIPT_NAME in full.text
    assert full.has("Markup stays text: <b>not bold</b> & <i>x</i>.")


# --- glyphs, fonts, structure ------------------------------------------------------------


def test_every_script_prints_with_real_glyphs(rich):
    report = rich[REP]
    for script, (given, family) in SCRIPT_NAMES.items():
        for word in (*given.split(), family):
            assert word in report.text, f"{script}: {word!r} not read back"
    assert not [m for m in report.logs if ".notdef" in m]


def test_all_fonts_are_embedded(rich):
    for report in rich.values():
        rows = pdffonts(report.pdf)
        assert rows
        # Columns from the right: object ID, uni, sub, emb.
        assert all(row[-5] == "yes" for row in rows), rows
    names = " ".join(row[0] for row in pdffonts(rich[REP].pdf))
    for family in ("Noto-Serif", "CJK", "Arabic", "Thai", "Devanagari"):
        assert family in names


def test_table_of_contents_has_the_right_page_numbers(rich):
    pages = pdftotext(rich[REP].pdf, layout=True).split("\f")[:-1]
    toc_page = next(i for i, page in enumerate(pages) if "Contents" in page)
    entries = [
        (m["label"].strip(), int(m["page"]))
        for m in re.finditer(
            r"^\s*(?P<label>\S.*?)\s*\.{4,}\s*(?P<page>\d+)\s*$", pages[toc_page], re.MULTILINE
        )
    ]
    assert len(entries) >= 7
    labels = dict(entries)
    for heading in (
        "Introduction",
        "Attendance",
        "Proceedings",
        "Action items",
        "Annex I Agenda",
        "Annex II List of participants",
    ):
        label = next(key for key in labels if squash(key).endswith(squash(heading)))
        found = next(
            i for i, page in enumerate(pages) if i > toc_page and squash(label) in squash(page)
        )
        assert labels[label] == found + 1, heading


def test_headings_are_bookmarked(rich):
    reader = PdfReader(BytesIO(rich[REP].pdf))

    def titles(outline: list[Any], depth: int = 0) -> list[tuple[int, str]]:
        out = []
        for entry in outline:
            if isinstance(entry, list):
                out += titles(entry, depth + 1)
            else:
                out.append((depth, entry.title))
        return out

    marks = titles(reader.outline)
    assert (1, "I. Introduction") in marks
    assert (1, "Annex II List of participants") in marks
    assert (2, "Agenda item 4. Closed session of heads of networks") in marks
    assert not [title for _, title in marks if "Agenda item 6" in title]


@pytest.mark.parametrize("kind", list(ReportKind))
def test_pdf_is_tagged_with_title_and_language(rich, kind):
    report = rich[kind]
    assert report.pdf.startswith(b"%PDF-1.7")
    reader = PdfReader(BytesIO(report.pdf))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "en"
    assert root["/MarkInfo"]["/Marked"]
    assert "/StructTreeRoot" in root
    assert root["/ViewerPreferences"]["/DisplayDocTitle"]
    assert b'pdfuaid:part="1"' in reader.xmp_metadata.stream.get_data()
    symbol = "ICCWC/GWEN/1/CS" if kind is CS else "ICCWC/GWEN/1/REP"
    assert symbol in reader.metadata.title
    assert PREVIEW in reader.metadata.title
    assert reader.metadata.author


@pytest.mark.parametrize("kind", list(ReportKind))
def test_preview_is_marked_on_every_page_with_running_symbol(rich, kind):
    report = rich[kind]
    assert len(report.pages) >= 2
    symbol = "ICCWC/GWEN/1/CS" if kind is CS else "ICCWC/GWEN/1/REP"
    for n, page in enumerate(report.pages, start=1):
        assert PREVIEW in page
        assert symbol in page
        assert f"page {n} of {len(report.pages)}" in page


def test_a_bare_meeting_renders_both_reports():
    meeting = load(
        {
            "format": "wen-meeting/1",
            "meeting": {
                "slug": "bare",
                "title": "Bare meeting",
                "timezone": "Europe/Zurich",
                "start_date": "2030-01-01",
                "end_date": "2030-01-02",
            },
            "organisations": [],
            "participants": [],
            "rooms": [],
            "sessions": [],
        }
    )
    summary = squash(pdftotext(render.report_pdf(meeting, CS, "en", preview=True)))
    for text in (
        "BARE/CS",
        "1 – 2 January 2030",
        "(signed) The Chair",
        "No decisions, recommendations or conclusions have been approved yet.",
    ):
        assert squash(text) in summary, text
    report = squash(pdftotext(render.report_pdf(meeting, REP, "en", preview=True)))
    for text in (
        "BARE/REP",
        "No record of the proceedings has been approved yet.",
        "Total 0 0",
        "No participant has agreed to be listed.",
    ):
        assert squash(text) in report, text


def test_renderer_fetches_nothing_but_our_stylesheet(app: Flask, caplog):
    assert render.asset_path(render.ASSETS_URL + "print.css") == render.ASSETS_DIR / "print.css"
    for url in (
        "http://127.0.0.1:9/x.css",
        "https://example.org/font.woff2",
        "file:///etc/passwd",
        render.ASSETS_URL + "../../eventapp/config.py",
        render.ASSETS_URL + "chair-summary.html",
        "data:text/css,body{}",
    ):
        assert render.asset_path(url) is None, url
    html = (
        '<html lang="en"><head><title>t</title><link rel="stylesheet" href="print.css">'
        '<link rel="stylesheet" href="http://127.0.0.1:9/evil.css"></head>'
        '<body><img alt="x" src="file:///etc/hostname"><p>text</p></body></html>'
    )
    with caplog.at_level(logging.WARNING, logger="eventapp.reports.render"):
        pdf = render.pdf_from_html(html)
    assert pdf.startswith(b"%PDF")
    refused = [r.getMessage() for r in caplog.records if r.name == "eventapp.reports.render"]
    assert any("evil.css" in m for m in refused)
    assert any("/etc/hostname" in m for m in refused)


def test_actual_text_only_where_glyphs_may_not_map_back():
    assert render.needs_actual_text("शर्मा")
    assert render.needs_actual_text("ใจดี")
    assert not render.needs_actual_text("Nguyễn Thị Hương")  # precomposed, no marks
    assert not render.needs_actual_text("محمد العربي")  # right-to-left: readers reorder glyphs


# --- languages, symbols, CLI -------------------------------------------------------------


def test_report_language_and_dates_follow_lang(demo_meeting):
    html = render.report_html(demo_meeting, REP, "fr", preview=True)
    assert '<html lang="fr">' in html
    assert "5 mars 2013" in html
    assert "Thaïlande" in html
    html_es = render.report_html(demo_meeting, CS, "es", preview=True)
    assert '<html lang="es">' in html_es and "5 de marzo de 2013" in html_es


def test_symbol_falls_back_to_the_slug(demo_doc):
    del demo_doc["meeting"]["document_symbol"]
    meeting = load(demo_doc)
    assert service.document_symbol(meeting, CS) == "FIRST-GLOBAL-WEN-MEETING/CS"
    html = render.report_html(meeting, REP, "en", preview=True)
    assert "FIRST-GLOBAL-WEN-MEETING/REP" in html


def test_cli_render_writes_html_or_pdf_and_publishes_nothing(
    demo_meeting, runner: FlaskCliRunner, tmp_path: Path, app: Flask
):
    out = tmp_path / "x.html"
    result = runner.invoke(
        args=["report", "render", DEMO_SLUG, "--kind", "full-report", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    html = out.read_text("utf-8")
    assert html.startswith("<!doctype html>") and '<html lang="en">' in html
    assert "ICCWC/GWEN/1/REP" in html and PREVIEW in html
    assert "DRAFT – not yet approved" not in html

    pdf_out = tmp_path / "cs.pdf"
    result = runner.invoke(
        args=[
            "report",
            "render",
            DEMO_SLUG,
            "--kind",
            "chair-summary",
            "--lang",
            "fr",
            "--out",
            str(pdf_out),
        ]
    )
    assert result.exit_code == 0, result.output
    pdf = pdf_out.read_bytes()
    assert pdf.startswith(b"%PDF")
    assert "5 mars 2013" in pdftotext(pdf)
    assert PdfReader(BytesIO(pdf)).trailer["/Root"]["/Lang"] == "fr"
    store = Path(app.config["REPORTS_DIR"]) / DEMO_SLUG
    assert not store.exists() or not any(store.iterdir())


@pytest.mark.parametrize("command", ["render", "publish"])
def test_cli_unknown_meeting_exits_1(runner: FlaskCliRunner, tmp_path: Path, command: str):
    args = ["report", command, "no-such-meeting", "--kind", "chair-summary"]
    if command == "render":
        args += ["--out", str(tmp_path / "x.pdf")]
    result = runner.invoke(args=args)
    assert result.exit_code == 1
    assert "no-such-meeting" in result.output
    assert not (tmp_path / "x.pdf").exists()
