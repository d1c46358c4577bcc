"""Issue 10's whole journey in Chromium: a rapporteur writes a record, a second tab saves it
meanwhile and the first meets the conflict page; the chair sends it back with a comment; the
rapporteur corrects it and submits it; the chair approves it from the queue; its decision is on
the public session page and in a preview of the full report, and its action in the tracker.
The editor, the queue and the tracker axe-clean at 1280 and 390 px, none wider than the window.
"""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from tests.conftest import DEMO_SLUG, demo_document, load, make_account

from .conftest import check_at_both_widths as check
from .conftest import sign_in

pytestmark = pytest.mark.browser

MEETING = f"/meetings/{DEMO_SLUG}"
RECORD = f"{MEETING}/records/s-close"  # public, a draft in the demo; rapporteur: rapp-2
DECISION = "The networks adopt one alert format for seized specimens."
ACTION = "Circulate the alert format to every focal point."


def test_write_conflict_send_back_correct_approve_publish(browser, live_server, axe_script):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    meeting = load(demo_document())
    make_account("rapp-2@example.org")
    make_account("chair@example.org")
    make_account("org@example.org", "organiser", meeting=meeting)
    desk = {"viewport": {"width": 1280, "height": 900}, "bypass_csp": True}
    rapporteur_context = browser.new_context(**desk)
    chair_context = browser.new_context(**desk)
    organiser_context = browser.new_context(**desk, accept_downloads=True)
    try:
        # The rapporteur writes the decision; a second tab of theirs saves first.
        mine = rapporteur_context.new_page()
        sign_in(mine, live_server, "rapp-2@example.org")
        mine.goto(live_server + RECORD)
        check(mine, axe_script, "the editor")
        mine.get_by_label("Summary").fill("The networks compared their **alert formats**.")
        row = mine.get_by_role("group", name="Outcome 1")
        row.get_by_label("Kind").select_option("decision")
        row.get_by_label("Text").fill(DECISION)
        action = mine.get_by_role("group", name="Outcome 2")
        action.get_by_label("Kind").select_option("action")
        action.get_by_label("Text").fill(ACTION)

        other_tab = rapporteur_context.new_page()
        other_tab.goto(live_server + RECORD)
        other_tab.get_by_label("Attendance").fill("48")
        other_tab.get_by_role("button", name="Save the record").click()
        expect(other_tab.get_by_role("status")).to_contain_text("The record is saved.")

        mine.get_by_role("button", name="Save the record").click()
        expect(mine.get_by_role("region", name="Someone else saved this record")).to_be_visible()
        expect(mine.get_by_label("Summary")).to_have_value(
            "The networks compared their **alert formats**."
        )
        check(mine, axe_script, "the conflict page")
        mine.get_by_role("radio", name="Submitted to the chair for approval").check()
        mine.get_by_role("button", name="Save mine over theirs").click()
        expect(mine.get_by_role("status")).to_contain_text("The record is saved.")

        # The chair finds it in the queue and sends it back with a comment.
        chair = chair_context.new_page()
        sign_in(chair, live_server, "chair@example.org")
        chair.goto(f"{live_server}{MEETING}/awaiting-approval")
        expect(chair.get_by_role("heading", level=1)).to_have_text("Records awaiting approval (1)")
        check(chair, axe_script, "the approval queue")
        waiting = chair.get_by_role("row").filter(has_text="Closing of the meeting")
        waiting.get_by_role("link", name="Open to approve").click()
        chair.get_by_role("link", name="Send back with a comment").click()
        chair.get_by_label("Comment to the rapporteur").fill("Say who circulates the format.")
        chair.get_by_role("button", name="Send it back").click()
        expect(chair.get_by_role("status")).to_contain_text("sent back to its rapporteur")

        # The rapporteur reads the comment, corrects the action and submits again.
        mine.goto(live_server + RECORD)
        expect(mine.get_by_role("region", name="Sent back to its rapporteur")).to_contain_text(
            "Say who circulates the format."
        )
        action = mine.get_by_role("group", name="Outcome 2")
        expect(action.get_by_label("Text")).to_have_value(ACTION)
        action.get_by_label("Responsible organisation (actions)").select_option("asean-wen")
        mine.get_by_role("radio", name="Submitted to the chair for approval").check()
        mine.get_by_role("button", name="Save the record").click()
        expect(mine.get_by_role("status")).to_contain_text("The record is saved.")
        expect(mine.get_by_role("region", name="Sent back to its rapporteur")).to_have_count(0)

        # Nothing of it is public until the chair approves it.
        visitor = browser.new_page()
        visitor.goto(f"{live_server}{MEETING}/sessions/s-close")
        expect(visitor.get_by_role("main")).not_to_contain_text(DECISION)

        chair.goto(f"{live_server}{MEETING}/awaiting-approval")
        waiting = chair.get_by_role("row").filter(has_text="Closing of the meeting")
        waiting.get_by_role("link", name="Open to approve").click()
        chair.get_by_role("radio", name="Approved").check()
        chair.get_by_role("button", name="Save the record").click()
        expect(chair.get_by_role("status")).to_contain_text("The record is saved.")

        # Approved: the decision is on the public session page and in the full report.
        visitor.goto(f"{live_server}{MEETING}/sessions/s-close")
        expect(visitor.get_by_role("region", name="Outcomes")).to_contain_text(DECISION)
        visitor.close()
        organiser = organiser_context.new_page()
        sign_in(organiser, live_server, "org@example.org")
        answer = organiser.request.get(
            f"{live_server}{MEETING}/manage/reports/preview/full-report.pdf"
        )
        assert answer.status == 200
        text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(answer.body())).pages)
        assert "alert format for seized specimens" in " ".join(text.split())

        # The action is in the organisers' tracker, under its organisation.
        organiser.goto(f"{live_server}{MEETING}/actions")
        expect(organiser.get_by_role("main")).to_contain_text(ACTION)
        check(organiser, axe_script, "the action tracker")
    finally:
        for context in (rapporteur_context, chair_context, organiser_context):
            context.close()
