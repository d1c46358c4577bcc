"""One unit of work per request: what happens after the commit never turns into a 500.

Mail leaves through the outbox (a real SMTP server on loopback, or a closed port for a server
that is down); rate limits are counted in the database by every worker; headers stay ASCII;
a publication that cannot be stored says so and leaves nothing behind.
"""

from __future__ import annotations

import email
import json
import os
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from email import policy
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask

from eventapp import mail
from eventapp.extensions import db
from eventapp.models import OutboxMessage, Participant, ReportVersion
from tests.factories import (
    DEMO_SLUG,
    PASSWORD,
    ROOT,
    make_account,
    new_session,
    open_meeting,
    participant,
)
from tests.helpers import (
    REGISTER,
    REGISTRATIONS,
    SESSIONS,
    Received,
    another_app,
    bearer,
    closed_port,
    csrf_token,
    eml_files,
    organiser_headers,
    outbox_rows,
    registration_count,
    registration_form,
    sign_in,
)
from tests.helpers import smtp_server as loopback_smtp

# -- the outbox ------------------------------------------------------------------------------


def test_mail_server_down_registration_is_stored_and_answered(app, client, monkeypatch):
    headers = open_meeting_api()
    monkeypatch.setitem(app.config, "MAIL_URL", f"smtp://127.0.0.1:{closed_port()}")
    response = client.post(REGISTRATIONS, json=participant(1), headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    response.close()  # the SMTP conversation begins once the answer has left
    [row] = outbox_rows()
    assert row.attempts == 1 and row.last_error and row.recipient == "person1@example.org"
    # The client did not have to retry: a second try is the ordinary duplicate answer.
    assert client.post(REGISTRATIONS, json=participant(1), headers=headers).status_code == 409
    stored = sa.select(sa.func.count(Participant.id)).where(
        Participant.email == "person1@example.org"
    )
    assert db.session.scalar(stored) == 1

    # The server is back (here: the outbox folder) and the waiting time is over.
    monkeypatch.setitem(app.config, "MAIL_URL", None)
    db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=OutboxMessage.created_at))
    db.session.commit()
    result = app.test_cli_runner().invoke(args=["mail", "deliver"])
    assert result.exit_code == 0, result.output
    assert "delivered 1" in result.output
    assert outbox_rows() == []
    [eml] = eml_files(app)
    assert email.message_from_bytes(eml.read_bytes())["To"] == "person1@example.org"


def open_meeting_api() -> dict[str, str]:
    return organiser_headers(open_meeting(capacity=30))


def test_a_rolled_back_change_sends_nothing_a_committed_one_is_kept(app):
    mail.send(mail.compose("lost@example.org", "Never", "This change rolls back."))
    db.session.rollback()
    assert outbox_rows() == []
    mail.send(mail.compose("kept@example.org", "Kept", "This change commits."))
    db.session.commit()
    assert [row.recipient for row in outbox_rows()] == ["kept@example.org"]
    assert mail.deliver_due().sent == 1
    assert outbox_rows() == []
    assert len(eml_files(app)) == 1


def test_mail_queue_unreachable_keeps_the_message_for_later(app, client, monkeypatch):
    headers = open_meeting_api()
    monkeypatch.setitem(app.config, "REDIS_URL", f"redis://127.0.0.1:{closed_port()}/0")
    response = client.post(REGISTRATIONS, json=participant(2), headers=headers)
    assert response.status_code == 201
    # Left for a later delivery, with what went wrong.
    [row] = outbox_rows()
    assert row.attempts == 1 and "ConnectionError" in (row.last_error or "")
    assert eml_files(app) == []


def test_a_subject_or_address_with_line_breaks_is_folded_not_refused(app):
    message = mail.compose(
        "someone@example.org\r\nBcc: everyone@example.org",
        "Registration: WEN\r\nBcc: x@example.org",
        "Body",
    )
    mail.send(message)
    db.session.commit()
    [row] = outbox_rows()
    parsed = email.message_from_bytes(row.message, policy=policy.default)
    assert parsed["Subject"] == "Registration: WEN Bcc: x@example.org"
    assert parsed["Bcc"] is None
    assert "\n" not in row.recipient


