"""One lookup by public keys, predicates in one place, and no import circle between them."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from eventapp.models import RegistrationStatus
from eventapp.registration.service import TRANSITIONS, offered_actions
from tests.factories import DEMO_SLUG as SLUG
from tests.factories import api_token, make_account
from tests.helpers import csrf_token, sign_in

ROOT = Path(__file__).resolve().parents[1] / "eventapp"
LONG = "x" * 65  # longer than any slug or ref can be


def _imported_modules(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function, as a dotted name."""
    package = ".".join(path.relative_to(ROOT.parent).with_suffix("").parts[:-1])
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - node.level + 1]
            module = ".".join([*base, node.module] if node.module else base)
            found.add(module if node.level else node.module or "")
            found.update(f"{module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def test_permissions_and_the_records_service_do_not_import_each_other() -> None:
    permissions = _imported_modules(ROOT / "accounts" / "permissions.py")
    records = _imported_modules(ROOT / "records" / "service.py")
    assert "eventapp.records.service" not in permissions
    assert not any(m.startswith("eventapp.records") for m in permissions)
    # The service asks the one place who may approve; the lookups know only the models.
    assert "eventapp.accounts.permissions" in records
    lookups = _imported_modules(ROOT / "lookups.py")
    assert not any(m.startswith(("eventapp.accounts", "eventapp.records")) for m in lookups)


def test_who_may_keep_and_approve_records_is_said_only_in_permissions() -> None:
    source = (ROOT / "records" / "service.py").read_text("utf-8")
    for name in ("is_session_rapporteur", "may_keep", "may_approve", "find_session"):
        assert not re.search(rf"^def {name}\b", source, re.M), name
    lookups = [
        str(path.relative_to(ROOT))
        for path in ROOT.rglob("*.py")
        if path.name != "lookups.py" and "Meeting.slug ==" in path.read_text("utf-8")
    ]
    assert lookups == []


@pytest.mark.parametrize(
    "path",
    [
        f"/meetings/{LONG}/",
        "/meetings/no-such-meeting/agenda",
        "/meetings/no-such-meeting/reports/full-report.pdf",
        f"/meetings/{SLUG}/records/{LONG}",
        f"/meetings/{SLUG}/records/no-such-session",
    ],
)
def test_an_unknown_key_is_a_404_page(client, demo_meeting, path: str) -> None:  # type: ignore[no-untyped-def]
    make_account("org@example.org", "organiser", meeting=demo_meeting)
    sign_in(client, "org@example.org")
    assert client.get(path).status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        f"/api/v1/meetings/{LONG}",
        f"/api/v1/meetings/{SLUG}/sessions/{LONG}",
        f"/api/v1/meetings/{SLUG}/sessions/no-such-session/record",
    ],
)
def test_an_unknown_key_is_a_json_404(client, demo_meeting, path: str) -> None:  # type: ignore[no-untyped-def]
    make_account("org@example.org", "organiser", meeting=demo_meeting)
    token = api_token("org@example.org")
    response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 404
    assert "error" in response.get_json()


def test_a_decision_to_a_registration_that_is_not_there_is_a_404(client, demo_meeting) -> None:  # type: ignore[no-untyped-def]
    make_account("org@example.org", "organiser", meeting=demo_meeting)
    sign_in(client, "org@example.org")
    token = csrf_token(client, f"/meetings/{SLUG}/manage/")
    response = client.post(
        f"/meetings/{SLUG}/manage/registrations/{LONG}/approve", data={"csrf_token": token}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("status", list(RegistrationStatus), ids=str)
def test_the_desk_offers_what_the_state_machine_allows(status: RegistrationStatus) -> None:
    offered = offered_actions(status)
    assert all(status in TRANSITIONS[action] for action in offered)
    # Approving an approved registration changes nothing: the desk does not offer it.
    expected = {a for a, allowed in TRANSITIONS.items() if status in allowed} - (
        {"approve"} if status is RegistrationStatus.APPROVED else set()
    )
    assert set(offered) == expected


def test_the_desk_shows_the_offered_decisions(client, demo_meeting) -> None:  # type: ignore[no-untyped-def]
    make_account("org@example.org", "organiser", meeting=demo_meeting)
    sign_in(client, "org@example.org")
    html = client.get(f"/meetings/{SLUG}/manage/").get_data(as_text=True)
    for person in demo_meeting.participants:
        row = re.search(rf'<tr id="p-{re.escape(person.ref)}">(.*?)</tr>', html, re.S)
        assert row, person.ref
        shown = set(re.findall(r"/manage/registrations/[^/]+/(approve|decline|cancel)", row[1]))
        assert shown == set(offered_actions(person.status)), person.ref
