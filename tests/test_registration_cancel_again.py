"""A participant cancels their own registration (a confirmation page first, an e-mail after),
and may register again for the same meeting with the same address."""

from __future__ import annotations

import sqlalchemy as sa
from flask.testing import FlaskClient

from eventapp.extensions import db
from eventapp.models import AuditEntry, Participant, RegistrationStatus
from tests.factories import make_account, open_meeting
from tests.helpers import (
    REGISTER,
    csrf_token,
    form_fields,
    registration_form,
    sign_in,
    texts_to,
)

MALEE = "malee@example.org"


def _person() -> Participant:
    db.session.expire_all()
    person = db.session.scalar(sa.select(Participant).where(Participant.email == MALEE))
    assert person is not None
    return person


def _registered(client: FlaskClient, **fields: str) -> Participant:
    """Malee, with an account, registered online and signed in."""
    make_account(MALEE)
    assert client.post(REGISTER, data=registration_form(client, **fields)).status_code == 303
    sign_in(client, MALEE)
    return _person()


def _cancel(client: FlaskClient, person: Participant) -> str:
    path = f"/account/registrations/{person.id}/cancel"
    response = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert response.status_code == 303
    return response.headers["Location"]


def test_the_own_page_links_to_a_confirmation_page_that_changes_nothing(client):
    open_meeting()
    person = _registered(client)
    own = client.get(f"/account/registrations/{person.id}").get_data(as_text=True)
    path = f"/account/registrations/{person.id}/cancel"
    assert f'href="{path}"' in own
    page = client.get(path)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Cancel your registration?" in html
    assert "register again" in html and "waiting list" in html
    assert 'name="csrf_token"' in html
    assert _person().status is RegistrationStatus.PENDING


def test_cancelling_needs_the_csrf_token(client):
    open_meeting()
    person = _registered(client)
    assert client.post(f"/account/registrations/{person.id}/cancel").status_code == 400
    assert _person().status is RegistrationStatus.PENDING


def test_cancelling_frees_the_place_and_tells_the_person(app, client):
    open_meeting(approval="automatic")
    person = _registered(client)
    assert person.status is RegistrationStatus.APPROVED
    before = len(texts_to(app, MALEE))
    assert _cancel(client, person) == "/account"
    assert _person().status is RegistrationStatus.CANCELLED
    texts = texts_to(app, MALEE)
    assert len(texts) == before + 1
    assert "Your registration is cancelled." in texts[-1]


def test_a_cancelled_registration_has_no_cancel_page(client):
    open_meeting()
    person = _registered(client)
    _cancel(client, person)
    response = client.get(f"/account/registrations/{person.id}/cancel")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/account/registrations/{person.id}"
    own = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Cancel my registration" not in own
    assert f'href="{REGISTER}?again={person.id}">Register again</a>' in own


def test_a_cancelled_registration_shows_and_takes_no_change_of_needs_or_consent(client):
    open_meeting()
    person = _registered(client)
    own_page = f"/account/registrations/{person.id}"
    assert "Your needs and your consent" in client.get(own_page).get_data(as_text=True)
    token = csrf_token(client, own_page)
    _cancel(client, person)
    own = client.get(own_page).get_data(as_text=True)
    assert "Your needs and your consent" not in own and 'name="dietary"' not in own
    assert f'href="{REGISTER}?again={person.id}">Register again</a>' in own
    # A form left open in another tab, sent after cancelling: refused, nothing changed.
    data = {"csrf_token": token, "dietary": "halal", "accessibility": "ramp", "list_consent": ""}
    response = client.post(own_page, data=data)
    assert response.status_code == 303
    assert response.headers["Location"] == own_page
    page = client.get(own_page).get_data(as_text=True)
    assert "Your registration is cancelled: your needs and your consent can no longer" in page
    person = _person()
    assert person.status is RegistrationStatus.CANCELLED
    assert (person.dietary, person.accessibility, person.list_consent) == ("vegetarian", None, True)
    assert not db.session.scalar(
        sa.select(sa.func.count(AuditEntry.id)).where(
            AuditEntry.action == "registration.updated_by_participant"
        )
    )


