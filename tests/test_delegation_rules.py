"""The rules of delegations (contract 4.4): who may nominate for whom, the meeting's offices,
one head of delegation, travel funding as the organisers' decision; through the API, the
public form, the desk and the command line alike, and under concurrent nominations."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner

from eventapp.accounts import service as accounts
from eventapp.extensions import db
from eventapp.models import FocalPoint, Participant, RegistrationStatus
from tests.factories import DEMO_SLUG, make_focal_point, open_meeting, participant
from tests.helpers import at_once, bearer, csrf_token, organiser_headers

API = f"/api/v1/meetings/{DEMO_SLUG}"


def _stored(email: str) -> Participant | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Participant).where(Participant.email_key == email))


def _focal(email: str = "focal@example.org", organisation: str = "freeland") -> dict[str, str]:
    meeting = open_meeting(approval="automatic")
    make_focal_point(email, meeting, organisation)
    return bearer(email)


# -- a focal point through the API -------------------------------------------------------------


def test_a_focal_point_nominates_for_their_own_organisation(client: FlaskClient) -> None:
    headers = _focal()
    body = participant(1, organisation="freeland", travel_support_requested=True)
    response = client.post(f"{API}/registrations", json=body, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["status"] == "approved"  # automatic, within the cso quota
    assert response.get_json()["travel_support_requested"] is True
    person = _stored("person1@example.org")
    assert person is not None and person.delegation.ref == "freeland"
    assert person.nominated_by_id == accounts.find_user("focal@example.org").id  # type: ignore[union-attr]
    assert person.funded is None  # asking is not being granted


def test_a_focal_point_is_refused_another_organisation(client: FlaskClient) -> None:
    headers = _focal()
    response = client.post(
        f"{API}/registrations", json=participant(2, organisation="traffic"), headers=headers
    )
    assert response.status_code == 403
    assert response.get_json()["error"]["message"]
    assert _stored("person2@example.org") is None
    proposed = participant(3, organisation="")
    del proposed["organisation"]
    response = client.post(f"{API}/registrations", json=proposed, headers=headers)
    assert response.status_code in (403, 422)
    assert _stored("person3@example.org") is None


def test_a_focal_point_lists_only_their_organisation(client: FlaskClient) -> None:
    headers = _focal(organisation="cites")
    listed = client.get(f"{API}/registrations", headers=headers)
    assert listed.status_code == 200
    organisations = {p["organisation"] for p in listed.get_json()}
    assert organisations == {"cites"}
    assert len(listed.get_json()) == 3
    organiser = organiser_headers(_meeting())
    everyone = client.get(f"{API}/registrations", headers=organiser).get_json()
    assert len({p["organisation"] for p in everyone}) > 5


def _meeting():  # type: ignore[no-untyped-def]
    from eventapp.interchange.exporter import load_meeting

    return load_meeting(DEMO_SLUG)


def test_every_organiser_action_is_refused_to_a_focal_point(client: FlaskClient) -> None:
    headers = _focal(organisation="cites")
    cites = client.get(f"{API}/registrations", headers=headers).get_json()[0]["ref"]
    refused = [
        client.get(API, headers=headers),
        client.patch(API, json={"capacity": 500}, headers=headers),
        client.post(f"{API}/registrations/{cites}/approve", headers=headers),
        client.post(f"{API}/registrations/{cites}/cancel", headers=headers),
        client.get(f"{API}/registrations/{cites}", headers=headers),
        client.get(f"{API}/sessions", headers=headers),
        client.post(f"{API}/agenda/publish", headers=headers),
        client.get(f"{API}/actions", headers=headers),
    ]
    assert [r.status_code for r in refused] == [403] * len(refused)
    meeting = _meeting()
    assert meeting.capacity == 120
    assert _stored(client_ref_email(cites)).status is RegistrationStatus.APPROVED  # type: ignore[union-attr]


def client_ref_email(ref: str) -> str:
    return db.session.scalar(sa.select(Participant.email_key).where(Participant.ref == ref)) or ""


def test_a_focal_point_may_not_give_an_office_nor_funding(client: FlaskClient) -> None:
    headers = _focal()
    office = client.post(
        f"{API}/registrations",
        json=participant(4, organisation="freeland", role="chair"),
        headers=headers,
    )
    assert office.status_code == 422
    assert "role" in office.get_json()["error"]["fields"]
    funded = client.post(
        f"{API}/registrations",
        json=participant(5, organisation="freeland", funded=True),
        headers=headers,
    )
    assert funded.status_code == 422
    assert "funded" in funded.get_json()["error"]["fields"]
    assert _stored("person4@example.org") is None and _stored("person5@example.org") is None


def test_an_organiser_still_gives_offices_and_funding(client: FlaskClient) -> None:
    headers = organiser_headers(open_meeting())
    body = participant(6, organisation="freeland", role="secretariat", funded=True)
    response = client.post(f"{API}/registrations", json=body, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["role"] == "secretariat" and response.get_json()["funded"] is True


# -- one head of delegation ----------------------------------------------------------------


def test_a_second_head_of_delegation_is_refused(client: FlaskClient) -> None:
    headers = organiser_headers(open_meeting(approval="automatic"))
    first = participant(7, organisation="freeland", role="head_of_delegation")
    assert client.post(f"{API}/registrations", json=first, headers=headers).status_code == 201
    second = participant(8, organisation="freeland", role="head_of_delegation")
    response = client.post(f"{API}/registrations", json=second, headers=headers)
    assert response.status_code == 422
    assert "head of delegation" in response.get_json()["error"]["fields"]["role"]
    assert _stored("person8@example.org") is None
    # Another organisation has its own head.
    other = participant(9, organisation="traffic", role="head_of_delegation")
    assert client.post(f"{API}/registrations", json=other, headers=headers).status_code == 201


def test_a_declined_head_comes_back_only_when_the_place_is_free(client: FlaskClient) -> None:
    headers = organiser_headers(open_meeting())  # manual approval: everyone pending
    first = client.post(
        f"{API}/registrations",
        json=participant(10, organisation="freeland", role="head_of_delegation"),
        headers=headers,
    ).get_json()["ref"]
    assert client.post(f"{API}/registrations/{first}/decline", headers=headers).status_code == 200
    second = client.post(
        f"{API}/registrations",
        json=participant(11, organisation="freeland", role="head_of_delegation"),
        headers=headers,
    ).get_json()["ref"]
    assert client.post(f"{API}/registrations/{second}/approve", headers=headers).status_code == 200
    again = client.post(f"{API}/registrations/{first}/approve", headers=headers)
    assert again.status_code == 422
    assert "role" in again.get_json()["error"]["fields"]
    assert _stored("person10@example.org").status is RegistrationStatus.DECLINED  # type: ignore[union-attr]
    heads = db.session.scalars(
        sa.select(Participant.ref).where(
            Participant.role == "head_of_delegation",
            Participant.status == RegistrationStatus.APPROVED,
            Participant.delegation.has(ref="freeland"),
        )
    ).all()
    assert heads == [second]


def test_the_public_form_refuses_an_office_and_a_second_head(client: FlaskClient) -> None:
    open_meeting()
    path = f"/meetings/{DEMO_SLUG}/register"
    base = {
        "organisation": "th",
        "given_name": "Somchai",
        "family_name": "Wongsa",
        "email": "somchai@example.org",
    }
    office = client.post(
        path, data={**base, "role": "chair", "csrf_token": csrf_token(client, path)}
    )
    assert office.status_code == 400
    assert "Choose one of the roles offered" in office.get_data(as_text=True)
    head = client.post(
        path, data={**base, "role": "head_of_delegation", "csrf_token": csrf_token(client, path)}
    )
    assert head.status_code == 400
    assert "Thailand has a head of delegation already" in head.get_data(as_text=True)
    assert _stored("somchai@example.org") is None


# -- nominations at the same moment -----------------------------------------------------------


def test_two_focal_points_nominating_at_once_never_exceed_the_quota(app: Flask) -> None:
    meeting = open_meeting(approval="automatic")  # civil society: 2 seats each
    make_focal_point("one@example.org", meeting, "freeland")
    make_focal_point("two@example.org", meeting, "freeland")
    headers = [bearer("one@example.org"), bearer("two@example.org")]
    jobs = [
        (
            lambda c, n=n: (
                c.post(
                    f"{API}/registrations",
                    json=participant(100 + n, organisation="freeland"),
                    headers=headers[n % 2],
                ).status_code
            )
        )
        for n in range(8)
    ]
    assert at_once(app, jobs) == [201] * 8
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(Participant.email_key, Participant.status).where(
            Participant.delegation.has(ref="freeland")
        )
    ).all()
    approved = [email for email, status in rows if status is RegistrationStatus.APPROVED]
    assert len(approved) == 2  # the quota, exactly: never more, no seat left empty
    new = {email: status for email, status in rows if email.startswith("person1")}
    assert len(new) == 8  # no nomination lost
    assert all(
        status in (RegistrationStatus.APPROVED, RegistrationStatus.WAITLISTED)
        for status in new.values()
    )


# -- the command line ---------------------------------------------------------------------------


def test_user_create_makes_a_focal_point(runner: FlaskCliRunner, demo_meeting: Any) -> None:
    args = ["user", "create", "Focal@Example.org", "--role", "focal-point", "--meeting", DEMO_SLUG]
    result = runner.invoke(args=[*args, "--organisation", "sawen"])
    assert result.exit_code == 0, result.output
    assert "focal-point of sawen" in result.output
    user = accounts.find_user("focal@example.org")
    assert user is not None and not user.is_admin
    (appointment,) = db.session.scalars(sa.select(FocalPoint).where(FocalPoint.user_id == user.id))
    assert appointment.delegation.ref == "sawen"
    # An account that exists already (a participant's, say) is appointed as it is.
    again = runner.invoke(args=[*args, "--organisation", "latf"])
    assert again.exit_code == 0, again.output
    assert "appointed focal-point of latf" in again.output
    db.session.expire_all()
    refs = db.session.scalars(
        sa.select(FocalPoint.delegation_id).where(FocalPoint.user_id == user.id)
    ).all()
    assert len(refs) == 2


def test_user_create_says_what_a_focal_point_lacks(
    runner: FlaskCliRunner, demo_meeting: Any
) -> None:
    no_org = runner.invoke(
        args=["user", "create", "f@example.org", "--role", "focal-point", "--meeting", DEMO_SLUG]
    )
    assert no_org.exit_code == 1 and "--organisation REF" in no_org.output
    unknown = runner.invoke(
        args=[
            "user",
            "create",
            "f@example.org",
            "--role",
            "focal-point",
            "--meeting",
            DEMO_SLUG,
            "--organisation",
            "nowhere",
        ]
    )
    assert unknown.exit_code == 1 and "no organisation with ref 'nowhere'" in unknown.output
    misplaced = runner.invoke(
        args=["user", "create", "f@example.org", "--role", "admin", "--organisation", "sawen"]
    )
    assert misplaced.exit_code == 1 and "focal point" in misplaced.output
    assert accounts.find_user("f@example.org") is None


# -- documents ----------------------------------------------------------------------------------


def test_a_document_with_two_heads_of_one_organisation_is_refused() -> None:
    from eventapp.interchange.validate import check_document
    from tests.factories import demo_document

    doc = demo_document()
    assert check_document(doc) == []
    people = doc["participants"]
    index = next(n for n, p in enumerate(people) if p["ref"] == "p-za-1")
    people[index]["organisation"] = "th"  # Thailand has its head, p-th-1, already
    problems = check_document(doc)
    assert [(p.path, "head of delegation" in p.message) for p in problems] == [
        (f"$.participants[{index}].role", True)
    ]
    people[index]["status"] = "declined"  # a declined head holds no seat
    assert check_document(doc) == []


# -- invitations ----------------------------------------------------------------------------


def test_an_invitation_link_sets_a_password_once(client: FlaskClient, demo_meeting: Any) -> None:
    user = make_focal_point("invited@example.org", demo_meeting, "sawen")
    user.password_hash = None  # named by an organiser: no password yet
    db.session.commit()
    link = accounts.invitation_link(user)
    path = link.removeprefix(str(client.application.config["BASE_URL"]))
    assert client.get(path).status_code == 200
    data = {
        "csrf_token": csrf_token(client, path),
        "password": "a-long-enough-password",
        "confirm": "a-long-enough-password",
    }
    assert client.post(path, data=data).status_code in (302, 303)
    db.session.expire_all()
    assert accounts.check_password(
        accounts.find_user("invited@example.org"), "a-long-enough-password"
    )  # type: ignore[arg-type]
    assert client.get(path).status_code == 400  # used: the password it was made for changed
    assert accounts.user_for_reset_token(path.rsplit("/", 1)[1] + "x") is None


# -- the desk's history -------------------------------------------------------------------------


def test_the_desk_history_says_what_the_focal_point_did(client: FlaskClient, desk: Any) -> None:
    from eventapp.delegations import nominations
    from eventapp.delegations import service as delegations
    from eventapp.registration import service as registration

    focal = make_focal_point("focal@example.org", desk, "asean-wen")
    asean = delegations.delegation(desk, "asean-wen")
    assert asean is not None
    delegate = db.session.scalar(sa.select(Participant).where(Participant.ref == "p-asean-2"))
    assert delegate is not None
    nominations.make_head(desk, asean, delegate)
    request = registration.RegistrationRequest(
        organisation="asean-wen",
        given_name="Nia",
        family_name="Rahman",
        email="nia@example.org",
    )
    newcomer = nominations.replace(desk, asean, delegate, request, by=focal)
    db.session.commit()
    page = client.get(f"/meetings/{DEMO_SLUG}/manage/registrations/p-asean-2").get_data(
        as_text=True
    )
    assert "Role changed from Delegate to Head of delegation" in page
    assert f"Replaced by {newcomer.ref}" in page
    assert "registration.replaced" not in page and "registration.role_changed" not in page
    page = client.get(f"/meetings/{DEMO_SLUG}/manage/registrations/{newcomer.ref}").get_data(
        as_text=True
    )
    assert "Replaces p-asean-2" in page


def test_a_focal_point_finds_their_delegation_on_their_account_page(
    client: FlaskClient, demo_meeting: Any
) -> None:
    from tests.helpers import sign_in

    make_focal_point("focal@example.org", demo_meeting, "sawen")
    sign_in(client, "focal@example.org")
    page = client.get("/account").get_data(as_text=True)
    assert "Delegations you speak for" in page
    assert f'href="/meetings/{DEMO_SLUG}/delegations/sawen"' in page
    assert client.get(f"/meetings/{DEMO_SLUG}/delegations/sawen").status_code == 200
