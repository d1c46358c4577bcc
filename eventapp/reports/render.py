"""Reports as documents: Jinja -> HTML -> WeasyPrint, with no network or file access but our own.

The PDF is tagged (PDF/UA-1), carries the document's title and language, and embeds every
font subset it uses, so names print with real glyphs in every script.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import date, datetime
from datetime import date as datetime_date  # the name `date` is a method of Formats
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

import pydyf
from flask import render_template
from flask_babel import force_locale, gettext
from weasyprint import HTML
from weasyprint.formatting_structure.boxes import TextBox
from weasyprint.pdf.stream import Stream
from weasyprint.urls import URLFetcher, URLFetcherResponse

from .. import localtime
from ..config import PROJECT_ROOT
from ..models import Meeting, ReportKind
from ..models.types import utcnow
from ..vocabulary import label
from . import service

logger = logging.getLogger(__name__)

ASSETS_DIR = (PROJECT_ROOT / "templates" / "print").resolve()
# The base every relative URL in a print template resolves against.
ASSETS_URL = ASSETS_DIR.as_uri() + "/"
ASSET_TYPES = {
    ".css": "text/css",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".otf": "font/otf",
    ".ttf": "font/ttf",
}

# Tagged for accessibility; WeasyPrint 70 sets PDF 1.7 and structure tags for this variant.
PDF_VARIANT = "pdf/ua-1"

TEMPLATES = {
    ReportKind.CHAIR_SUMMARY: "print/chair-summary.html",
    ReportKind.FULL_REPORT: "print/full-report.html",
}


class ReportAssetFetcher(URLFetcher):
    """Serves the print stylesheet and fonts from templates/print; refuses every other URL.

    Nothing a user wrote can make the renderer reach the network or read a file: a refused
    URL is logged, and WeasyPrint renders on without it.
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False)

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        path = asset_path(url)
        if path is None:
            logger.warning("report rendering refused to fetch %s", url[:200])
            raise ValueError(f"not a report asset: {url[:200]}")
        return URLFetcherResponse(
            url, body=path.read_bytes(), headers={"Content-Type": ASSET_TYPES[path.suffix]}
        )


def asset_path(url: str) -> Path | None:
    """The file of ours that a URL names, or None: only files directly in templates/print."""
    parts = urlsplit(url)
    if parts.scheme != "file" or parts.netloc not in ("", "localhost"):
        return None
    if parts.query or parts.fragment:
        return None
    path = Path(url2pathname(unquote(parts.path))).resolve()
    if path.parent != ASSETS_DIR or path.suffix not in ASSET_TYPES or not path.is_file():
        return None
    return path


def report_html(
    meeting: Meeting,
    kind: ReportKind,
    lang: str,
    *,
    preview: bool,
    version: int | None = None,
    issued: date | None = None,
) -> str:
    """The HTML of a report in language `lang`, from the approved records as they stand.

    A preview is marked as such on every page; a published version names its number.
    """
    with force_locale(lang):
        content = service.gather(meeting, kind)
        return render_template(
            TEMPLATES[kind],
            doc=content,
            head=content.head,
            lang=lang,
            preview=preview,
            version=version,
            issued=issued or utcnow().date(),
            kind_title=label(kind),
            page_label=_page_label(),
            findings_kinds=service.FINDINGS,
            fmt=Formats(lang),
        )


def report_pdf(
    meeting: Meeting,
    kind: ReportKind,
    lang: str,
    *,
    preview: bool,
    version: int | None = None,
    issued: date | None = None,
) -> bytes:
    """The report as a tagged PDF (see report_html)."""
    html = report_html(meeting, kind, lang, preview=preview, version=version, issued=issued)
    return pdf_from_html(html)