def test_a_cancelled_person_registers_again_in_the_same_registration(client):
    open_meeting()
    person = _registered(client)
    ref, pk = person.ref, person.id
    _cancel(client, person)
    again = registration_form(
        client, organisation="vn", position="Head of wildlife unit", language="es"
    )
    response = client.post(REGISTER, data=again)
    assert response.status_code == 303, response.get_data(as_text=True)
    person = _person()
    assert (person.id, person.ref) == (pk, ref)  # one registration per address and meeting
    assert person.status is RegistrationStatus.PENDING
    assert person.delegation.ref == "vn" and person.position == "Head of wildlife unit"
    assert person.language == "es"
    assert (
        db.session.scalar(
            sa.select(sa.func.count(Participant.id)).where(Participant.email == MALEE)
        )
        == 1
    )
    actions = db.session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.target.contains(ref)).order_by(AuditEntry.id)
    ).all()
    assert actions[-3:] == [
        "registration.cancelled",
        "registration.pending",
        "registration.renewed",
    ]


def test_registering_again_follows_the_approval_rule(client):
    open_meeting(approval="automatic")
    person = _registered(client)
    _cancel(client, person)  # Thailand's place goes to the person waiting for it
    assert client.post(REGISTER, data=registration_form(client)).status_code == 303
    assert _person().status is RegistrationStatus.WAITLISTED
    _cancel(client, _person())
    assert (
        client.post(REGISTER, data=registration_form(client, organisation="ke")).status_code == 303
    )
    assert _person().status is RegistrationStatus.APPROVED


def test_a_live_or_declined_registration_still_refuses_a_second_one(app, client):
    open_meeting()
    _registered(client)
    other = app.test_client()
    response = other.post(REGISTER, data=registration_form(other))
    assert response.status_code == 400
    assert "already registered" in response.get_data(as_text=True)
    person = _person()
    person.status = RegistrationStatus.DECLINED
    db.session.commit()
    response = other.post(REGISTER, data=registration_form(other))
    assert response.status_code == 400
    assert _person().status is RegistrationStatus.DECLINED


def test_the_organisers_read_registered_again_in_the_history(app):
    """Not the log's code for it: the registration's page says it in words."""
    from eventapp.registration.desk import history_lines

    renewed = AuditEntry(action="registration.renewed", actor=MALEE, details={})
    with app.test_request_context():
        [line] = history_lines([renewed], {})
    assert line.what == "Registered again"


def test_registering_again_starts_from_the_cancelled_registration(client):
    open_meeting()
    person = _registered(client, language="fr", position="Customs officer")
    _cancel(client, person)
    fields = form_fields(client.get(f"{REGISTER}?again={person.id}").get_data(as_text=True))
    assert fields["given_name"] == "Malee" and fields["family_name"] == "Suksawat"
    assert fields["email"] == MALEE and fields["position"] == "Customs officer"
    assert fields["organisation"] == "th" and fields["language"] == "fr"
    assert fields["dietary"] == "vegetarian" and fields["list_consent"] == "y"
    # Sent as it stands, it registers her again, in the same registration.
    response = client.post(REGISTER, data={**fields, "csrf_token": csrf_token(client, REGISTER)})
    assert response.status_code == 303, response.get_data(as_text=True)
    assert _person().status is RegistrationStatus.PENDING and _person().language == "fr"


def test_only_ones_own_cancelled_registration_fills_the_form(client):
    open_meeting()
    person = _registered(client)
    # Not cancelled: the form starts empty, as it does for an unknown or someone else's number.
    for again in (person.id, person.id + 1000):
        fields = form_fields(client.get(f"{REGISTER}?again={again}").get_data(as_text=True))
        assert not fields.get("given_name") and not fields.get("email")
