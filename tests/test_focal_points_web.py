"""Issue 11 in the browser's terms: organisers name each organisation's focal points; a focal
point sees their delegation, nominates its people, names its head, replaces and withdraws
people; everyone concerned is told by e-mail in their language; nobody acts for another
organisation. The demo meeting's ASEAN-WEN: quota 3 (its kind's), two approved, p-asean-1 its
head."""

from __future__ import annotations

import re
from email.message import EmailMessage

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from eventapp.extensions import db
from eventapp.models import (
    AuditEntry,
    Delegation,
    FocalPoint,
    Meeting,
    Participant,
    ParticipantRole,
    RegistrationStatus,
    User,
)
from tests.factories import demo_document, load, make_account, make_focal_point, open_meeting
from tests.helpers import csrf_token, delivered_to, mail_text, sign_in

FOCAL = "focal@example.org"
SLUG = "first-global-wen-meeting"
ASEAN = f"/meetings/{SLUG}/delegations/asean-wen"
SAWEN = f"/meetings/{SLUG}/delegations/sawen"
FOCAL_POINTS = f"/meetings/{SLUG}/manage/organisations/asean-wen/focal-points"
APPROVED = RegistrationStatus.APPROVED
WAITLISTED = RegistrationStatus.WAITLISTED


def _person(ref: str) -> Participant:
    db.session.expire_all()
    found = db.session.scalar(sa.select(Participant).where(Participant.ref == ref))
    assert found is not None, ref
    return found


def _by_email(email: str) -> Participant | None:
    db.session.expire_all()
    return db.session.scalar(sa.select(Participant).where(Participant.email == email))


def _count(status: RegistrationStatus, organisation: str = "asean-wen") -> int:
    db.session.expire_all()
    return int(
        db.session.scalar(
            sa.select(sa.func.count(Participant.id))
            .join(Delegation, Participant.delegation_id == Delegation.id)
            .where(Delegation.ref == organisation, Participant.status == status)
        )
        or 0
    )


def _nomination(client: FlaskClient, path: str, **fields: str) -> dict[str, str]:
    data = {
        "csrf_token": csrf_token(client, path),
        "given_name": "Siti",
        "family_name": "Rahman",
        "position": "Wildlife officer",
        "email": "siti@example.org",
        "role": "delegate",
        "language": "en",
        "list_consent": "y",
    }
    data.update(fields)
    return data


def _html_part(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("html",))
    assert isinstance(part, EmailMessage)
    return str(part.get_content())


@pytest.fixture
def focal(client: FlaskClient) -> Meeting:
    """The demo meeting, open with automatic approval; ASEAN-WEN's focal point signed in."""
    meeting = open_meeting(approval="automatic")
    make_focal_point(FOCAL, meeting, "asean-wen")
    assert sign_in(client, FOCAL).status_code == 302
    return meeting


# -- organisers name focal points -------------------------------------------------------------


def test_an_organiser_names_a_new_focal_point_who_is_told_how_to_choose_a_password(
    app: Flask, client: FlaskClient, desk: Meeting
) -> None:
    page = client.get(f"/meetings/{SLUG}/manage/organisations/asean-wen")
    assert FOCAL_POINTS in page.get_data(as_text=True)  # the organisation's page links to it
    answer = client.post(
        FOCAL_POINTS,
        data={"csrf_token": csrf_token(client, FOCAL_POINTS), "email": "new-fp@example.org"},
    )
    assert answer.status_code == 303
    listed = client.get(FOCAL_POINTS).get_data(as_text=True)
    assert "new-fp@example.org" in listed and "has not chosen a password yet" in listed
    (message,) = delivered_to(app, "new-fp@example.org")
    text = mail_text(message)
    assert "focal point of ASEAN Wildlife Enforcement Network" in text
    assert re.search(r"http://\S+/password/reset/\S+", text)
    assert f"{ASEAN}" in text
    assert 'lang="en"' in _html_part(message)  # no registration: the meeting's first language
    link = re.search(r"http://[^/\s]+(/password/reset/\S+)", text)
    assert link is not None and client.get(link.group(1)).status_code == 200
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "delegation.focal_point_named")
    )
    assert entry is not None and entry.target == "new-fp@example.org"


