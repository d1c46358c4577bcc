"""A focal point uploads the organisation's letter of nomination in Chromium: a text file is
refused at the field, the PDF is listed on the delegation's page and downloads; both pages
axe-clean at 1280 px and at 390 px."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
import weasyprint
from flask import Flask

from tests.conftest import DEMO_SLUG, demo_document, load
from tests.factories import make_focal_point

from .conftest import check_at_both_widths, sign_in

pytestmark = pytest.mark.browser


def test_a_focal_point_uploads_the_letter(  # type: ignore[no-untyped-def]
    app: Flask, browser, live_server, axe_script, tmp_path: Path, monkeypatch
):
    monkeypatch.setitem(app.config, "UPLOADS_DIR", tmp_path / "uploads")
    meeting = load(demo_document())
    make_focal_point("focal@example.org", meeting, "asean-wen")
    pdf = weasyprint.HTML(string="<h1>Letter of nomination</h1><p>ASEAN-WEN</p>").write_pdf()
    (tmp_path / "not-a-letter.pdf").write_text("Dear organisers, here is our letter.")
    (tmp_path / "Letter ASEAN-WEN.pdf").write_bytes(pdf)
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live_server, "focal@example.org")
        page.goto(f"{live_server}/meetings/{DEMO_SLUG}/delegations/asean-wen/letters")
        check_at_both_widths(page, axe_script, "letters page")
        page.set_viewport_size({"width": 1280, "height": 900})
        page.get_by_label("Letter of nomination (PDF)").set_input_files(
            str(tmp_path / "not-a-letter.pdf")
        )
        page.get_by_role("button", name="Upload the letter").click()
        assert "not a PDF" in page.locator("#letter-file-error").inner_text()
        check_at_both_widths(page, axe_script, "letters page with an error")
        page.set_viewport_size({"width": 1280, "height": 900})
        page.get_by_label("Letter of nomination (PDF)").set_input_files(
            str(tmp_path / "Letter ASEAN-WEN.pdf")
        )
        page.get_by_role("button", name="Upload the letter").click()
        page.wait_for_url(lambda url: url.endswith("/delegations/asean-wen#letters"))
        link = page.get_by_role("link", name="Letter ASEAN-WEN.pdf")
        assert link.is_visible()
        check_at_both_widths(page, axe_script, "delegation page with its letter")
        href = link.get_attribute("href")
        assert href == (
            f"/meetings/{DEMO_SLUG}/delegations/asean-wen/letters/"
            f"{hashlib.sha256(pdf).hexdigest()}.pdf"
        )
        got = page.request.get(f"{live_server}{href}")
        assert got.status == 200 and got.body() == pdf
    finally:
        context.close()
