"""Fixtures for tests that drive a real Chromium through Playwright.

The application is served by werkzeug in a thread, on the same database as the rest of the
suite; each test loads the data it needs (the suite empties every table after each test).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from werkzeug.serving import make_server

from tests.conftest import PASSWORD

from .axe import serious_violations

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def live_server(app: Flask) -> Iterator[str]:
    """The test app served on a free local port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """One headless Chromium (Debian's) for the whole run."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="session")
def axe_script() -> Path:
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci` (make test does)")
    return AXE


@pytest.fixture
def phone(browser):  # type: ignore[no-untyped-def]
    """A browser context as wide as a phone (390 px)."""
    context = browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844})
    yield context
    context.close()


def sign_in(page, live_server: str, email: str) -> None:  # type: ignore[no-untyped-def]
    """Sign in through the form with the tests' password."""
    page.goto(f"{live_server}/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/login" not in url)


# Set to a folder to keep a screenshot of every page checked (to look at them, not in CI).
SHOTS = os.environ.get("RECORD_EDITOR_SHOTS")


def check_at_both_widths(page, axe_script, where: str) -> None:  # type: ignore[no-untyped-def]
    """axe-clean, and no wider than the window; at 1280 px and at 390 px."""
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        assert serious_violations(page, axe_script) == [], f"{where} at {width} px"
        scroll = page.evaluate("document.documentElement.scrollWidth")
        assert scroll <= width, f"{where} is {scroll} px wide at {width} px"
        if SHOTS:
            name = f"{where.replace(' ', '-')}-{width}.png"
            page.screenshot(path=str(Path(SHOTS) / name), full_page=True)
