#!/usr/bin/env python3
"""Time saving a long record with a long history, and the action tracker with 2,000 actions.

Usage, from the repository root::

    .venv/bin/python bench/records.py [--runs 7] [--scale 5] [--database URL]

Two measurements, in-process through the Flask test client, each request after one untimed
warm-up and in an application context of its own, as a request is:

- **saving a record**: a session's record with 30 outcomes that already has 100 revisions
  behind it, saved again (its summary changed, so that every save is a revision) through the
  record editor's form (POST ``/meetings/<slug>/records/<ref>``, the form read back from the
  page, untimed) and through the API (PUT ``…/sessions/<ref>/record`` with its ETag, read
  untimed before each). Each save is timed with its SQL statements counted.
- **the action tracker**: three meetings of ``bench/generate.py`` (scale ``--scale``, the same
  organisations, the two others a year and two years earlier), the newest with 2,000 action
  items spread over its records (owners, due dates, some done) and each earlier one with 500
  open ones in approved records. Timed: ``/meetings/<slug>/actions`` (every action),
  filtered by an organisation (with its open actions of earlier meetings), with every
  organisation's earlier actions, and ``actions.csv``.

Printed: median, minimum and maximum wall-clock milliseconds, the median of this process's
CPU milliseconds (on a shared machine the wall clock also counts others' work; the CPU time
does not count the database server's), SQL statements of one request, bytes.
The database is a fresh SQLite file in a temporary directory unless ``--database`` names one;
a PostgreSQL database named there is WIPED (schema ``public`` dropped and created again), so
name a scratch database. Nothing here asserts a timing; the exit status is 1 only if a request
does not answer as it should.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.generate import generate_meeting  # noqa: E402
from bench.run import database_label, ms_since, scratch_app, signed_in_client  # noqa: E402

ORGANISER = "records-bench@example.org"
PASSWORD = "a bench password of some length"
OUTCOMES = 30
REVISIONS = 100
TRACKED = 2000
EARLIER = 500
SUBJECTS = ("seizures", "training", "data sharing", "prosecutions")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--scale", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database", help="a scratch database URL (wiped); default SQLite")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="records-bench-") as work:
        app, url = scratch_app(Path(work), args.database)
        print(f"database: {database_label(url)}; {args.runs} runs")
        print()
        print("| request | median ms | min ms | max ms | CPU ms | SQL | bytes |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        slug = _meetings(app, args.scale, args.seed)
        client = signed_in_client(app, ORGANISER, PASSWORD)
        failed = _saving(app, client, slug, args.runs)
        failed |= _tracker(app, client, slug, args.runs)
        with app.app_context():
            from eventapp.extensions import db

            db.engine.dispose()
        return 1 if failed else 0


# -- the data ---------------------------------------------------------------------------------


def _meetings(app, scale: int, seed: int) -> str:  # type: ignore[no-untyped-def]
    """Three meetings of the same organisations, a year apart; the newest one's slug."""
    from eventapp.accounts import service as accounts
    from eventapp.extensions import db
    from eventapp.interchange import import_meeting
    from eventapp.models import AccountRole, Meeting

    slugs = []
    with app.app_context():
        for years_before in (2, 1, 0):
            document = generate_meeting(scale, seed=seed)
            document["meeting"]["slug"] = f"records-bench-{years_before}"
            meeting = import_meeting(document).meeting
            db.session.flush()
            if years_before:
                # Only the tracker reads these: the meeting's dates, not its sessions', say
                # which meetings came before.
                db.session.execute(
                    sa.update(Meeting)
                    .where(Meeting.id == meeting.id)
                    .values(
                        start_date=meeting.start_date - timedelta(days=365 * years_before),
                        end_date=meeting.end_date - timedelta(days=365 * years_before),
                    )
                )
            _add_actions(
                meeting, TRACKED if not years_before else EARLIER, approved=bool(years_before)
            )
            slugs.append(meeting.slug)
        newest = db.session.scalar(sa.select(Meeting).where(Meeting.slug == slugs[-1]))
        accounts.create_user(ORGANISER, AccountRole.ORGANISER, meeting=newest, password=PASSWORD)
        db.session.commit()
        db.engine.dispose()
    return slugs[-1]


def _add_actions(meeting, count: int, *, approved: bool) -> None:  # type: ignore[no-untyped-def]
    """`count` action items spread over the meeting's records; in an earlier meeting, all open
    and every record approved (what the tracker shows of it)."""
    from eventapp.extensions import db
    from eventapp.models import Outcome, OutcomeKind, Record, RecordStatus, Session

    rng = random.Random(meeting.slug)
    records = list(
        db.session.scalars(sa.select(Record).join(Session).where(Session.meeting_id == meeting.id))
    )
    owners = [d.id for d in meeting.delegations]
    rows = []
    for n in range(count):
        record = records[n % len(records)]
        rows.append(
            {
                "record_id": record.id,
                "position": 100 + n,
                "kind": OutcomeKind.ACTION,
                "text": f"Action {n}: report on the follow-up of {rng.choice(SUBJECTS)}.",
                "owner_id": rng.choice(owners) if n % 7 else None,
                "due": date(2026, 1, 1) + timedelta(days=rng.randrange(-400, 400)),
                "done": (not approved) and n % 3 == 0,
            }
        )
    db.session.execute(sa.insert(Outcome), rows)
    if approved:
        db.session.execute(
            sa.update(Record)
            .where(Record.id.in_([r.id for r in records]))
            .values(status=RecordStatus.APPROVED)
        )


