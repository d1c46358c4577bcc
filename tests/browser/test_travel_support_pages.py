"""The organisers' travel-support page and a registration's page with its travel-support
section, after a declined request with its note: axe-clean at 1280 px and at 390 px, where
nothing is wider than the screen."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from eventapp.extensions import db
from eventapp.models import Participant
from tests.conftest import DEMO_SLUG, demo_document, load, make_account

from .conftest import check_at_both_widths, sign_in

pytestmark = pytest.mark.browser

MANAGE = f"/meetings/{DEMO_SLUG}/manage"


def test_the_travel_support_pages_fit_and_are_accessible(browser, live_server, axe_script):  # type: ignore[no-untyped-def]
    meeting = load(demo_document())
    make_account("org@example.org", "organiser", meeting=meeting)
    db.session.execute(
        sa.update(Participant)
        .where(Participant.ref.in_(["p-pending", "p-late", "p-vn-1"]))
        .values(travel_support_requested=True, funded=None)
    )
    db.session.commit()
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live_server, "org@example.org")
        page.goto(f"{live_server}{MANAGE}/registrations/p-vn-1")
        page.get_by_label("Decision on travel support").select_option("declined")
        page.get_by_role("button", name="Save the travel-support decision").click()
        # Declining without a note: the form again, the error at its field.
        assert page.locator("#note-error").is_visible()
        check_at_both_widths(page, axe_script, "travel support decision error")
        page.get_by_label("Note to the person").fill(
            "The fund covers the networks' delegates only; we hope to see you at the next one."
        )
        page.get_by_role("button", name="Save the travel-support decision").click()
        page.wait_for_url(lambda url: url.endswith("#travel-support"))
        assert "Declined" in page.locator("#travel-support").locator("..").inner_text()
        check_at_both_widths(page, axe_script, "registration travel support")
        page.goto(f"{live_server}{MANAGE}/travel-support")
        assert page.get_by_text("To decide: 2").is_visible()
        check_at_both_widths(page, axe_script, "travel support page")
    finally:
        context.close()
