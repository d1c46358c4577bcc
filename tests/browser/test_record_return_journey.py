"""The chair sends a record back with a comment on a 390 px phone, and the rapporteur reads it
with the record's history: every page axe-clean and no wider than the screen."""

from __future__ import annotations

import pytest

from tests.conftest import DEMO_SLUG, demo_document, load, make_account

from .axe import serious_violations
from .conftest import sign_in

pytestmark = pytest.mark.browser

RECORD = f"/meetings/{DEMO_SLUG}/records/s-iccwc"  # approved in the demo; rapporteur: rapp-2


def check(page, axe_script, where: str) -> None:  # type: ignore[no-untyped-def]
    assert serious_violations(page, axe_script) == [], where
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{where} is {width} px wide"


def test_send_back_and_read_the_comment_on_a_phone(phone, live_server, axe_script):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    load(demo_document())
    make_account("chair@example.org")
    make_account("rapp-2@example.org")
    chair = phone.new_page()
    sign_in(chair, live_server, "chair@example.org")
    chair.goto(live_server + RECORD)
    check(chair, axe_script, "the record, approved")
    chair.get_by_role("link", name="Send back with a comment").click()
    check(chair, axe_script, "the send-back page")
    chair.get_by_role("button", name="Send it back").click()  # no comment yet
    expect(chair.get_by_label("Comment to the rapporteur")).to_have_attribute(
        "aria-invalid", "true"
    )
    check(chair, axe_script, "the send-back page with its error")
    chair.get_by_label("Comment to the rapporteur").fill("Give each action its owner's full name.")
    chair.get_by_role("button", name="Send it back").click()
    expect(chair.get_by_role("status")).to_contain_text("sent back to its rapporteur")
    chair.context.clear_cookies()

    rapporteur = phone.new_page()
    sign_in(rapporteur, live_server, "rapp-2@example.org")
    rapporteur.goto(live_server + RECORD)
    sent_back = rapporteur.get_by_role("region", name="Sent back to its rapporteur")
    expect(sent_back).to_contain_text("Give each action its owner's full name.")
    check(rapporteur, axe_script, "the record, sent back")
    rapporteur.get_by_role("link", name="Revision 1").click()
    expect(rapporteur.get_by_role("heading", level=1)).to_contain_text("Revision 1")
    check(rapporteur, axe_script, "revision 1")
