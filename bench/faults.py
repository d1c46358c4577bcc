#!/usr/bin/env python3
"""Kill the application's database connections under load and count the answers by status.

Usage, from the repository root::

    .venv/bin/python bench/faults.py [--requests 3000] [--seconds 90] [--clients 4]
                                     [--workers 4] [--kill-every 0.1] [--database URL]

A scratch PostgreSQL database (``--database``; created if absent, its schema WIPED) gets the
demo meeting with registration open, an organiser and an API token, through the commands an
operator uses. ``gunicorn -w 4`` serves it on 127.0.0.1 only. ``--clients`` threads then send
GETs of public pages, of /healthz and of the organiser's registrations, and POSTs of new
registrations through the API, while another thread terminates every backend of the app
(``pg_terminate_backend``) every ``--kill-every`` seconds. Mail goes to a closed port, so the
mail server is down too. It stops after ``--requests`` answers or ``--seconds``, whichever
comes first, stops gunicorn in every case, and prints the count of answers by status; a 500
(or a connection the server dropped) makes the exit status 1. 0 answers of 500 is the goal.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.gunicorn import HOST, flask, free_port, serving  # noqa: E402
from bench.run import reset_postgres  # noqa: E402

DEMO = ROOT / "eventapp" / "demo" / "first-global-wen-meeting.json"
DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/eventapp_faults_bench"


def ensure_database(url: str) -> None:
    """Create the scratch database if it does not exist yet."""
    target = sa.make_url(url)
    engine = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            exists = conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
                {"name": target.database},
            )
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    finally:
        engine.dispose()


def prepare(env: dict[str, str], work: Path) -> tuple[str, str]:
    """Schema, the demo meeting open for registration, an organiser's token: (slug, token)."""
    flask(["db", "upgrade"], env)
    document = json.loads(DEMO.read_text("utf-8"))
    document["meeting"].pop("registration_opens", None)
    document["meeting"].pop("registration_closes", None)
    document["meeting"]["capacity"] = 1_000_000
    document["meeting"].pop("quotas", None)
    path = work / "meeting.json"
    path.write_text(json.dumps(document), "utf-8")
    slug = flask(["meeting", "import", str(path)], env).splitlines()[-1]
    flask(["user", "create", "org@example.org", "--role", "organiser", "--meeting", slug], env)
    return slug, flask(["token", "create", "org@example.org"], env).splitlines()[-1]


class Load:
    """The clients' shared budget and tally."""

    def __init__(self, port: int, slug: str, token: str, budget: int, deadline: float) -> None:
        self.port, self.slug, self.token = port, slug, token
        self.budget, self.deadline = budget, deadline
        self.lock = threading.Lock()
        self.sent = 0
        self.statuses: Counter[str] = Counter()
        self.serial = itertools.count()
        self.done = threading.Event()

    def take(self) -> bool:
        with self.lock:
            if self.sent >= self.budget or time.monotonic() > self.deadline:
                self.done.set()
                return False
            self.sent += 1
            return True

    def request(self, n: int) -> tuple[str, str, bytes | None, dict[str, str]]:
        api = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        meeting = f"/meetings/{self.slug}"
        kind = n % 5
        if kind == 0:
            return "GET", f"{meeting}/", None, {}
        if kind == 1:
            return "GET", f"{meeting}/agenda", None, {"Accept-Language": "fr"}
        if kind == 2:
            return "GET", f"/api/v1{meeting}/registrations", None, api
        if kind == 3:
            return "GET", "/healthz", None, {}
        body = {
            "organisation": "za",
            "given_name": f"Fault {n}",
            "family_name": "Tester",
            "email": f"fault{n}@example.org",
            "role": "delegate",
            "list_consent": True,
        }
        return "POST", f"/api/v1{meeting}/registrations", json.dumps(body).encode(), api

    def client(self) -> None:
        while self.take():
            method, path, body, headers = self.request(next(self.serial))
            try:
                conn = http.client.HTTPConnection(HOST, self.port, timeout=60)
                conn.request(method, path, body=body, headers=headers)
                answer = conn.getresponse()
                answer.read()
                label = str(answer.status)
                conn.close()
            except (OSError, http.client.HTTPException) as exc:
                label = f"dropped ({type(exc).__name__})"
            with self.lock:
                self.statuses[label] += 1


def killer(url: str, load: Load, every: float, kills: Counter[str]) -> None:
    """Terminate every backend of the app's database but our own, until the load is done."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    query = sa.text(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
        "WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    try:
        while not load.done.wait(every):
            try:
                with engine.begin() as conn:
                    kills["backends"] += int(conn.scalar(query) or 0)
                    kills["rounds"] += 1
            except sa.exc.SQLAlchemyError:
                kills["killer errors"] += 1
    finally:
        engine.dispose()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3000, help="answers to collect (3000)")
    parser.add_argument("--seconds", type=float, default=90, help="at most this long (90)")
    parser.add_argument("--clients", type=int, default=4, help="client threads (4)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument("--kill-every", type=float, default=0.1, help="seconds between kills")
    parser.add_argument("--database", default=DEFAULT_DATABASE, help="scratch PostgreSQL URL")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.database.startswith("postgresql"):
        raise SystemExit("--database must be a PostgreSQL URL (its backends are terminated)")
    ensure_database(args.database)
    reset_postgres(args.database)
    with tempfile.TemporaryDirectory(prefix="eventapp-faults-") as tmp:
        work = Path(tmp)
        env = {
            **os.environ,
            "DATABASE_URL": args.database,
            "SECRET_KEY": "faults-bench-secret-key-not-for-production",
            "REPORTS_DIR": str(work / "reports"),
            "MAIL_URL": f"smtp://{HOST}:{free_port()}",  # the mail server is down as well
        }
        env.pop("REDIS_URL", None)
        slug, token = prepare(env, work)
        log = work / "gunicorn.log"
        options = ("--timeout", "60")
        with serving(env, log, workers=args.workers, options=options) as port:
            load = Load(port, slug, token, args.requests, time.monotonic() + args.seconds)
            kills: Counter[str] = Counter()
            threads = [threading.Thread(target=load.client) for _ in range(args.clients)]
            killing = threading.Thread(
                target=killer, args=(args.database, load, args.kill_every, kills)
            )
            started = time.monotonic()
            killing.start()
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            load.done.set()
            killing.join()
            elapsed = time.monotonic() - started
        logs = log.read_text(errors="replace")
        unhandled = [
            block
            for block in logs.split("\n[")
            if "unhandled error" in block or "Error handling request" in block
        ]
        if os.environ.get("FAULTS_KEEP_LOG"):
            Path(os.environ["FAULTS_KEEP_LOG"]).write_text(logs)
    total = sum(load.statuses.values())
    print(f"{total} answers in {elapsed:.1f} s, gunicorn -w {args.workers}, {args.clients} clients")
    print(f"backends terminated: {kills['backends']} in {kills['rounds']} rounds")
    for status, count in sorted(load.statuses.items()):
        print(f"  {status}: {count}")
    bad = load.statuses.get("500", 0) + sum(
        c for s, c in load.statuses.items() if s.startswith("dropped")
    )
    print(f"answers of 500 or dropped: {bad}; unhandled errors logged: {len(unhandled)}")
    for block in unhandled[:3]:
        print("---\n[" + block.strip()[-1500:])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
