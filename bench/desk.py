#!/usr/bin/env python3
"""Time the organisers' registration desk and its exports on a large synthetic meeting.

Usage, from the repository root::

    .venv/bin/python bench/desk.py [--scale 20] [--runs 7] [--seed 1] [--database URL]

The meeting of ``bench/generate.py`` at the scale given (scale 20: about 2,200 registrations) is
imported once, untimed, with an organiser who signs in through the login form. Then each page is
requested ``--runs`` times through the Flask test client after one untimed warm-up, each in an
application context of its own, as a request is:

- ``desk``: ``/meetings/<slug>/manage/`` (figures, chart, the first 50 by name);
- ``desk, search + sort``: a search for a common letter pair, sorted by status;
- ``desk, last page``: the last page of everyone, by organisation;
- ``registrations.csv`` and ``registrations.xlsx``: every registration.

Printed: the median, minimum and maximum wall-clock milliseconds, the SQL statements of one
request and the bytes answered. The database is a fresh SQLite file in a temporary directory
unless ``--database`` names one; a PostgreSQL database named there is WIPED (schema ``public``
dropped and created again) and migrated, so name a scratch database. Nothing here asserts a
timing; the exit status is 1 only if a request does not answer 200.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.generate import generate_meeting  # noqa: E402
from bench.run import database_label, ms_since, scratch_app, signed_in_client  # noqa: E402

ORGANISER = "desk-bench@example.org"
PASSWORD = "a bench password of some length"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=20)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", help="a scratch database URL (wiped); default SQLite")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="desk-bench-") as work:
        app, url = scratch_app(Path(work), args.database)
        return _run(app, args.scale, args.seed, args.runs, url)


def _run(app, scale: int, seed: int, runs: int, url: str) -> int:  # type: ignore[no-untyped-def]
    from eventapp.accounts import service as accounts
    from eventapp.extensions import db
    from eventapp.interchange import import_meeting
    from eventapp.models import AccountRole, Participant

    document = generate_meeting(scale, seed=seed)
    slug = document["meeting"]["slug"]
    with app.app_context():
        meeting = import_meeting(document).meeting
        accounts.create_user(ORGANISER, AccountRole.ORGANISER, meeting=meeting, password=PASSWORD)
        db.session.commit()
        count = db.session.scalar(
            sa.select(sa.func.count(Participant.id)).where(Participant.meeting_id == meeting.id)
        )
        db.engine.dispose()

    client = signed_in_client(app, ORGANISER, PASSWORD)

    desk = f"/meetings/{slug}/manage/"
    pages = {
        "desk": desk,
        "desk, search + sort": f"{desk}?q=an&sort=status",
        "desk, last page": f"{desk}?sort=organisation&page=1000",
        "registrations.csv": f"/meetings/{slug}/manage/registrations.csv",
        "registrations.xlsx": f"/meetings/{slug}/manage/registrations.xlsx",
    }

    statements: list[str] = []

    def count_statement(*_: object) -> None:
        statements.append("")

    print(f"database: {database_label(url)}; scale {scale}: {count} registrations; {runs} runs")
    print()
    print("| request | median ms | min ms | max ms | SQL | bytes |")
    print("|---|---:|---:|---:|---:|---:|")
    failed = False
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count_statement)
    for name, path in pages.items():
        client.get(path)  # warm-up
        timings = []
        size = 0
        for _ in range(runs):
            statements.clear()
            start = time.perf_counter()
            response = client.get(path)
            body = response.get_data()
            timings.append(ms_since(start))
            size = len(body)
            if response.status_code != 200:
                print(f"{path} answered {response.status}", file=sys.stderr)
                failed = True
        print(
            f"| {name} | {statistics.median(timings):.1f} | {min(timings):.1f} "
            f"| {max(timings):.1f} | {len(statements)} | {size:,} |"
        )
    with app.app_context():
        db.engine.dispose()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
