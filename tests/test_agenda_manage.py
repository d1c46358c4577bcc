"""Organisers add sessions to the agenda in the browser; conflicts are shown, not stored."""

from __future__ import annotations

import sqlalchemy as sa

from eventapp.agenda import versions
from eventapp.extensions import db
from eventapp.models import Session
from tests import helpers
from tests.conftest import DEMO_SLUG, csrf_token, make_account, sign_in

MANAGE = helpers.AGENDA_MANAGE


def session_form(client, **fields):  # type: ignore[no-untyped-def]
    """The add-a-session form with the people a session has."""
    people = {"chairs": ["p-interpol"], "speakers": ["p-traffic", "p-wco"], "rapporteur": "rapp-1"}
    return helpers.session_form(client, **{**people, **fields})


def test_organiser_sees_every_session_and_adds_one(client, demo_meeting):
    make_account("org@example.org", "organiser", meeting=demo_meeting)
    sign_in(client, "org@example.org")
    page = client.get(MANAGE).get_data(as_text=True)
    assert "Closed session of heads of networks" in page
    response = client.post(MANAGE, data=session_form(client))
    assert response.status_code == 303
    db.session.expire_all()
    added = db.session.scalar(sa.select(Session).where(Session.ref == "s-side"))
    assert added.room.ref == "room-b"
    assert [p.ref for p in added.speakers] == ["p-traffic", "p-wco"]
    assert added.rapporteur.ref == "rapp-1"
    # The agenda says so, by the session's title, and lists it.
    page = client.get(MANAGE).get_data(as_text=True)
    assert "“Side event: forensics” is in the draft agenda." in page
    # In the draft until the agenda is published.
    public = f"/meetings/{DEMO_SLUG}/agenda"
    assert "Side event: forensics" not in client.get(public).get_data(as_text=True)
    versions.publish(demo_meeting)
    db.session.commit()
    assert "Side event: forensics" in client.get(public).get_data(as_text=True)


def test_a_taken_room_is_shown_and_nothing_is_stored(client, demo_meeting):
    make_account("org@example.org", "organiser", meeting=demo_meeting)
    sign_in(client, "org@example.org")
    data = session_form(client, start="2013-03-05T09:00", end="2013-03-05T09:45", room="plenary")
    response = client.post(MANAGE, data=data)
    assert response.status_code == 409
    assert "is booked" in response.get_data(as_text=True)
    assert db.session.scalar(sa.select(Session.id).where(Session.ref == "s-side")) is None


def test_bad_input_is_a_form_error(client, demo_meeting):
    make_account("org@example.org", "organiser", meeting=demo_meeting)
    sign_in(client, "org@example.org")
    response = client.post(MANAGE, data=session_form(client, ref="no spaces allowed", title=""))
    assert response.status_code == 400
    assert 'aria-invalid="true"' in response.get_data(as_text=True)


PUBLISH = f"{MANAGE}/publish"
PUBLIC_AGENDA = f"/meetings/{DEMO_SLUG}/agenda"


def test_organisers_see_what_the_draft_changes_and_publish_it_from_the_page(client, demo_meeting):
    from eventapp.models import AgendaVersion

    make_account("org@example.org", "organiser", meeting=demo_meeting)
    sign_in(client, "org@example.org")
    page = client.get(MANAGE).get_data(as_text=True)
    assert "there is nothing to publish" in page
    # A session without a ref gets one made from its title, in the draft only.
    response = client.post(MANAGE, data=session_form(client, ref="", title="Forensic tools"))
    assert response.status_code == 303
    page = client.get(MANAGE).get_data(as_text=True)
    assert "1 change that the public does not see yet" in page
    assert "Forensic tools" in page and "Publish version 2" in page
    assert "Forensic tools" not in client.get(PUBLIC_AGENDA).get_data(as_text=True)
    answer = client.post(PUBLISH, data={"csrf_token": csrf_token(client, MANAGE)})
    assert answer.status_code == 303
    page = client.get(MANAGE).get_data(as_text=True)
    assert "Version 2 of the agenda is published, with 1 change." in page
    assert "there is nothing to publish" in page
    assert "Forensic tools" in client.get(PUBLIC_AGENDA).get_data(as_text=True)
    # Publishing again, with nothing changed, says so and makes no version.
    again = client.post(PUBLISH, data={"csrf_token": csrf_token(client, MANAGE)})
    assert again.status_code == 303
    assert "Nothing has changed since the agenda was last published." in client.get(
        MANAGE
    ).get_data(as_text=True)
    db.session.expire_all()
    assert db.session.scalars(
        sa.select(AgendaVersion.number).order_by(AgendaVersion.number)
    ).all() == [1, 2]


def test_publishing_needs_the_form_and_the_organisers_role(client, demo_meeting):
    from eventapp.models import AgendaVersion

    make_account("org@example.org", "organiser", meeting=demo_meeting)
    make_account("someone@example.org")
    sign_in(client, "org@example.org")
    client.post(MANAGE, data=session_form(client))
    assert client.post(PUBLISH, data={}).status_code == 400  # no CSRF token
    other = client.application.test_client()
    sign_in(other, "someone@example.org")
    token = csrf_token(other, "/account")
    assert other.post(PUBLISH, data={"csrf_token": token}).status_code == 403
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.max(AgendaVersion.number))) == 1
