"""Publishing reports as immutable versions, and the public download routes."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from pypdf import PdfReader

from eventapp.extensions import db
from eventapp.models import Meeting, ReportKind, ReportVersion
from eventapp.reports import publish
from eventapp.reports.routes import parse_name
from tests.factories import DEMO_SLUG
from tests.helpers import PREVIEW, pdftotext

CS = ReportKind.CHAIR_SUMMARY
OUTPUT = re.compile(r"^version (\d+) sha256 ([0-9a-f]{64})$")


@pytest.fixture(autouse=True)
def store(app: Flask, tmp_path: Path) -> Iterator[Path]:
    """A report store of the test's own: published files outlive the emptied tables."""
    previous = app.config["REPORTS_DIR"]
    app.config["REPORTS_DIR"] = tmp_path / "reports"
    yield tmp_path / "reports"
    app.config["REPORTS_DIR"] = previous


def cli_publish(
    runner: FlaskCliRunner, kind: str = "chair-summary", *extra: str
) -> tuple[int, str]:
    result = runner.invoke(args=["report", "publish", DEMO_SLUG, "--kind", kind, *extra])
    assert result.exit_code == 0, result.output
    match = OUTPUT.match(result.output.strip())
    assert match, result.output
    return int(match[1]), match[2]


def versions() -> list[ReportVersion]:
    return list(db.session.scalars(sa.select(ReportVersion).order_by(ReportVersion.id)))


def publish_now(meeting: Meeting, lang: str = "en") -> ReportVersion:
    version = publish.publish_report(meeting, CS, lang)
    db.session.commit()
    return version


# --- publishing --------------------------------------------------------------------------


def test_cli_publish_prints_version_and_the_files_sha256(demo_meeting, runner, store: Path):
    number, digest = cli_publish(runner)
    assert number == 1
    [row] = versions()
    assert (row.meeting_id, row.kind, row.language, row.version) == (demo_meeting.id, CS, "en", 1)
    assert row.filename == f"{DEMO_SLUG}/chair-summary-en-v1.pdf"
    data = (store / row.filename).read_bytes()
    assert hashlib.sha256(data).hexdigest() == digest == row.sha256
    assert row.size == len(data)
    # Published without the preview mark, with its version number.
    text = pdftotext(data)
    assert PREVIEW not in text
    assert "Version 1" in text
    assert PREVIEW not in PdfReader(BytesIO(data)).metadata.title
    assert "DRAFT – not yet approved" not in text


def test_second_publish_is_version_2_and_leaves_version_1_untouched(
    demo_meeting, runner, store: Path
):
    _, first = cli_publish(runner)
    v1 = store / DEMO_SLUG / "chair-summary-en-v1.pdf"
    before = v1.read_bytes()
    number, second = cli_publish(runner)
    assert number == 2
    assert v1.read_bytes() == before
    assert hashlib.sha256(before).hexdigest() == first
    v2 = (store / DEMO_SLUG / "chair-summary-en-v2.pdf").read_bytes()
    assert hashlib.sha256(v2).hexdigest() == second
    assert "Version 2" in pdftotext(v2)
    assert [(v.version, v.sha256) for v in versions()] == [(1, first), (2, second)]


def test_versions_are_numbered_per_kind_and_language(demo_meeting, runner):
    assert cli_publish(runner)[0] == 1
    assert cli_publish(runner, "chair-summary", "--lang", "fr")[0] == 1
    assert cli_publish(runner)[0] == 2


def test_a_leftover_file_is_set_aside_never_overwritten(demo_meeting, store: Path):
    # A file from a publish whose transaction never committed: no version refers to it.
    target = store / DEMO_SLUG / "chair-summary-en-v1.pdf"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"left over")
    version = publish_now(demo_meeting)
    assert version.version == 1
    assert hashlib.sha256(target.read_bytes()).hexdigest() == version.sha256
    [aside] = target.parent.glob("chair-summary-en-v1.pdf.orphan-*")
    assert aside.read_bytes() == b"left over"


def test_publish_refuses_an_unknown_language(demo_meeting):
    with pytest.raises(publish.PublishError):
        publish.publish_report(demo_meeting, CS, "de")
    assert versions() == []


# --- downloads ---------------------------------------------------------------------------


