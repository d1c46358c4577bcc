"""One identity per mailbox: distinct mailboxes are distinct people wherever addresses meet.

`straße.example.org` is another IDN domain than `strasse.example.org` (xn--strae-oqa), and
`straße@` another mailbox than `strasse@`: whoever owns one must never become the other.
"""

from __future__ import annotations

import email
import os
import re
import threading
from email import policy
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from eventapp.extensions import db
from eventapp.models import Participant, User
from tests.factories import DEMO_SLUG, demo_document, load, make_account
from tests.helpers import REGISTER, bearer, csrf_token, mail_text, sign_in

VICTIM = "victim@strasse.example.org"
ATTACKER = "victim@straße.example.org"


def open_meeting(slug: str = DEMO_SLUG, **meeting_fields: Any):  # type: ignore[no-untyped-def]
    """The demo meeting (under another slug if asked) with registration open now."""
    doc = demo_document()
    doc["meeting"].pop("registration_opens")
    doc["meeting"].pop("registration_closes")
    doc["meeting"]["slug"] = slug
    doc["meeting"].update(meeting_fields)
    return load(doc)


def registration(client: FlaskClient, slug: str = DEMO_SLUG, **fields: str) -> dict[str, str]:
    data = {
        "csrf_token": csrf_token(client, f"/meetings/{slug}/register"),
        "organisation": "th",
        "given_name": "Malee",
        "family_name": "Suksawat",
        "email": VICTIM,
        "role": "delegate",
    }
    data.update(fields)
    return data


def register(client: FlaskClient, slug: str = DEMO_SLUG, **fields: str):  # type: ignore[no-untyped-def]
    return client.post(f"/meetings/{slug}/register", data=registration(client, slug, **fields))


def mails(app: Flask) -> list[email.message.EmailMessage]:
    outbox = Path(app.config["OUTBOX_DIR"])
    files = sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime) if outbox.exists() else []
    return [
        email.message_from_bytes(f.read_bytes(), policy=policy.default)  # type: ignore[misc]
        for f in files
    ]


def body(message: email.message.EmailMessage) -> str:
    return mail_text(message)


def reset_by_mail(app: Flask, client: FlaskClient, address: str, password: str) -> str:
    """Ask for a reset as `address`, follow the link that arrives, choose `password`.

    Returns the body of the one message that the request sent.
    """
    before = len(mails(app))
    token = csrf_token(client, "/password/forgot")
    response = client.post("/password/forgot", data={"email": address, "csrf_token": token})
    assert response.status_code == 200
    sent = mails(app)[before:]
    assert len(sent) == 1
    text = body(sent[0])
    link = re.search(r"http://\S+(/password/reset/\S+)", text)
    assert link, text
    path = link.group(1)
    token = csrf_token(client, path)
    data = {"password": password, "confirm": password, "csrf_token": token}
    assert client.post(path, data=data).status_code == 302
    return text


def participants(address_like: str) -> list[Participant]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(Participant).where(Participant.email.like(address_like)).order_by("id")
        )
    )


def account_count() -> int:
    db.session.expire_all()
    return db.session.scalar(sa.select(sa.func.count(User.id)))


# -- item 1: two mailboxes are two people ------------------------------------------------------


def test_the_other_idn_domain_registers_a_separate_person_and_account(app, client):
    open_meeting()
    assert register(client, email=VICTIM).status_code == 303
    attacker = app.test_client()
    response = register(attacker, email=ATTACKER, given_name="Mallory", family_name="Attacker")
    assert response.status_code == 303, response.get_data(as_text=True)
    victim_reg, attacker_reg = participants("victim@%")
    assert (victim_reg.email, attacker_reg.email) == (VICTIM, ATTACKER)
    assert victim_reg.email_key == "victim@strasse.example.org"
    assert attacker_reg.email_key == "victim@xn--strae-oqa.example.org"
    emails = sorted(db.session.scalars(sa.select(User.email)))
    assert emails == sorted([VICTIM, ATTACKER])

    # The attacker resets "their" password: the mail goes to their own mailbox and account.
    text = reset_by_mail(app, attacker, ATTACKER, "the attacker's password")
    assert ATTACKER in text and VICTIM not in text
    assert sign_in(attacker, ATTACKER, "the attacker's password").status_code == 302
    page = attacker.get("/account").get_data(as_text=True)
    assert "Mallory" in page or ATTACKER in page
    assert attacker.get(f"/account/registrations/{attacker_reg.id}").status_code == 200
    assert attacker.get(f"/account/registrations/{victim_reg.id}").status_code == 404
    token = csrf_token(attacker, "/account")
    cancel = f"/account/registrations/{victim_reg.id}/cancel"
    assert attacker.post(cancel, data={"csrf_token": token}).status_code == 404
    assert participants(VICTIM)[0].status is victim_reg.status
    # The victim's account kept no password of the attacker's choosing.
    assert sign_in(app.test_client(), VICTIM, "the attacker's password").status_code == 401


