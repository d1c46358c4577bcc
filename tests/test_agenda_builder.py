"""The organisers' agenda builder in the browser: the draft day by day and room by room, a page
per session to change, move, duplicate or cancel it, automatic numbering, and people picked by
name. Every action is a plain form (no script needed), through the agenda service.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from eventapp.agenda import sessions
from eventapp.agenda.people import directory
from eventapp.agenda.warnings import draft_warnings, session_warnings
from eventapp.extensions import db
from eventapp.models import AuditEntry, Meeting, Session
from tests.factories import demo_document, load, make_account
from tests.helpers import AGENDA_MANAGE, csrf_token, form_fields, session_form, sign_in

MANAGE = AGENDA_MANAGE
PEOPLE = f"{MANAGE}/people"
NUMBER = f"{MANAGE}/number"


def page_of(ref: str) -> str:
    return f"{MANAGE}/sessions/{ref}"


def extra_person(ref: str, given: str, family: str, organisation: str, **fields: Any) -> dict:
    person = {
        "ref": ref,
        "organisation": organisation,
        "given_name": given,
        "family_name": family,
        "email": f"{ref}@example.org",
        "role": "delegate",
        "status": "approved",
    }
    person.update(fields)
    return person


@pytest.fixture
def meeting() -> Meeting:
    """The demo meeting over three days, with two people called Ana and one whose name is
    markup."""
    doc = demo_document()
    doc["meeting"]["end_date"] = "2013-03-07"
    doc["participants"] += [
        extra_person("p-ana-1", "Ana", "Pérez", "unodc"),
        extra_person("p-ana-2", "Ana", "Silva", "interpol"),
        extra_person("p-markup", "<script>alert(1)</script>", "Markup", "wco"),
    ]
    return load(doc)


@pytest.fixture
def organiser(client: FlaskClient, meeting: Meeting) -> FlaskClient:
    make_account("org@example.org", "organiser", meeting=meeting)
    sign_in(client, "org@example.org")
    return client


def stored(ref: str) -> Session:
    db.session.expire_all()
    found = db.session.scalar(sa.select(Session).where(Session.ref == ref))
    assert found is not None
    return found


def edit_form(client: FlaskClient, ref: str, **changes: str) -> dict[str, str]:
    """The session's edit form as the browser would send it back, with these changes."""
    html = client.get(page_of(ref)).get_data(as_text=True)
    details = html[html.index('id="details"') :]
    data = form_fields(details)
    data.update(changes)
    return data


def move_form(client: FlaskClient, ref: str, day: str, start: str, room: str) -> dict[str, str]:
    return {
        "csrf_token": csrf_token(client, page_of(ref)),
        "move_day": day,
        "move_start": start,
        "move_room": room,
    }


# -- who may -----------------------------------------------------------------------------------