def test_a_participant_picked_as_focal_point_is_told_in_their_language(
    app: Flask, client: FlaskClient, desk: Meeting
) -> None:
    head = _person("p-asean-1")
    head.language = "fr"
    db.session.commit()
    answer = client.post(
        FOCAL_POINTS,
        data={"csrf_token": csrf_token(client, FOCAL_POINTS), "participant": "p-asean-1"},
    )
    assert answer.status_code == 303
    (message,) = delivered_to(app, "p-asean-1@example.org")
    assert 'lang="fr"' in _html_part(message)
    assert db.session.scalar(sa.select(sa.func.count(FocalPoint.id))) == 1


def test_a_focal_point_with_a_password_is_told_to_sign_in(
    app: Flask, client: FlaskClient, desk: Meeting
) -> None:
    make_account("known@example.org")
    client.post(
        FOCAL_POINTS,
        data={"csrf_token": csrf_token(client, FOCAL_POINTS), "email": "known@example.org"},
    )
    (message,) = delivered_to(app, "known@example.org")
    text = mail_text(message)
    assert "/login" in text and "/password/reset/" not in text


def test_naming_needs_an_address_and_an_unconfirmed_organisation_gets_none(
    client: FlaskClient, desk: Meeting
) -> None:
    token = csrf_token(client, FOCAL_POINTS)
    empty = client.post(FOCAL_POINTS, data={"csrf_token": token, "email": ""})
    assert empty.status_code == 400
    assert "Type the focal point" in empty.get_data(as_text=True)
    bad = client.post(FOCAL_POINTS, data={"csrf_token": token, "email": "not an address"})
    assert bad.status_code == 400
    asean = db.session.scalar(sa.select(Delegation).where(Delegation.ref == "asean-wen"))
    assert asean is not None
    asean.confirmed = False
    db.session.commit()
    refused = client.post(FOCAL_POINTS, data={"csrf_token": token, "email": "x@example.org"})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert re.search(r'id="email-error">[^<]*is not confirmed yet', html)
    assert db.session.scalar(sa.select(sa.func.count(FocalPoint.id))) == 0
    assert db.session.scalar(sa.select(User).where(User.email == "x@example.org")) is None


def test_an_organiser_removes_a_focal_point_after_a_confirmation_page(
    client: FlaskClient, desk: Meeting
) -> None:
    user = make_focal_point(FOCAL, desk, "asean-wen")
    remove = f"{FOCAL_POINTS}/{user.id}/remove"
    page = client.get(remove)
    assert page.status_code == 200
    assert "Yes, remove the focal point" in page.get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(FocalPoint.id))) == 1
    answer = client.post(remove, data={"csrf_token": csrf_token(client, remove)})
    assert answer.status_code == 303
    assert db.session.scalar(sa.select(sa.func.count(FocalPoint.id))) == 0
    assert client.get(remove).status_code == 404  # not a focal point any more


# -- the delegation's page --------------------------------------------------------------------


def test_a_focal_point_sees_their_delegation_head_first_and_its_places(
    client: FlaskClient, focal: Meeting
) -> None:
    html = client.get(ASEAN).get_data(as_text=True)
    assert "ASEAN Wildlife Enforcement Network" in html
    assert "2 of 3 places" in html
    rows = re.findall(r"<tr>\s*<td><bdi>([^<]+)</bdi>", html)
    head = _person("p-asean-1")
    other = _person("p-asean-2")
    assert [r.strip() for r in rows] == [
        f"{head.honorific + ' ' if head.honorific else ''}{head.full_name}",
        f"{other.honorific + ' ' if other.honorific else ''}{other.full_name}",
    ]
    assert "Head of delegation" in html and "Approved" in html
    assert "Make head of delegation" in html  # for the delegate, not for the head
    assert html.count("Make head of delegation") == 1


def test_the_delegations_landing_page(client: FlaskClient, focal: Meeting) -> None:
    # One delegation: straight to it.
    answer = client.get(f"/meetings/{SLUG}/delegations/")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(ASEAN)
    # Two: a list of both.
    make_focal_point(FOCAL, focal, "sawen")
    both = client.get(f"/meetings/{SLUG}/delegations/").get_data(as_text=True)
    assert ASEAN in both and SAWEN in both


def test_organisers_see_every_delegation(client: FlaskClient, desk: Meeting) -> None:
    html = client.get(f"/meetings/{SLUG}/delegations/").get_data(as_text=True)
    assert ASEAN in html and SAWEN in html
    assert client.get(ASEAN).status_code == 200


def test_markup_in_names_is_shown_as_text(client: FlaskClient, focal: Meeting) -> None:
    path = f"{ASEAN}/nominate"
    client.post(path, data=_nomination(client, path, given_name="<b>Bold</b>"))
    html = client.get(ASEAN).get_data(as_text=True)
    assert "&lt;b&gt;Bold&lt;/b&gt;" in html and "<b>Bold</b>" not in html


