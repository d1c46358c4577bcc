"""A record's summary is Markdown: rendered and sanitised by one function, the same HTML on the
public session page, in the record's pages and in the reports' PDFs; what a rapporteur types as
HTML or as a script link never runs (contract 4.5)."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from pypdf import PdfReader

from eventapp.extensions import db
from eventapp.models import Meeting, Record, RecordRevision, ReportKind, Session
from eventapp.records.markdown import summary_html
from eventapp.reports import render
from tests.factories import DEMO_SLUG, demo_document, load, make_account
from tests.helpers import bearer, form_fields, pdftotext, sign_in

RECORDS = f"/meetings/{DEMO_SLUG}/records"
SESSION_PAGE = f"/meetings/{DEMO_SLUG}/sessions/s-iccwc"

SCRIPT = "<script>alert('summary')</script>"
IMAGE = "<img src=x onerror=alert(2)>"
SCRIPT_LINK = "[click me](javascript:alert(3))"
DATA_LINK = "[data](data:text/html;base64,PHNjcmlwdD5hbGVydCg0KTwvc2NyaXB0Pg==)"
SUMMARY = "\n\n".join(
    [
        "The partners agreed on **BOLDWORD** and *ITALICWORD*.",
        "- FIRSTPOINT\n- SECONDPOINT",
        "See [the ICCWC site](https://cites.org/eng/prog/iccwc.php).",
        SCRIPT,
        IMAGE,
        SCRIPT_LINK,
        DATA_LINK,
    ]
)
# A speaker whose name is markup: printed as text wherever the statement is.
MARKUP_NAME = "<img src=y onerror=alert(5)>"


def unsafe(html: str) -> list[str]:
    """Whatever in the HTML would run: a script or iframe element, an event attribute, a
    javascript: or data: link, an image that fetches."""
    found = re.findall(r"<(?:script|iframe|img|object|embed)\b", html, re.I)
    found += re.findall(r"<[a-z][^>]*\son\w+\s*=", html, re.I)
    found += re.findall(
        r"""<[a-z][^>]*\s(?:href|src)\s*=\s*["']?\s*(?:javascript|data|vbscript):""", html, re.I
    )
    return found


def main(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


@pytest.fixture
def meeting() -> Meeting:
    """The demo meeting, its approved public session s-iccwc summarised in SUMMARY, with a
    statement by a participant whose name is markup."""
    doc = demo_document()
    doc["participants"].append(
        {
            "ref": "p-markup",
            "organisation": "za",
            "given_name": MARKUP_NAME,
            "family_name": "Tester",
            "email": "markup@example.org",
            "role": "delegate",
            "status": "approved",
            "list_consent": True,
        }
    )
    iccwc = next(s for s in doc["sessions"] if s["ref"] == "s-iccwc")
    iccwc["record"]["summary"] = SUMMARY
    iccwc["record"]["outcomes"].append(
        {"kind": "statement", "speaker": "p-markup", "text": "STATEMENTBYMARKUP."}
    )
    return load(doc)


# -- the one function ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "source",
    [
        SCRIPT,
        IMAGE,
        SCRIPT_LINK,
        DATA_LINK,
        "[x](JaVaScRiPt:alert(1))",
        "<a href='javascript:alert(1)'>x</a>",
        '<p onclick="alert(1)">x</p>',
        "<iframe src=https://example.org></iframe>",
        "![pic](https://example.org/tracker.png)",
        "<https://example.org/ok>",
    ],
)
def test_nothing_a_rapporteur_types_runs(source: str) -> None:
    html = str(summary_html(source))
    assert html.strip(), "the text is shown, not dropped"
    assert unsafe(html) == []


def test_raw_html_is_shown_as_text() -> None:
    assert "&lt;script&gt;" in str(summary_html(SCRIPT))
    assert "&lt;img src=x onerror=alert(2)&gt;" in str(summary_html(IMAGE))


def test_markdown_renders_and_links_open_apart() -> None:
    html = str(
        summary_html("# Aim\n\n**bold** and *it*\n\n1. one\n2. two\n\n[site](https://a.org)")
    )
    assert "<h3>Aim</h3>" in html
    assert "<strong>bold</strong>" in html and "<em>it</em>" in html
    assert "<ol>\n<li>one</li>\n<li>two</li>\n</ol>" in html
    assert '<a href="https://a.org" rel="noopener noreferrer">site</a>' in html
    # Headings start where the place that shows them needs them, h6 at most.
    assert "<h4>Aim</h4>" in str(summary_html("# Aim", top=4))
    assert "<h6>Deep</h6>" in str(summary_html("###### Deep", top=4))


def test_a_relative_link_loses_its_address() -> None:
    html = str(summary_html("[sign out](/logout)"))
    assert "sign out" in html and "href" not in html


def test_an_empty_summary_is_nothing() -> None:
    assert str(summary_html(None)) == "" and str(summary_html("  \n")) == ""


# -- the public page, the record's pages, the PDF ---------------------------------------------


