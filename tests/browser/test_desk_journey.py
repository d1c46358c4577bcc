"""The organisers' desk in Chromium (issue 9): reopen registration, a person registers naming an
organisation the meeting did not list, the organiser confirms it, approves them with a reason
from the desk (the e-mail is in the person's French), exports the search as CSV; the person
cancels their registration and registers again. axe-core finds nothing serious on the pages
used, at 1280 px and on a 390 px phone, where nothing is wider than the screen."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEMO_SLUG, PASSWORD, demo_document, load, make_account
from tests.helpers import texts_to

from .axe import serious_violations

pytestmark = pytest.mark.browser

MEETING = f"/meetings/{DEMO_SLUG}"
DESK = f"{MEETING}/manage/"
ORGANISER = "org@example.org"
PERSON = "ingrid.solberg@example.org"
NAME = "Ingrid Solberg"
ORGANISATION = "Nordic Wildlife Watch"
OTHER_PENDING = "Sione Fifita"  # the demo's pending registration (p-pending)
REASON = "Your organisation and its place are confirmed."


@pytest.fixture
def new_page(browser):  # type: ignore[no-untyped-def]
    """A page in a browser context of its own (its own cookies), at that viewport."""
    contexts = []

    def opened(width: int = 1280, height: int = 900) -> Any:
        context = browser.new_context(bypass_csp=True, viewport={"width": width, "height": height})
        contexts.append(context)
        return context.new_page()

    yield opened
    for context in contexts:
        context.close()


def sign_in(page: Any, live_server: str, email: str) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def fits(page: Any, axe_script: Path, where: str, *, narrow: bool) -> None:
    """Nothing serious for axe-core; on the phone, nothing wider than its screen."""
    assert serious_violations(page, axe_script) == [], where
    if narrow:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"{where} is {width} px wide"


def open_not_listed(page: Any) -> None:
    from playwright.sync_api import expect

    details = page.locator("details.unlisted")
    if not details.evaluate("d => d.open"):
        details.locator("summary").click()
    expect(page.get_by_label("Name of the organisation")).to_be_visible()


def confirmation_of(page: Any, names: list[str]) -> None:
    """On the desk as it is: tick those people, choose Approve with the reason, continue."""
    for name in names:
        page.get_by_label(f"Tick {name}").check()
    page.get_by_label("Decision", exact=True).select_option("approve")
    page.get_by_label("Reason").fill(REASON)
    page.get_by_role("button", name="Continue").click()


def organisers_pages(page: Any, live_server: str, axe_script: Path, *, narrow: bool) -> None:
    """The settings, the desk (whole and searched), a confirmation page and the form."""
    from playwright.sync_api import expect

    page.goto(f"{live_server}{MEETING}/manage/settings")
    fits(page, axe_script, "settings", narrow=narrow)
    page.goto(live_server + DESK)
    fits(page, axe_script, "desk", narrow=narrow)
    page.get_by_role("searchbox", name="Search").fill("Solberg")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("status")).to_contain_text("of 1")
    fits(page, axe_script, "desk, searched", narrow=narrow)
    page.goto(f"{live_server}{DESK}?status=pending")
    confirmation_of(page, [OTHER_PENDING])
    expect(page.locator("h1")).to_have_text("Approve 1 registration?")
    fits(page, axe_script, "confirmation page", narrow=narrow)
    page.goto(f"{live_server}{MEETING}/register")
    open_not_listed(page)
    fits(page, axe_script, "registration form", narrow=narrow)


def register(page: Any, *, unlisted: bool) -> None:
    """The public form, as Ingrid fills it in (naming her organisation, or choosing it)."""
    page.get_by_label("Given name").fill("Ingrid")
    page.get_by_label("Family name").fill("Solberg")
    page.get_by_label("E-mail address", exact=True).fill(PERSON)
    page.get_by_label("Language for e-mails").select_option(label="Français")
    if unlisted:
        open_not_listed(page)
        page.get_by_label("Name of the organisation").fill(ORGANISATION)
        page.get_by_label("Kind of organisation").select_option("cso")
        page.get_by_label("Country", exact=True).select_option("NO")
    else:
        page.get_by_label("Organisation", exact=True).select_option(label=ORGANISATION)
    page.get_by_label("My name, organisation and position may appear").check()
    page.get_by_role("button", name="Register").click()


def test_the_desk_from_reopening_to_registering_again(  # type: ignore[no-untyped-def]
    app, new_page, live_server, axe_script
):
    from playwright.sync_api import expect

    page = new_page()  # the organiser's
    person = new_page()  # the registrant's: anonymous until step 6
    phone = new_page(390, 844)  # the organiser again, on a phone

    meeting = load(demo_document())  # its registration closed on 2013-03-01
    make_account(ORGANISER, "organiser", meeting=meeting)
    make_account(PERSON)
    sign_in(page, live_server, ORGANISER)

    # 1. The organiser reopens registration: no closing time any more.
    page.goto(f"{live_server}{MEETING}/manage/settings")
    state = page.locator("p.notice", has_text="Registration is")
    expect(state).to_contain_text("Registration is closed.")
    fits(page, axe_script, "settings", narrow=False)
    page.get_by_label("Registration closes").fill("")
    page.get_by_role("button", name="Save the settings").click()
    expect(page.locator(".flashes")).to_contain_text("The settings are saved. Changed:")
    expect(page.locator(".flashes")).to_contain_text("Changed: close of registration.")
    expect(state).to_have_text("Registration is open.")

    # 2. Someone registers, in another browser, for an organisation the meeting does not list.
    person.goto(f"{live_server}{MEETING}/register")
    open_not_listed(person)
    fits(person, axe_script, "registration form", narrow=False)
    register(person, unlisted=True)
    expect(person.locator("h1")).to_have_text("Thank you")
    flashes = person.locator(".flashes")
    expect(flashes).to_contain_text(f"The organisers will first confirm {ORGANISATION}")

    # The same pages on a phone, while both registrations are pending.
    sign_in(phone, live_server, ORGANISER)
    organisers_pages(phone, live_server, axe_script, narrow=True)

    # 3. The organiser confirms the organisation.
    page.goto(f"{live_server}{MEETING}/manage/organisations")
    to_confirm = page.locator(
        "table", has=page.get_by_role("button", name=f"Confirm {ORGANISATION}")
    )
    expect(to_confirm).to_contain_text(NAME)
    page.get_by_role("button", name=f"Confirm {ORGANISATION}").click()
    expect(page.locator(".flashes")).to_contain_text(
        f"{ORGANISATION} is confirmed; 1 person is told by e-mail."
    )

    # 4. On the desk: search for her, then approve her and the other pending registration.
    page.goto(live_server + DESK)
    fits(page, axe_script, "desk", narrow=False)
    page.get_by_role("searchbox", name="Search").fill("Solberg")
    page.get_by_role("button", name="Show").click()
    row = page.locator("tbody tr", has_text=PERSON)
    expect(row).to_contain_text(ORGANISATION)
    expect(row).to_contain_text("Pending")
    fits(page, axe_script, "desk, searched", narrow=False)
    page.get_by_role("searchbox", name="Search").fill("")
    page.get_by_label("Status", exact=True).select_option("pending")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("status")).to_contain_text("of 2")
    confirmation_of(page, [NAME, OTHER_PENDING])
    expect(page.locator("h1")).to_have_text("Approve 2 registrations?")
    expect(page.locator("table")).to_contain_text(NAME)
    expect(page.locator("table")).to_contain_text(OTHER_PENDING)
    expect(page.get_by_label("Reason")).to_have_value(REASON)
    fits(page, axe_script, "confirmation page", narrow=False)
    page.get_by_role("button", name="Approve 2 registrations").click()
    expect(page.locator("h1")).to_have_text("Decisions made")
    expect(page.get_by_role("status")).to_contain_text("2 registrations approved.")
    approved = [text for text in texts_to(app, PERSON) if REASON in text]
    assert len(approved) == 1, texts_to(app, PERSON)
    assert "Votre inscription est approuvée." in approved[0]
    assert "is approved" not in approved[0]

    # 5. The export of the current search holds her row, as approved.
    page.get_by_role("link", name="Back to the registrations").click()
    expect(page.get_by_label("Status", exact=True)).to_have_value("pending")  # the desk as left
    page.get_by_label("Status", exact=True).select_option("")
    page.get_by_role("searchbox", name="Search").fill("Solberg")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("status")).to_contain_text("of 1")
    with page.expect_download() as download:
        page.get_by_role("link", name="Export these as CSV").click()
    raw = Path(download.value.path()).read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # a BOM, for spreadsheets to read UTF-8
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert not table[0][0].startswith("\ufeff")
    [mine] = [line for line in table[1:] if PERSON in line]
    assert len(table) == 2, table  # the heading and her: the search is kept
    assert "Ingrid" in mine and "Solberg" in mine and ORGANISATION in mine
    assert "Approved" in mine and "fr" in mine

    # 6. She cancels her registration from her account, then registers again.
    sign_in(person, live_server, PERSON)
    person.goto(f"{live_server}/account")
    person.get_by_role(
        "link", name="First Global Meeting of the Wildlife Enforcement Networks"
    ).click()
    expect(person.locator("h1")).to_have_text("Your registration")
    person.get_by_role("link", name="Cancel my registration…").click()
    expect(person.locator("h1")).to_have_text("Cancel your registration?")
    fits(person, axe_script, "cancelling page", narrow=False)
    person.get_by_role("button", name="Yes, cancel my registration").click()
    expect(person.locator(".flashes")).to_contain_text("Your registration is cancelled.")
    expect(person.locator("main .status")).to_have_text("Cancelled")
    person.get_by_role(
        "link", name="First Global Meeting of the Wildlife Enforcement Networks"
    ).click()
    person.get_by_role("link", name="Register again").click()
    expect(person.locator("h1")).to_have_text("Register")
    register(person, unlisted=False)
    expect(person.locator("h1")).to_have_text("Thank you")
    person.goto(f"{live_server}/account")
    expect(person.locator("main .status")).to_have_text("Pending")
