""" "My organisation is not listed": a registrant names one; it stays unconfirmed (hidden from
the public and from others' form, its people pending) until an organiser confirms or merges it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from eventapp.extensions import db
from eventapp.models import AuditEntry, Delegation, Meeting, Participant, RegistrationStatus
from tests.factories import DEMO_SLUG, make_account, open_meeting
from tests.helpers import (
    REGISTER,
    csrf_token,
    form_fields,
    registration_form,
    sign_in,
    texts_to,
)

ORGANISATIONS = f"/meetings/{DEMO_SLUG}/manage/organisations"
PARTICIPANTS = f"/meetings/{DEMO_SLUG}/participants"


def _unlisted(client: FlaskClient, **overrides: str) -> dict[str, str]:
    """Malee's registration for an organisation the meeting does not list."""
    data = registration_form(
        client,
        organisation="",
        new_organisation_name="Mekong Customs Network",
        new_organisation_kind="wen",
        new_organisation_country="LA",
    )
    data.update(overrides)
    return data


def _person(address: str = "malee@example.org") -> Participant:
    db.session.expire_all()
    person = db.session.scalar(sa.select(Participant).where(Participant.email == address))
    assert person is not None
    return person


def _organiser(app: Flask, meeting: Meeting) -> FlaskClient:
    make_account("org@example.org", "organiser", meeting=meeting)
    client = app.test_client()
    sign_in(client, "org@example.org")
    return client


@pytest.fixture
def organiser(app: Flask) -> FlaskClient:
    """An organiser's browser; the demo meeting open for registration, manual approval."""
    return _organiser(app, open_meeting())


def _confirm(organiser: FlaskClient, ref: str) -> int:
    token = csrf_token(organiser, ORGANISATIONS)
    response = organiser.post(f"{ORGANISATIONS}/{ref}/confirm", data={"csrf_token": token})
    return response.status_code


def test_the_form_offers_a_new_organisation_with_every_country_in_the_page_language(client):
    open_meeting()
    html = client.get(REGISTER).get_data(as_text=True)
    assert "My organisation is not listed" in html
    for name in ("new_organisation_name", "new_organisation_kind", "new_organisation_country"):
        assert f'name="{name}"' in html, name
    assert '<option value="BT">Bhutan</option>' in html
    assert "<details" in html and '<details class="unlisted" open' not in html
    french = client.get(f"{REGISTER}?lang=fr").get_data(as_text=True)
    assert '<option value="BT">Bhoutan</option>' in french


@pytest.mark.parametrize("approval", ["manual", "automatic"])
def test_a_registration_for_an_unlisted_organisation_is_pending_and_hidden(client, approval):
    open_meeting(approval=approval)
    response = client.post(REGISTER, data=_unlisted(client, list_consent="y"))
    assert response.status_code == 303, response.get_data(as_text=True)
    person = _person()
    assert person.status is RegistrationStatus.PENDING  # whatever the approval rule
    assert person.delegation.name == "Mekong Customs Network"
    assert person.delegation.confirmed is False
    assert person.delegation.country == "LA"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "will first confirm Mekong Customs Network" in page
    # Nobody else sees it: not in the form, not on the public list.
    other = client.get(REGISTER).get_data(as_text=True)
    assert "Mekong Customs Network" not in other
    assert "Mekong Customs Network" not in client.get(PARTICIPANTS).get_data(as_text=True)
    assert db.session.scalar(
        sa.select(AuditEntry.id).where(AuditEntry.action == "organisation.proposed")
    )


def test_choosing_an_unconfirmed_organisation_by_its_ref_is_refused(client):
    open_meeting()
    client.post(REGISTER, data=_unlisted(client))
    ref = _person().delegation.ref
    data = registration_form(client, organisation=ref, email="forger@example.org")
    response = client.post(REGISTER, data=data)
    assert response.status_code == 400
    assert "Choose the organisation you represent." in response.get_data(as_text=True)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"organisation": "th"}, "new_organisation_name", "not both"),
        ({"new_organisation_kind": ""}, "new_organisation_kind", "Choose the kind"),
        ({"new_organisation_country": "QQ"}, "new_organisation_country", "Choose one of"),
        ({"new_organisation_name": ""}, "organisation", "or name it below"),
        ({"new_organisation_name": "x" * 301}, "new_organisation_name", "300 characters"),
    ],
)
def test_bad_new_organisations_are_shown_at_their_field_and_nothing_is_stored(
    client, overrides, field, message
):
    open_meeting()
    before = db.session.scalar(sa.select(sa.func.count(Delegation.id)))
    response = client.post(REGISTER, data=_unlisted(client, **overrides))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="{field}-error"' in html and message in html
    if field != "organisation":
        assert '<details class="unlisted" open' in html  # the part at fault is shown
    assert db.session.scalar(sa.select(sa.func.count(Delegation.id))) == before
    assert (
        db.session.scalar(sa.select(Participant.id).where(Participant.email == "malee@example.org"))
        is None
    )


