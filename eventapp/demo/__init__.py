"""The demo meeting (First Global Meeting of the WENs, Bangkok 2013) and its demo accounts."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from ..accounts import service as accounts
from ..interchange import import_meeting
from ..lookups import find_meeting
from ..models import AccountRole

DEMO_SLUG = "first-global-wen-meeting"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    role: AccountRole
    password: str
    what: str


# Known passwords, for a local demonstration only: `demo load` refuses to run in production.
DEMO_ACCOUNTS = (
    DemoAccount("admin@example.org", AccountRole.ADMIN, "demo-admin-pass", "administrator"),
    DemoAccount("organiser@example.org", AccountRole.ORGANISER, "demo-organiser-pass", "organiser"),
    DemoAccount(
        "rapp-1@example.org",
        AccountRole.RAPPORTEUR,
        "demo-rapporteur-pass",
        "rapporteur of agenda items 2 and 3",
    ),
    DemoAccount("chair@example.org", AccountRole.PARTICIPANT, "demo-chair-pass", "meeting chair"),
)


def demo_document() -> dict[str, Any]:
    text = resources.files(__package__).joinpath(f"{DEMO_SLUG}.json").read_text("utf-8")
    return json.loads(text)


def load_demo() -> tuple[bool, list[DemoAccount]]:
    """Load the demo meeting and accounts where absent; True if the meeting was created now."""
    meeting = find_meeting(DEMO_SLUG)
    created = meeting is None
    if meeting is None:
        meeting = import_meeting(demo_document()).meeting
    for account in DEMO_ACCOUNTS:
        if accounts.find_user(account.email) is None:
            accounts.create_user(
                account.email,
                account.role,
                meeting=meeting if account.role is not AccountRole.ADMIN else None,
                password=account.password,
            )
    return created, list(DEMO_ACCOUNTS)