def test_upper_case_ascii_is_still_the_same_mailbox(app, client):
    open_meeting()
    assert register(client, email=VICTIM).status_code == 303
    again = register(app.test_client(), email="Victim@STRASSE.Example.org")
    assert again.status_code == 400
    assert "already registered" in again.get_data(as_text=True)
    assert len(participants("%victim@%")) == 1
    assert account_count() == 1

    text = reset_by_mail(app, client, "Victim@Strasse.Example.org", "the victim's password")
    assert VICTIM in text
    assert sign_in(client, "VICTIM@strasse.example.ORG", "the victim's password").status_code == 302
    (mine,) = participants(VICTIM)
    assert client.get(f"/account/registrations/{mine.id}").status_code == 200


@pytest.mark.parametrize(
    ("chair", "lookalike"),
    [
        ("chair@strasse.example.org", "chair@straße.example.org"),  # another IDN domain
        ("strasse@example.org", "straße@example.org"),  # ß in the local part
    ],
)
def test_an_address_differing_from_the_chairs_only_by_sharp_s_gets_no_chair_rights(
    app, client, chair, lookalike
):
    doc = demo_document()
    doc["meeting"].pop("registration_opens")
    doc["meeting"].pop("registration_closes")
    for person in doc["participants"]:
        if person["ref"] == "chair":
            person["email"] = chair
    load(doc)
    response = register(client, email=lookalike, given_name="Mallory", family_name="Attacker")
    assert response.status_code == 303, response.get_data(as_text=True)
    reset_by_mail(app, client, lookalike, "the lookalike's password")
    assert sign_in(client, lookalike, "the lookalike's password").status_code == 302
    records = f"/meetings/{DEMO_SLUG}/records"
    assert client.get(records).status_code == 403
    assert client.get(f"{records}/s-close").status_code == 403
    api = f"/api/v1/meetings/{DEMO_SLUG}/sessions/s-close/record"
    assert client.get(api, headers=bearer(lookalike)).status_code == 403
    # The chair's own mailbox, however written, keeps the chair's rights.
    make_account(chair)
    chair_client = app.test_client()
    assert sign_in(chair_client, chair.upper()).status_code == 302
    assert chair_client.get(records).status_code == 200
    assert chair_client.get(api, headers=bearer(chair)).status_code == 200


def test_import_keeps_lookalike_addresses_apart_and_refuses_real_duplicates(runner, tmp_path):
    import json

    doc = demo_document()
    people = doc["participants"]
    people[0]["email"] = VICTIM
    people[1]["email"] = ATTACKER
    path = tmp_path / "meeting.json"
    path.write_text(json.dumps(doc), "utf-8")
    result = runner.invoke(args=["meeting", "import", str(path)])
    assert result.exit_code == 0, result.output
    keys = {p.email: p.email_key for p in participants("victim@%")}
    assert keys == {
        VICTIM: "victim@strasse.example.org",
        ATTACKER: "victim@xn--strae-oqa.example.org",
    }

    # The A-label of a domain and its U-label are one mailbox: a duplicate.
    doc["meeting"]["slug"] = "second"
    people[1]["email"] = "VICTIM@xn--strae-oqa.example.org"
    people[2]["email"] = ATTACKER
    path.write_text(json.dumps(doc), "utf-8")
    result = runner.invoke(args=["meeting", "import", str(path)])
    assert result.exit_code == 1
    assert "$.participants[2].email" in result.output
    assert "already registered by $.participants[1]" in result.output