ROUTES = [
    ("get", page_of("s-net")),
    ("post", page_of("s-net")),
    ("post", f"{page_of('s-net')}/move"),
    ("post", f"{page_of('s-net')}/duplicate"),
    ("get", f"{page_of('s-net')}/cancel"),
    ("post", f"{page_of('s-net')}/cancel"),
    ("get", NUMBER),
    ("post", NUMBER),
    ("get", f"{PEOPLE}?q=ana"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_only_organisers_use_the_builder(client, meeting, method, path):
    form = {"csrf_token": csrf_token(client)} if method == "post" else None
    anonymous = getattr(client, method)(path, data=form)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    make_account("someone@example.org")
    sign_in(client, "someone@example.org")
    token = csrf_token(client, "/account")
    answer = getattr(client, method)(path, data={"csrf_token": token} if method == "post" else None)
    assert answer.status_code == 403
    # Nothing was changed by anyone.
    assert stored("s-net").cancelled_at is None
    assert db.session.scalar(sa.select(sa.func.count(Session.id))) == 7


# -- the draft agenda page -----------------------------------------------------------------------


def test_the_draft_is_shown_day_by_day_and_room_by_room(organiser, meeting):
    sessions.change_session(meeting, "s-net", {"rapporteur": None})
    db.session.commit()
    html = organiser.get(MANAGE).get_data(as_text=True)
    html = html[html.index('id="draft"') :]
    # Every day of the meeting, the empty ones too, in order.
    days = ["Tuesday, 5 March 2013", "Wednesday, 6 March 2013", "Thursday, 7 March 2013"]
    assert [html.index(d) for d in days] == sorted(html.index(d) for d in days)
    assert html.count("No session on this day yet.") == 2
    # Within the day, room by room in the meeting's order.
    plenary = html.index("<h3>Plenary Hall, Queen Sirikit National Convention Center</h3>")
    room_b = html.index("<h3>Meeting Room B</h3>")
    assert plenary < html.index("Presentations by the Wildlife") < room_b
    assert room_b < html.index("Closed session of heads of networks")
    closed = html[html.index('id="s-closed"') :]
    assert "<strong>not public</strong>" in closed[: closed.index("</li>")]
    # Each session links to its page, with its people and its warnings next to it.
    assert f'href="{page_of("s-net")}"' in html
    entry = html[html.index('id="s-net"') :]
    entry = entry[: entry.index("</li>")]
    assert "Tek Sharma" in entry and "John E. Scanlon" in entry
    assert "“Presentations by the Wildlife Enforcement Networks” has no rapporteur." in entry
    assert "$." not in html


def test_the_warnings_of_the_whole_draft_are_those_of_each_session(meeting):
    # Two people in two places at once, a session outside the meeting's days, one too full.
    sessions.change_session(
        meeting, "s-closed", {"start": "2013-03-05T11:30", "end": "2013-03-05T12:00"}
    )
    sessions.change_session(meeting, "s-iccwc", {"rapporteur": None, "chairs": ["p-pending"]})
    sessions.change_session(meeting, "s-net", {"room": "room-b"})
    later = {
        "title": "Later",
        "kind": "plenary",
        "start": "2013-03-06T09:00",
        "end": "2013-03-06T10:00",
    }
    sessions.create_session(meeting, later)
    meeting.end_date = meeting.start_date  # the day after is outside now
    found = draft_warnings(meeting)
    live = db.session.scalars(sa.select(Session).where(Session.cancelled_at.is_(None))).all()
    assert set(found) == {s.ref for s in live}
    for session in live:
        assert found[session.ref] == session_warnings(session), session.ref
    codes = {w.code for ws in found.values() for w in ws}
    assert codes == {
        "person_double_booked",
        "person_not_approved",
        "no_rapporteur",
        "over_capacity",
        "outside_meeting_days",
    }
    db.session.rollback()
    assert any("John E. Scanlon is also in" in w.message for w in found["s-closed"])


def test_the_page_carries_no_list_of_every_participant(organiser, meeting):
    doc = demo_document()
    doc["meeting"]["slug"] = "big-meeting"
    doc["participants"] += [
        extra_person(f"p-many-{n}", f"Person{n}", "Ndlovu", "za") for n in range(2200)
    ]
    big = load(doc)
    make_account("big@example.org", "organiser", meeting=big)
    client = organiser.application.test_client()
    sign_in(client, "big@example.org")
    html = client.get("/meetings/big-meeting/manage/agenda").get_data(as_text=True)
    assert html.count("<option") < 30
    assert "Person2199" not in html
    answer = client.get("/meetings/big-meeting/manage/agenda/people?q=person")
    assert len(answer.get_json()) == 20


# -- a session's page: change it -----------------------------------------------------------------


def test_the_session_page_shows_the_session_as_stored(organiser):
    html = organiser.get(page_of("s-net")).get_data(as_text=True)
    assert 'value="Presentations by the Wildlife Enforcement Networks"' in html
    assert 'value="2013-03-05T09:30"' in html and 'value="2013-03-05T11:00"' in html
    assert '<option selected value="plenary">' in html
    chairs = re.search(r'<textarea[^>]*name="chairs"[^>]*>\r?\n?(.*?)</textarea>', html, re.S)
    assert chairs and chairs.group(1) == "John E. Scanlon (CITES)"
    speakers = re.search(r'<textarea[^>]*name="speakers"[^>]*>\r?\n?(.*?)</textarea>', html, re.S)
    assert speakers and speakers.group(1).splitlines()[:2] == [
        "Somchai Srisai (ASEAN-WEN)",
        "Tek Sharma (SAWEN)",
    ]
    assert 'value="Amina Ochieng&#39; (UNODC)"' in html
    # The script that suggests people is the site's own file.
    assert '<script src="/static/people.js" defer></script>' in html
    assert f'data-people="{PEOPLE}"' in html


def test_a_change_is_saved_and_shown_on_the_agenda(organiser):
    data = edit_form(organiser, "s-net", title="Reports of the networks", number="2a")
    response = organiser.post(page_of("s-net"), data=data)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"{MANAGE}#s-net")
    session = stored("s-net")
    assert (session.title, session.number) == ("Reports of the networks", "2a")
    # The people were sent back as the page showed them, and stay.
    assert [p.ref for p in session.chairs] == ["chair"]
    assert len(session.speakers) == 6 and session.rapporteur.ref == "rapp-1"
    # Only what changed is changed.
    entry = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "session.changed")
    ).one()
    assert entry.details == {"fields": ["number", "title"]}
    html = organiser.get(MANAGE).get_data(as_text=True)
    assert "“Reports of the networks” is changed in the draft agenda." in html
    assert '<span class="item-number">2a.</span> Reports of the networks' in html


