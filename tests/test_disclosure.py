"""eventapp.disclosure: who and what the public may see, and how people are named.

Short tests of each rule, then one walk over every public surface of a meeting with a closed
session, a session marked not public and a speaker who did not consent to be listed.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient
from flask_babel import force_locale
from pypdf import PdfReader

from eventapp import disclosure
from eventapp.extensions import db
from eventapp.models import (
    Delegation,
    OrganisationKind,
    Participant,
    RegistrationStatus,
    ReportKind,
    Session,
    SessionKind,
)
from eventapp.reports import render

from .conftest import DEMO_SLUG, demo_document, load

APPROVED = RegistrationStatus.APPROVED


def _person(status: RegistrationStatus, consent: bool | None, **fields: Any) -> Participant:
    fields.setdefault("given_name", "Amina")
    fields.setdefault("family_name", "Diallo")
    person = Participant(status=status, list_consent=consent, **fields)
    person.delegation = Delegation(name="Republic of Freeland", kind=OrganisationKind.COUNTRY)
    return person


@pytest.mark.parametrize(
    ("status", "consent", "named"),
    [
        (APPROVED, True, True),
        (APPROVED, False, False),
        (APPROVED, None, False),
        (RegistrationStatus.PENDING, True, False),
        (RegistrationStatus.WAITLISTED, True, False),
        (RegistrationStatus.DECLINED, True, False),
        (RegistrationStatus.CANCELLED, True, False),
    ],
)
def test_only_approved_consenting_people_are_named(
    status: RegistrationStatus, consent: bool | None, named: bool
) -> None:
    person = _person(status, consent, honorific="Dr")
    assert disclosure.may_be_named(person) is named
    assert (disclosure.name_text(person) == "Dr Amina Diallo") is named
    assert (disclosure.listed_person(person) is not None) is named


@pytest.mark.parametrize(
    ("honorific", "given", "family", "text"),
    [
        ("Dr", "Amina", "Diallo", "Dr Amina Diallo"),
        (None, "Sione", "Fifita", "Sione Fifita"),
        ("", "伟", "王", "伟 王"),
        ("Mr", "محمد", "العربي", "Mr محمد العربي"),
    ],
)
def test_a_public_name_is_honorific_given_and_family_name(
    honorific: str | None, given: str, family: str, text: str
) -> None:
    person = _person(APPROVED, True, honorific=honorific, given_name=given, family_name=family)
    name = disclosure.public_name(person)
    assert name is not None
    assert name.text == text
    assert name.full_name == f"{given} {family}"


def test_none_is_nobody() -> None:
    assert not disclosure.may_be_named(None)
    assert disclosure.public_name(None) is None
    assert disclosure.attribution(None) == disclosure.Attribution(None, None, None)


@pytest.mark.parametrize(
    ("consent", "lang", "name", "representative"),
    [
        (True, "en", "Ms Lan Nguyen", None),
        (False, "en", None, "A representative of Republic of Freeland"),
        (None, "fr", None, "Un représentant de Republic of Freeland"),
    ],
)
def test_a_report_names_with_consent_and_otherwise_attributes_to_the_organisation(
    app: Any, consent: bool | None, lang: str, name: str | None, representative: str | None
) -> None:
    person = _person(APPROVED, consent, honorific="Ms", given_name="Lan", family_name="Nguyen")
    with app.test_request_context(), force_locale(lang):
        attribution = disclosure.attribution(person)
    assert attribution.name == name
    assert attribution.organisation == "Republic of Freeland"
    if representative is None:
        assert attribution.representative is None
    else:
        # The French catalogue's wording may change; the organisation is always named in it.
        assert attribution.representative is not None
        assert "Republic of Freeland" in attribution.representative
        if lang == "en":
            assert attribution.representative == representative


@pytest.mark.parametrize(
    ("kind", "public", "shown"),
    [
        (SessionKind.PLENARY, None, True),
        (SessionKind.PLENARY, True, True),
        (SessionKind.PANEL, False, False),
        (SessionKind.CLOSED, None, False),
        (SessionKind.CLOSED, True, False),
    ],
)
def test_closed_sessions_and_ones_marked_not_public_are_never_public(
    kind: SessionKind, public: bool | None, shown: bool
) -> None:
    assert disclosure.is_public(Session(kind=kind, public=public)) is shown


def test_the_sql_rules_agree_with_the_python_ones() -> None:
    meeting = load(demo_document())
    sessions = sorted(meeting.sessions, key=lambda s: s.id)
    combos = [
        (k, p) for k in (SessionKind.PLENARY, SessionKind.CLOSED) for p in (None, True, False)
    ]
    for session, (kind, public) in zip(sessions, combos, strict=False):
        session.kind, session.public = kind, public
    people = sorted(meeting.participants, key=lambda p: p.id)
    statuses = [(s, c) for s in RegistrationStatus for c in (None, True, False)]
    for person, (status, consent) in zip(people, statuses, strict=False):
        person.status, person.list_consent = status, consent
    db.session.flush()
    public_ids = set(
        db.session.scalars(
            sa.select(Session.id).where(
                Session.meeting_id == meeting.id, disclosure.public_sessions()
            )
        )
    )
    assert public_ids == {s.id for s in sessions if disclosure.is_public(s)}
    named_ids = set(
        db.session.scalars(
            sa.select(Participant.id).where(
                Participant.meeting_id == meeting.id, disclosure.named_participants()
            )
        )
    )
    assert named_ids == {p.id for p in people if disclosure.may_be_named(p)}
    assert 0 < len(named_ids) < len(people)


# --- every public surface ------------------------------------------------------------------

CLOSED = "Closed session of heads of networks"  # kind closed
NOT_PUBLIC = "Support from ICCWC to the networks"  # a panel marked not public
UNLISTED = "Brien"  # Mr Tomás O'Brien, approved, without consent to be listed
PUBLIC = "Coffee break"
LISTED = "Somchai"


def _pdf_text(pdf: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


def test_closed_sessions_and_unlisted_people_never_appear_in_public(client: FlaskClient) -> None:
    doc = demo_document()
    sessions = {s["ref"]: s for s in doc["sessions"]}
    sessions["s-net"]["speakers"].append("p-freeland")
    sessions["s-break"]["chairs"] = ["p-freeland"]
    sessions["s-iccwc"]["public"] = False
    load(doc)
    base = f"/meetings/{DEMO_SLUG}"
    surfaces = {
        "home": client.get(f"{base}/").get_data(as_text=True),
        "agenda page": client.get(f"{base}/agenda").get_data(as_text=True),
        "participants": client.get(f"{base}/participants").get_data(as_text=True),
        # Unfolded: a folded line could hide a name across its break.
        "agenda.ics": client.get(f"{base}/agenda.ics").get_data(as_text=True).replace("\r\n ", ""),
        "schedule.xml": client.get(f"{base}/schedule.xml").get_data(as_text=True),
        "schedule.json": client.get(f"{base}/schedule.json").get_data(as_text=True),
        "agenda.pdf": _pdf_text(client.get(f"{base}/agenda.pdf").data),
    }
    for name, text in surfaces.items():
        assert CLOSED not in text, name
        assert NOT_PUBLIC not in text, name
        assert UNLISTED not in text, name
    # The surfaces are read: what may be shown is there.
    for name in ("agenda page", "agenda.ics", "schedule.xml", "schedule.json", "agenda.pdf"):
        assert PUBLIC in surfaces[name], name
        assert LISTED in surfaces[name], name
    assert LISTED in surfaces["participants"]

    meeting = load_meeting()
    report = render.report_html(meeting, ReportKind.FULL_REPORT, "en", preview=True)
    annex = report[report.index('id="annex-agenda"') : report.index('id="annex-participants"')]
    assert CLOSED in annex and NOT_PUBLIC in annex and PUBLIC in annex
    assert annex.count("(closed)") == 2
    assert UNLISTED not in report


def load_meeting() -> Any:
    from eventapp.models import Meeting

    return db.session.scalar(sa.select(Meeting).where(Meeting.slug == DEMO_SLUG))
