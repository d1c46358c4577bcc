"""The agenda builder's people pickers with their script, under the site's own CSP."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from eventapp.extensions import db
from eventapp.models import Session
from tests.conftest import DEMO_SLUG, PASSWORD, make_account

pytestmark = pytest.mark.browser


def test_suggestions_fill_the_pickers_and_the_choice_is_saved(
    browser: Any, live_server: str, demo_meeting: Any
) -> None:
    make_account("org@example.org", "organiser", meeting=demo_meeting)
    context = browser.new_context(viewport={"width": 390, "height": 900})
    page = context.new_page()
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: refused.append(str(e)))
    try:
        page.goto(f"{live_server}/login")
        page.get_by_label("E-mail address").fill("org@example.org")
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto(f"{live_server}/meetings/{DEMO_SLUG}/manage/agenda/sessions/s-net")
        # The rapporteur's field offers the people matching what is typed.
        page.get_by_label("Rapporteur").fill("")
        page.get_by_label("Rapporteur").press_sequentially("ramir")
        page.wait_for_selector("#rapporteur-suggestions option", state="attached")
        offered = page.eval_on_selector_all(
            "#rapporteur-suggestions option", "options => options.map(o => o.value)"
        )
        assert offered == ["Lucía Ramírez (UNODC)"]
        page.get_by_label("Rapporteur").fill(offered[0])
        # A chair is added to the list as a line, by the field the script puts under it.
        adding = page.locator("#chairs-add")
        adding.press_sequentially("gael")
        page.wait_for_selector("#chairs-add-suggestions option", state="attached")
        adding.press("Enter")
        assert page.locator("#chairs").input_value().splitlines() == [
            "John E. Scanlon (CITES)",
            "Gaël Marchetti (WCO)",
        ]
        page.get_by_role("button", name="Save the changes").click()
        page.wait_for_url("**/manage/agenda#s-net")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
    assert refused == []
    db.session.expire_all()
    session = db.session.scalar(sa.select(Session).where(Session.ref == "s-net"))
    assert session is not None and session.rapporteur is not None
    assert session.rapporteur.ref == "p-unodc"
    assert [p.ref for p in session.chairs] == ["chair", "p-wco"]