def test_sending_the_form_unchanged_changes_nothing(organiser):
    response = organiser.post(page_of("s-open"), data=edit_form(organiser, "s-open"))
    assert response.status_code == 303
    assert "Nothing was changed" in organiser.get(MANAGE).get_data(as_text=True)
    assert not db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action == "session.changed")
    ).all()


def test_a_taken_room_is_refused_naming_the_session_in_the_way(organiser):
    data = edit_form(organiser, "s-closed", room="plenary", start="2013-03-05T09:00")
    response = organiser.post(page_of("s-closed"), data=data)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "is booked by “Opening of the meeting and adoption of the agenda”" in html
    assert 'aria-invalid="true"' in html[html.index('id="details"') :]
    session = stored("s-closed")
    assert session.room.ref == "room-b" and session.start_local.hour == 14


@pytest.mark.parametrize(
    ("changes", "sentence"),
    [
        ({"end": "2013-03-05T09:00"}, "The session must end after it starts."),
        (
            {"start": "2013-04-01T09:00", "end": "2013-04-01T10:00"},
            "This is outside the meeting&#39;s days (5",
        ),
        ({"start": "9999-12-31T22:00"}, "This is outside the meeting&#39;s days"),
    ],
)
def test_bad_values_are_sentences_at_their_fields(organiser, changes, sentence):
    response = organiser.post(page_of("s-net"), data=edit_form(organiser, "s-net", **changes))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert sentence in html and "$." not in html
    assert 'aria-invalid="true"' in html
    assert stored("s-net").start_local.isoformat() == "2013-03-05T09:30:00"