# -- nominating -------------------------------------------------------------------------------


def test_a_nomination_is_approved_while_places_last_then_waits_and_is_told(
    app: Flask, client: FlaskClient, focal: Meeting
) -> None:
    path = f"{ASEAN}/nominate"
    assert client.get(path).status_code == 200
    answer = client.post(path, data=_nomination(client, path, language="es"))
    assert answer.status_code == 303
    siti = _by_email("siti@example.org")
    assert siti is not None and siti.status is APPROVED
    fp = db.session.scalar(sa.select(User).where(User.email == FOCAL))
    assert fp is not None and siti.nominated_by_id == fp.id
    (message,) = delivered_to(app, "siti@example.org")
    text = mail_text(message)
    assert f"/account/registrations/{siti.id}" in text
    assert FOCAL in text  # who nominated them: their focal point
    assert re.search(r"http://\S+/password/reset/\S+", text)  # no password yet
    assert 'lang="es"' in _html_part(message)
    # The quota of 3 is reached: the next waits.
    more = _nomination(client, path, email="tan@example.org", given_name="Tan")
    assert client.post(path, data=more).status_code == 303
    tan = _by_email("tan@example.org")
    assert tan is not None and tan.status is WAITLISTED


def test_with_manual_approval_a_nomination_is_pending(client: FlaskClient) -> None:
    meeting = open_meeting(approval="manual")
    make_focal_point(FOCAL, meeting, "asean-wen")
    sign_in(client, FOCAL)
    path = f"{ASEAN}/nominate"
    assert client.post(path, data=_nomination(client, path)).status_code == 303
    siti = _by_email("siti@example.org")
    assert siti is not None and siti.status is RegistrationStatus.PENDING


def test_a_nomination_with_problems_is_refused_at_its_fields(
    client: FlaskClient, focal: Meeting
) -> None:
    path = f"{ASEAN}/nominate"
    answer = client.post(path, data=_nomination(client, path, given_name="", email="nope"))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert 'id="given_name-error"' in html and 'id="email-error"' in html
    office = client.post(path, data=_nomination(client, path, role="chair"))
    assert office.status_code == 400 and 'id="role-error"' in office.get_data(as_text=True)
    assert _by_email("siti@example.org") is None


def test_a_second_head_of_delegation_is_refused_at_the_role(
    client: FlaskClient, focal: Meeting
) -> None:
    path = f"{ASEAN}/nominate"
    answer = client.post(path, data=_nomination(client, path, role="head_of_delegation"))
    html = answer.get_data(as_text=True)
    assert answer.status_code == 400
    assert re.search(r'id="role-error">[^<]*has a head of delegation already', html)
    assert _by_email("siti@example.org") is None


def test_registration_closed_says_so_and_shows_no_form(client: FlaskClient) -> None:
    meeting = load(demo_document())  # its registration closed in 2013
    make_focal_point(FOCAL, meeting, "asean-wen")
    sign_in(client, FOCAL)
    path = f"{ASEAN}/nominate"
    page = client.get(path).get_data(as_text=True)
    assert "Registration for this meeting is closed" in page and 'name="given_name"' not in page
    token = csrf_token(client, ASEAN)
    answer = client.post(path, data={**_nomination(client, ASEAN), "csrf_token": token})
    assert answer.status_code == 409
    assert _by_email("siti@example.org") is None


# -- who may do what --------------------------------------------------------------------------


def test_a_focal_point_never_acts_for_another_organisation_nor_as_organiser(
    client: FlaskClient, focal: Meeting
) -> None:
    token = csrf_token(client, f"{ASEAN}/nominate")
    nomination = {**_nomination(client, f"{ASEAN}/nominate"), "csrf_token": token}
    assert client.post(f"{SAWEN}/nominate", data=nomination).status_code == 403
    assert client.get(SAWEN).status_code == 403
    assert (
        client.post(f"{SAWEN}/members/p-sawen-1/head", data={"csrf_token": token}).status_code
        == 403
    )
    assert client.get(f"{SAWEN}/members/p-sawen-1/withdraw").status_code == 403
    assert client.get(f"{SAWEN}/members/p-sawen-1/replace").status_code == 403
    assert _by_email("siti@example.org") is None
    # Another organisation's person through one's own URL: not found.
    assert client.get(f"{ASEAN}/members/p-sawen-1/withdraw").status_code == 404
    for organiser_page in (
        FOCAL_POINTS,
        f"/meetings/{SLUG}/manage/",
        f"/meetings/{SLUG}/manage/organisations",
    ):
        assert client.get(organiser_page).status_code == 403, organiser_page
    assert client.post(FOCAL_POINTS, data={"csrf_token": token, "email": FOCAL}).status_code == 403