def test_sign_in_failures_are_counted_per_mailbox(client):
    make_account(VICTIM)
    make_account(ATTACKER)
    statuses = [sign_in(client, ATTACKER, f"guess {n}").status_code for n in range(6)]
    assert statuses[-1] == 429
    # Guessing at the lookalike mailbox does not lock the victim out.
    assert sign_in(client, "Victim@Strasse.example.org").status_code == 302


# -- item 9: one new address, several meetings at once -----------------------------------------


def test_one_new_address_registering_for_several_meetings_at_once(app):
    slugs = [f"meeting-{n}" for n in range(6)]
    for slug in slugs:
        open_meeting(slug)
    prepared = []
    for slug in slugs:
        client = app.test_client()
        prepared.append((client, slug, registration(client, slug, email="new.person@example.org")))
    barrier = threading.Barrier(len(prepared))
    codes: list[int] = []
    lock = threading.Lock()

    def post(client: FlaskClient, slug: str, data: dict[str, str]) -> None:
        barrier.wait()
        code = client.post(f"/meetings/{slug}/register", data=data).status_code
        with lock:
            codes.append(code)

    threads = [threading.Thread(target=post, args=job) for job in prepared]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert codes == [303] * len(slugs)
    stored = participants("new.person@example.org")
    assert sorted(p.meeting.slug for p in stored) == sorted(slugs)
    assert db.session.scalars(sa.select(User.email)).all() == ["new.person@example.org"]


# -- item 19: the public claims participation roles only ---------------------------------------


def test_the_public_form_offers_participation_roles_only(client):
    open_meeting()
    html = client.get(REGISTER).get_data(as_text=True)
    select = re.search(r'<select[^>]*name="role"[^>]*>(.*?)</select>', html, re.S)
    assert select
    offered = set(re.findall(r'value="([^"]*)"', select.group(1)))
    assert offered == {"head_of_delegation", "delegate", "observer", "speaker"}


@pytest.mark.parametrize("role", ["chair", "organiser", "rapporteur", "secretariat", "emperor"])
def test_a_forged_office_role_is_refused_on_the_page_and_stores_nothing(client, role):
    open_meeting()
    before = len(participants("%"))
    response = register(client, email="forger@example.org", role=role)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Choose one of the roles offered" in page
    assert len(participants("%")) == before
    assert account_count() == 0


def test_head_of_delegation_may_still_be_claimed(client):
    open_meeting()
    response = register(
        client, email="head@example.org", role="head_of_delegation", organisation="cites"
    )
    assert response.status_code == 303
    assert participants("head@example.org")[0].role.value == "head_of_delegation"


def test_organisers_may_still_give_any_role_through_the_api(client):
    meeting = open_meeting()
    make_account("org@example.org", "organiser", meeting=meeting)
    body = {
        "organisation": "cites",
        "given_name": "Ivonne",
        "family_name": "Higuero",
        "email": "rapporteur@example.org",
        "role": "rapporteur",
    }
    url = f"/api/v1/meetings/{DEMO_SLUG}/registrations"
    response = client.post(url, json=body, headers=bearer("org@example.org"))
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.get_json()["role"] == "rapporteur"


# -- the migration recomputes the stored keys --------------------------------------------------

BEFORE = "22fe98eb5955"
MAILBOX_KEYS = "a4c0e1d00004"