def test_the_public_page_shows_the_summary_rendered_and_safe(
    client: FlaskClient, meeting: Meeting
) -> None:
    response = client.get(SESSION_PAGE)
    assert response.status_code == 200
    html = main(response.get_data(as_text=True))
    assert "<strong>BOLDWORD</strong>" in html and "<em>ITALICWORD</em>" in html
    assert "<li>FIRSTPOINT</li>" in html and "<li>SECONDPOINT</li>" in html
    assert (
        '<a href="https://cites.org/eng/prog/iccwc.php" rel="noopener noreferrer">'
        "the ICCWC site</a>" in html
    )
    assert "&lt;script&gt;alert(" in html  # shown as text
    assert "click me" in html
    assert "STATEMENTBYMARKUP." in html and "&lt;img src=y onerror=alert(5)&gt;" in html
    assert unsafe(html) == []


def test_the_full_report_prints_the_same_html_and_nothing_runs(meeting: Meeting) -> None:
    html = render.report_html(meeting, ReportKind.FULL_REPORT, "en", preview=True)
    body = html[html.index("<body") :]
    assert str(summary_html(SUMMARY, top=4)) in body  # the same HTML as the pages'
    assert "<strong>BOLDWORD</strong>" in body and "<li>FIRSTPOINT</li>" in body
    assert unsafe(body) == []

    pdf = render.pdf_from_html(html)
    text = pdftotext(pdf)
    assert "BOLDWORD" in text and "ITALICWORD" in text
    # A list is laid out as a list: each point on its own line, marked.
    lines = [line.strip() for line in text.splitlines()]
    assert any(re.fullmatch(r"•\s*FIRSTPOINT", line) for line in lines), lines
    assert any(re.fullmatch(r"•\s*SECONDPOINT", line) for line in lines)
    # Markup is printed as the text it is, in the summary and in a speaker's name.
    flat = re.sub(r"\s+", "", text)
    assert re.sub(r"\s+", "", "<script>alert('summary')</script>") in flat
    assert re.sub(r"\s+", "", MARKUP_NAME) in flat
    # The PDF's links go to the web, never to a script or inline data.
    targets = [
        str(annotation.get_object()["/A"].get("/URI"))
        for page in pdf_pages(pdf)
        for annotation in page.get("/Annots") or []
        if "/A" in annotation.get_object()
    ]
    assert "https://cites.org/eng/prog/iccwc.php" in targets
    assert not [t for t in targets if t.lower().startswith(("javascript:", "data:"))]


def pdf_pages(pdf: bytes) -> list[Any]:
    return list(PdfReader(io.BytesIO(pdf)).pages)


def test_the_revision_page_renders_the_summary(client: FlaskClient, meeting: Meeting) -> None:
    make_account("chair@example.org")
    sign_in(client, "chair@example.org")
    # A save keeps the imported record as revision 1.
    data = form_fields(client.get(f"{RECORDS}/s-iccwc").get_data(as_text=True))
    data["attendance"] = "41"
    assert client.post(f"{RECORDS}/s-iccwc", data=data).status_code == 303
    html = main(client.get(f"{RECORDS}/s-iccwc/revisions/1").get_data(as_text=True))
    assert "<strong>BOLDWORD</strong>" in html and "<li>SECONDPOINT</li>" in html
    assert "&lt;script&gt;alert(" in html
    assert unsafe(html) == []


# -- the editor's preview ----------------------------------------------------------------------


def _stored() -> tuple[str | None, int]:
    db.session.expire_all()
    summary = db.session.scalar(
        sa.select(Record.summary).join(Session).where(Session.ref == "s-close")
    )
    revisions = db.session.scalar(sa.select(sa.func.count(RecordRevision.id))) or 0
    return summary, revisions


def test_the_preview_shows_the_summary_and_saves_nothing(
    client: FlaskClient, demo_meeting: Meeting
) -> None:
    make_account("rapp-2@example.org")
    sign_in(client, "rapp-2@example.org")
    page = client.get(f"{RECORDS}/s-close").get_data(as_text=True)
    assert "Markdown: **bold**" in page and ">Preview</button>" in page
    before = _stored()
    data = form_fields(page)
    data.update(summary=f"**Closed** by the Chair.\n\n- one\n- two\n\n{SCRIPT}", preview="1")
    response = client.post(f"{RECORDS}/s-close", data=data)
    html = main(response.get_data(as_text=True))
    assert response.status_code == 200
    assert "Preview of the summary" in html
    assert "<strong>Closed</strong> by the Chair." in html and "<li>two</li>" in html
    assert unsafe(html) == []
    # What was typed stays in the form, as typed, to go on writing.
    assert "**Closed** by the Chair." in html
    assert _stored() == before
    # The form previewed is still current: saving it now keeps it, Markdown as typed.
    del data["preview"]
    assert client.post(f"{RECORDS}/s-close", data=data).status_code == 303
    summary, revisions = _stored()
    assert summary == f"**Closed** by the Chair.\n\n- one\n- two\n\n{SCRIPT}"
    assert revisions > before[1]


def test_the_api_keeps_the_markdown_source(client: FlaskClient, meeting: Meeting) -> None:
    make_account("org@example.org", "organiser", meeting=meeting)
    response = client.get(
        f"/api/v1/meetings/{DEMO_SLUG}/sessions/s-iccwc/record",
        headers=bearer("org@example.org"),
    )
    assert response.status_code == 200
    assert response.get_json()["summary"] == SUMMARY