# -- internationalised addresses, against a real SMTP server ---------------------------------


@pytest.fixture
def smtp_server(request) -> Iterator[tuple[int, Received]]:  # type: ignore[no-untyped-def]
    with loopback_smtp(utf8=getattr(request, "param", True)) as server:
        yield server


def _deliver_to(app, monkeypatch, port: int, to: str) -> mail.Delivery:  # type: ignore[no-untyped-def]
    monkeypatch.setitem(app.config, "MAIL_URL", f"smtp://127.0.0.1:{port}")
    mail.send(mail.compose(to, "Inscription : réunion", "Bonjour Jörg,\n\nMerci."))
    db.session.commit()
    return mail.deliver_due()


def test_an_idn_domain_travels_as_its_a_label(app, monkeypatch, smtp_server):
    port, received = smtp_server
    assert _deliver_to(app, monkeypatch, port, "victim@straße.example.org").sent == 1
    [(_sender, rcpts, options, raw)] = received.envelopes
    assert rcpts == ["victim@xn--strae-oqa.example.org"]
    assert "SMTPUTF8" not in options
    headers = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\r\nTo: victim@xn--strae-oqa.example.org\r\n" in b"\r\n" + headers + b"\r\n"
    assert b"=?utf-8?" not in headers.split(b"Subject:")[0]


def test_a_utf8_mailbox_is_sent_with_smtputf8(app, monkeypatch, smtp_server):
    port, received = smtp_server
    assert _deliver_to(app, monkeypatch, port, "jörg@example.org").sent == 1
    [(_sender, rcpts, options, raw)] = received.envelopes
    assert rcpts == ["jörg@example.org"]
    assert "SMTPUTF8" in options
    headers = raw.split(b"\r\n\r\n", 1)[0]
    # The address itself, in UTF-8: never an encoded word inside the address.
    assert "To: jörg@example.org".encode() in headers
    assert b"=?utf-8?" not in headers


@pytest.mark.parametrize("smtp_server", [False], indirect=True)
def test_a_server_without_smtputf8_is_named_in_the_log(app, monkeypatch, smtp_server, caplog):
    port, received = smtp_server
    assert _deliver_to(app, monkeypatch, port, "jörg@example.org").failed == 1
    assert received.envelopes == []
    [row] = outbox_rows()
    assert "does not offer SMTPUTF8" in (row.last_error or "")
    assert any("does not offer SMTPUTF8" in r.getMessage() for r in caplog.records)


# -- forgotten passwords ---------------------------------------------------------------------


def _forgot(client, address: str) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    token = csrf_token(client, "/password/forgot")
    response = client.post("/password/forgot", data={"email": address, "csrf_token": token})
    response.close()
    page = response.get_data(as_text=True).replace(token, "TOKEN").replace(address, "ADDRESS")
    return response.status_code, page


def test_forgot_password_answers_the_same_known_or_not_mail_down(app, monkeypatch):
    make_account("known@example.org")
    monkeypatch.setitem(app.config, "MAIL_URL", f"smtp://127.0.0.1:{closed_port()}")
    known = _forgot(app.test_client(), "known@example.org")
    unknown = _forgot(app.test_client(), "nobody@example.org")
    assert known[0] == unknown[0] == 200
    assert known[1] == unknown[1]
    # The link waits in the outbox for the mail server; nothing is queued for nobody.
    assert [row.recipient for row in outbox_rows()] == ["known@example.org"]


# -- the request's unit of work: one commit, or nothing at all -----------------------------------


@pytest.fixture
def probe_app(app: Flask) -> Iterator[Flask]:
    """The application with one more view that registers someone, then answers as it is told."""
    from flask import Blueprint

    from eventapp import unit_of_work
    from eventapp.accounts.permissions import PUBLIC, allow
    from eventapp.lookups import find_meeting
    from eventapp.registration import notices
    from eventapp.registration import service as registration

    with another_app(app, WTF_CSRF_ENABLED=False) as other:
        probe = Blueprint("probe", __name__)

        @probe.post("/probe/<answer>")
        @allow(PUBLIC)
        def register_then_answer(answer: str):  # type: ignore[no-untyped-def]
            meeting = find_meeting(DEMO_SLUG)
            assert meeting is not None
            wanted = registration.request_from_mapping(participant(1))
            notices.confirm_registration(registration.register(meeting, wanted, by_organiser=True))
            if answer == "raises":
                raise RuntimeError("the view failed after the service ran")
            if answer == "discards":
                unit_of_work.discard()  # a refusal answered with a redirect
                return "", 303
            return "", int(answer)

        other.register_blueprint(probe)
        unit_of_work.install(other)
        yield other


