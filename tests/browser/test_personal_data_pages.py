"""Personal data rights in Chromium: a participant's own page with the download, the erase page
(refused without the tick, then erased), the privacy notice, and an organiser's purge page
(refused with a wrong title, then purged); each axe-clean at 1280 px and at 390 px."""

from __future__ import annotations

import pytest

from tests.conftest import DEMO_SLUG, demo_document, load, make_account

from .conftest import check_at_both_widths, sign_in

pytestmark = pytest.mark.browser

CHAIR = "chair@example.org"
ORGANISER = "org@example.org"


def _open_demo():  # type: ignore[no-untyped-def]
    doc = demo_document()
    doc["meeting"].pop("registration_opens")
    doc["meeting"].pop("registration_closes")
    return load(doc)


def test_a_participant_downloads_and_erases(browser, live_server, axe_script):  # type: ignore[no-untyped-def]
    from eventapp.extensions import db
    from eventapp.models import Participant

    meeting = _open_demo()
    make_account(CHAIR)
    person = db.session.query(Participant).filter_by(meeting_id=meeting.id, email=CHAIR).one()
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live_server, CHAIR)
        page.goto(f"{live_server}/account/registrations/{person.id}")
        check_at_both_widths(page, axe_script, "own registration with personal data")
        page.set_viewport_size({"width": 1280, "height": 900})
        with page.expect_download() as download:
            page.get_by_role("link", name="Download my data (JSON)").click()
        assert download.value.suggested_filename.endswith("-personal-data.json")
        page.get_by_role("link", name="Erase my registration…").click()
        page.wait_for_url(lambda url: url.endswith("/erase"))
        check_at_both_widths(page, axe_script, "erase page")
        page.set_viewport_size({"width": 1280, "height": 900})
        page.get_by_role("button", name="Erase my registration").click()
        assert "Tick the box" in page.locator(".error-summary").inner_text()
        check_at_both_widths(page, axe_script, "erase page with an error")
        page.set_viewport_size({"width": 1280, "height": 900})
        page.get_by_label("I understand that my registration is cancelled").check()
        page.get_by_role("button", name="Erase my registration").click()
        page.wait_for_url(lambda url: url.endswith("/account"))
        assert "its details are erased" in page.locator(".flashes").inner_text()
        page.goto(f"{live_server}/meetings/{DEMO_SLUG}/privacy")
        check_at_both_widths(page, axe_script, "privacy notice")
    finally:
        context.close()


def test_an_organiser_purges_after_the_meeting(browser, live_server, axe_script):  # type: ignore[no-untyped-def]
    meeting = _open_demo()
    make_account(ORGANISER, "organiser", meeting=meeting)
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live_server, ORGANISER)
        page.goto(f"{live_server}/meetings/{DEMO_SLUG}/manage/settings")
        page.get_by_role("link", name="Purge the personal details").click()
        page.wait_for_url(lambda url: url.endswith("/manage/personal-data"))
        check_at_both_widths(page, axe_script, "purge page")
        page.set_viewport_size({"width": 1280, "height": 900})
        page.get_by_label("Type the meeting's short title to confirm").fill("GWEN-2")
        page.get_by_role("button", name="Purge the personal details").click()
        assert "not the meeting's short title" in page.locator(".error-summary").inner_text()
        check_at_both_widths(page, axe_script, "purge page with an error")
        page.set_viewport_size({"width": 1280, "height": 900})
        page.get_by_label("Type the meeting's short title to confirm").fill("GWEN-1")
        page.get_by_role("button", name="Purge the personal details").click()
        assert "are purged" in page.locator(".flashes").inner_text()
        assert "there is nothing left to purge" in page.locator("main").inner_text()
        check_at_both_widths(page, axe_script, "purge page once purged")
    finally:
        context.close()
