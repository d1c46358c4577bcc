"""The organisers' rooms page: list, add, rename, set capacity, remove an unused room."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from eventapp.agenda import sessions
from eventapp.extensions import db
from eventapp.models import Meeting, Room, Session
from tests.factories import DEMO_SLUG, make_account
from tests.helpers import csrf_token, sign_in

ROOMS = f"/meetings/{DEMO_SLUG}/manage/agenda/rooms"
ORGANISER = "org@example.org"


@pytest.fixture
def organiser(client: FlaskClient, demo_meeting: Meeting) -> FlaskClient:
    make_account(ORGANISER, "organiser", meeting=demo_meeting)
    sign_in(client, ORGANISER)
    return client


def stored_rooms() -> dict[str, tuple[str, int | None]]:
    db.session.expire_all()
    return {r.ref: (r.name, r.capacity) for r in db.session.scalars(sa.select(Room))}


def text(html: str) -> str:
    """The page's words, tags and repeated spaces gone."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split()).replace("&#39;", "'")


def test_the_page_lists_every_room_with_capacity_and_use(organiser: FlaskClient) -> None:
    response = organiser.get(ROOMS)
    assert response.status_code == 200
    page = text(response.get_data(as_text=True))
    assert (
        "Plenary Hall, Queen Sirikit National Convention Center 300 places used by 6 sessions"
        in page
    )
    assert "Meeting Room B 40 places used by 1 session" in page


def test_only_organisers_see_it(client: FlaskClient, demo_meeting: Meeting) -> None:
    assert client.get(ROOMS).status_code in (302, 303, 401)
    make_account("someone@example.org")
    sign_in(client, "someone@example.org")
    assert client.get(ROOMS).status_code == 403


def test_an_organiser_adds_a_room(organiser: FlaskClient) -> None:
    response = organiser.post(
        ROOMS,
        data={"csrf_token": csrf_token(organiser, ROOMS), "name": "  Room  C ", "capacity": "25"},
    )
    assert response.status_code == 303
    assert stored_rooms()["room-c"] == ("Room C", 25)
    page = text(organiser.get(response.headers["Location"]).get_data(as_text=True))
    assert "Room C is added to the meeting's rooms." in page
    assert "Room C 25 places no session uses it" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": "", "capacity": "10"}, "Give the room a name."),
        ({"name": "   ", "capacity": "10"}, "A room needs a name."),
        ({"name": "Room C", "capacity": "many"}, "Write the capacity as a whole number"),
        ({"name": "Room C", "capacity": "0"}, "A capacity is a number of places from 1 to"),
        ({"name": "Room\nC", "capacity": ""}, "Write this on one line"),
    ],
)
def test_a_bad_room_is_refused_with_a_sentence(
    organiser: FlaskClient, fields: dict[str, str], message: str
) -> None:
    before = stored_rooms()
    response = organiser.post(ROOMS, data={"csrf_token": csrf_token(organiser, ROOMS), **fields})
    assert response.status_code in (400, 422)
    assert message in text(response.get_data(as_text=True))
    assert stored_rooms() == before


def test_without_the_csrf_token_nothing_is_added(organiser: FlaskClient) -> None:
    before = stored_rooms()
    assert organiser.post(ROOMS, data={"name": "Room C"}).status_code == 400
    assert stored_rooms() == before


def _change(client: FlaskClient, ref: str, **fields: str):  # type: ignore[no-untyped-def]
    data = {f"edit-{ref}-{k}": v for k, v in fields.items()}
    data[f"edit-{ref}-csrf_token"] = csrf_token(client, ROOMS)
    return client.post(f"{ROOMS}/{ref}", data=data)


def test_rename_and_set_capacity(organiser: FlaskClient) -> None:
    response = _change(organiser, "room-b", name="Salle B", capacity="45")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("#room-room-b")
    assert stored_rooms()["room-b"] == ("Salle B", 45)
    # Capacity left empty: not known.
    assert _change(organiser, "room-b", name="Salle B", capacity="").status_code == 303
    assert stored_rooms()["room-b"] == ("Salle B", None)
    # Its session follows it.
    session = db.session.scalar(sa.select(Session).where(Session.ref == "s-closed"))
    assert session.room is not None and session.room.name == "Salle B"


