"""The team page: appointing a participant by name or anyone by e-mail, telling them, removing."""

from __future__ import annotations

from email.message import EmailMessage
from typing import Any, cast

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from eventapp.extensions import db
from eventapp.models import AuditEntry, MeetingRole, User
from tests.factories import DEMO_SLUG, demo_document, load, make_account
from tests.helpers import csrf_token, delivered_to, eml_files, sign_in

TEAM = f"/meetings/{DEMO_SLUG}/manage/team"
ORGANISER = "org@example.org"
ADMIN = "admin@example.org"


def _meeting(**meeting_fields: Any) -> None:
    """The demo meeting; Lucía Ramírez writes in Spanish, and has a namesake of the family."""
    doc = demo_document()
    doc["meeting"].update(meeting_fields)
    for person in doc["participants"]:
        if person["ref"] == "p-unodc":
            person["language"] = "es"
    namesake = dict(next(p for p in doc["participants"] if p["ref"] == "p-unodc"))
    namesake.update(ref="p-ramirez", given_name="Pedro", email="pedro@example.org")
    namesake.pop("language")
    doc["participants"].append(namesake)
    load(doc)


@pytest.fixture
def organiser(client: FlaskClient) -> FlaskClient:
    _meeting()
    from eventapp.lookups import meeting_or_404

    make_account(ORGANISER, "organiser", meeting=meeting_or_404(DEMO_SLUG))
    assert sign_in(client, ORGANISER).status_code == 302
    return client


@pytest.fixture
def admin(client: FlaskClient) -> FlaskClient:
    _meeting(languages=["fr", "en"])
    make_account(ADMIN, "admin")
    assert sign_in(client, ADMIN).status_code == 302
    return client


def _appoint(client: FlaskClient, person: str, role: str = "rapporteur") -> Any:
    data = {"person": person, "role": role, "csrf_token": csrf_token(client, TEAM)}
    return client.post(TEAM, data=data)


def _roles(address: str) -> set[str]:
    db.session.expire_all()
    rows = db.session.scalars(
        sa.select(MeetingRole.role).join(User).where(User.email == address)
    ).all()
    return {r.value for r in rows}


def _text(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(cast(EmailMessage, part).get_content())


def test_a_participant_is_appointed_by_part_of_the_name_and_told_in_spanish(app, organiser):
    response = _appoint(organiser, "lucia ram")
    assert response.status_code == 303, response.get_data(as_text=True)
    assert _roles("p-unodc@example.org") == {"rapporteur"}
    page = organiser.get(TEAM).get_data(as_text=True)
    assert "Lucía Ramírez (p-unodc@example.org) is appointed: Rapporteur." in page
    assert "Lucía Ramírez<br>" in page  # the team lists the participant's name
    (message,) = delivered_to(app, "p-unodc@example.org")
    # The organiser's page is in English; the participant chose Spanish.
    assert "Relator" in message["Subject"]
    body = _text(message)
    assert body.startswith("Estimado/a Lucía Ramírez:")
    assert "/password/forgot" in body  # no password yet: told how to choose one
    assert f"/meetings/{DEMO_SLUG}/records" in body


def test_the_label_a_suggestion_gives_picks_the_person(organiser):
    found = organiser.get(f"{TEAM}/people?q=ramirez").get_json()
    labels = {p["label"] for p in found}
    assert labels == {"Lucía Ramírez (UNODC)", "Pedro Ramírez (UNODC)"}
    assert _appoint(organiser, "Pedro Ramírez (UNODC)").status_code == 303
    assert _roles("pedro@example.org") == {"rapporteur"}


def test_suggestions_include_pending_participants_and_are_escaped_json(organiser):
    found = organiser.get(f"{TEAM}/people?q=sione").get_json()
    assert [p["name"] for p in found] == ["Sione Fifita"]  # pending, not yet approved
    # The agenda's pickers still offer approved participants only.
    assert organiser.get(f"/meetings/{DEMO_SLUG}/manage/agenda/people?q=sione").get_json() == []
    raw = organiser.get(f"{TEAM}/people?q=<script>").get_data(as_text=True)
    assert "<script>" not in raw


def test_an_ambiguous_name_is_refused_naming_the_candidates(app, organiser):
    response = _appoint(organiser, "Ramírez")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "fits several participants" in page
    assert "Lucía Ramírez (UNODC)" in page and "Pedro Ramírez (UNODC)" in page
    assert _roles("p-unodc@example.org") == set() and _roles("pedro@example.org") == set()
    assert eml_files(app) == []


def test_a_name_nobody_has_is_refused_with_a_way_forward(organiser):
    response = _appoint(organiser, "Nobody Atall")
    assert response.status_code == 422
    assert "Type a participant&#39;s name or an e-mail address." in response.get_data(as_text=True)
    response = _appoint(organiser, "someone@")
    assert response.status_code == 422
    assert "is not a valid e-mail address" in response.get_data(as_text=True)
    assert (
        db.session.scalar(sa.select(sa.func.count()).select_from(MeetingRole)) == 1
    )  # the organiser


def test_an_unknown_address_gets_an_invited_account_told_in_the_meetings_language(app, admin):
    response = _appoint(admin, "New.Person@Example.org", role="organiser")
    assert response.status_code == 303
    user = db.session.scalar(sa.select(User).where(User.email == "New.Person@example.org"))
    assert user is not None and user.password_hash is None
    assert _roles(user.email) == {"organiser"}
    (message,) = delivered_to(app, user.email)
    # Not a participant: the meeting's first language, French.
    assert "Organisateur" in message["Subject"]
    body = _text(message)
    assert "/password/forgot" in body and f"/meetings/{DEMO_SLUG}/manage/" in body
    actions = db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions[-2:] == ["account.created", "team.appointed"]


def test_an_address_of_a_participant_picks_that_participant(app, admin):
    assert _appoint(admin, "P-UNODC@example.org").status_code == 303
    (message,) = delivered_to(app, "p-unodc@example.org")
    assert _text(message).startswith("Estimado/a Lucía Ramírez:")


def test_an_account_with_a_password_is_told_to_sign_in(app, organiser):
    make_account("known@example.org")
    assert _appoint(organiser, "known@example.org").status_code == 303
    (message,) = delivered_to(app, "known@example.org")
    body = _text(message)
    assert "/login" in body and "/password/forgot" not in body


def test_appointing_twice_changes_and_sends_nothing_more(app, organiser):
    assert _appoint(organiser, "pedro@example.org").status_code == 303
    response = _appoint(organiser, "pedro@example.org")
    assert response.status_code == 303
    assert "is Rapporteur already" in organiser.get(TEAM).get_data(as_text=True)
    assert len(delivered_to(app, "pedro@example.org")) == 1
    appointed = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "team.appointed")
    ).all()
    assert len(appointed) == 1


