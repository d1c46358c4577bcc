"""Organisers preview and publish reports; with Redis, publishing runs on an RQ worker."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from eventapp.extensions import db
from eventapp.models import ReportVersion
from tests.conftest import DEMO_SLUG, csrf_token, make_account, sign_in
from tests.helpers import redis_or_skip

MANAGE = f"/meetings/{DEMO_SLUG}/manage/reports"
REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def organiser(client, demo_meeting):  # type: ignore[no-untyped-def]
    make_account("org@example.org", "organiser", meeting=demo_meeting)
    assert sign_in(client, "org@example.org").status_code == 302
    return client


def test_preview_is_marked_and_publishes_nothing(organiser):
    response = organiser.get(f"{MANAGE}/preview/chair-summary.pdf?lang=fr")
    assert response.status_code == 200
    assert response.data.startswith(b"%PDF-")
    assert response.headers["Cache-Control"] == "no-store"
    assert db.session.scalar(sa.select(sa.func.count(ReportVersion.id))) == 0
    assert organiser.get(f"{MANAGE}/preview/minutes.pdf").status_code == 404


def test_publish_from_the_web_without_redis(organiser):
    token = csrf_token(organiser, MANAGE)
    response = organiser.post(
        MANAGE, data={"kind": "full-report", "lang": "en", "csrf_token": token}
    )
    assert response.status_code == 303
    version = db.session.scalar(sa.select(ReportVersion))
    assert (version.version, version.published_by) == (1, "org@example.org")
    page = organiser.get(MANAGE).get_data(as_text=True)
    assert "Version 1 is published." in page
    download = organiser.get(f"/meetings/{DEMO_SLUG}/reports/full-report.pdf")
    assert download.status_code == 200 and download.data.startswith(b"%PDF-")


def _redis():  # type: ignore[no-untyped-def]
    return redis_or_skip(REDIS_URL)


def test_publish_with_redis_runs_on_a_worker(app, organiser, monkeypatch):
    from rq import Queue, SimpleWorker

    connection = _redis()
    monkeypatch.setitem(app.config, "REDIS_URL", REDIS_URL)
    token = csrf_token(organiser, MANAGE)
    response = organiser.post(
        MANAGE, data={"kind": "chair-summary", "lang": "es", "csrf_token": token}
    )
    assert response.status_code == 303
    assert "queued" in organiser.get(MANAGE).get_data(as_text=True)
    assert db.session.scalar(sa.select(sa.func.count(ReportVersion.id))) == 0

    # The worker builds its application from the environment, as a deployed one does.
    monkeypatch.setenv("DATABASE_URL", app.config["SQLALCHEMY_DATABASE_URI"])
    monkeypatch.setenv("REPORTS_DIR", str(app.config["REPORTS_DIR"]))
    queue = Queue("reports", connection=connection)
    assert queue.count == 1
    SimpleWorker([queue], connection=connection).work(burst=True)
    finished = queue.finished_job_registry.get_job_ids()
    assert len(finished) == 1
    job = queue.fetch_job(finished[0])
    assert job.return_value().startswith("version 1 sha256 ")
    db.session.expire_all()
    version = db.session.scalar(sa.select(ReportVersion))
    assert (version.kind.value, version.language, version.published_by) == (
        "chair-summary",
        "es",
        "org@example.org",
    )
    connection.flushdb()
