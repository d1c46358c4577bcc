"""Registration: the online form, the API, quotas, capacity and the waiting list."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from eventapp.extensions import db
from eventapp.models import AuditEntry, Participant, RegistrationStatus
from tests.factories import DEMO_SLUG, make_account, open_meeting, participant
from tests.helpers import (
    REGISTER,
    REGISTRATIONS,
    assert_error,
    bearer,
    csrf_token,
    mail_text,
    registration_count,
    registration_form,
    reset_link,
    sign_in,
)


def test_form_fields_are_named_as_the_schema(client):
    open_meeting()
    html = client.get(REGISTER).get_data(as_text=True)
    for name in (
        "organisation",
        "honorific",
        "given_name",
        "family_name",
        "position",
        "email",
        "role",
        "travel_support_requested",
        "needs_visa_letter",
        "dietary",
        "accessibility",
        "list_consent",
    ):
        assert f'name="{name}"' in html, name
    assert 'value="asean-wen"' in html


def test_register_online_manual_approval_is_pending_and_mailed(app, client):
    open_meeting()
    before = registration_count()
    response = client.post(REGISTER, data=registration_form(client))
    assert response.status_code == 303
    person = db.session.scalar(
        sa.select(Participant).where(Participant.email == "malee@example.org")
    )
    assert person.status is RegistrationStatus.PENDING
    assert person.list_consent is True and person.dietary == "vegetarian"
    assert person.delegation.ref == "th"
    assert registration_count() == before + 1
    outbox = sorted(Path(app.config["OUTBOX_DIR"]).glob("*.eml"), key=lambda p: p.stat().st_mtime)
    assert "malee@example.org" in outbox[-1].read_text()
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "the organisers will confirm it" in page


def test_automatic_approval_within_quota_then_waiting_list(client):
    open_meeting(approval="automatic")  # country quota 2; Thailand has 1 approved already
    assert client.post(REGISTER, data=registration_form(client)).status_code == 303
    second = registration_form(client, email="second@example.org", given_name="Second")
    assert client.post(REGISTER, data=second).status_code == 303
    statuses = dict(
        db.session.execute(
            sa.select(Participant.email, Participant.status).where(
                Participant.email.in_(["malee@example.org", "second@example.org"])
            )
        ).all()
    )
    assert statuses == {
        "malee@example.org": RegistrationStatus.APPROVED,
        "second@example.org": RegistrationStatus.WAITLISTED,
    }


def test_bad_input_is_shown_on_the_form_and_changes_nothing(client):
    open_meeting()
    before = registration_count()
    bad = registration_form(client, email="not-an-address", given_name="", organisation="nowhere")
    response = client.post(REGISTER, data=bad)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "There is a problem" in html
    assert 'aria-invalid="true"' in html
    assert registration_count() == before


def test_a_second_registration_with_the_same_address_is_refused(client):
    open_meeting()
    client.post(REGISTER, data=registration_form(client))
    before = registration_count()
    again = registration_form(client, email="MALEE@example.org")
    response = client.post(REGISTER, data=again)
    assert response.status_code == 400
    assert "already registered" in response.get_data(as_text=True)
    assert registration_count() == before


def test_closed_registration_refuses_and_stores_nothing(client, demo_meeting):
    # The demo meeting's registration closed in 2013.
    assert "closed" in client.get(REGISTER).get_data(as_text=True)
    before = registration_count()
    response = client.post(REGISTER, data=registration_form(client, token_from="/login"))
    assert response.status_code == 403
    assert registration_count() == before


def test_form_needs_csrf(client):
    open_meeting()
    data = registration_form(client)
    del data["csrf_token"]
    assert client.post(REGISTER, data=data).status_code == 400


def test_markup_in_a_name_is_stored_as_text_and_escaped_for_organisers(client):
    open_meeting()
    client.post(REGISTER, data=registration_form(client, given_name="<b>Bold</b>"))
    person = db.session.scalar(
        sa.select(Participant).where(Participant.email == "malee@example.org")
    )
    assert person.given_name == "<b>Bold</b>"
    make_account("org@example.org", "organiser", meeting=person.meeting)
    sign_in(client, "org@example.org")
    html = client.get(f"/meetings/{DEMO_SLUG}/manage/").get_data(as_text=True)
    assert "&lt;b&gt;Bold&lt;/b&gt;" in html and "<b>Bold</b>" not in html


# -- the API -----------------------------------------------------------------------------------


@pytest.fixture
def organiser_api():  # type: ignore[no-untyped-def]
    meeting = open_meeting(capacity=30, quotas={"country": 2, "cso": 1, "igo": 4, "wen": 3})
    make_account("org@example.org", "organiser", meeting=meeting)
    return bearer("org@example.org")


def test_api_registration_follows_manual_approval(client, organiser_api):
    response = client.post(REGISTRATIONS, json=participant(1), headers=organiser_api)
    assert response.status_code == 201
    body = response.get_json()
    assert body["status"] == "pending"
    assert body["ref"] and body["organisation"] == "za"
    assert response.headers["Location"].endswith(f"/registrations/{body['ref']}")
    got = client.get(f"{REGISTRATIONS}/{body['ref']}", headers=organiser_api).get_json()
    assert got == body


def test_api_refuses_ref_status_duplicates_and_bad_organisations(client, organiser_api):
    error = assert_error(
        client.post(
            REGISTRATIONS,
            json={**participant(1), "ref": "x", "status": "approved"},
            headers=organiser_api,
        ),
        422,
        "unprocessable_entity",
    )
    assert {"$.ref", "$.status"} <= set(error["fields"])
    assert client.post(REGISTRATIONS, json=participant(1), headers=organiser_api).status_code == 201
    again = {**participant(1), "email": "PERSON1@example.org"}
    assert_error(client.post(REGISTRATIONS, json=again, headers=organiser_api), 409, "conflict")
    error = assert_error(
        client.post(REGISTRATIONS, json=participant(2, "atlantis"), headers=organiser_api),
        422,
        "unprocessable_entity",
    )
    assert "organisation" in error["fields"]


def test_approve_beyond_quota_waitlists_and_cancel_promotes_the_oldest(client, organiser_api):
    refs = [
        client.post(REGISTRATIONS, json=participant(n), headers=organiser_api).get_json()["ref"]
        for n in range(4)
    ]
    statuses = [
        client.post(f"{REGISTRATIONS}/{ref}/approve", headers=organiser_api).get_json()["status"]
        for ref in refs
    ]
    # South Africa has one approved delegate already; its country quota is 2.
    assert statuses == ["approved", "waitlisted", "waitlisted", "waitlisted"]
    response = client.post(f"{REGISTRATIONS}/{refs[0]}/cancel", headers=organiser_api)
    assert response.get_json()["status"] == "cancelled"
    now = {
        ref: client.get(f"{REGISTRATIONS}/{ref}", headers=organiser_api).get_json()["status"]
        for ref in refs
    }
    assert now == {
        refs[0]: "cancelled",
        refs[1]: "approved",
        refs[2]: "waitlisted",
        refs[3]: "waitlisted",
    }
    actions = db.session.scalars(sa.select(AuditEntry.action)).all()
    assert "registration.approved" in actions and "registration.cancelled" in actions


def test_capacity_counts_all_approved(client, organiser_api):
    from eventapp.models import Meeting

    meeting = db.session.scalar(sa.select(Meeting))
    approved = registration_count(RegistrationStatus.APPROVED)
    meeting.capacity = approved + 1
    db.session.commit()
    first = client.post(REGISTRATIONS, json=participant(1, "ke"), headers=organiser_api).get_json()[
        "ref"
    ]
    second = client.post(
        REGISTRATIONS, json=participant(2, "vn"), headers=organiser_api
    ).get_json()["ref"]
    assert (
        client.post(f"{REGISTRATIONS}/{first}/approve", headers=organiser_api).get_json()["status"]
        == "approved"
    )
    assert (
        client.post(f"{REGISTRATIONS}/{second}/approve", headers=organiser_api).get_json()["status"]
        == "waitlisted"
    )
    assert registration_count(RegistrationStatus.APPROVED) == approved + 1


def test_invalid_transitions_are_409(client, organiser_api):
    ref = client.post(REGISTRATIONS, json=participant(1), headers=organiser_api).get_json()["ref"]
    assert client.post(f"{REGISTRATIONS}/{ref}/cancel", headers=organiser_api).status_code == 200
    assert_error(
        client.post(f"{REGISTRATIONS}/{ref}/decline", headers=organiser_api), 409, "conflict"
    )
    assert_error(
        client.post(f"{REGISTRATIONS}/{ref}/approve", headers=organiser_api), 409, "conflict"
    )
    assert_error(
        client.post(f"{REGISTRATIONS}/nope/approve", headers=organiser_api), 404, "not_found"
    )


def test_list_registrations_filters_by_status(client, organiser_api):
    response = client.get(f"{REGISTRATIONS}?status=waitlisted", headers=organiser_api)
    assert [p["ref"] for p in response.get_json()] == ["p-late"]
    assert_error(
        client.get(f"{REGISTRATIONS}?status=maybe", headers=organiser_api), 400, "bad_request"
    )


def test_organisers_decide_in_the_web_interface(client):
    meeting = open_meeting()
    make_account("org@example.org", "organiser", meeting=meeting)
    sign_in(client, "org@example.org")
    token = csrf_token(client, f"/meetings/{DEMO_SLUG}/manage/")
    response = client.post(
        f"/meetings/{DEMO_SLUG}/manage/registrations/p-pending/approve", data={"csrf_token": token}
    )
    assert response.status_code == 303
    status = db.session.scalar(sa.select(Participant.status).where(Participant.ref == "p-pending"))
    # TRAFFIC (a CSO, quota 2) has one approved observer already: a place is left.
    assert status is RegistrationStatus.APPROVED


# -- concurrency -------------------------------------------------------------------------------


def _at_once(app, jobs):  # type: ignore[no-untyped-def]
    """Run each job in its own thread, all released together; collect status codes."""
    barrier = threading.Barrier(len(jobs))
    results: list[int] = []
    lock = threading.Lock()

    def run(job):  # type: ignore[no-untyped-def]
        client = app.test_client()
        barrier.wait()
        code = job(client)
        with lock:
            results.append(code)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_concurrent_registrations_never_exceed_capacity_and_none_is_lost(app):
    meeting = open_meeting(approval="automatic", quotas={})
    approved_before = registration_count(RegistrationStatus.APPROVED)
    meeting.capacity = approved_before + 3
    db.session.commit()
    make_account("org@example.org", "organiser", meeting=meeting)
    headers = bearer("org@example.org")
    jobs = [
        (
            lambda c, n=n: (
                c.post(REGISTRATIONS, json=participant(100 + n, "ke"), headers=headers).status_code
            )
        )
        for n in range(12)
    ]
    assert sorted(_at_once(app, jobs)) == [201] * 12
    db.session.expire_all()
    assert registration_count(RegistrationStatus.APPROVED) == approved_before + 3
    emails = db.session.scalars(
        sa.select(Participant.email).where(Participant.email.like("person1%"))
    ).all()
    assert len(emails) == 12


def test_concurrent_approvals_never_exceed_the_quota(app):
    meeting = open_meeting(quotas={"country": 3}, capacity=500)
    make_account("org@example.org", "organiser", meeting=meeting)
    headers = bearer("org@example.org")
    client = app.test_client()
    refs = [
        client.post(REGISTRATIONS, json=participant(200 + n, "vn"), headers=headers).get_json()[
            "ref"
        ]
        for n in range(10)
    ]
    jobs = [
        (lambda c, ref=ref: c.post(f"{REGISTRATIONS}/{ref}/approve", headers=headers).status_code)
        for ref in refs
    ]
    assert sorted(_at_once(app, jobs)) == [200] * 10
    db.session.expire_all()
    approved_vn = db.session.scalar(
        sa.select(sa.func.count(Participant.id)).where(
            Participant.status == RegistrationStatus.APPROVED,
            Participant.delegation.has(ref="vn"),
        )
    )
    assert approved_vn == 3


# -- participants manage their own registration -------------------------------------------------


def test_registering_makes_an_account_that_manages_the_registration(app, client):
    from eventapp.accounts import service as accounts

    open_meeting(approval="automatic")
    client.post(REGISTER, data=registration_form(client, email="new.person@example.org"))
    user = accounts.find_user("new.person@example.org")
    assert user is not None and user.password_hash is None
    mail = sorted(Path(app.config["OUTBOX_DIR"]).glob("*.eml"), key=lambda p: p.stat().st_mtime)
    assert "/password/forgot" in mail[-1].read_text()
    accounts.set_password(user, "a long new password")
    db.session.commit()
    assert sign_in(client, "new.person@example.org", "a long new password").status_code == 302
    person = db.session.scalar(
        sa.select(Participant).where(Participant.email == "new.person@example.org")
    )
    page = client.get(f"/account/registrations/{person.id}")
    assert page.status_code == 200
    data = {
        "csrf_token": csrf_token(client, f"/account/registrations/{person.id}"),
        "dietary": "halal",
        "accessibility": "",
        "list_consent": "",
    }
    assert client.post(f"/account/registrations/{person.id}", data=data).status_code == 303
    db.session.expire_all()
    person = db.session.get(Participant, person.id)
    assert (person.dietary, person.list_consent) == ("halal", False)
    token = csrf_token(client, f"/account/registrations/{person.id}")
    response = client.post(f"/account/registrations/{person.id}/cancel", data={"csrf_token": token})
    assert response.status_code == 303
    db.session.expire_all()
    assert db.session.get(Participant, person.id).status is RegistrationStatus.CANCELLED


def test_someone_an_organiser_registers_can_choose_a_password_and_sign_in(
    app, client, organiser_api
):
    response = client.post(REGISTRATIONS, json=participant(7), headers=organiser_api)
    assert response.status_code == 201
    # The person follows the confirmation's advice: "forgotten password", then the link.
    browser = app.test_client()
    token = csrf_token(browser, "/password/forgot")
    answer = browser.post(
        "/password/forgot", data={"email": "person7@example.org", "csrf_token": token}
    )
    assert answer.status_code == 200
    path = reset_link(app, "person7@example.org")
    token = csrf_token(browser, path)
    chosen = "a password of my own"
    answer = browser.post(path, data={"password": chosen, "confirm": chosen, "csrf_token": token})
    assert answer.status_code == 302
    assert sign_in(browser, "person7@example.org", chosen).status_code == 302
    person = db.session.scalar(
        sa.select(Participant).where(Participant.email == "person7@example.org")
    )
    page = browser.get("/account").get_data(as_text=True)
    assert f"/account/registrations/{person.id}" in page
    assert browser.get(f"/account/registrations/{person.id}").status_code == 200


def test_nobody_manages_someone_elses_registration(client):
    open_meeting()
    make_account("intruder@example.org")
    sign_in(client, "intruder@example.org")
    other = db.session.scalar(sa.select(Participant).where(Participant.ref == "p-th-1"))
    assert client.get(f"/account/registrations/{other.id}").status_code == 404
    token = csrf_token(client, "/account")
    response = client.post(f"/account/registrations/{other.id}/cancel", data={"csrf_token": token})
    assert response.status_code == 404
    db.session.expire_all()
    assert db.session.get(Participant, other.id).status is RegistrationStatus.APPROVED


def test_people_are_told_when_their_status_changes(app, client, organiser_api):
    import email as email_parser

    refs = [
        client.post(REGISTRATIONS, json=participant(n), headers=organiser_api).get_json()["ref"]
        for n in range(2)
    ]
    for ref in refs:
        # approved, then waitlisted
        client.post(f"{REGISTRATIONS}/{ref}/approve", headers=organiser_api)
    client.post(f"{REGISTRATIONS}/{refs[0]}/cancel", headers=organiser_api)  # promotes the second

    def told(address: str) -> list[str]:
        bodies = []
        for path in Path(app.config["OUTBOX_DIR"]).glob("*.eml"):
            message = email_parser.message_from_bytes(path.read_bytes())
            if message["To"] == address:
                bodies.append(mail_text(path.read_bytes()))
        return bodies

    second = told("person1@example.org")
    assert any("on the waiting list" in body for body in second)
    assert any("Your registration is approved." in body for body in second)
    assert any("Your registration is cancelled." in body for body in told("person0@example.org"))


def test_the_register_page_gives_the_window_in_the_meetings_local_time(client):
    """Bangkok is UTC+7: 20:30 UTC is 03:30 the next day there, as the settings page shows it."""
    from datetime import UTC, datetime

    from eventapp.models import Meeting

    open_meeting(timezone="Asia/Bangkok")
    meeting = db.session.scalar(sa.select(Meeting))
    meeting.registration_opens = datetime(2999, 1, 1, 20, 30, tzinfo=UTC)
    meeting.registration_closes = datetime(2999, 2, 1, 20, 30, tzinfo=UTC)
    db.session.commit()
    page = client.get(REGISTER).get_data(as_text=True)
    assert "Registration opens on 2 January 2999 at 03:30 (Asia/Bangkok)." in page
    assert '<time datetime="2999-01-02T03:30+07:00">' in page
    assert "1 January 2999" not in page and "20:30" not in page and "(UTC)" not in page
    visitor = client.application.test_client()  # the language chosen stays with the visitor
    french = visitor.get(f"{REGISTER}?lang=fr").get_data(as_text=True)
    assert "Les inscriptions ouvrent le 2 janvier 2999 à 03:30 (Asia/Bangkok)." in french
    make_account("org@example.org", "organiser", meeting=meeting)
    sign_in(client, "org@example.org")
    settings = client.get(f"/meetings/{DEMO_SLUG}/manage/settings").get_data(as_text=True)
    assert 'value="2999-01-02T03:30"' in settings  # the same wall-clock time
    meeting = db.session.scalar(sa.select(Meeting))
    meeting.registration_opens = datetime(2013, 1, 1, tzinfo=UTC)
    meeting.registration_closes = datetime(2013, 2, 28, 20, 30, tzinfo=UTC)
    db.session.commit()
    page = client.get(REGISTER).get_data(as_text=True)
    assert "It closed on 1 March 2013 at 03:30 (Asia/Bangkok)." in page
    assert "28 February" not in page and "(UTC)" not in page


def test_the_meeting_home_invites_to_register_while_registration_is_open(client):
    from datetime import UTC, datetime, timedelta

    from eventapp.models import Meeting

    open_meeting()
    home = f"/meetings/{DEMO_SLUG}/"
    assert f'href="{REGISTER}"' in client.get(home).get_data(as_text=True)
    meeting = db.session.scalar(sa.select(Meeting))
    meeting.registration_opens = datetime.now(UTC) + timedelta(days=3)
    db.session.commit()
    page = client.get(home).get_data(as_text=True)
    assert f'href="{REGISTER}"' not in page and "Registration opens on" in page
