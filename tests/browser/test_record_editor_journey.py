"""A rapporteur writes a record while someone saves it in another tab: the conflict page shows
both versions and keeps what was typed, and one click saves it over theirs. Then two revisions
are compared and one restored. Every page axe-clean at 1280 and 390 px, none wider than a phone."""

from __future__ import annotations

import pytest

from tests.conftest import DEMO_SLUG, demo_document, load, make_account

from .conftest import check_at_both_widths, sign_in

pytestmark = pytest.mark.browser

RECORD = f"/meetings/{DEMO_SLUG}/records/s-close"  # a draft in the demo; rapporteur: rapp-2
check = check_at_both_widths


def test_conflict_then_compare_and_restore(browser, live_server, axe_script):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    load(demo_document())
    make_account("rapp-2@example.org")
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    try:
        mine = context.new_page()
        sign_in(mine, live_server, "rapp-2@example.org")
        mine.goto(live_server + RECORD)
        check(mine, axe_script, "the editor")
        mine.get_by_label("Summary").fill("The networks agreed on a common alert format.")
        mine.get_by_role("button", name="Add an outcome").click()
        expect(mine.get_by_role("group", name="Outcome 5")).to_be_visible()
        expect(mine.get_by_label("Summary")).to_have_value(
            "The networks agreed on a common alert format."
        )
        # A new decision, typed in the second row, moved up to be the first: the page comes
        # back with the row's button focused (and in view), nothing saved.
        second = mine.get_by_role("group", name="Outcome 2")
        second.get_by_label("Text").fill("Adopt the common alert format.")
        second.get_by_role("button", name="Move up").click()
        first = mine.get_by_role("group", name="Outcome 1")
        expect(first.get_by_label("Text")).to_have_value("Adopt the common alert format.")
        expect(first.get_by_role("button", name="Move down")).to_be_focused()
        check(mine, axe_script, "the editor after a move")

        # Meanwhile, in a second tab, the same record is saved.
        theirs = context.new_page()
        theirs.goto(live_server + RECORD)
        theirs.get_by_label("Summary").fill("Saved in the other tab.")
        theirs.get_by_label("Attendance").fill("55")
        theirs.get_by_role("button", name="Save the record").click()
        expect(theirs.get_by_role("status")).to_contain_text("The record is saved.")

        mine.get_by_label("Attendance").fill("41")
        mine.get_by_role("button", name="Save the record").click()
        conflict = mine.get_by_role("region", name="Someone else saved this record")
        expect(conflict).to_be_visible()
        expect(mine.get_by_role("region", name="Their version, saved")).to_contain_text(
            "Saved in the other tab."
        )
        expect(mine.get_by_role("region", name="Your version, not saved")).to_contain_text(
            "common alert format"
        )
        expect(mine.get_by_label("Summary")).to_have_value(
            "The networks agreed on a common alert format."
        )
        check(mine, axe_script, "the conflict page")
        mine.get_by_role("button", name="Save mine over theirs").click()
        expect(mine.get_by_role("status")).to_contain_text("The record is saved.")
        expect(mine.get_by_label("Summary")).to_have_value(
            "The networks agreed on a common alert format."
        )

        # Compare the two saves, then restore the other tab's.
        history = mine.get_by_role("region", name="History")
        history.get_by_label("Compare revision").select_option("2")
        history.get_by_label("with revision").select_option("3")
        history.get_by_role("button", name="Compare").click()
        expect(mine.get_by_role("heading", level=1)).to_contain_text("Revisions 2 and 3 compared")
        expect(mine.locator("del").first).to_be_visible()
        check(mine, axe_script, "the compare page")
        mine.get_by_role("link", name="Older: revision 2").click()
        check(mine, axe_script, "revision 2")
        mine.get_by_role("link", name="Restore this revision").click()
        expect(mine.get_by_role("heading", level=1)).to_contain_text("Restore revision 2")
        check(mine, axe_script, "the restore page")
        mine.get_by_role("button", name="Restore revision 2").click()
        expect(mine.get_by_role("status")).to_contain_text("Revision 2 is restored, as revision 4")
        expect(mine.get_by_label("Summary")).to_have_value("Saved in the other tab.")
        check(mine, axe_script, "the editor after the restore")
    finally:
        context.close()