# -- timing -----------------------------------------------------------------------------------


def _timed(
    app,  # type: ignore[no-untyped-def]
    name: str,
    runs: int,
    prepare: Callable[[], Any],
    request: Callable[[Any], Any],
    wanted: int,
) -> bool:
    """Time `request(prepare())` `runs` times after a warm-up; print a row; False if an answer
    was not `wanted`."""
    from eventapp.extensions import db

    statements: list[int] = []
    with app.app_context():
        engine = db.engine
    counter = [0]

    def count(*_: object) -> None:
        counter[0] += 1

    sa.event.listen(engine, "before_cursor_execute", count)
    ok = True
    timings = []
    cpu = []
    size = 0
    try:
        for run in range(runs + 1):
            ready = prepare()
            counter[0] = 0
            start, start_cpu = time.perf_counter(), time.process_time()
            response = request(ready)
            body = response.get_data()
            took, took_cpu = ms_since(start), (time.process_time() - start_cpu) * 1000
            if response.status_code != wanted:
                print(f"{name}: answered {response.status}", file=sys.stderr)
                ok = False
            if run:  # the first is the warm-up
                timings.append(took)
                cpu.append(took_cpu)
                statements.append(counter[0])
                size = len(body)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    print(
        f"| {name} | {statistics.median(timings):.1f} | {min(timings):.1f} "
        f"| {max(timings):.1f} | {statistics.median(cpu):.1f} "
        f"| {statistics.median(statements):.0f} | {size:,} |"
    )
    return ok


def _long_record(app, slug: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A session of the meeting given a record of 30 outcomes and 100 revisions; its ref and
    an API token of the organiser."""
    from eventapp.accounts import service as accounts
    from eventapp.extensions import db
    from eventapp.lookups import find_meeting, find_session
    from eventapp.models import Session
    from eventapp.records import service

    with app.app_context():
        meeting = find_meeting(slug)
        assert meeting is not None
        user = accounts.find_user(ORGANISER)
        assert user is not None
        ref = db.session.scalar(
            sa.select(Session.ref)
            .where(Session.meeting_id == meeting.id)
            .order_by(Session.start_local)
            .limit(1)
        )
        assert ref is not None
        owners = [d.ref for d in meeting.delegations][:OUTCOMES]
        outcomes = [
            {
                "kind": "action",
                "text": f"Outcome {n} of a long record.",
                "owner": owners[n % len(owners)],
                "due": "2027-06-30",
                "done": False,
            }
            if n % 3 == 0
            else {"kind": "decision", "text": f"Outcome {n} of a long record, a decision."}
            for n in range(OUTCOMES)
        ]
        for n in range(REVISIONS):
            session = find_session(meeting, ref)
            assert session is not None
            data = {
                "status": "draft",
                "summary": f"The session's summary, as saved the {n + 1}th time.",
                "outcomes": outcomes,
            }
            service.replace(meeting, session, data, user=user, read_current=lambda tag: True)
            db.session.commit()
        token = accounts.create_token(user)
        db.session.commit()
        db.engine.dispose()
    return ref, token


def _saving(app, client, slug: str, runs: int) -> bool:  # type: ignore[no-untyped-def]
    from tests.helpers import form_fields

    ref, token = _long_record(app, slug)
    editor = f"/meetings/{slug}/records/{ref}"
    api = f"/api/v1/meetings/{slug}/sessions/{ref}/record"
    headers = {"Authorization": f"Bearer {token}"}
    saves = iter(range(10**6))

    def form() -> dict[str, str]:
        fields = form_fields(client.get(editor).get_data(as_text=True))
        fields["summary"] = f"Saved through the editor, save {next(saves)}."
        fields.pop("preview", None)
        return fields

    def document() -> tuple[dict[str, Any], str]:
        current = client.get(api, headers=headers)
        body = current.get_json()
        body["summary"] = f"Saved through the API, save {next(saves)}."
        return body, current.headers["ETag"]

    ok = _timed(
        app,
        f"save a record of {OUTCOMES} outcomes and {REVISIONS}+ revisions: editor POST",
        runs,
        form,
        lambda fields: client.post(editor, data=fields),
        303,
    )
    ok &= _timed(
        app,
        f"save a record of {OUTCOMES} outcomes and {REVISIONS}+ revisions: API PUT",
        runs,
        document,
        lambda ready: client.put(api, json=ready[0], headers={**headers, "If-Match": ready[1]}),
        200,
    )
    return not ok


def _tracker(app, client, slug: str, runs: int) -> bool:  # type: ignore[no-untyped-def]
    from eventapp.extensions import db
    from eventapp.lookups import find_meeting

    with app.app_context():
        meeting = find_meeting(slug)
        assert meeting is not None
        organisation = sorted(d.ref for d in meeting.delegations)[0]
        db.engine.dispose()
    base = f"/meetings/{slug}/actions"
    pages = {
        f"tracker, {TRACKED:,} actions": base,
        "tracker, one organisation + earlier meetings": f"{base}?organisation={organisation}",
        "tracker, open + every organisation's earlier": f"{base}?state=open&earlier=y",
        "tracker, overdue, by due date": f"{base}?state=overdue&sort=due",
        f"actions.csv, {TRACKED:,} actions": f"{base}.csv",
    }
    ok = True
    for name, path in pages.items():

        def get(_ready: Any, path: str = path) -> Any:
            return client.get(path)

        ok &= _timed(app, name, runs, lambda: None, get, 200)
    return not ok


if __name__ == "__main__":
    sys.exit(main())