@pytest.fixture
def old_database(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A database of its own, before the mailbox keys: SQLite, or a schema in PostgreSQL."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    schema = "mailbox_keys_migration"
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
        conn.execute(sa.text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in url else "?"
    yield f"{url}{separator}options=-csearch_path%3D{schema}"
    with engine.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
    engine.dispose()


def _rows(conn: sa.Connection, table: str) -> dict[int, tuple[Any, ...]]:
    columns = "email, email_key, active" if table == "users" else "email, email_key, meeting_id"
    rows = conn.execute(sa.text(f"SELECT id, {columns} FROM {table} ORDER BY id"))
    return {row[0]: tuple(row[1:]) for row in rows}


def test_the_migration_recomputes_the_stored_keys(old_database):
    from datetime import date, datetime

    from flask_migrate import downgrade, upgrade

    from eventapp import create_app

    app = create_app({"SQLALCHEMY_DATABASE_URI": old_database})
    with app.app_context():
        upgrade(revision=BEFORE)
        now = datetime(2026, 1, 1)
        with db.engine.begin() as conn:
            if conn.dialect.name == "postgresql":  # its own schema, not the suite's database
                assert conn.scalar(sa.text("SELECT current_schema()")) == "mailbox_keys_migration"
            tables = sa.MetaData()
            tables.reflect(
                conn, only=["meetings", "organisations", "delegations", "participants", "users"]
            )
            t = tables.tables
            for n in (1, 2):
                conn.execute(
                    t["meetings"].insert().values(
                        id=n, slug=f"m{n}", title=f"Meeting {n}", timezone="UTC",
                        start_date=date(2026, 3, 1), end_date=date(2026, 3, 2),
                        created_at=now, updated_at=now,
                    )
                )  # fmt: skip
            conn.execute(
                t["organisations"].insert().values(id=1, kind="country", name="T", name_key="t")
            )
            for n in (1, 2):
                conn.execute(
                    t["delegations"]
                    .insert()
                    .values(
                        id=n, meeting_id=n, organisation_id=1, ref="th", name="T", kind="country"
                    )
                )
            # Keys as the old rule made them: the whole address case-folded.
            people = [
                (1, 1, "Victim@strasse.example.org"),
                (2, 2, "victim@straße.example.org"),  # merged with 1's account by the old rule
                (3, 1, "straße@example.org"),
                (4, 1, "x@xn--strae-oqa.example.org"),
                # The same mailbox as 4 (its U-label): two registrations of one person.
                (5, 1, "x@straße.example.org"),
                (6, 1, "Ärger@Example.ORG"),
            ]
            for pid, meeting, address in people:
                conn.execute(
                    t["participants"].insert().values(
                        id=pid, meeting_id=meeting, delegation_id=meeting, ref=f"p{pid}",
                        given_name="G", family_name="F", email=address,
                        email_key=address.casefold(), role="delegate", status="approved",
                    )
                )  # fmt: skip
            users = [
                (1, "Victim@strasse.example.org"),
                (2, "x@xn--strae-oqa.example.org"),
                (3, "x@straße.example.org"),  # the same mailbox as 2, created later
            ]
            for uid, address in users:
                conn.execute(
                    t["users"].insert().values(
                        id=uid, email=address, email_key=address.casefold(),
                        is_admin=False, active=True, created_at=now,
                    )
                )  # fmt: skip

        upgrade(revision=MAILBOX_KEYS)
        with db.engine.connect() as conn:
            got = _rows(conn, "participants")
            accounts = _rows(conn, "users")
        assert got[1] == ("Victim@strasse.example.org", "victim@strasse.example.org", 1)
        assert got[2] == ("victim@straße.example.org", "victim@xn--strae-oqa.example.org", 2)
        assert got[3][1] == "straße@example.org"
        assert got[4][1] == "x@xn--strae-oqa.example.org"
        # The later registration of one mailbox is kept, but matches no account any more.
        assert got[5][1] == "duplicate of participant 4 (#5)"
        assert got[6][1] == "Ärger@example.org"
        assert accounts[1] == ("Victim@strasse.example.org", "victim@strasse.example.org", True)
        assert accounts[2] == ("x@xn--strae-oqa.example.org", "x@xn--strae-oqa.example.org", True)
        # A second account of one mailbox can no longer be signed in to, and says why.
        assert accounts[3][1:] == ("duplicate of account 2 (#3)", False)

        # Down again: the old keys come back, and what collides under them is kept apart too.
        downgrade(revision=BEFORE)
        with db.engine.connect() as conn:
            old = _rows(conn, "participants")
        assert old[1][1] == "victim@strasse.example.org"
        assert old[3][1] == "strasse@example.org"
        assert old[6][1] == "ärger@example.org"
        db.engine.dispose()