# -- head of delegation -----------------------------------------------------------------------


def test_making_a_member_head_makes_the_present_head_a_delegate(
    client: FlaskClient, focal: Meeting
) -> None:
    path = f"{ASEAN}/members/p-asean-2/head"
    assert client.post(path, data={}).status_code == 400  # no CSRF token
    assert _person("p-asean-2").role is ParticipantRole.DELEGATE
    answer = client.post(path, data={"csrf_token": csrf_token(client, ASEAN)})
    assert answer.status_code == 303
    assert _person("p-asean-2").role is ParticipantRole.HEAD_OF_DELEGATION
    assert _person("p-asean-1").role is ParticipantRole.DELEGATE
    changes = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "registration.role_changed")
    ).all()
    assert sorted(e.target.split()[0] for e in changes) == ["p-asean-1", "p-asean-2"]


# -- replacing --------------------------------------------------------------------------------


def _fill_the_delegation(client: FlaskClient) -> None:
    """ASEAN-WEN's third place taken, and one more on the waiting list."""
    path = f"{ASEAN}/nominate"
    client.post(path, data=_nomination(client, path, email="third@example.org"))
    client.post(path, data=_nomination(client, path, email="waiting@example.org"))
    assert _count(APPROVED) == 3 and _count(WAITLISTED) == 1


def test_replacing_an_approved_member_keeps_the_quota_exact(
    app: Flask, client: FlaskClient, focal: Meeting
) -> None:
    _fill_the_delegation(client)
    path = f"{ASEAN}/members/p-asean-2/replace"
    form = client.get(path).get_data(as_text=True)
    assert 'name="given_name"' in form
    answer = client.post(
        path, data=_nomination(client, path, email="newcomer@example.org", given_name="Nia")
    )
    assert answer.status_code == 303
    newcomer = _by_email("newcomer@example.org")
    assert newcomer is not None and newcomer.status is APPROVED
    assert _person("p-asean-2").status is RegistrationStatus.CANCELLED
    assert _count(APPROVED) == 3 and _count(WAITLISTED) == 1
    waiting = _by_email("waiting@example.org")
    assert waiting is not None and waiting.status is WAITLISTED
    actions = {
        e.action: e
        for e in db.session.scalars(
            sa.select(AuditEntry).where(AuditEntry.action.like("registration.replace%"))
        )
    }
    assert actions["registration.replaced"].details == {"replaced_by": newcomer.ref}
    assert actions["registration.replaces"].details == {"replaces": "p-asean-2"}
    (told,) = delivered_to(app, "p-asean-2@example.org")
    assert "Nia Rahman" in mail_text(told)
    (welcome,) = delivered_to(app, "newcomer@example.org")
    assert f"/account/registrations/{newcomer.id}" in mail_text(welcome)


def test_the_head_can_be_replaced_by_a_new_head(client: FlaskClient, focal: Meeting) -> None:
    path = f"{ASEAN}/members/p-asean-1/replace"
    answer = client.post(
        path, data=_nomination(client, path, email="newhead@example.org", role="head_of_delegation")
    )
    assert answer.status_code == 303
    head = _by_email("newhead@example.org")
    assert head is not None and head.role is ParticipantRole.HEAD_OF_DELEGATION
    assert head.status is APPROVED


def test_a_replacement_with_problems_changes_nothing(client: FlaskClient, focal: Meeting) -> None:
    path = f"{ASEAN}/members/p-asean-2/replace"
    taken = client.post(path, data=_nomination(client, path, email="p-sawen-1@example.org"))
    assert taken.status_code == 400
    assert 'id="email-error"' in taken.get_data(as_text=True)
    second_head = client.post(path, data=_nomination(client, path, role="head_of_delegation"))
    assert second_head.status_code == 400
    assert 'id="role-error"' in second_head.get_data(as_text=True)
    assert _person("p-asean-2").status is APPROVED
    assert _by_email("siti@example.org") is None


# -- withdrawing ------------------------------------------------------------------------------


