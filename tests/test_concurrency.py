"""Writers of one meeting at the same moment: no double booking, no deadlock, no 500.

Every writer of a meeting takes the meeting's lock first (eventapp/locking.py). These tests
release many requests at once with a barrier, on SQLite and PostgreSQL alike, and check what
was stored, not only what was answered.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient

from eventapp.extensions import db
from eventapp.models import Participant, Session
from tests.factories import DEMO_SLUG, demo_document, load, make_account
from tests.helpers import at_once, bearer

API = f"/api/v1/meetings/{DEMO_SLUG}"


def organiser_headers(meeting) -> dict[str, str]:  # type: ignore[no-untyped-def]
    make_account("org@example.org", "organiser", meeting=meeting)
    return bearer("org@example.org")


def side_event(ref: str, **fields: Any) -> dict[str, Any]:
    session = {
        "ref": ref,
        "title": f"Side event {ref}",
        "kind": "side_event",
        "start": "2013-03-05T12:45",
        "end": "2013-03-05T13:45",
        "room": "room-b",
        "public": True,
    }
    session.update(fields)
    return session


def sessions_in(room_ref: str, start: str) -> list[str]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Session.ref)
            .join(Session.room)
            .where(Session.room.has(ref=room_ref), Session.title.like("Side event %"))
        )
    )


def test_ten_requests_for_one_room_and_time_book_it_once(app, demo_meeting):
    headers = organiser_headers(demo_meeting)
    jobs = [
        (lambda c, n=n: c.post(f"{API}/sessions", json=side_event(f"s-race-{n}"), headers=headers))
        for n in range(10)
    ]
    answers = at_once(app, jobs)
    codes = sorted(a.status_code for a in answers)
    assert codes == [201] + [409] * 9, codes
    assert len(sessions_in("room-b", "2013-03-05T12:45")) == 1
    for answer in answers:
        if answer.status_code == 409:
            assert "room" in str(answer.get_json()["error"]["fields"])


def test_the_same_ref_at_once_is_one_session_and_409s(app, demo_meeting):
    headers = organiser_headers(demo_meeting)
    # Different rooms and times: only the ref collides.
    rooms = ["room-b", "plenary", "room-b", "plenary", "room-b", "plenary"]
    hours = ["07", "07", "08", "08", "18", "18"]
    jobs = [
        (
            lambda c, n=n: c.post(
                f"{API}/sessions",
                json=side_event(
                    "s-same",
                    room=rooms[n],
                    start=f"2013-03-05T{hours[n]}:00",
                    end=f"2013-03-05T{hours[n]}:30",
                ),
                headers=headers,
            )
        )
        for n in range(len(rooms))
    ]
    codes = sorted(a.status_code for a in at_once(app, jobs))
    assert codes == [201] + [409] * (len(rooms) - 1), codes
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).where(Session.ref == "s-same")) == 1


def _record_put(client: FlaskClient, headers: dict[str, str], ref: str, summary: str) -> int:
    url = f"{API}/sessions/{ref}/record"
    read = client.get(url, headers=headers)
    if read.status_code != 200:
        return read.status_code
    body = {"status": "draft", "summary": summary, "outcomes": []}
    return client.put(
        url, json=body, headers={**headers, "If-Match": read.headers["ETag"]}
    ).status_code


def test_replacing_the_meeting_while_records_are_written_never_deadlocks(app, demo_meeting):
    headers = organiser_headers(demo_meeting)
    document = demo_document()
    jobs: list[Callable[[FlaskClient], Any]] = []
    for n in range(4):
        jobs.append(lambda c: c.put(API, json=document, headers=headers).status_code)
        for ref in ("s-open", "s-net"):
            jobs.append(lambda c, ref=ref, n=n: _record_put(c, headers, ref, f"Summary {n}"))
    codes = at_once(app, jobs)
    assert all(code < 500 for code in codes), codes
    # Every replacement went through; records answered 200 or, read before a replacement, 409.
    assert codes[0::3] == [200] * 4, codes
    assert set(codes) - {200, 409, 404} == set(), codes
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).where(Session.ref == "s-open")) == 1


def test_a_record_written_to_a_session_the_replacement_removed_is_404(client, demo_meeting):
    headers = organiser_headers(demo_meeting)
    url = f"{API}/sessions/s-net/record"
    etag = client.get(url, headers=headers).headers["ETag"]
    document = demo_document()
    document["sessions"] = [s for s in document["sessions"] if s["ref"] != "s-net"]
    assert client.put(API, json=document, headers=headers).status_code == 200
    body = {"status": "draft", "summary": "Too late", "outcomes": []}
    answer = client.put(url, json=body, headers={**headers, "If-Match": etag})
    assert answer.status_code == 404
    assert answer.get_json()["error"]["code"] == "not_found"


def test_registrations_racing_a_replacement_are_stored_or_refused_never_500(app):
    document = demo_document()
    document["meeting"].pop("registration_opens")
    document["meeting"].pop("registration_closes")
    meeting = load(document)
    headers = organiser_headers(meeting)
    jobs: list[Callable[[FlaskClient], Any]] = []
    for n in range(4):
        jobs.append(lambda c: c.put(API, json=document, headers=headers).status_code)
        for m in range(2):
            person = {
                "organisation": "th",
                "given_name": "Racing",
                "family_name": f"Person {n}-{m}",
                "email": f"racing-{n}-{m}@example.org",
                "role": "delegate",
            }
            jobs.append(
                lambda c, person=person: (
                    c.post(f"{API}/registrations", json=person, headers=headers).status_code
                )
            )
    codes = at_once(app, jobs)
    assert all(code < 500 for code in codes), codes
    assert codes[0::3] == [200] * 4, codes
    db.session.expire_all()
    stored = db.session.scalar(sa.select(sa.func.count()).where(Participant.given_name == "Racing"))
    accepted = sum(1 for n, code in enumerate(codes) if n % 3 and code == 201)
    # One that landed before a later replacement went with it; none is half-stored.
    assert stored <= accepted
    orphans = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Participant)
        .where(Participant.given_name == "Racing", Participant.meeting_id != meeting.id)
    )
    assert orphans == 0


def test_the_same_new_meeting_created_at_once_is_one_meeting_and_409s(app):
    from eventapp.models import Meeting

    make_account("admin@example.org", "admin")
    headers = bearer("admin@example.org")
    document = demo_document()
    jobs = [
        (lambda c: c.post("/api/v1/meetings", json=document, headers=headers).status_code)
        for _ in range(4)
    ]
    codes = sorted(at_once(app, jobs))
    assert codes == [201, 409, 409, 409], codes
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Meeting)) == 1


def test_the_same_account_created_at_once_in_the_browser_is_one_account_and_409s(app):
    from eventapp.models import User
    from tests.conftest import csrf_token, sign_in

    make_account("admin@example.org", "admin")
    clients = []
    for _ in range(5):
        client = app.test_client()
        sign_in(client, "admin@example.org")
        clients.append((client, csrf_token(client, "/admin/accounts")))
    barrier = threading.Barrier(len(clients))
    answers: list[Any] = [None] * len(clients)

    def create(index: int) -> None:
        client, token = clients[index]
        barrier.wait()
        answers[index] = client.post(
            "/admin/accounts", data={"email": "new.colleague@example.org", "csrf_token": token}
        )

    threads = [threading.Thread(target=create, args=(n,)) for n in range(len(clients))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    codes = sorted(a.status_code for a in answers)
    assert codes.count(302) >= 1 and set(codes) <= {302, 400, 409}, codes
    for answer in answers:
        if answer.status_code == 409:
            assert "Someone changed this at the same moment" in answer.get_data(as_text=True)
    db.session.expire_all()
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).where(User.email == "new.colleague@example.org")
        )
        == 1
    )
