"""The chair, on a 390 px phone, reads how far the records are, filters them, opens the queue
of records awaiting approval and approves one from it: every page axe-clean and no wider than
the screen; the organisers' navigation, one link longer, still fits."""

from __future__ import annotations

import pytest

from eventapp.extensions import db
from eventapp.lookups import find_session
from eventapp.models import Meeting, RecordStatus
from eventapp.records import service
from tests.conftest import DEMO_SLUG, demo_document, load, make_account

from .axe import serious_violations
from .conftest import sign_in

pytestmark = pytest.mark.browser

RECORDS = f"/meetings/{DEMO_SLUG}/records"


def fits(page, where: str) -> None:  # type: ignore[no-untyped-def]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"{where} is {width} px wide"


def check(page, axe_script, where: str) -> None:  # type: ignore[no-untyped-def]
    assert serious_violations(page, axe_script) == [], where
    fits(page, where)


def submitted_by_its_rapporteur(ref: str) -> Meeting:
    """The demo meeting, with the session's record submitted by rapp-2."""
    meeting = load(demo_document())
    session = find_session(meeting, ref)
    assert session is not None
    data = {**service.document(session), "status": RecordStatus.SUBMITTED.value}
    user = make_account("rapp-2@example.org")
    service.replace(meeting, session, data, user=user, read_current=lambda tag: True)
    db.session.commit()
    return meeting


def test_the_chair_approves_from_the_queue_on_a_phone(phone, live_server, axe_script):  # type: ignore[no-untyped-def]
    from playwright.sync_api import expect

    meeting = submitted_by_its_rapporteur("s-close")
    make_account("chair@example.org")
    chair = phone.new_page()
    sign_in(chair, live_server, "chair@example.org")
    chair.goto(live_server + RECORDS)
    expect(chair.get_by_role("list", name="How far the records are")).to_contain_text(
        "Submitted: 1"
    )
    check(chair, axe_script, "the records' overview")
    chair.get_by_label("Show").select_option("submitted")
    chair.get_by_role("button", name="Show").click()
    expect(chair.get_by_role("table")).to_contain_text("Closing of the meeting")
    expect(chair.get_by_role("table")).not_to_contain_text("Opening of the meeting")
    check(chair, axe_script, "the records' overview, filtered")

    chair.get_by_role("link", name="Records awaiting approval (1)").click()
    expect(chair.get_by_role("heading", level=1)).to_have_text("Records awaiting approval (1)")
    check(chair, axe_script, "the approval queue")
    waiting = chair.get_by_role("row").filter(has_text="Closing of the meeting")
    waiting.get_by_role("link", name="Open to approve").click()
    chair.get_by_role("radio", name="Approved").check()
    chair.get_by_role("button", name="Save the record").click()
    expect(chair.get_by_role("status")).to_contain_text("The record is saved.")
    chair.goto(f"{live_server}/meetings/{DEMO_SLUG}/awaiting-approval")
    expect(chair.get_by_role("heading", level=1)).to_have_text("Records awaiting approval (0)")
    check(chair, axe_script, "the approval queue, empty")

    make_account("org@example.org", "organiser", meeting=meeting)
    organiser = phone.new_page()
    sign_in(organiser, live_server, "org@example.org")
    organiser.goto(f"{live_server}/meetings/{DEMO_SLUG}/manage/")
    nav = organiser.get_by_role("navigation", name="Meeting management")
    nav.get_by_role("link", name="Records awaiting approval").click()
    expect(organiser.get_by_role("heading", level=1)).to_contain_text("awaiting approval")
    fits(organiser, "the approval queue, for an organiser")