@pytest.mark.parametrize("answer", ["200", "201", "303"])
def test_a_view_that_succeeds_is_committed_and_its_mail_leaves(app, probe_app, answer):
    open_meeting()
    before = registration_count()
    response = probe_app.test_client().post(f"/probe/{answer}")
    assert response.status_code == int(answer)
    assert registration_count() == before + 1
    # Committed, then delivered: the outbox is empty and the message is out.
    assert outbox_rows() == [] and len(eml_files(app)) == 1


@pytest.mark.parametrize("answer", ["400", "409", "422", "500", "raises", "discards"])
def test_a_view_that_fails_after_its_service_ran_leaves_nothing(app, probe_app, answer):
    from eventapp.accounts.service import find_user

    open_meeting()
    before = registration_count()
    response = probe_app.test_client().post(f"/probe/{answer}")
    expected = {"raises": 500, "discards": 303}.get(answer) or int(answer)
    assert response.status_code == expected
    assert registration_count() == before
    assert outbox_rows() == [] and eml_files(app) == []
    assert find_user("person1@example.org") is None


def test_every_view_runs_in_the_unit_of_work(app):
    from eventapp import unit_of_work

    outside = [name for name, view in app.view_functions.items() if not unit_of_work.runs(view)]
    assert outside == []


def test_a_registration_whose_answer_fails_stores_and_sends_nothing(app, client, monkeypatch):
    from eventapp.accounts.service import find_user
    from eventapp.registration import routes

    open_meeting(approval="automatic")
    before = registration_count()

    def broken_answer(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the answer could not be made")

    # register() has run and the confirmation is in the outbox: then the answer fails.
    monkeypatch.setattr(routes, "flash", broken_answer)
    data = registration_form(client, email="late@example.org")
    response = client.post(REGISTER, data=data)
    assert response.status_code == 500
    assert registration_count() == before
    assert find_user("late@example.org") is None
    assert outbox_rows() == [] and eml_files(app) == []


def test_a_password_reset_whose_answer_fails_sends_nothing(app, client, monkeypatch):
    from eventapp.accounts import routes
    from eventapp.models import AuditEntry

    make_account("forgetful@example.org")
    rendered = routes.render_template

    def broken_page(template: str, **context: object) -> str:
        if template == "accounts/forgot_sent.html":
            raise RuntimeError("the page could not be made")
        return rendered(template, **context)

    # The reset link is composed and in the outbox: then the answer fails.
    monkeypatch.setattr(routes, "render_template", broken_page)
    token = csrf_token(client, "/password/forgot")
    response = client.post(
        "/password/forgot", data={"email": "forgetful@example.org", "csrf_token": token}
    )
    assert response.status_code == 500
    assert outbox_rows() == [] and eml_files(app) == []
    requested = sa.select(sa.func.count(AuditEntry.id)).where(
        AuditEntry.action == "account.password_reset_requested"
    )
    assert db.session.scalar(requested) == 0


@contextmanager
def counted_commits() -> Iterator[list[int]]:
    """How many times the requests' sessions commit (the outbox's own deliveries aside)."""
    commits: list[int] = []

    def committed(session: object) -> None:
        commits.append(1)

    sa.event.listen(db.session, "after_commit", committed)
    try:
        yield commits
    finally:
        sa.event.remove(db.session, "after_commit", committed)


def _last_used() -> object:
    from eventapp.models import ApiToken

    db.session.expire_all()
    return db.session.scalar(sa.select(ApiToken.last_used_at))


def _forget_last_use() -> None:
    from eventapp.models import ApiToken

    db.session.execute(sa.update(ApiToken).values(last_used_at=None))
    db.session.commit()


def test_a_token_use_is_saved_with_the_request_in_one_commit(client):
    headers = open_meeting_api()
    # A read that changes nothing else still records the token's use.
    with counted_commits() as commits:
        assert client.get("/api/v1/me", headers=headers).status_code == 200
    assert len(commits) == 1 and _last_used() is not None
    _forget_last_use()
    # A change and the token's use are one transaction.
    with counted_commits() as commits:
        response = client.post(REGISTRATIONS, json=participant(1), headers=headers)
    assert response.status_code == 201
    assert len(commits) == 1 and _last_used() is not None
    _forget_last_use()
    # A refused request is rolled back whole, the token's use with it.
    with counted_commits() as commits:
        response = client.post(REGISTRATIONS, json={"given_name": 5}, headers=headers)
    assert response.status_code == 422
    assert commits == [] and _last_used() is None


# -- rate limits that every worker counts ----------------------------------------------------

SERVER = """
import json, sys
from werkzeug.serving import make_server
from eventapp import create_app
app = create_app(json.loads(sys.argv[1]))
server = make_server("127.0.0.1", 0, app, threaded=True)
print(server.server_port, flush=True)
server.serve_forever()
"""


@pytest.fixture
def two_workers(app) -> Iterator[list[str]]:  # type: ignore[no-untyped-def]
    """Two processes serving the same database: as two gunicorn workers do."""
    config = {
        "SQLALCHEMY_DATABASE_URI": app.config["SQLALCHEMY_DATABASE_URI"],
        "FAST_PASSWORD_HASHING": True,
        "OUTBOX_DIR": str(app.config["OUTBOX_DIR"]),
    }
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("REDIS_URL", None)
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", SERVER, json.dumps(config)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            env=env,
            cwd=ROOT,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        yield [f"http://127.0.0.1:{w.stdout.readline().strip()}" for w in workers]  # type: ignore[union-attr]
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=10)
            worker.stdout.close()  # type: ignore[union-attr]