def test_naming_an_organisation_the_meeting_lists_joins_it(client):
    open_meeting()
    data = _unlisted(client, new_organisation_name="  thailand ", new_organisation_kind="country")
    assert client.post(REGISTER, data=data).status_code == 303
    person = _person()
    assert person.delegation.ref == "th" and person.delegation.confirmed


def test_an_organiser_cannot_approve_before_confirming(client, organiser):
    client.post(REGISTER, data=_unlisted(client))
    person = _person()
    token = csrf_token(organiser, f"/meetings/{DEMO_SLUG}/manage/registrations/{person.ref}")
    response = organiser.post(
        f"/meetings/{DEMO_SLUG}/manage/registrations/{person.ref}/approve",
        data={"csrf_token": token},
        follow_redirects=True,
    )
    assert "is not confirmed yet" in response.get_data(as_text=True)
    assert _person().status is RegistrationStatus.PENDING


def test_the_organisers_page_lists_it_and_confirming_tells_the_person(app, client, organiser):
    client.post(REGISTER, data=_unlisted(client, language="fr"))
    person = _person()
    html = organiser.get(ORGANISATIONS).get_data(as_text=True)
    assert "Named by registrants, to confirm" in html
    assert f"{ORGANISATIONS}/{person.delegation.ref}/confirm" in html
    assert "<bdi>Malee Suksawat</bdi>" in html  # who named it
    told = len(texts_to(app, "malee@example.org"))
    # Without the CSRF token nothing happens.
    assert organiser.post(f"{ORGANISATIONS}/{person.delegation.ref}/confirm").status_code == 400
    assert _person().delegation.confirmed is False
    assert _confirm(organiser, person.delegation.ref) == 303
    person = _person()
    assert person.delegation.confirmed is True
    # Manual approval: confirming the organisation is not approving the person.
    assert person.status is RegistrationStatus.PENDING
    mails = texts_to(app, "malee@example.org")
    assert len(mails) == told + 1
    assert "Mekong Customs Network" in mails[-1]
    # In the language Malee chose (the new sentence itself awaits its translation).
    assert mails[-1].startswith("Bonjour Malee Suksawat,")
    assert "Mekong Customs Network" in client.get(REGISTER).get_data(as_text=True)
    assert "Named by registrants" not in organiser.get(ORGANISATIONS).get_data(as_text=True)
    assert db.session.scalar(
        sa.select(AuditEntry.id).where(AuditEntry.action == "organisation.confirmed")
    )


def test_with_automatic_approval_confirming_applies_the_rule(app, client):
    organiser = _organiser(app, open_meeting(approval="automatic"))
    client.post(REGISTER, data=_unlisted(client))
    assert _person().status is RegistrationStatus.PENDING
    assert _confirm(organiser, _person().delegation.ref) == 303
    assert _person().status is RegistrationStatus.APPROVED
    assert "Your registration is approved." in texts_to(app, "malee@example.org")[-1]


def test_merging_it_into_a_listed_organisation_moves_and_tells_the_person(app, client, organiser):
    client.post(REGISTER, data=_unlisted(client))
    ref = _person().delegation.ref
    merge = f"{ORGANISATIONS}/{ref}/merge?into=th"
    plan = organiser.get(merge).get_data(as_text=True)
    assert "they are told by e-mail that they are now registered for Thailand" in plan
    token = csrf_token(organiser, merge)
    assert organiser.post(merge, data={"csrf_token": token}).status_code == 303
    person = _person()
    assert person.delegation.ref == "th"
    assert person.status is RegistrationStatus.PENDING
    assert "you are now registered for Thailand" in texts_to(app, "malee@example.org")[-1]


def test_an_approved_person_is_not_moved_to_an_unconfirmed_organisation(client, organiser):
    client.post(REGISTER, data=_unlisted(client))
    unconfirmed = _person().delegation.ref
    approved = db.session.scalar(
        sa.select(Participant).where(Participant.status == RegistrationStatus.APPROVED).limit(1)
    )
    assert approved is not None
    ref, before = approved.ref, approved.delegation.ref
    edit = f"/meetings/{DEMO_SLUG}/manage/registrations/{ref}/edit"
    data = form_fields(organiser.get(edit).get_data(as_text=True))
    data["organisation"] = unconfirmed
    response = organiser.post(edit, data=data)
    assert response.status_code == 400
    assert "is not confirmed yet" in response.get_data(as_text=True)
    db.session.expire_all()
    moved = db.session.scalar(sa.select(Participant).where(Participant.ref == ref))
    assert moved is not None and moved.delegation.ref == before
