"""Test data made through the application's own services, committed as the CLI commits.

Small functions, one per thing a test needs: a meeting (the demo one, or open for registration),
an organisation or a participant as the interchange format writes them, a session as the API
takes it, an account with a role, an API token. Each returns what it made.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from eventapp.extensions import db
from eventapp.models import Meeting, User

ROOT = Path(__file__).resolve().parent.parent
DEMO_FILE = ROOT / "eventapp" / "demo" / "first-global-wen-meeting.json"
DEMO_SLUG = "first-global-wen-meeting"
PASSWORD = "correct horse battery"

_DEMO: dict[str, Any] = {}


# -- meetings ----------------------------------------------------------------------------------


def demo_document() -> dict[str, Any]:
    """A fresh copy of the demo meeting's wen-meeting/1 document, to change at will."""
    if not _DEMO:
        _DEMO.update(json.loads(DEMO_FILE.read_text("utf-8")))
    return copy.deepcopy(_DEMO)


def load(doc: dict[str, Any]) -> Meeting:
    """Import a document through the service and commit, as the CLI does."""
    from eventapp.interchange import import_meeting

    result = import_meeting(doc)
    db.session.commit()
    return result.meeting


def open_meeting(**meeting_fields: Any) -> Meeting:
    """The demo meeting with registration open now, and the given settings."""
    doc = demo_document()
    doc["meeting"].pop("registration_opens")
    doc["meeting"].pop("registration_closes")
    doc["meeting"].update(meeting_fields)
    return load(doc)


# -- organisations and participants, as documents ----------------------------------------------


def organisation(ref: str, name: str, kind: str = "country", **fields: Any) -> dict[str, Any]:
    """An organisation of a wen-meeting/1 document."""
    return {"ref": ref, "name": name, "kind": kind, **fields}


def participant(n: int, organisation: str = "za", **fields: Any) -> dict[str, Any]:
    """A participant as POST /api/v1/meetings/<slug>/registrations takes one (no ref, no status)."""
    body: dict[str, Any] = {
        "organisation": organisation,
        "given_name": f"Person {n}",
        "family_name": "Ndlovu",
        "email": f"person{n}@example.org",
        "role": "delegate",
        "list_consent": True,
    }
    body.update(fields)
    return body


# -- sessions ----------------------------------------------------------------------------------


def new_session(**fields: Any) -> dict[str, Any]:
    """A public side event of the demo meeting as the API takes it, free of clashes."""
    session: dict[str, Any] = {
        "ref": "s-side",
        "title": "Side event: <i>forensics</i> for wildlife crime",
        "kind": "side_event",
        "start": "2013-03-05T12:45",
        "end": "2013-03-05T13:45",
        "room": "room-b",
        "public": True,
        "chairs": ["p-interpol"],
        "speakers": ["p-traffic"],
    }
    session.update(fields)
    return session


# -- accounts and tokens -----------------------------------------------------------------------


def make_account(
    email: str, role: str = "participant", meeting: Meeting | None = None, password: str = PASSWORD
) -> User:
    """An account with that role (organisers and rapporteurs appointed to the meeting)."""
    from eventapp.accounts import service
    from eventapp.models import AccountRole

    user = service.create_user(email, AccountRole(role), meeting=meeting, password=password)
    db.session.commit()
    return user


def make_focal_point(
    email: str, meeting: Meeting, organisation: str, password: str = PASSWORD
) -> User:
    """An account that speaks for the meeting's organisation `organisation` (its ref)."""
    from eventapp.accounts import service
    from eventapp.delegations import service as delegations
    from eventapp.models import AccountRole

    if service.find_user(email) is None:
        service.create_user(email, AccountRole.PARTICIPANT, password=password)
    found = delegations.delegation(meeting, organisation)
    assert found is not None, f"no organisation {organisation} in {meeting.slug}"
    user, _appointed = delegations.appoint_focal_point(meeting, found, email)
    db.session.commit()
    return user


def api_token(email: str) -> str:
    """A new API token of that account, in clear (as `token create` prints it)."""
    from eventapp.accounts import service

    user = service.find_user(email)
    assert user is not None, f"no account for {email}"
    token = service.create_token(user)
    db.session.commit()
    return token