def pdf_from_html(html: str) -> bytes:
    """Lay out and write the PDF: tagged, fonts embedded, nothing fetched but our assets."""
    document = HTML(string=html, base_url=ASSETS_URL, url_fetcher=ReportAssetFetcher())
    token = _ACTUAL_TEXT.set(True)
    try:
        pdf = document.write_pdf(pdf_variant=PDF_VARIANT, pdf_tags=True)
    finally:
        _ACTUAL_TEXT.reset(token)
    if not isinstance(pdf, bytes):  # pragma: no cover - write_pdf returns bytes without a target
        raise TypeError("WeasyPrint returned no PDF")
    return pdf


# Text extraction and screen readers read a PDF's text from each glyph's Unicode mapping, and
# WeasyPrint 70 maps a glyph once per font. Scripts that reorder or merge glyphs (Devanagari's
# reph and conjuncts, Thai marks) then read back wrongly ("शर्मा" as "श ार्मा"). Each tagged
# span of such text therefore also carries its real text as /ActualText. Right-to-left text is
# left alone: readers already put its glyphs back in logical order, and would reverse it.
_ACTUAL_TEXT: ContextVar[bool] = ContextVar("report_actual_text", default=False)
_RTL = frozenset({"R", "AL"})
_MARKS = frozenset({"Mn", "Mc", "Me"})


def needs_actual_text(text: str) -> bool:
    """True for text whose glyphs may not map back to it: combining marks, no RTL letters."""
    has_marks = False
    for char in text:
        if unicodedata.bidirectional(char) in _RTL:
            return False
        has_marks = has_marks or unicodedata.category(char) in _MARKS
    return has_marks


_weasyprint_marked = Stream.marked


@contextmanager
def _marked(self: Stream, box: Any, tag: str) -> Iterator[None]:
    tags = self._tags
    if not (
        _ACTUAL_TEXT.get()
        and tags is not None
        and isinstance(box, TextBox)
        and needs_actual_text(box.text)
    ):
        with _weasyprint_marked(self, box, tag):
            yield
        return
    # As Stream.marked does, plus /ActualText in the same property list.
    mcid = len(tags)
    tags[box] = {"tag": tag, "mcid": mcid}
    properties = pydyf.Dictionary({"MCID": mcid, "ActualText": pydyf.String(box.text)})
    pydyf.Stream.begin_marked_content(self, tag, properties)
    try:
        yield
    finally:
        pydyf.Stream.end_marked_content(self)


Stream.marked = _marked  # type: ignore[method-assign]


def _page_label() -> tuple[str, str, str]:
    """'page X of Y' in the current language, cut around its two numbers for the page footer."""
    marker = "\x00"
    text = gettext("page %(page)s of %(pages)s", page=marker + "1", pages=marker + "2")
    before, _, rest = text.partition(marker + "1")
    between, _, after = rest.partition(marker + "2")
    return before.strip(), between.strip(), after.strip()


def page_label() -> tuple[str, str, str]:
    """The `page_label` that print/layout.html expects, for other documents that extend it."""
    return _page_label()


class Formats:
    """Dates, times and place names in the report's language, as Babel writes them."""

    def __init__(self, lang: str):
        self.lang = lang

    def date(self, value: datetime_date | None) -> str:
        return localtime.format_date(value, self.lang) if value else ""

    def dates(self, start: datetime_date, end: datetime_date) -> str:
        """'5 March 2013', '1–2 January 2030': month names written out, as in documents."""
        return localtime.format_date_range(start, end, self.lang, full_months=True)

    def clock(self, value: datetime) -> str:
        return localtime.format_clock(value, self.lang)

    def day(self, value: datetime) -> str:
        return localtime.format_date(value.date(), self.lang, "full")

    def zone(self, name: str) -> str:
        """'Thailand Time' for Asia/Bangkok: a reader's name for the meeting's time zone."""
        try:
            return localtime.zone_label(localtime.zone(name), self.lang)
        except localtime.LocalTimeError:
            return name

    def country(self, code: str | None) -> str:
        return localtime.country_name(code, self.lang)

    def language(self, code: str) -> str:
        return localtime.babel_locale(self.lang).languages.get(code, code)