def _browser() -> urllib.request.OpenerDirector:
    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
            return None

    return urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirect()
    )


def _sign_in_at(browser, base: str, address: str, password: str) -> int:  # type: ignore[no-untyped-def]
    page = browser.open(f"{base}/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page)
    assert token
    form = {"email": address, "password": password, "csrf_token": token.group(1)}
    try:
        with browser.open(
            f"{base}/login", data=urllib.parse.urlencode(form).encode(), timeout=10
        ) as answer:
            return answer.status
    except urllib.error.HTTPError as refused:
        return refused.code


def test_failed_sign_ins_are_counted_by_every_worker(app, two_workers):
    make_account("target@example.org")
    first, second = two_workers
    browser = _browser()
    statuses = [
        _sign_in_at(browser, base, "target@example.org", "wrong password")
        for base in (first, first, first, second, second)
    ]
    assert statuses == [401] * 5
    # The sixth failure within 15 minutes, whichever worker it reaches.
    assert _sign_in_at(browser, second, "target@example.org", "wrong password") == 429
    assert _sign_in_at(browser, first, "target@example.org", PASSWORD) == 429


def test_redis_unreachable_never_fails_a_sign_in(app, monkeypatch):
    make_account("someone@example.org")
    monkeypatch.setenv("REDIS_URL", f"redis://127.0.0.1:{closed_port()}/0")
    with another_app(app) as other:
        client = other.test_client()
        assert sign_in(client, "someone@example.org", "wrong password").status_code == 401
        assert sign_in(client, "someone@example.org").status_code == 302
        token = csrf_token(client, "/password/forgot")
        answer = client.post(
            "/password/forgot", data={"email": "someone@example.org", "csrf_token": token}
        )
        assert answer.status_code == 200
        # The reset link waits in the outbox until the queue answers again.
        assert [row.recipient for row in outbox_rows()] == ["someone@example.org"]


# -- headers ---------------------------------------------------------------------------------


def test_a_person_clash_warning_header_is_ascii(client, demo_meeting):
    body = new_session(start="2013-03-05T11:15", end="2013-03-05T12:00", chairs=["chair"])
    response = client.post(SESSIONS, json=body, headers=organiser_headers(demo_meeting))
    assert response.status_code == 201
    warning = response.headers["Warning"]
    assert warning.isascii() and warning.startswith('199 - "') and warning.endswith('"')
    assert re.search(r"\d\d:\d\d-\d\d:\d\d", warning), warning
    for name, value in response.headers.items():
        assert value.isascii(), name


@pytest.mark.parametrize(
    "target",
    ["/%0d%0aSet-Cookie:%20x=1", "/account%0a", "/\\evil.example/", "/%09/evil.example"],
)
def test_next_with_control_characters_or_backslashes_leads_to_the_account(client, target):
    make_account("someone@example.org")
    token = csrf_token(client)
    data = {"email": "someone@example.org", "password": PASSWORD, "csrf_token": token}
    response = client.post(f"/login?next={target}", data=data)
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"


def test_personal_data_is_never_kept_by_a_cache(client, demo_meeting):
    make_account("org@example.org", "organiser", meeting=demo_meeting)
    headers = bearer("org@example.org")
    api = f"/api/v1/meetings/{DEMO_SLUG}"
    for path in (api, f"{api}/registrations", f"{api}/sessions", "/api/v1/me"):
        response = client.get(path, headers=headers)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
    assert "no-store" not in client.get("/api/v1/openapi.json").headers.get("Cache-Control", "")
    assert sign_in(client, "org@example.org").status_code == 302
    for path in (
        f"/meetings/{DEMO_SLUG}/manage/",
        f"/meetings/{DEMO_SLUG}/manage/team",
        "/account",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Cache-Control"] == "no-store", path
    assert "no-store" not in client.get(f"/meetings/{DEMO_SLUG}/").headers.get("Cache-Control", "")


# -- publications that cannot be stored ------------------------------------------------------


@pytest.fixture
def unwritable_store(app, monkeypatch, tmp_path) -> Path:  # type: ignore[no-untyped-def]
    # Below a regular file nothing can be created, even by root.
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store's folder should be")
    monkeypatch.setitem(app.config, "REPORTS_DIR", blocker / "reports")
    return blocker


def test_a_publication_the_store_refuses_is_explained_and_leaves_nothing(
    app, client, demo_meeting, unwritable_store
):
    make_account("org@example.org", "organiser", meeting=demo_meeting)
    assert sign_in(client, "org@example.org").status_code == 302
    manage = f"/meetings/{DEMO_SLUG}/manage/reports"
    token = csrf_token(client, manage)
    response = client.post(
        manage, data={"kind": "chair-summary", "lang": "en", "csrf_token": token}
    )
    assert response.status_code == 303
    page = client.get(manage).get_data(as_text=True)
    assert "Nothing was published" in page and "system administrator" in page
    assert db.session.scalar(sa.select(sa.func.count(ReportVersion.id))) == 0
    assert sorted(p.name for p in unwritable_store.parent.iterdir()) == ["not-a-folder"]


def test_a_publication_the_store_refuses_is_one_line_on_the_command_line(
    app, runner, demo_meeting, unwritable_store
):
    result = runner.invoke(args=["report", "publish", DEMO_SLUG, "--kind", "chair-summary"])
    assert result.exit_code == 1
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error: nothing published:"), result.output
    assert "Traceback" not in result.output
    assert db.session.scalar(sa.select(sa.func.count(ReportVersion.id))) == 0


def test_write_once_leaves_no_partial_file_when_the_write_fails(app, tmp_path, monkeypatch):
    from eventapp.reports import publish

    target = tmp_path / "store" / "m" / "chair-summary-en-v1.pdf"

    def full_disk(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(publish.os, "fsync", full_disk)
    with pytest.raises(publish.StoreNotWritable):
        publish._write_once(target, b"%PDF-1.7 not all of it")
    assert list(target.parent.iterdir()) == []


def test_concurrent_deliveries_send_each_message_once(app):
    for n in range(6):
        mail.send(mail.compose(f"p{n}@example.org", "Hello", "Once only."))
    db.session.commit()
    barrier = threading.Barrier(3)
    results: list[mail.Delivery] = []

    def deliverer() -> None:
        with app.app_context():
            barrier.wait()
            results.append(mail.deliver_due())

    threads = [threading.Thread(target=deliverer) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.sent for r in results) == 6
    assert len(eml_files(app)) == 6
    assert outbox_rows() == []
