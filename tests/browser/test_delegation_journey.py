"""Issue 11's journey in Chromium: an organiser names a focal point of an organisation; the
focal point follows the e-mail's link, chooses a password, signs in, nominates three people
(one the head of delegation), uploads the letter of nomination, and replaces one of them. The
delegation's pages axe-clean at 1280 px and at 390 px, none wider than the window.

DELEGATION_SHOTS=<folder>: a screenshot of each page checked, at both widths (to look at)."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import weasyprint
from flask import Flask

from tests.conftest import DEMO_SLUG, PASSWORD, demo_document, load, make_account
from tests.factories import organisation
from tests.helpers import texts_to

from .conftest import check_at_both_widths, sign_in

pytestmark = pytest.mark.browser

MEETING = f"/meetings/{DEMO_SLUG}"
ORGANISER = "org@example.org"
FOCAL = "mekong.focal@example.org"
DELEGATION = f"{MEETING}/delegations/mekong-wen"
SHOTS = os.environ.get("DELEGATION_SHOTS")
PEOPLE = [
    ("Dara", "Sok", "dara.sok@example.org", "Head of delegation"),
    ("Lan", "Nguyen", "lan.nguyen@example.org", "Delegate"),
    ("Kham", "Phommasak", "kham.p@example.org", "Delegate"),
]


def check(page: Any, axe_script: Path, where: str) -> None:
    """axe-clean and no sideways scroll at both widths; a screenshot of each if asked."""
    check_at_both_widths(page, axe_script, where)
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        for width, height in ((1280, 900), (390, 844)):
            page.set_viewport_size({"width": width, "height": height})
            name = f"{where.replace(' ', '-')}-{width}.png"
            page.screenshot(path=str(Path(SHOTS) / name), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def nominate(page: Any, given: str, family: str, email: str, role: str) -> None:
    page.get_by_label("Given name").fill(given)
    page.get_by_label("Family name").fill(family)
    page.get_by_label("Position", exact=True).fill("Enforcement officer")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Role", exact=True).select_option(label=role)


def test_a_focal_point_is_named_then_nominates_and_replaces(  # type: ignore[no-untyped-def]
    app: Flask, browser, live_server, axe_script, tmp_path: Path, monkeypatch
):
    from playwright.sync_api import expect

    monkeypatch.setitem(app.config, "UPLOADS_DIR", tmp_path / "uploads")
    doc = demo_document()
    doc["meeting"].pop("registration_opens")
    doc["meeting"].pop("registration_closes")
    doc["meeting"]["approval"] = "automatic"
    doc["organisations"].append(
        organisation("mekong-wen", "Mekong Wildlife Enforcement Network", "wen")
    )
    meeting = load(doc)
    make_account(ORGANISER, "organiser", meeting=meeting)
    settings = {"viewport": {"width": 1280, "height": 900}, "bypass_csp": True}
    organiser_context = browser.new_context(**settings)
    focal_context = browser.new_context(**settings)
    try:
        # 1. The organiser names the focal point from the organisation's page.
        desk = organiser_context.new_page()
        sign_in(desk, live_server, ORGANISER)
        desk.goto(f"{live_server}{MEETING}/manage/organisations/mekong-wen")
        desk.get_by_role("link", name="Name or remove its focal points").click()
        desk.get_by_label("E-mail address").fill(FOCAL)
        desk.get_by_role("button", name="Name the focal point").click()
        expect(desk.get_by_role("status")).to_contain_text("is now a focal point")
        expect(desk.get_by_role("main")).to_contain_text(FOCAL)
        check(desk, axe_script, "focal points page")

        # 2. The focal point follows the e-mail's link and chooses a password.
        (mail,) = [t for t in texts_to(app, FOCAL) if "focal point" in t]
        link = re.search(r"http://\S+(/password/reset/\S+)", mail)
        assert link is not None and DELEGATION in mail
        page = focal_context.new_page()
        page.goto(live_server + link.group(1))
        page.get_by_label("New password", exact=True).fill(PASSWORD)
        page.get_by_label("Repeat the new password").fill(PASSWORD)
        page.get_by_role("button", name="Save the new password").click()
        sign_in(page, live_server, FOCAL)

        # 3. Their delegation: empty, three places.
        page.goto(f"{live_server}{MEETING}/delegations/")
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Mekong Wildlife Enforcement Network"
        )
        expect(page.get_by_role("main")).to_contain_text("0 of 3 places")
        check(page, axe_script, "empty delegation")

        # 4. Three nominations, the first the head of delegation; an error on the way.
        page.get_by_role("link", name="Nominate a person").click()
        page.get_by_role("button", name="Nominate").click()
        expect(page.get_by_role("alert")).to_contain_text("There is a problem")
        check(page, axe_script, "nomination form with errors")
        for given, family, email, role in PEOPLE:
            if page.get_by_role("link", name="Nominate a person").count():
                page.get_by_role("link", name="Nominate a person").click()
            nominate(page, given, family, email, role)
            page.get_by_role("button", name="Nominate").click()
            expect(page.get_by_role("status")).to_contain_text(f"{given} {family} is nominated")
        expect(page.get_by_role("main")).to_contain_text("3 of 3 places")
        rows = page.get_by_role("row")
        expect(rows.nth(1)).to_contain_text("Dara Sok")
        expect(rows.nth(1)).to_contain_text("Head of delegation")
        check(page, axe_script, "delegation with three people")
        welcome = [t for t in texts_to(app, "lan.nguyen@example.org") if "registered you" in t]
        assert len(welcome) == 1 and "/account/registrations/" in welcome[0]

        # 5. The letter of nomination.
        letter = tmp_path / "Mekong nomination.pdf"
        letter.write_bytes(weasyprint.HTML(string="<h1>Letter of nomination</h1>").write_pdf())
        page.get_by_label("Letter of nomination (PDF)").set_input_files(str(letter))
        page.get_by_role("button", name="Upload the letter").click()
        expect(page.get_by_role("link", name="Mekong nomination.pdf")).to_be_visible()

        # 6. Kham Phommasak is replaced by Vilay Inthavong, who takes the approved seat.
        page.get_by_role("link", name="Replace Kham Phommasak").click()
        check(page, axe_script, "replacement form")
        nominate(page, "Vilay", "Inthavong", "vilay.i@example.org", "Delegate")
        page.get_by_role("button", name="Replace").click()
        expect(page.get_by_role("status")).to_contain_text(
            "Vilay Inthavong takes the place of Kham Phommasak"
        )
        expect(page.get_by_role("main")).to_contain_text("3 of 3 places")
        vilay = page.get_by_role("row").filter(has_text="Vilay Inthavong")
        expect(vilay).to_contain_text("Approved")
        kham = page.get_by_role("row").filter(has_text="Kham Phommasak")
        expect(kham).to_contain_text("Cancelled")
        check(page, axe_script, "delegation after a replacement")
        assert any("Vilay Inthavong" in t for t in texts_to(app, "kham.p@example.org"))

        # 7. Withdrawing asks first.
        page.get_by_role("link", name="Withdraw Lan Nguyen").click()
        check(page, axe_script, "withdrawal confirmation")
        page.get_by_role("link", name="No, keep it").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Mekong Wildlife Enforcement Network"
        )
    finally:
        organiser_context.close()
        focal_context.close()
