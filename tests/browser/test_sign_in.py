"""Signing in through the form in a real Chromium, and the sign-in page's accessibility."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, make_account

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser):  # type: ignore[no-untyped-def]
    context = browser.new_context(bypass_csp=True)
    yield context.new_page()
    context.close()


def test_sign_in_through_the_form(page, live_server):
    from playwright.sync_api import expect

    make_account("delegate@example.org")
    page.goto(f"{live_server}/account")
    # Not signed in: sent to the sign-in form, which brings us back afterwards.
    expect(page).to_have_url(f"{live_server}/login?next=/account")
    page.get_by_label("E-mail address").fill("Delegate@Example.org")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{live_server}/account")
    expect(page.locator("h1")).to_have_text("Your account")
    expect(page.locator("main")).to_contain_text("delegate@example.org")


def test_wrong_password_shows_the_error_on_the_form(page, live_server):
    from playwright.sync_api import expect

    make_account("delegate@example.org")
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail address").fill("delegate@example.org")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".error-summary")).to_contain_text("not right")
    expect(page.get_by_label("Password")).to_have_attribute("aria-invalid", "true")


def test_sign_in_page_passes_axe(page, live_server, axe_script):
    page.goto(f"{live_server}/login")
    page.add_script_tag(path=str(axe_script))
    result = page.evaluate(
        "() => axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a','wcag2aa','wcag21aa']}})"
    )
    serious = [v["id"] for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert serious == []
