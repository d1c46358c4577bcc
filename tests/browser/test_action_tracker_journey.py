"""An organiser follows the meeting's actions up: opens the tracker from the management pages,
filters it by organisation, marks an action done and exports the list as CSV; the tracker is
axe-clean at 1280 px and on a 390 px phone, where it is no wider than the screen."""

from __future__ import annotations

from pathlib import Path

import pytest

from eventapp.extensions import db
from eventapp.lookups import find_session
from eventapp.records import service
from tests.conftest import DEMO_SLUG, demo_document, load, make_account

from .axe import serious_violations
from .conftest import sign_in

pytestmark = pytest.mark.browser

ORGANISER = "tracker-journey@example.org"
ACTIONS = f"/meetings/{DEMO_SLUG}/actions"


def with_more_actions() -> None:
    """The demo meeting (two ICCWC actions, approved) and three more in the draft of s-close."""
    meeting = load(demo_document())
    user = make_account(ORGANISER, "organiser", meeting=meeting)
    session = find_session(meeting, "s-close")
    assert session is not None
    data = service.document(session)
    data["outcomes"] = [
        *data["outcomes"],
        {"kind": "action", "text": "Circulate the report.", "owner": "cites", "done": True},
        {"kind": "action", "text": "Share seizure data.", "owner": "th", "due": "2099-01-31"},
        {"kind": "action", "text": "Someone should follow up."},
    ]
    service.replace(meeting, session, data, user=user, read_current=lambda tag: True)
    db.session.commit()


def clean_and_fits(page, axe_script, where: str, width: int) -> None:  # type: ignore[no-untyped-def]
    assert serious_violations(page, axe_script) == [], where
    scrolled = page.evaluate("document.documentElement.scrollWidth")
    assert scrolled <= width, f"{where} is {scrolled} px wide on a {width} px screen"


def test_an_organiser_filters_marks_done_and_exports(browser, live_server, axe_script):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    with_more_actions()
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    sign_in(page, live_server, ORGANISER)
    page.goto(f"{live_server}/meetings/{DEMO_SLUG}/manage/")
    page.get_by_role("navigation", name="Meeting management").get_by_role(
        "link", name="Action items"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Action items")
    expect(page.get_by_role("list", name="At a glance")).to_contain_text("Overdue: 2")
    clean_and_fits(page, axe_script, "the tracker", 1280)

    page.get_by_label("Organisation", exact=True).select_option("cites")
    page.get_by_role("button", name="Show", exact=True).click()
    table = page.get_by_role("table", name="Action items")
    expect(table.get_by_role("row")).to_have_count(2)  # the headings and one action
    page.get_by_label("Organisation", exact=True).select_option("iccwc")
    page.get_by_label("State").select_option("overdue")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(table.get_by_role("row")).to_have_count(3)
    expect(page.get_by_role("heading", name="from earlier meetings")).to_be_visible()
    clean_and_fits(page, axe_script, "the tracker, filtered", 1280)

    row = table.get_by_role("row").filter(has_text="ICCWC partners to develop a strategy")
    row.get_by_role("button", name="Mark done").click()
    expect(page.get_by_role("status").first).to_contain_text("1 action marked done.")
    # Still filtered as before: the action done is no longer overdue.
    expect(page.get_by_label("State")).to_have_value("overdue")
    expect(table.get_by_role("row")).to_have_count(2)
    expect(page.get_by_role("list", name="At a glance")).to_contain_text("Done: 1")

    with page.expect_download() as download:
        page.get_by_role("link", name="Export these actions as CSV").click()
    body = Path(download.value.path()).read_text("utf-8-sig")
    assert body.splitlines()[0].startswith("Session,Action,Organisation,Due,Done,Overdue")
    assert "ICCWC to facilitate" in body and "ICCWC partners" not in body  # the filtered list
    context.close()

    phone = browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844})
    small = phone.new_page()
    sign_in(small, live_server, ORGANISER)
    small.goto(live_server + ACTIONS)
    clean_and_fits(small, axe_script, "the tracker on a phone", 390)
    small.goto(f"{live_server}{ACTIONS}?organisation=iccwc&earlier=y")
    clean_and_fits(small, axe_script, "the tracker on a phone, with earlier meetings", 390)
    phone.close()