def test_the_add_form_says_what_is_wrong_in_sentences(organiser):
    data = session_form(organiser, start="2013-04-01T09:00", end="2013-04-01T08:00")
    response = organiser.post(MANAGE, data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "The session must end after it starts." in html
    assert "This is outside the meeting&#39;s days" in html
    assert "$." not in html and "ends before or when" not in html
    # Labelled as the form labels the field, in the summary.
    assert "Ends (local time): " in html


def test_a_clock_change_gap_is_explained(client):
    doc = demo_document()
    doc["meeting"].update(timezone="Europe/Zurich", start_date="2027-03-27", end_date="2027-03-29")
    for s in doc["sessions"]:
        s["start"] = s["start"].replace("2013-03-05", "2027-03-27")
        s["end"] = s["end"].replace("2013-03-05", "2027-03-27")
    load(doc)
    make_account("org@example.org", "organiser", meeting=db.session.scalar(sa.select(Meeting)))
    sign_in(client, "org@example.org")
    data = edit_form(client, "s-net", start="2027-03-28T02:30", end="2027-03-28T03:30")
    response = client.post(page_of("s-net"), data=data)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "This time does not exist in Europe/Zurich: the clocks go forward then." in html


# -- moving ----------------------------------------------------------------------------------------


def test_a_move_keeps_the_length_and_changes_day_time_and_room(organiser):
    html = organiser.get(page_of("s-net")).get_data(as_text=True)
    move = html[html.index('id="move"') : html.index('id="details"')]
    # Every day of the meeting is offered.
    for day in ("2013-03-05", "2013-03-06", "2013-03-07"):
        assert f'value="{day}"' in move
    data = move_form(organiser, "s-net", "2013-03-06", "14:00", "room-b")
    response = organiser.post(f"{page_of('s-net')}/move", data=data)
    assert response.status_code == 303
    session = stored("s-net")
    assert session.start_local.isoformat() == "2013-03-06T14:00:00"
    assert session.end_local.isoformat() == "2013-03-06T15:30:00"
    assert session.room.ref == "room-b"
    assert "is moved to Wednesday, 6 March 2013, 14:00–15:30, Meeting Room B" in organiser.get(
        MANAGE
    ).get_data(as_text=True)


def test_a_move_into_a_taken_room_is_refused(organiser):
    data = move_form(organiser, "s-closed", "2013-03-05", "09:15", "plenary")
    response = organiser.post(f"{page_of('s-closed')}/move", data=data)
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "is booked by “Opening of the meeting and adoption of the agenda”" in html
    move = html[html.index('id="move"') : html.index('id="details"')]
    assert 'aria-invalid="true"' in move
    session = stored("s-closed")
    assert session.room.ref == "room-b" and session.start_local.hour == 14


def test_a_move_needs_a_time(organiser):
    data = move_form(organiser, "s-net", "2013-03-06", "", "room-b")
    assert organiser.post(f"{page_of('s-net')}/move", data=data).status_code == 400
    assert stored("s-net").start_local.day == 5


# -- duplicating, cancelling, numbering -----------------------------------------------------------


def test_duplicate_makes_a_copy_and_opens_it(organiser):
    token = csrf_token(organiser, page_of("s-net"))
    response = organiser.post(f"{page_of('s-net')}/duplicate", data={"csrf_token": token})
    assert response.status_code == 303
    copy_ref = response.headers["Location"].rsplit("/", 1)[1]
    assert copy_ref != "s-net"
    copy = stored(copy_ref)
    assert copy.title == "Presentations by the Wildlife Enforcement Networks"
    assert copy.room is None and copy.start_local == stored("s-net").start_local
    html = organiser.get(response.headers["Location"]).get_data(as_text=True)
    assert "This is a copy of “Presentations by the Wildlife Enforcement Networks”" in html
    # Without the form's token nothing is copied.
    assert organiser.post(f"{page_of('s-net')}/duplicate").status_code == 400
    assert db.session.scalar(sa.select(sa.func.count(Session.id))) == 8


def test_cancel_asks_first_then_cancels(organiser):
    confirm = organiser.get(f"{page_of('s-net')}/cancel")
    assert confirm.status_code == 200
    html = confirm.get_data(as_text=True)
    assert "Cancel “Presentations by the Wildlife Enforcement Networks”?" in html
    assert "Its record is kept" in html and "show the session as cancelled" in html
    assert stored("s-net").cancelled_at is None
    token = csrf_token(organiser, f"{page_of('s-net')}/cancel")
    response = organiser.post(f"{page_of('s-net')}/cancel", data={"csrf_token": token})
    assert response.status_code == 303 and response.headers["Location"].endswith(MANAGE)
    session = stored("s-net")
    assert session.cancelled_at is not None and session.record is not None
    html = organiser.get(MANAGE).get_data(as_text=True)
    assert "is cancelled in the draft agenda" in html
    assert 'id="s-net"' not in html
    unknown = (page_of("s-nothing"), page_of("s" * 300), f"{page_of('s-nothing')}/cancel")
    for path in (page_of("s-net"), f"{page_of('s-net')}/cancel", *unknown):
        assert organiser.get(path).status_code == 404


def test_numbering_asks_first_then_numbers_in_time_order(organiser, meeting):
    sessions.change_session(meeting, "s-open", {"number": "7"})
    sessions.change_session(meeting, "s-break", {"number": "B"})
    db.session.commit()
    html = organiser.get(MANAGE).get_data(as_text=True)
    assert f'href="{NUMBER}"' in html
    confirm = organiser.get(NUMBER).get_data(as_text=True)
    assert "replaces the numbers the sessions have now" in confirm
    assert stored("s-open").number == "7"
    assert organiser.post(NUMBER, data={}).status_code == 400
    response = organiser.post(NUMBER, data={"csrf_token": csrf_token(organiser, NUMBER)})
    assert response.status_code == 303
    db.session.expire_all()
    numbers = dict(db.session.execute(sa.select(Session.ref, Session.number)).all())
    assert numbers["s-open"] == "1" and numbers["s-close"] == "6"
    assert numbers["s-break"] == "B"  # breaks keep theirs
    assert "1 session has a new number." in organiser.get(MANAGE).get_data(as_text=True)


# -- people ----------------------------------------------------------------------------------------


def test_typed_people_are_found_by_name_or_e_mail(organiser):
    data = session_form(
        organiser,
        chairs="lucia ramirez",
        speakers="P-WCO@example.org\nSomchai\n\nsomchai srisai",
        rapporteur="Ochieng",
    )
    assert organiser.post(MANAGE, data=data).status_code == 303
    added = stored("s-side")
    assert [p.ref for p in added.chairs] == ["p-unodc"]
    assert [p.ref for p in added.speakers] == ["p-wco", "p-asean-1"]
    assert added.rapporteur.ref == "rapp-1"


def test_a_name_that_fits_several_people_or_none_is_a_form_error(organiser):
    data = session_form(organiser, chairs="Ana", speakers="Nobody Atall", rapporteur="Sione Fifita")
    response = organiser.post(MANAGE, data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert (
        "2 people match “Ana”: Ana Pérez (UNODC), Ana Silva (INTERPOL) — type more of the name "
        "or the e-mail."
    ) in html
    assert "No approved participant matches “Nobody Atall”" in html
    # Someone not approved is not offered.
    assert "No approved participant matches “Sione Fifita”" in html
    assert db.session.scalar(sa.select(Session.id).where(Session.ref == "s-side")) is None


def test_namesakes_are_told_apart_by_their_e_mail():
    doc = demo_document()
    doc["participants"] += [
        extra_person("p-ana-1", "Ana", "Pérez", "unodc"),
        extra_person("p-ana-3", "Ana", "Perez", "unodc"),
    ]
    people = directory(load(doc))
    assert people.label("p-ana-1") == "Ana Pérez (UNODC) p-ana-1@example.org"
    assert people.label("p-unodc") == "Lucía Ramírez (UNODC)"
    # The name alone fits both; each one's label, or e-mail, only that one.
    assert {p.ref for p in people.resolve("Ana Pérez (UNODC)").candidates} == {
        "p-ana-1",
        "p-ana-3",
    }
    for ref in ("p-ana-1", "p-ana-3"):
        assert getattr(people.resolve(people.label(ref)).person, "ref", None) == ref
        assert getattr(people.resolve(f"{ref}@EXAMPLE.org").person, "ref", None) == ref


def test_a_person_no_longer_approved_may_stay_in_their_session(organiser, meeting):
    sessions.change_session(meeting, "s-net", {"chairs": ["p-pending"]})
    db.session.commit()
    data = edit_form(organiser, "s-net", title="Presentations")
    assert data["chairs"] == "Sione Fifita (TRAFFIC)"
    assert organiser.post(page_of("s-net"), data=data).status_code == 303
    assert [p.ref for p in stored("s-net").chairs] == ["p-pending"]


def test_suggestions_for_the_pickers(organiser):
    response = organiser.get(f"{PEOPLE}?q=ana")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.mimetype == "application/json"
    found = response.get_json()
    assert [p["ref"] for p in found[:2]] == ["p-ana-1", "p-ana-2"]
    assert found[0] == {
        "ref": "p-ana-1",
        "name": "Ana Pérez",
        "organisation": "UNODC",
        "label": "Ana Pérez (UNODC)",
    }
    # Not approved, not offered.
    assert "p-late" not in {p["ref"] for p in found}
    assert organiser.get(f"{PEOPLE}?q=").get_json() == []
    # A name that is markup stays text: escaped in the body, itself once read.
    markup = organiser.get(f"{PEOPLE}?q=markup")
    assert b"<script>" not in markup.data
    assert json.loads(markup.data)[0]["name"] == "<script>alert(1)</script> Markup"


def test_a_name_that_is_markup_is_shown_as_text(organiser, meeting):
    sessions.change_session(meeting, "s-net", {"chairs": ["p-markup"]})
    db.session.commit()
    for path in (MANAGE, page_of("s-net")):
        html = organiser.get(path).get_data(as_text=True)
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt; Markup" in html


def test_a_taken_ref_is_said_at_its_field(organiser):
    response = organiser.post(MANAGE, data=session_form(organiser, ref="s-net"))
    assert response.status_code == 409
    html = response.get_data(as_text=True)
    assert "Another session, “Presentations by the Wildlife Enforcement Networks”, already" in html
    assert 'aria-describedby="ref-hint ref-error" aria-invalid="true"' in html
    assert stored("s-net").title == "Presentations by the Wildlife Enforcement Networks"


def test_a_field_of_people_has_a_limit(organiser):
    data = session_form(organiser, speakers="\n".join(["Tek"] * 201), rapporteur="Tek\nSomchai")
    response = organiser.post(MANAGE, data=data)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Type at most 200 people." in html and "Type one person only." in html
