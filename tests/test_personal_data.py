"""Personal data rights: a participant downloads what the system holds about them and erases
their registration; the privacy notice; organisers purge a meeting's details once it is over."""

from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from flask import Flask, render_template_string
from flask.testing import FlaskClient

from eventapp.accounts import service as accounts
from eventapp.extensions import db
from eventapp.models import (
    ApiToken,
    AuditEntry,
    Meeting,
    Participant,
    RegistrationStatus,
    SessionPerson,
)
from eventapp.registration import notices
from tests.factories import DEMO_SLUG, make_account, open_meeting
from tests.helpers import (
    DESK_ORGANISER,
    REGISTER,
    csrf_token,
    delivered_to,
    outbox_rows,
    registration_form,
    sign_in,
    texts_to,
)

CHAIR = "chair@example.org"  # John E. Scanlon: chairs and speaks at s-open, a statement there
OTHER = "p-cites-2@example.org"  # Pieter van der Berg, of the same organisation
PURGE = f"/meetings/{DEMO_SLUG}/manage/personal-data"
# What a purge keeps of each registration (the list of participants and the reports need it).
KEPT = (
    "ref",
    "honorific",
    "given_name",
    "family_name",
    "position",
    "delegation_id",
    "role",
    "status",
    "list_consent",
    "funded",
    "language",
)


def _by_email(address: str) -> Participant:
    db.session.expire_all()
    person = db.session.scalar(sa.select(Participant).where(Participant.email == address))
    assert person is not None, address
    return person


def _by_ref(ref: str) -> Participant:
    db.session.expire_all()
    person = db.session.scalar(sa.select(Participant).where(Participant.ref == ref))
    assert person is not None, ref
    return person


def _signed_in(app: Flask, address: str, role: str = "participant", **kw: Any) -> FlaskClient:
    client = app.test_client()
    make_account(address, role, **kw)
    assert sign_in(client, address).status_code == 302
    return client


def _notice_to(person: Participant) -> None:
    """A registration notice waiting in the outbox for the person (delivered by nobody yet)."""
    notices.tell(person, "changed")
    db.session.commit()


def _log_lines(meeting_id: int, *words: str) -> list[str]:
    """The meeting's log entries (who, what, details) that contain any of the words."""
    entries = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.meeting_id == meeting_id))
    lines = [f"{e.actor} {e.action} {e.target} {json.dumps(e.details)}" for e in entries]
    return [line for line in lines if any(w in line for w in words)]


# -- download ------------------------------------------------------------------------------------


def test_the_download_holds_the_persons_data_and_nothing_of_anyone_else(app):
    meeting = open_meeting()
    chair = _by_email(CHAIR)
    client = _signed_in(app, CHAIR)
    user = accounts.find_user(CHAIR)
    assert user is not None
    token = accounts.create_token(user, label="my laptop")
    db.session.commit()
    own = f"/account/registrations/{chair.id}"
    data = {"csrf_token": csrf_token(client, own), "dietary": "halal", "list_consent": "y"}
    assert client.post(own, data=data).status_code == 303  # a log entry about the registration
    _notice_to(chair)
    _notice_to(_by_email(OTHER))

    page = client.get(own).get_data(as_text=True)
    assert f'href="{own}/data.json"' in page and f'href="{own}/erase"' in page
    response = client.get(f"{own}/data.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    body = response.get_data(as_text=True)
    doc = json.loads(body)
    assert doc["format"] == "eventapp-personal-data/1" and doc["generated_at"]
    reg = doc["registration"]
    assert (reg["given_name"], reg["family_name"], reg["email"]) == ("John E.", "Scanlon", CHAIR)
    assert reg["dietary"] == "halal" and reg["status"] == "approved"
    assert reg["organisation"]["ref"] == "cites"
    assert "travel_support_requested" in reg and "erased_at" in reg  # every field
    assert doc["account"]["email"] == CHAIR and doc["account"]["password_set"] is True
    assert [t["label"] for t in doc["account"]["api_tokens"]] == ["my laptop"]
    assert doc["meeting_chair"] is True
    assert {(a["session"], a["role"]) for a in doc["agenda"]} >= {
        ("s-open", "chair"),
        ("s-open", "speaker"),
    }
    assert any(s["session"] == "s-open" and s["kind"] == "statement" for s in doc["statements"])
    assert "registration.updated_by_participant" in [h["action"] for h in doc["history"]]
    assert [m["to"] for m in doc["messages"]] == [CHAIR]
    # Nothing of anyone else, and no secret.
    assert OTHER not in body and "van der Berg" not in body
    token_hash = db.session.scalar(sa.select(ApiToken.token_hash))
    assert token_hash and token_hash not in body and token not in body
    assert user.password_hash and user.password_hash not in body
    assert "password_hash" not in body and "token_hash" not in body
    logged = db.session.scalar(
        sa.select(sa.func.count(AuditEntry.id)).where(
            AuditEntry.meeting_id == meeting.id,
            AuditEntry.action == "registration.data_downloaded",
        )
    )
    assert logged == 1


def test_someone_elses_registration_is_not_found(app):
    open_meeting()
    other = _by_email(OTHER)
    client = _signed_in(app, CHAIR)
    base = f"/account/registrations/{other.id}"
    assert client.get(f"{base}/data.json").status_code == 404
    assert client.get(f"{base}/erase").status_code == 404
    token = csrf_token(client, "/account")
    response = client.post(f"{base}/erase", data={"csrf_token": token, "understood": "y"})
    assert response.status_code == 404
    assert _by_email(OTHER).erased_at is None
    anonymous = app.test_client().get(f"{base}/data.json")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]


