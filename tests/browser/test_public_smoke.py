"""The public pages in a real Chromium: they render, pass axe-core, work on a phone."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import DEMO_SLUG

from .axe import axe_results

pytestmark = pytest.mark.browser

SHOTS = Path("/tmp/eventapp-screenshots")
PAGES = [
    ("index", "/", "Global meetings of the Wildlife Enforcement Networks"),
    (
        "home",
        f"/meetings/{DEMO_SLUG}/",
        "First Global Meeting of the Wildlife Enforcement Networks",
    ),
    ("agenda", f"/meetings/{DEMO_SLUG}/agenda", "Agenda"),
    ("participants", f"/meetings/{DEMO_SLUG}/participants", "List of participants"),
    (
        "session",
        f"/meetings/{DEMO_SLUG}/sessions/s-open",
        "1. Opening of the meeting and adoption of the agenda",
    ),
    ("changes", f"/meetings/{DEMO_SLUG}/agenda/changes", "Changes to the agenda"),
]


def describe(violations: list[dict[str, Any]]) -> str:
    lines = []
    for v in violations:
        targets = [" ".join(node["target"]) for node in v["nodes"][:5]]
        lines.append(f"{v['id']} ({v['impact']}): {v['help']} at {targets}")
    return "\n".join(lines)


@pytest.fixture
def context_factory(browser):  # type: ignore[no-untyped-def]
    contexts = []

    def make(**options: Any):  # type: ignore[no-untyped-def]
        context = browser.new_context(**options)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.mark.parametrize("width", [1280, 375])
@pytest.mark.parametrize(("name", "path", "heading"), PAGES, ids=[p[0] for p in PAGES])
def test_page_renders_and_passes_axe(
    context_factory, live_server, axe_script, demo_meeting, name, path, heading, width
):
    from playwright.sync_api import expect

    # axe is injected as a script, which our own CSP (script-src 'self') would refuse.
    context = context_factory(viewport={"width": width, "height": 900}, bypass_csp=True)
    page = context.new_page()
    response = page.goto(live_server + path)
    assert response is not None and response.status == 200
    expect(page.locator("h1")).to_have_text(heading)
    expect(page.locator("main")).to_be_visible()

    # Nothing sticks out sideways on a phone.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{name} at {width}px is {overflow}px too wide"

    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)

    result = axe_results(page, axe_script)
    (SHOTS / f"axe-{name}-{width}.json").write_text(
        json.dumps(result["violations"], indent=1), encoding="utf-8"
    )
    serious = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    assert not serious, f"axe on {name} at {width}px:\n{describe(serious)}"
    assert result["passes"], "axe ran no checks at all"


def test_pages_obey_the_content_security_policy(context_factory, live_server, demo_meeting):
    """With the CSP in force, no inline style or script is refused and nothing fails to load."""
    context = context_factory(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    page.on("requestfailed", lambda r: problems.append(f"{r.failure}: {r.url}"))
    page.on(
        "response", lambda r: problems.append(f"{r.status}: {r.url}") if r.status >= 400 else None
    )
    for _, path, _ in PAGES:
        # networkidle: the icon and stylesheet have arrived before the next page is asked for.
        page.goto(live_server + path, wait_until="networkidle")
        # The stylesheet applied: the masthead is navy, not the browser's default.
        colour = page.evaluate(
            "getComputedStyle(document.querySelector('.site-header')).backgroundColor"
        )
        assert colour == "rgb(15, 42, 74)", path
    assert not problems, problems


def test_keyboard_reaches_skip_link_and_main(context_factory, live_server, demo_meeting):
    context = context_factory(viewport={"width": 375, "height": 800})
    page = context.new_page()
    page.goto(f"{live_server}/meetings/{DEMO_SLUG}/agenda")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.className")
    assert focused == "skip-link"
    box = page.locator(".skip-link").bounding_box()
    assert box is not None and box["y"] >= 0, "the skip link stays off screen when focused"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_language_switcher_changes_the_page_language(context_factory, live_server, demo_meeting):
    from playwright.sync_api import expect

    context = context_factory(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server}/meetings/{DEMO_SLUG}/agenda")
    page.get_by_role("link", name="Français").click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.locator("h2").first).to_contain_text("mars 2013")
    # The choice holds for the next page of the visit.
    page.locator(".meeting-nav").get_by_role("link").nth(2).click()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