def test_withdrawing_an_approved_member_promotes_the_oldest_waiting_of_the_delegation(
    app: Flask, client: FlaskClient, focal: Meeting
) -> None:
    _fill_the_delegation(client)
    path = f"{ASEAN}/members/p-asean-2/withdraw"
    page = client.get(path)
    assert page.status_code == 200 and "Yes, withdraw" in page.get_data(as_text=True)
    assert _person("p-asean-2").status is APPROVED  # a GET changes nothing
    answer = client.post(path, data={"csrf_token": csrf_token(client, path)})
    assert answer.status_code == 303
    assert _person("p-asean-2").status is RegistrationStatus.CANCELLED
    cancelled = db.session.scalars(
        sa.select(AuditEntry).where(
            AuditEntry.action == "registration.cancelled",
            AuditEntry.target.like("p-asean-2 %"),
        )
    ).one()
    assert cancelled.details is not None
    assert cancelled.details["why"] == "cancelled by the organisation's focal point"
    waiting = _by_email("waiting@example.org")
    assert waiting is not None and waiting.status is APPROVED
    assert _count(APPROVED) == 3
    assert any("cancelled" in mail_text(m) for m in delivered_to(app, "p-asean-2@example.org"))
    assert any("approved" in mail_text(m) for m in delivered_to(app, "waiting@example.org"))
    # Nothing left to withdraw: back to the delegation.
    assert client.get(path).status_code == 303


def test_a_waiting_newcomer_keeps_the_place_in_the_waiting_order(
    client: FlaskClient, focal: Meeting
) -> None:
    _fill_the_delegation(client)
    path = f"{ASEAN}/nominate"
    client.post(path, data=_nomination(client, path, email="later@example.org"))
    replace = f"{ASEAN}/members/{_by_email('waiting@example.org').ref}/replace"  # type: ignore[union-attr]
    answer = client.post(replace, data=_nomination(client, replace, email="stand-in@example.org"))
    assert answer.status_code == 303
    stand_in = _by_email("stand-in@example.org")
    assert stand_in is not None and stand_in.status is WAITLISTED
    assert _count(APPROVED) == 3 and _count(WAITLISTED) == 2
    # A seat is freed: it goes to the stand-in, who waits where the replaced one waited.
    withdraw = f"{ASEAN}/members/p-asean-2/withdraw"
    client.post(withdraw, data={"csrf_token": csrf_token(client, withdraw)})
    stand_in = _by_email("stand-in@example.org")
    later = _by_email("later@example.org")
    assert stand_in is not None and stand_in.status is APPROVED
    assert later is not None and later.status is WAITLISTED


def test_with_manual_approval_a_pending_member_is_replaced_by_a_pending_one(
    client: FlaskClient,
) -> None:
    meeting = open_meeting(approval="manual")
    make_focal_point(FOCAL, meeting, "asean-wen")
    sign_in(client, FOCAL)
    path = f"{ASEAN}/nominate"
    client.post(path, data=_nomination(client, path, email="first@example.org"))
    first = _by_email("first@example.org")
    assert first is not None and first.status is RegistrationStatus.PENDING
    replace = f"{ASEAN}/members/{first.ref}/replace"
    answer = client.post(replace, data=_nomination(client, replace, email="second@example.org"))
    assert answer.status_code == 303
    second = _by_email("second@example.org")
    assert second is not None and second.status is RegistrationStatus.PENDING
    assert _person(first.ref).status is RegistrationStatus.CANCELLED
    # A cancelled registration is history: nothing left to replace.
    assert client.get(replace).status_code == 303


def test_a_delegation_without_quota_says_so(client: FlaskClient) -> None:
    doc = demo_document()
    doc["meeting"]["quotas"] = {}
    meeting = load(doc)
    make_focal_point(FOCAL, meeting, "asean-wen")
    sign_in(client, FOCAL)
    html = client.get(ASEAN).get_data(as_text=True)
    assert "no quota" in html and "Places left" not in html
    assert "Registration for this meeting is closed" in html  # and no way to nominate
    assert f"{ASEAN}/nominate" not in html


def test_an_organiser_nominates_on_the_delegation_page_as_an_organiser(
    app: Flask, client: FlaskClient, desk: Meeting
) -> None:
    path = f"{ASEAN}/nominate"
    answer = client.post(path, data=_nomination(client, path))
    assert answer.status_code == 303
    siti = _by_email("siti@example.org")
    assert siti is not None and siti.nominated_by_id is None
    (told,) = delivered_to(app, "siti@example.org")
    assert "The organisers of First Global Meeting" in mail_text(told)
    assert "has registered you" not in mail_text(told)