# -- erasing -------------------------------------------------------------------------------------


def _erase(client: FlaskClient, person_id: int, **data: str) -> Any:
    path = f"/account/registrations/{person_id}/erase"
    return client.post(path, data={"csrf_token": csrf_token(client, path), **data})


def test_erasing_removes_the_details_everywhere_and_frees_the_seat(app):
    meeting = open_meeting()
    chair = _by_email(CHAIR)
    chair_id, ref = chair.id, chair.ref
    assert _by_ref("p-late").status is RegistrationStatus.WAITLISTED
    client = _signed_in(app, CHAIR)
    organiser = _signed_in(app, DESK_ORGANISER, "organiser", meeting=meeting)
    # The log names the registration by address, as the desk's edits do.
    edit = organiser.get(f"/meetings/{DEMO_SLUG}/manage/registrations/{ref}")
    assert "Scanlon" in edit.get_data(as_text=True)
    own = f"/account/registrations/{chair_id}"
    data = {"csrf_token": csrf_token(client, own), "dietary": "vegan", "accessibility": "ramp"}
    assert client.post(own, data=data).status_code == 303
    _notice_to(_by_email(CHAIR))
    _notice_to(_by_email(OTHER))

    page = client.get(f"{own}/erase")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "published" in html and "Your account stays" in html and "waiting list" in html
    response = _erase(client, chair_id, understood="y")
    assert response.status_code == 303 and response.headers["Location"] == "/account"

    person = _by_ref(ref)
    assert person.status is RegistrationStatus.CANCELLED
    assert person.erased_at is not None
    assert (person.given_name, person.family_name, person.honorific) == ("—", "(erased)", None)
    assert person.email == f"erased-{ref}@erased.invalid" == person.email_key
    assert (person.position, person.dietary, person.accessibility, person.language) == (None,) * 4
    assert person.needs_visa_letter is None and person.travel_support_requested is None
    assert person.list_consent is False
    # The freed seat went to the waiting list, who is told.
    assert _by_ref("p-late").status is RegistrationStatus.APPROVED
    assert any("approved" in text for text in texts_to(app, "p-late@example.org"))
    # The agenda keeps the row, under the neutral name.
    assert db.session.scalar(
        sa.select(sa.func.count()).where(SessionPerson.participant_id == chair_id)
    )
    # Nowhere any more: desk, exports, public pages, the log, the outbox.
    desk = organiser.get(f"/meetings/{DEMO_SLUG}/manage/?status=cancelled").get_data(as_text=True)
    assert "Scanlon" not in desk and "(erased)" in desk
    csv = organiser.get(f"/meetings/{DEMO_SLUG}/manage/registrations.csv").get_data(as_text=True)
    assert "Scanlon" not in csv and CHAIR not in csv and f"erased-{ref}@erased.invalid" in csv
    detail = organiser.get(f"/meetings/{DEMO_SLUG}/manage/registrations/{ref}")
    assert "Scanlon" not in detail.get_data(as_text=True) and CHAIR not in detail.get_data(
        as_text=True
    )
    for public in ("participants", "sessions/s-open", "agenda"):
        text = app.test_client().get(f"/meetings/{DEMO_SLUG}/{public}").get_data(as_text=True)
        assert "Scanlon" not in text, public
    assert _log_lines(meeting.id, "Scanlon", CHAIR) == []
    erased = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "registration.erased")
    ).all()
    assert [(e.actor, e.target) for e in erased] == [(ref, f"{ref} (erased-{ref}@erased.invalid)")]
    # The message waiting for the person is gone; another person's was delivered.
    assert delivered_to(app, CHAIR) == [] and len(delivered_to(app, OTHER)) == 1
    assert outbox_rows() == []
    # The account stays.
    assert accounts.find_user(CHAIR) is not None

    # A second erase (a double click) changes nothing.
    again = _erase(client, chair_id, understood="y")
    assert again.status_code == 303 and again.headers["Location"] == "/account"
    assert (
        len(
            db.session.scalars(
                sa.select(AuditEntry.id).where(AuditEntry.action == "registration.erased")
            ).all()
        )
        == 1
    )

    # The person may register again with their real address.
    form = registration_form(client, email=CHAIR, given_name="John", family_name="Scanlon")
    response = client.post(REGISTER, data={**form, "organisation": "cites"})
    assert response.status_code == 303, response.get_data(as_text=True)
    assert _by_email(CHAIR).id != chair_id