def test_organisers_are_offered_the_rapporteur_role_only(app, organiser, client):
    page = organiser.get(TEAM).get_data(as_text=True)
    assert '<input type="hidden" name="role" value="rapporteur">' in page
    # The heading and the button say what is appointed, not a bare "Appoint".
    assert "<h2>Appoint a rapporteur</h2>" in page
    assert '<button type="submit" class="button">Appoint a rapporteur</button>' in page
    assert "organiser</h2>" not in page and ">Appoint<" not in page
    assert 'value="organiser"' not in page
    assert _appoint(organiser, "pedro@example.org", role="organiser").status_code == 403
    # Roles a meeting does not appoint are no choice at all.
    for role in ("admin", "participant", "chair"):
        assert _appoint(organiser, "pedro@example.org", role=role).status_code == 400
    assert _roles("pedro@example.org") == set()
    assert eml_files(app) == []


def test_administrators_choose_between_rapporteur_and_organiser(admin):
    page = admin.get(TEAM).get_data(as_text=True)
    assert "<h2>Appoint a rapporteur or organiser</h2>" in page
    assert '<button type="submit" class="button">Appoint a rapporteur or organiser</button>' in page
    assert '<option value="rapporteur">Rapporteur</option>' in page
    assert '<option value="organiser">Organiser</option>' in page
    assert 'value="admin"' not in page and 'value="participant"' not in page


def test_removing_an_appointment_asks_first_then_is_audited(organiser):
    assert _appoint(organiser, "pedro@example.org").status_code == 303
    user = db.session.scalar(sa.select(User).where(User.email == "pedro@example.org"))
    assert user is not None
    team = organiser.get(TEAM).get_data(as_text=True)
    path = f"{TEAM}/{user.id}/rapporteur/dismiss"
    assert f'href="{path}"' in team
    confirm = organiser.get(path)
    assert confirm.status_code == 200
    assert "pedro@example.org will no longer be a rapporteur" in confirm.get_data(as_text=True)
    assert _roles("pedro@example.org") == {"rapporteur"}  # asking changes nothing
    assert organiser.post(path).status_code == 400  # no CSRF token: nothing done
    assert _roles("pedro@example.org") == {"rapporteur"}
    response = organiser.post(path, data={"csrf_token": csrf_token(organiser, path)})
    assert response.status_code == 303
    assert _roles("pedro@example.org") == set()
    entry = db.session.scalar(sa.select(AuditEntry).where(AuditEntry.action == "team.dismissed"))
    assert entry is not None and entry.target == "pedro@example.org"
    assert entry.actor == ORGANISER and entry.details == {"role": "rapporteur"}
    # Gone: the page for it is no more.
    assert organiser.get(path).status_code == 404


def test_organisers_cannot_remove_organisers(organiser):
    user = db.session.scalar(sa.select(User).where(User.email == ORGANISER))
    assert user is not None
    path = f"{TEAM}/{user.id}/organiser/dismiss"
    assert organiser.get(path).status_code == 403
    assert organiser.post(path, data={"csrf_token": csrf_token(organiser, TEAM)}).status_code == 403
    assert _roles(ORGANISER) == {"organiser"}
    assert organiser.get(f"{TEAM}/{user.id}/admin/dismiss").status_code == 404
    assert organiser.get(f"{TEAM}/{user.id}/nonsense/dismiss").status_code == 404


def test_the_team_page_is_for_the_meetings_organisers(client):
    _meeting()
    make_account("someone@example.org")
    sign_in(client, "someone@example.org")
    assert client.get(TEAM).status_code == 403
    assert client.get(f"{TEAM}/people?q=ana").status_code == 403
