"""Travel support: people ask on the registration form, organisers decide (grant, decline, or
not yet) with a note; the person is told by e-mail in their language and sees it on their
page; the organisers' page of requests counts, filters and exports them."""

from __future__ import annotations

import csv
import io

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from eventapp.extensions import db
from eventapp.models import AuditEntry, Meeting, OutboxMessage, Participant
from tests.factories import DEMO_SLUG, make_account, make_focal_point, open_meeting
from tests.helpers import (
    REGISTER,
    csrf_token,
    delivered_to,
    mail_text,
    registration_form,
    sign_in,
)

PAGE = f"/meetings/{DEMO_SLUG}/manage/travel-support"
CSV = f"{PAGE}.csv"
ASKER = "p-pending"  # Sione Fifita (TRAFFIC), pending
ASKER_ADDRESS = "p-pending@example.org"


def _detail(ref: str = ASKER) -> str:
    return f"/meetings/{DEMO_SLUG}/manage/registrations/{ref}"


def _decide(ref: str = ASKER) -> str:
    return f"{_detail(ref)}/travel-support"


def _person(ref: str = ASKER) -> Participant:
    db.session.expire_all()
    person = db.session.scalar(sa.select(Participant).where(Participant.ref == ref))
    assert person is not None, ref
    return person


def _entries() -> list[AuditEntry]:
    return list(
        db.session.scalars(
            sa.select(AuditEntry)
            .where(AuditEntry.action == "registration.travel_support")
            .order_by(AuditEntry.id)
        )
    )


def _requests(asked: dict[str, bool | None]) -> None:
    """Everyone undecided and not asking, then these refs asking, with `funded` as given."""
    db.session.execute(sa.update(Participant).values(funded=None, travel_support_requested=None))
    for ref, funded in asked.items():
        db.session.execute(
            sa.update(Participant)
            .where(Participant.ref == ref)
            .values(funded=funded, travel_support_requested=True)
        )
    db.session.commit()


def _post(client: FlaskClient, ref: str = ASKER, **fields: str) -> tuple[int, str]:
    data = {"csrf_token": csrf_token(client, _detail(ref)), "decision": "granted", "note": ""}
    data.update(fields)
    response = client.post(_decide(ref), data=data)
    return response.status_code, response.get_data(as_text=True)


def test_the_public_form_stores_the_request_never_the_decision(client: FlaskClient) -> None:
    open_meeting()
    page = client.get(REGISTER).get_data(as_text=True)
    assert "I ask the organisers to fund my travel" in page
    assert "The organisers decide, and tell you by e-mail." in page
    # The privacy notice, before the person gives anything.
    assert page.index('id="privacy-notice"') < page.index('type="submit" class="button">Register')
    assert f"/meetings/{DEMO_SLUG}/privacy" in page
    data = registration_form(client, travel_support_requested="y", funded="y")
    assert client.post(REGISTER, data=data).status_code == 303
    person = db.session.scalar(
        sa.select(Participant).where(Participant.email == "malee@example.org")
    )
    assert person is not None
    assert person.travel_support_requested is True and person.funded is None


def test_an_organiser_grants_with_a_note_and_the_person_is_told_in_french(
    app: Flask, client: FlaskClient, desk: Meeting
) -> None:
    _requests({ASKER: None})
    person = _person()
    person.language = "fr"
    person.meeting.translations = {"fr": {"title": "Première réunion mondiale des WEN"}}
    db.session.commit()
    page = client.get(_detail()).get_data(as_text=True)
    assert 'id="travel-support"' in page and "Not decided yet" in page
    status, _ = _post(client, decision="granted", note="Economy flight and four nights.")
    assert status == 303
    person = _person()
    assert person.funded is True and person.travel_support_note == "Economy flight and four nights."
    (entry,) = _entries()
    assert entry.details is not None
    assert (entry.details["from"], entry.details["to"]) == ("undecided", "granted")
    assert entry.target == f"{ASKER} ({ASKER_ADDRESS})"
    message = delivered_to(app, ASKER_ADDRESS)[-1]
    assert "Première réunion mondiale des WEN" in message["Subject"]
    text = mail_text(message)
    assert "Economy flight and four nights." in text and "Première réunion" in text
    page = client.get(_detail()).get_data(as_text=True)
    assert "Granted" in page and "Economy flight and four nights." in page
    assert "Travel support: granted" in page  # the history


def test_declining_asks_for_a_note_then_reset_takes_it_back(
    app: Flask, client: FlaskClient, desk: Meeting
) -> None:
    _requests({ASKER: None})
    status, html = _post(client, decision="declined", note="")
    assert status == 400
    assert 'id="note-error"' in html and "Say why" in html
    assert _person().funded is None and not _entries()
    status, _ = _post(client, decision="declined", note="The budget is spent.")
    assert status == 303
    assert _person().funded is False
    assert "The budget is spent." in mail_text(delivered_to(app, ASKER_ADDRESS)[-1])
    status, _ = _post(client, decision="undecided", note="")
    assert status == 303
    person = _person()
    assert person.funded is None and person.travel_support_note is None
    assert [(e.details or {})["to"] for e in _entries()] == ["declined", "undecided"]
    assert "decide again" in mail_text(delivered_to(app, ASKER_ADDRESS)[-1])
    # The same decision again: nothing logged, nobody told.
    before = db.session.scalar(sa.select(sa.func.count(OutboxMessage.id)))
    assert _post(client, decision="undecided", note="")[0] == 303
    assert len(_entries()) == 2
    assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == before