def test_erasing_without_the_confirmation_changes_nothing(app):
    open_meeting()
    chair = _by_email(CHAIR)
    client = _signed_in(app, CHAIR)
    response = _erase(client, chair.id)
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Tick the box to confirm that you want this." in html
    assert 'aria-invalid="true"' in html
    person = _by_email(CHAIR)
    assert person.erased_at is None and person.status is RegistrationStatus.APPROVED
    assert not db.session.scalar(
        sa.select(sa.func.count(AuditEntry.id)).where(AuditEntry.action == "registration.erased")
    )
    missing_token = client.post(
        f"/account/registrations/{chair.id}/erase", data={"understood": "y"}
    )
    assert missing_token.status_code == 400
    assert _by_email(CHAIR).erased_at is None


def test_markup_in_a_name_stays_text(app):
    open_meeting()
    client = app.test_client()
    make_account("malee@example.org")
    form = registration_form(client, given_name="<b>Malee</b>", family_name="<script>x</script>")
    assert client.post(REGISTER, data=form).status_code == 303
    assert sign_in(client, "malee@example.org").status_code == 302
    person = _by_email("malee@example.org")
    html = client.get(f"/account/registrations/{person.id}/erase").get_data(as_text=True)
    assert "<b>Malee</b>" not in html and "<script>x</script>" not in html
    assert "&lt;b&gt;Malee&lt;/b&gt;" in html
    doc = client.get(f"/account/registrations/{person.id}/data.json").get_json()
    assert doc["registration"]["given_name"] == "<b>Malee</b>"  # JSON keeps the text as given


# -- the privacy notice --------------------------------------------------------------------------


def test_the_privacy_notice_and_its_page(app):
    meeting = open_meeting()
    page = app.test_client().get(f"/meetings/{DEMO_SLUG}/privacy")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    for words in ("What is kept", "Who sees it", "For how long", "Your rights", "focal points"):
        assert words in html
    with app.test_request_context("/"):
        notice = render_template_string(
            '{% include "registration/_privacy_notice.html" %}', meeting=meeting
        )
    assert f'href="/meetings/{DEMO_SLUG}/privacy"' in notice
    assert "download" in notice and "erase" in notice and "focal points" in notice


# -- the organisers' purge -----------------------------------------------------------------------


def _purge(client: FlaskClient, confirm: str | None) -> Any:
    data = {"csrf_token": csrf_token(client, PURGE)}
    if confirm is not None:
        data["confirm"] = confirm
    return client.post(PURGE, data=data)


def _kept(meeting_id: int) -> list[tuple[Any, ...]]:
    db.session.expire_all()
    return [
        tuple(getattr(p, name) for name in KEPT)
        for p in db.session.scalars(
            sa.select(Participant)
            .where(Participant.meeting_id == meeting_id)
            .order_by(Participant.id)
        )
    ]


