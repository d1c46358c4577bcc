"""The pages behind sign-in, and the registration form, in Chromium with axe-core."""

from __future__ import annotations

import pytest

from tests.conftest import DEMO_SLUG, PASSWORD, demo_document, load, make_account

from .axe import serious_violations

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def open_demo():  # type: ignore[no-untyped-def]
    doc = demo_document()
    doc["meeting"].pop("registration_opens")
    doc["meeting"].pop("registration_closes")
    return load(doc)


def test_organiser_pages_pass_axe(page, live_server, axe_script):
    meeting = open_demo()
    make_account("org@example.org", "organiser", meeting=meeting)
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail address").fill("org@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    for path in (
        "/account",
        f"/meetings/{DEMO_SLUG}/manage/",
        f"/meetings/{DEMO_SLUG}/manage/team",
        f"/meetings/{DEMO_SLUG}/manage/log",
        f"/meetings/{DEMO_SLUG}/manage/agenda",
        f"/meetings/{DEMO_SLUG}/manage/agenda/sessions/s-net",
        f"/meetings/{DEMO_SLUG}/manage/agenda/sessions/s-net/cancel",
        f"/meetings/{DEMO_SLUG}/manage/agenda/number",
        f"/meetings/{DEMO_SLUG}/manage/agenda/rooms",
        f"/meetings/{DEMO_SLUG}/manage/agenda/rooms/room-b/remove",
        f"/meetings/{DEMO_SLUG}/manage/agenda/versions/1",
        f"/meetings/{DEMO_SLUG}/manage/settings",
        f"/meetings/{DEMO_SLUG}/manage/organisations",
        f"/meetings/{DEMO_SLUG}/manage/reports",
        f"/meetings/{DEMO_SLUG}/records",
    ):
        response = page.goto(live_server + path)
        assert response is not None and response.status == 200, path
        assert serious_violations(page, axe_script) == [], path


def test_register_through_the_form_and_see_the_confirmation(page, live_server, axe_script):
    from playwright.sync_api import expect

    open_demo()
    page.goto(f"{live_server}/meetings/{DEMO_SLUG}/register")
    assert serious_violations(page, axe_script) == []
    page.get_by_label("Organisation", exact=True).select_option("ke")
    page.get_by_label("Given name").fill("Wanjiru")
    page.get_by_label("Family name").fill("Kamau")
    page.get_by_label("E-mail address", exact=True).fill("wanjiru@example.org")
    page.get_by_label("My name, organisation and position may appear").check()
    page.get_by_role("button", name="Register").click()
    expect(page.locator("h1")).to_have_text("Thank you")
    expect(page.locator(".flashes")).to_contain_text("the organisers will confirm it")
    assert serious_violations(page, axe_script) == []


def test_record_pages_pass_axe_and_save(page, live_server, axe_script):
    from playwright.sync_api import expect

    open_demo()
    make_account("rapp-2@example.org")
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail address").fill("rapp-2@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server}/meetings/{DEMO_SLUG}/records")
    assert serious_violations(page, axe_script) == []
    page.get_by_role("link", name="6. Closing of the meeting").click()
    assert serious_violations(page, axe_script) == []
    page.get_by_label("Summary").fill("The Chair closed the meeting at 17:00.")
    page.get_by_label("Submitted to the chair for approval").check()
    page.get_by_role("button", name="Save the record").click()
    expect(page.locator(".flashes")).to_contain_text("The record is saved.")
    expect(page.get_by_label("Summary")).to_have_value("The Chair closed the meeting at 17:00.")