def test_an_offer_to_someone_who_did_not_ask_says_so(client: FlaskClient, desk: Meeting) -> None:
    _requests({})
    page = client.get(_detail("p-th-1")).get_data(as_text=True)
    assert "they did not ask" in page
    assert _post(client, "p-th-1", decision="granted")[0] == 303
    assert _person("p-th-1").funded is True
    listing = client.get(PAGE).get_data(as_text=True)
    assert "Travel support granted in all: 1." in listing
    assert "1 of them did not ask" in listing


@pytest.mark.parametrize(
    ("fields", "at"),
    [
        ({"decision": "granted", "note": "x" * 501}, "note"),
        ({"decision": "pay-twice", "note": ""}, "decision"),
    ],
)
def test_bad_input_shows_the_form_again_and_changes_nothing(
    client: FlaskClient, desk: Meeting, fields: dict[str, str], at: str
) -> None:
    _requests({ASKER: None})
    status, html = _post(client, **fields)
    assert status == 400
    assert f'id="{at}-error"' in html and 'aria-invalid="true"' in html
    person = _person()
    assert person.funded is None and person.travel_support_note is None
    assert not _entries()


def test_the_page_counts_filters_and_links_to_each_registration(
    client: FlaskClient, desk: Meeting
) -> None:
    _requests({ASKER: None, "p-ke-1": True, "p-vn-1": False, "p-late": None})
    html = client.get(PAGE).get_data(as_text=True)
    assert 'aria-current="page"' in html and "Travel support</a>" in html
    for words in ("Asked: 4", "To decide: 2", "Granted: 1", "Declined: 1"):
        assert words in html
    assert f'href="/meetings/{DEMO_SLUG}/manage/registrations/p-ke-1#travel-support"' in html
    assert "4 registrations listed." in html
    undecided = client.get(f"{PAGE}?decision=undecided").get_data(as_text=True)
    assert "2 registrations listed." in undecided and "p-ke-1#" not in undecided
    countries = client.get(f"{PAGE}?kind=country").get_data(as_text=True)
    assert "p-ke-1#" in countries and f"{ASKER}#" not in countries
    bad = client.get(f"{PAGE}?decision=maybe")
    assert bad.status_code == 400 and 'id="decision-error"' in bad.get_data(as_text=True)


def test_the_csv_is_utf8_filtered_and_safe_from_formulas(
    client: FlaskClient, desk: Meeting
) -> None:
    _requests({ASKER: None, "p-vn-1": False})
    assert _post(client, "p-vn-1", decision="declined", note="=HYPERLINK(1)")[0] == 303
    response = client.get(CSV)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].endswith('-travel-support.csv"')
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert {r["Reference"] for r in rows} == {ASKER, "p-vn-1"}
    vn = next(r for r in rows if r["Reference"] == "p-vn-1")
    assert vn["Note to the person"] == "'=HYPERLINK(1)"
    assert vn["Travel support decision"] == "Declined" and vn["Asked for travel support"] == "yes"
    declined = list(csv.DictReader(io.StringIO(client.get(f"{CSV}?decision=declined").text)))
    assert len(declined) == 1


def test_the_desk_labels_and_export_tell_request_from_decision(
    client: FlaskClient, desk: Meeting
) -> None:
    _requests({ASKER: None})
    assert _post(client, decision="granted", note="Flights only")[0] == 303
    html = client.get(f"/meetings/{DEMO_SLUG}/manage/").get_data(as_text=True)
    assert '<label for="funded">Travel support granted</label>' in html
    assert '<label for="travel_support">Asked for travel support</label>' in html
    text = client.get(f"/meetings/{DEMO_SLUG}/manage/registrations.csv").text.lstrip("\ufeff")
    row = next(r for r in csv.DictReader(io.StringIO(text)) if r["Reference"] == ASKER)
    assert row["Asked for travel support"] == "yes" and row["Travel support granted"] == "yes"
    assert row["Travel support note"] == "Flights only"


def test_the_person_sees_the_decision_and_the_note(app: Flask, desk: Meeting) -> None:
    _requests({ASKER: False})
    person = _person()
    person.travel_support_note = "The budget is spent."
    db.session.commit()
    # On their own page, signed in with the address they registered with.
    make_account(ASKER_ADDRESS)
    client = app.test_client()
    sign_in(client, ASKER_ADDRESS)
    html = client.get(f"/account/registrations/{person.id}").get_data(as_text=True)
    assert 'id="travel-support"' in html
    assert "The organisers cannot fund your travel." in html
    assert "The budget is spent." in html
    # Marked not funded without having asked (as older records say): nothing was refused.
    _requests({})
    db.session.execute(sa.update(Participant).values(funded=False))
    db.session.commit()
    html = client.get(f"/account/registrations/{person.id}").get_data(as_text=True)
    assert "You did not ask the organisers to fund your travel." in html
    assert "cannot fund" not in html


@pytest.mark.parametrize("who", ["participant", "focal point"])
def test_participants_and_focal_points_cannot_see_or_decide(
    app: Flask, desk: Meeting, who: str
) -> None:
    email = "someone@example.org"
    if who == "participant":
        make_account(email)
    else:
        make_focal_point(email, desk, "asean-wen")
    client = app.test_client()
    assert sign_in(client, email).status_code == 302
    assert client.get(PAGE).status_code == 403
    assert client.get(CSV).status_code == 403
    token = csrf_token(client, "/account")
    response = client.post(_decide("p-asean-1"), data={"csrf_token": token, "decision": "granted"})
    assert response.status_code == 403
    assert _person("p-asean-1").funded is False
