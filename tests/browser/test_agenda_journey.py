"""An organiser's day with the agenda builder, in Chromium: add a session, move it to another
room and day, run into a room that is taken, publish, and read the public changelog; axe-core
finds nothing serious on the builder, the session's pages and the changes page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import DEMO_SLUG, PASSWORD, demo_document, load, make_account

from .axe import serious_violations

pytestmark = pytest.mark.browser

MANAGE = f"/meetings/{DEMO_SLUG}/manage/agenda"
PLENARY = "Plenary Hall, Queen Sirikit National Convention Center"
TITLE = "Demand reduction for illegal wildlife products"


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def two_day_meeting() -> Any:
    doc = demo_document()
    doc["meeting"]["end_date"] = "2013-03-06"
    return load(doc)


def sign_in_as_organiser(page: Any, live_server: str) -> None:
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail address").fill("org@example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_add_move_clash_publish_and_read_the_changes(page, live_server, axe_script):
    from playwright.sync_api import expect

    meeting = two_day_meeting()
    make_account("org@example.org", "organiser", meeting=meeting)
    sign_in_as_organiser(page, live_server)

    page.goto(live_server + MANAGE)
    assert serious_violations(page, axe_script) == [], "builder"
    add = page.locator("form", has=page.get_by_role("button", name="Add the session"))
    add.get_by_label("Title").fill(TITLE)
    add.get_by_label("Starts (local time)").fill("2013-03-05T13:00")
    add.get_by_label("Ends (local time)").fill("2013-03-05T13:45")
    add.get_by_label("Room", exact=True).select_option(label="Meeting Room B")
    add.get_by_role("button", name="Add the session").click()
    expect(page.locator(".flashes")).to_contain_text("is in the draft agenda")

    # The new session is on the first day, in Meeting Room B; its page moves it.
    page.get_by_role("link", name=TITLE).click()
    expect(page.locator("h1")).to_have_text(TITLE)
    ref = page.url.split("#")[0].rsplit("/", 1)[-1]
    session_page = page.url.split("#")[0]
    assert serious_violations(page, axe_script) == [], "session page"
    move = page.locator("form", has=page.get_by_role("button", name="Move the session"))
    move.get_by_label("Day").select_option("2013-03-06")
    move.get_by_label("Starts at (local time)").fill("10:00")
    move.get_by_label("Room").select_option(label=PLENARY)
    move.get_by_role("button", name="Move the session").click()
    expect(page.locator(".flashes")).to_contain_text("is moved to")
    # The builder now lists it on the second day, in the plenary hall.
    second_day = page.locator("section.agenda-day", has=page.locator("#day-2013-03-06"))
    moved = second_day.locator(f"li.session#{ref}")
    expect(moved).to_contain_text("10:00–10:45")
    expect(
        page.locator("section.agenda-day", has=page.locator("#day-2013-03-05"))
    ).not_to_contain_text(TITLE)

    # Back on the first day at 14:15 in Room B, the closed session of heads of networks
    # is in the way: the move is refused, and the session stays where it was.
    page.goto(session_page)
    move = page.locator("form", has=page.get_by_role("button", name="Move the session"))
    move.get_by_label("Day").select_option("2013-03-05")
    move.get_by_label("Starts at (local time)").fill("14:15")
    move.get_by_label("Room").select_option(label="Meeting Room B")
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        move.get_by_role("button", name="Move the session").click()
    assert answer.value.status == 409
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Closed session of heads of networks")
    assert "$." not in summary.inner_text()
    expect(page.locator("dl.session-facts").first).to_contain_text("10:00–10:45")
    assert serious_violations(page, axe_script) == [], "session page with a clash"

    # Nothing is public before publishing.
    public = page.context.new_page()
    assert public.goto(f"{live_server}/meetings/{DEMO_SLUG}/sessions/{ref}").status == 404

    page.goto(live_server + MANAGE)
    expect(page.locator(".publication")).to_contain_text(TITLE)
    page.get_by_role("button", name="Publish version 2").click()
    expect(page.locator(".flashes")).to_contain_text("Version 2 of the agenda is published")

    public.goto(f"{live_server}/meetings/{DEMO_SLUG}/agenda/changes")
    version = public.locator("section.agenda-version", has_text="Version 2")
    expect(version).to_contain_text(TITLE)
    expect(version.locator(".change-added")).to_contain_text(TITLE)
    assert serious_violations(public, axe_script) == [], "changes page"

    version.get_by_role("link", name=TITLE).click()
    expect(public.locator("h1")).to_have_text(TITLE)
    expect(public.locator("main")).to_contain_text("10:00")
    assert serious_violations(public, axe_script) == [], "public session page"
    public.close()