def test_the_purge_is_refused_before_the_meeting_is_over(app):
    meeting = open_meeting()
    soon = date.today() + timedelta(days=30)
    meeting.start_date, meeting.end_date = soon, soon + timedelta(days=1)
    db.session.commit()
    organiser = _signed_in(app, DESK_ORGANISER, "organiser", meeting=meeting)
    settings = organiser.get(f"/meetings/{DEMO_SLUG}/manage/settings").get_data(as_text=True)
    assert f'href="{PURGE}"' in settings
    page = organiser.get(PURGE)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "can be purged from" in html and "<button" not in html.split("</nav>")[-1]
    before = _kept(meeting.id)
    response = _purge(organiser, "GWEN-1")
    assert response.status_code == 409
    assert "not over yet" in response.get_data(as_text=True)
    assert _kept(meeting.id) == before
    assert db.session.get(Meeting, meeting.id).personal_data_purged_at is None  # type: ignore[union-attr]


def test_the_purge_clears_the_listed_fields_after_the_meeting_and_keeps_the_rest(app):
    meeting = open_meeting()
    client = app.test_client()
    make_account("malee@example.org")
    form = registration_form(client, accessibility="wheelchair", needs_visa_letter="y")
    assert client.post(REGISTER, data=form).status_code == 303
    malee = _by_email("malee@example.org")
    malee.travel_support_note = "Economy ticket"
    db.session.commit()
    _notice_to(malee)
    organiser = _signed_in(app, DESK_ORGANISER, "organiser", meeting=meeting)
    page = organiser.get(PURGE).get_data(as_text=True)
    assert "Type the meeting" in page and "GWEN-1" in page
    before = _kept(meeting.id)
    count = len(before)

    # Bad input: the form again, with the error by its field; nothing changed.
    for confirm in (None, "", "GWEN-2"):
        response = _purge(organiser, confirm)
        assert response.status_code == 400, confirm
        html = response.get_data(as_text=True)
        assert "There is a problem" in html and 'aria-invalid="true"' in html
    assert _by_email("malee@example.org").dietary == "vegetarian"

    response = _purge(organiser, "gwen-1")
    assert response.status_code == 303
    assert _kept(meeting.id) == before  # names, organisations, roles, consent, status
    people = db.session.scalars(sa.select(Participant).where(Participant.meeting_id == meeting.id))
    for p in people:
        assert (p.dietary, p.accessibility, p.needs_visa_letter, p.travel_support_note) == (
            None,
        ) * 4
        assert p.email == f"purged-{p.ref}@purged.invalid" == p.email_key
    purged = db.session.get(Meeting, meeting.id)
    assert purged is not None and purged.personal_data_purged_at is not None
    entry = db.session.scalar(
        sa.select(AuditEntry).where(AuditEntry.action == "meeting.personal_data_purged")
    )
    assert entry is not None and entry.details is not None
    assert entry.details["addresses"] == count and entry.details["dietary"] == 1
    assert entry.details["visa_letters"] >= 1 and entry.details["travel_notes"] == 1
    assert _log_lines(meeting.id, "malee@example.org") == []
    assert outbox_rows() == []
    # A second purge says it is done already, and changes nothing.
    after = _kept(meeting.id)
    again = _purge(organiser, "GWEN-1")
    assert again.status_code == 409
    assert "were purged on" in again.get_data(as_text=True)
    assert _kept(meeting.id) == after
    assert (
        db.session.scalar(
            sa.select(sa.func.count(AuditEntry.id)).where(
                AuditEntry.action == "meeting.personal_data_purged"
            )
        )
        == 1
    )
    # The public list still names the consenting, approved participants.
    listed = app.test_client().get(f"/meetings/{DEMO_SLUG}/participants").get_data(as_text=True)
    assert "Scanlon" in listed


def test_only_organisers_reach_the_purge(app):
    open_meeting()
    client = _signed_in(app, CHAIR)
    assert client.get(PURGE).status_code == 403
    assert _purge_as(client).status_code == 403
    assert db.session.get(Meeting, _by_email(CHAIR).meeting_id).personal_data_purged_at is None  # type: ignore[union-attr]


def _purge_as(client: FlaskClient) -> Any:
    token = csrf_token(client, "/account")
    return client.post(PURGE, data={"csrf_token": token, "confirm": "GWEN-1"})