def test_download_newest_and_given_versions(demo_meeting, client: FlaskClient, store: Path):
    url = f"/meetings/{DEMO_SLUG}/reports/chair-summary.pdf"
    assert client.get(url).status_code == 404  # none published yet
    first = publish_now(demo_meeting)
    second = publish_now(demo_meeting)

    newest = client.get(url)
    assert newest.status_code == 200
    assert newest.mimetype == "application/pdf"
    assert newest.data == (store / second.filename).read_bytes()
    assert newest.headers["ETag"] == f'"{second.sha256}"'
    assert newest.headers["Content-Disposition"].startswith("inline")
    assert "chair-summary-en-v2.pdf" in newest.headers["Content-Disposition"]
    assert "no-cache" in newest.headers["Cache-Control"]

    given = client.get(f"/meetings/{DEMO_SLUG}/reports/chair-summary-v1.pdf")
    assert given.status_code == 200
    assert hashlib.sha256(given.data).hexdigest() == first.sha256
    assert given.headers["ETag"] == f'"{first.sha256}"'
    cache = given.headers["Cache-Control"]
    assert "public" in cache and "immutable" in cache and "max-age=31536000" in cache

    again = client.get(url, headers={"If-None-Match": f'"{second.sha256}"'})
    assert again.status_code == 304 and again.data == b""


def test_download_in_another_language(demo_meeting, client: FlaskClient):
    publish_now(demo_meeting, "en")
    url = f"/meetings/{DEMO_SLUG}/reports/chair-summary.pdf"
    assert client.get(url + "?lang=fr").status_code == 404
    french = publish_now(demo_meeting, "fr")
    answer = client.get(url + "?lang=fr")
    assert answer.status_code == 200
    assert answer.headers["ETag"] == f'"{french.sha256}"'
    assert PdfReader(BytesIO(answer.data)).trailer["/Root"]["/Lang"] == "fr"
    assert client.get(url + "?lang=xx").status_code == 404


NOT_FOUND = [
    "/meetings/no-such-meeting/reports/chair-summary.pdf",
    f"/meetings/{DEMO_SLUG}/reports/minutes.pdf",
    f"/meetings/{DEMO_SLUG}/reports/full-report.pdf",  # none published
    f"/meetings/{DEMO_SLUG}/reports/chair-summary-v2.pdf",
    f"/meetings/{DEMO_SLUG}/reports/chair-summary-v0.pdf",
    f"/meetings/{DEMO_SLUG}/reports/chair-summary-v01.pdf",
    f"/meetings/{DEMO_SLUG}/reports/chair-summary-v99999999999999999999.pdf",
    f"/meetings/{DEMO_SLUG}/reports/chair-summary-vx.pdf",
    f"/meetings/{DEMO_SLUG}/reports/chair-summary.pdf?lang=de",
]


def test_unknown_meeting_kind_version_or_language_is_404(demo_meeting, client: FlaskClient):
    publish_now(demo_meeting)
    assert client.get(f"/meetings/{DEMO_SLUG}/reports/chair-summary-v1.pdf").status_code == 200
    for path in NOT_FOUND:
        answer = client.get(path)
        assert answer.status_code == 404, path
        assert answer.mimetype == "text/html", path


def test_a_missing_or_changed_file_is_never_served(
    demo_meeting, client: FlaskClient, store: Path, caplog
):
    version = publish_now(demo_meeting)
    url = f"/meetings/{DEMO_SLUG}/reports/chair-summary-v1.pdf"
    path = store / version.filename
    original = path.read_bytes()

    path.write_bytes(original + b"%tampered")
    with caplog.at_level(logging.ERROR):
        assert client.get(url).status_code == 410
    assert any("published as" in r.getMessage() for r in caplog.records)

    path.unlink()
    caplog.clear()
    with caplog.at_level(logging.ERROR):
        assert client.get(url).status_code == 404
    assert any("missing" in r.getMessage() for r in caplog.records)

    path.write_bytes(original)
    assert client.get(url).data == original


def test_report_names_parse_strictly():
    assert parse_name("full-report") == (ReportKind.FULL_REPORT, None)
    assert parse_name("chair-summary-v12") == (CS, 12)
    for name in (
        "chair-summary-v0",
        "chair-summary-",
        "chair",
        "full-report-v1x",
        "FULL-REPORT",
        "full-report-v١",
    ):
        assert parse_name(name) is None, name