def test_the_page_fills_each_rooms_form_with_what_it_has(organiser: FlaskClient) -> None:
    html = organiser.get(ROOMS).get_data(as_text=True)
    assert re.search(r'id="edit-room-b-name"[^>]*value="Meeting Room B"', html) or re.search(
        r'value="Meeting Room B"[^>]*id="edit-room-b-name"', html
    )
    # Ids are unique on the page, so each label names its own input.
    ids = re.findall(r'\sid="([^"]+)"', html)
    assert len(ids) == len(set(ids))


def test_a_bad_change_shows_on_that_rooms_form_and_changes_nothing(
    organiser: FlaskClient,
) -> None:
    before = stored_rooms()
    response = _change(organiser, "room-b", name="Salle B", capacity="-3")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "A capacity is a number of places from 1 to 1000000." in text(html)
    # The refused values stay in the form, which is open.
    assert re.search(r'name="edit-room-b-capacity"[^>]*value="-3"', html) or re.search(
        r'value="-3"[^>]*name="edit-room-b-capacity"', html
    )
    assert "<details open>" in html
    assert stored_rooms() == before


def test_an_unknown_room_is_404(organiser: FlaskClient) -> None:
    assert _change(organiser, "room-z", name="Z").status_code == 404
    assert organiser.get(f"{ROOMS}/room-z/remove").status_code == 404


def test_removing_an_unused_room_asks_first_then_removes_it(organiser: FlaskClient) -> None:
    organiser.post(ROOMS, data={"csrf_token": csrf_token(organiser, ROOMS), "name": "Room C"})
    page = organiser.get(f"{ROOMS}/room-c/remove")
    assert page.status_code == 200
    assert "No session uses Room C." in text(page.get_data(as_text=True))
    assert "room-c" in stored_rooms()  # asking changes nothing
    token = csrf_token(organiser, f"{ROOMS}/room-c/remove")
    assert organiser.post(f"{ROOMS}/room-c/remove", data={}).status_code == 400
    assert "room-c" in stored_rooms()
    done = organiser.post(f"{ROOMS}/room-c/remove", data={"csrf_token": token})
    assert done.status_code == 303
    assert "room-c" not in stored_rooms()
    assert "The room Room C is removed." in text(organiser.get(ROOMS).get_data(as_text=True))


def test_a_room_in_use_is_not_removed_and_says_why(organiser: FlaskClient) -> None:
    page = text(organiser.get(f"{ROOMS}/room-b/remove").get_data(as_text=True))
    assert "Meeting Room B is used by 1 session" in page
    response = organiser.post(
        f"{ROOMS}/room-b/remove", data={"csrf_token": csrf_token(organiser, ROOMS)}
    )
    assert response.status_code == 409
    assert (
        "Meeting Room B holds 1 session(s), among them “Closed session of heads of networks”: "
        "move them first." in text(response.get_data(as_text=True))
    )
    assert "room-b" in stored_rooms()


def test_two_rooms_cannot_share_a_name(organiser: FlaskClient) -> None:
    before = stored_rooms()
    added = organiser.post(
        ROOMS, data={"csrf_token": csrf_token(organiser, ROOMS), "name": "meeting room b"}
    )
    assert added.status_code == 422
    assert "The meeting already has a room called meeting room b" in text(
        added.get_data(as_text=True)
    )
    renamed = _change(organiser, "plenary", name="Meeting Room B", capacity="300")
    assert renamed.status_code == 422
    assert "already has a room called Meeting Room B" in text(renamed.get_data(as_text=True))
    assert stored_rooms() == before
    # A room keeps its own name, in other letters too.
    assert _change(organiser, "room-b", name="MEETING ROOM B", capacity="40").status_code == 303


@pytest.mark.parametrize("capacity", [0, -1, 1_000_001, True])
def test_the_room_service_bounds_capacity_as_the_schema_does(demo_meeting, capacity):
    with pytest.raises(sessions.RoomProblem, match="from 1 to 1000000"):
        sessions.set_room_capacity(demo_meeting, "room-b", capacity)
