#!/usr/bin/env python3
"""Registrations per second through the API under gunicorn, and quotas still exact afterwards.

Usage, from the repository root::

    .venv/bin/python bench/register_load.py [--registrations 2000] [--warmup 100]
                                            [--clients 24] [--workers 2] [--runs 3]
                                            [--database URL]

A fresh SQLite file (or, with ``--database``, a scratch PostgreSQL database, created if absent,
its schema WIPED) gets, through the operator's commands, one meeting per run: the demo meeting
with registration open, automatic approval, a quota per organisation kind and a capacity that
the load runs into, and an administrator's API token. ``gunicorn -w 2`` serves it on 127.0.0.1.
``--clients`` threads, each with one keep-alive connection, POST distinct people to
/api/v1/meetings/<slug>/registrations: ``--warmup`` of them untimed, then ``--registrations``
timed. It prints registrations per second (the median of ``--runs`` runs, one meeting each)
and the answers by status, then reads the database: for every organisation, approved <= its
quota; approved <= capacity; approved + waitlisted = the registrations answered 201; and no
one waits while their organisation and the meeting both have a place. Any 5xx, dropped
connection or broken rule makes the exit status 1. Nothing asserts timings.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from redis import Redis  # noqa: E402

from bench.faults import DEMO, ensure_database  # noqa: E402
from bench.gunicorn import HOST, flask, free_port, serving  # noqa: E402
from bench.run import reset_postgres  # noqa: E402

# Per organisation of each kind; with the demo's 19 organisations they admit 1,300 in all,
# more than the capacity: both limits are reached by a run of 2,000.
QUOTAS = {"igo": 60, "wen": 50, "country": 80, "cso": 100, "donor": 120}
CAPACITY = 1200
REDIS = "redis://127.0.0.1:6379/13"


def meeting_document(work: Path, run: int) -> tuple[Path, str]:
    """The demo meeting as run `run`'s own meeting: open, automatic, with quotas and capacity."""
    document = json.loads(DEMO.read_text("utf-8"))
    meeting = document["meeting"]
    meeting.pop("registration_opens", None)
    meeting.pop("registration_closes", None)
    meeting["slug"] = slug = f"{meeting['slug']}-load-{run}"
    meeting["approval"] = "automatic"
    meeting["capacity"] = CAPACITY
    meeting["quotas"] = QUOTAS
    for person in document["participants"]:  # the demo's waiting person: a place is free now
        if person["status"] == "waitlisted":
            person["status"] = "approved"
    path = work / f"meeting-{run}.json"
    path.write_text(json.dumps(document), "utf-8")
    return path, slug


class Load:
    """The clients' shared counter of registrations to send and tally of answers."""

    def __init__(
        self, port: int, slug: str, token: str, organisations: list[str], prefix: str
    ) -> None:
        self.port, self.slug, self.token = port, slug, token
        self.organisations, self.prefix = organisations, prefix
        self.lock = threading.Lock()
        self.serial = itertools.count()  # the next person's number
        self.left = 0  # registrations still to send
        self.statuses: Counter[str] = Counter()

    def send(self, count: int, clients: int) -> float:
        """Send `count` registrations from `clients` threads; the seconds it took."""
        self.left = count
        threads = [threading.Thread(target=self.client) for _ in range(clients)]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return time.perf_counter() - started

    def take(self) -> int | None:
        with self.lock:
            if self.left <= 0:
                return None
            self.left -= 1
            return next(self.serial)

    def body(self, n: int) -> bytes:
        return json.dumps(
            {
                "organisation": self.organisations[n % len(self.organisations)],
                "given_name": f"Load {n}",
                "family_name": "Tester",
                "email": f"{self.prefix}-{n}@example.org",
                "role": "delegate",
                "list_consent": True,
            }
        ).encode()

    def client(self) -> None:
        headers = {"Authorization": f"Bearer {self.token}", "Content-Type": "application/json"}
        path = f"/api/v1/meetings/{self.slug}/registrations"
        conn = http.client.HTTPConnection(HOST, self.port, timeout=120)
        try:
            while (n := self.take()) is not None:
                try:
                    conn.request("POST", path, body=self.body(n), headers=headers)
                    answer = conn.getresponse()
                    answer.read()
                    label = str(answer.status)
                    if answer.getheader("Connection", "").lower() == "close":
                        conn.close()
                except (OSError, http.client.HTTPException) as exc:
                    label = f"dropped ({type(exc).__name__})"
                    conn.close()
                with self.lock:
                    self.statuses[label] += 1
        finally:
            conn.close()


def cpu_probe() -> float:
    """Seconds this process takes for a fixed loop (ten million additions): how fast the
    machine's CPU is at the moment. A virtual machine's varies with its neighbours, by as much
    as two to one from one minute to the next here; a run's rate is read beside its probe."""
    began = time.perf_counter()
    total = 0
    for n in range(10_000_000):
        total += n
    return time.perf_counter() - began


def violations(url: str, slug: str, created: int, before: int) -> list[str]:
    """What breaks the meeting's limits in the database; `created`: the run's 201 answers,
    `before`: the meeting's approved and waiting registrations before the run."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            meeting_id, capacity, quotas = conn.execute(
                sa.text("SELECT id, capacity, quotas FROM meetings WHERE slug = :slug"),
                {"slug": slug},
            ).one()
            if isinstance(quotas, str):
                quotas = json.loads(quotas)
            rows = conn.execute(
                sa.text(
                    "SELECT d.ref, d.kind, d.quota, p.status, count(p.id) "
                    "FROM delegations d LEFT JOIN participants p ON p.delegation_id = d.id "
                    "WHERE d.meeting_id = :id GROUP BY d.ref, d.kind, d.quota, p.status"
                ),
                {"id": meeting_id},
            ).all()
    finally:
        engine.dispose()
    counts: dict[str, Counter[str]] = {}
    limits: dict[str, int | None] = {}
    for ref, kind, own_quota, status, count in rows:
        limits[ref] = own_quota if own_quota is not None else (quotas or {}).get(kind.lower())
        counts.setdefault(ref, Counter())[str(status).lower()] += count
    approved = sum(c["approved"] for c in counts.values())
    waiting = sum(c["waitlisted"] for c in counts.values())
    problems = []
    for ref, count in sorted(counts.items()):
        quota = limits[ref]
        if quota is not None and count["approved"] > quota:
            problems.append(f"{ref}: {count['approved']} approved, quota {quota}")
        has_place = quota is None or count["approved"] < quota
        if count["waitlisted"] and has_place and (capacity is None or approved < capacity):
            problems.append(f"{ref}: {count['waitlisted']} waiting though a place is free")
    if capacity is not None and approved > capacity:
        problems.append(f"{approved} approved, capacity {capacity}")
    if approved + waiting != before + created:
        problems.append(
            f"approved {approved} + waitlisted {waiting} != {before} before + {created} created"
        )
    print(f"  approved {approved} (capacity {capacity}), waitlisted {waiting}")
    return problems


def accepted(url: str, slug: str) -> int:
    """The meeting's approved and waiting registrations."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return int(
                conn.scalar(
                    sa.text(
                        "SELECT count(*) FROM participants p JOIN meetings m "
                        "ON m.id = p.meeting_id WHERE m.slug = :slug "
                        "AND lower(p.status) IN ('approved', 'waitlisted')"
                    ),
                    {"slug": slug},
                )
                or 0
            )
    finally:
        engine.dispose()


class Sink:
    """An SMTP server's handler that counts what it receives, by recipient."""

    def __init__(self) -> None:
        self.recipients: Counter[str] = Counter()

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
        self.recipients.update(envelope.rcpt_tos)
        return "250 OK"


def deliver(env: dict[str, str], redis_url: str, expected: int) -> list[str]:
    """One RQ worker (no fork per job) writes and delivers the outbox to an SMTP server on
    loopback: messages per second, and every registrant told exactly once."""
    from aiosmtpd.controller import Controller

    sink = Sink()
    controller = Controller(sink, hostname=HOST, port=free_port())
    controller.start()
    try:
        worker_env = {**env, "MAIL_URL": f"smtp://{HOST}:{controller.port}"}
        started = time.perf_counter()
        subprocess.run(
            [
                str(ROOT / ".venv" / "bin" / "rq"),
                "worker",
                "--burst",
                "--quiet",
                "--worker-class",
                "rq.worker.SimpleWorker",
                "--url",
                redis_url,
                "mail",
            ],
            cwd=ROOT,
            env=worker_env,
            check=True,
        )
        seconds = time.perf_counter() - started
    finally:
        controller.stop()
    sent = sum(sink.recipients.values())
    print(
        f"one RQ worker wrote and delivered {sent} messages in {seconds:.1f} s, "
        f"{sent / seconds:.0f}/s"
    )
    twice = [r for r, n in sink.recipients.items() if n > 1]
    problems = [f"{len(twice)} registrants told twice"] if twice else []
    if sent != expected:
        problems.append(f"{sent} messages delivered for {expected} registrations")
    return problems


def waiting_mail(url: str) -> int:
    """The messages waiting in the outbox."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as conn:
            return int(conn.scalar(sa.text("SELECT count(*) FROM outbox")) or 0)
    finally:
        engine.dispose()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registrations", type=int, default=2000, help="timed, per run (2000)")
    parser.add_argument("--warmup", type=int, default=100, help="untimed, per run (100)")
    parser.add_argument("--clients", type=int, default=24, help="client threads (24)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--runs", type=int, default=3, help="runs, one meeting each (3)")
    parser.add_argument(
        "--deliver", action="store_true", help="then time one RQ worker delivering the mail"
    )
    parser.add_argument(
        "--threads", type=int, default=1, help="threads per worker (1: gunicorn's sync worker)"
    )
    parser.add_argument("--database", help="scratch PostgreSQL URL (default: a SQLite file)")
    parser.add_argument(
        "--redis", default=REDIS, help=f"a scratch Redis database, FLUSHED ({REDIS})"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    organisations = [o["ref"] for o in json.loads(DEMO.read_text("utf-8"))["organisations"]]
    with tempfile.TemporaryDirectory(prefix="eventapp-register-load-") as tmp:
        work = Path(tmp)
        url = args.database or f"sqlite:///{work / 'bench.db'}"
        if url.startswith("postgresql"):
            ensure_database(url)
            reset_postgres(url)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "SECRET_KEY": "register-load-bench-secret-key-not-for-production",
            "REPORTS_DIR": str(work / "reports"),
            # As in production: mail is written and sent by RQ workers (none runs here, so
            # each registration's message waits in the queue, counted afterwards).
            "REDIS_URL": args.redis,
            "MAIL_URL": f"smtp://{HOST}:{free_port()}",
        }
        Redis.from_url(args.redis).flushdb()
        flask(["db", "upgrade"], env)
        slugs = []
        for run in range(1, args.runs + 1):
            path, slug = meeting_document(work, run)
            flask(["meeting", "import", str(path)], env)
            slugs.append(slug)
        flask(["user", "create", "admin@example.org", "--role", "admin"], env)
        token = flask(["token", "create", "admin@example.org"], env).splitlines()[-1]
        rates, problems, statuses = [], [], Counter[str]()
        log = work / "gunicorn.log"
        options = ["--timeout", "120"]
        if args.threads > 1:
            options += ["--threads", str(args.threads)]  # gthread: keep-alive, lock waits overlap
        with serving(env, log, workers=args.workers, options=options) as port:
            for run, slug in enumerate(slugs, 1):
                before = accepted(url, slug)
                load = Load(port, slug, token, organisations, f"run{run}")
                load.send(args.warmup, args.clients)
                probe = cpu_probe()
                seconds = load.send(args.registrations, args.clients)
                rates.append(args.registrations / seconds)
                print(
                    f"run {run}: {args.registrations} in {seconds:.2f} s, {rates[-1]:.0f}/s "
                    f"(CPU probe before the run: {probe:.2f} s)",
                    flush=True,
                )
                for status, count in sorted(load.statuses.items()):
                    print(f"  {status}: {count}")
                statuses.update(load.statuses)
                found = violations(url, slug, load.statuses.get("201", 0), before)
                problems += [f"run {run}: {p}" for p in found]
        unhandled = log.read_text(errors="replace").count("Error handling request")
        # Every registration left one notice in the outbox, for the RQ workers to write.
        notices = waiting_mail(url)
        created = sum(c for s, c in statuses.items() if s == "201")
        queue = Redis.from_url(args.redis)
        print(
            f"notices in the outbox: {notices} for {created} registrations; "
            f"drain jobs queued: {queue.llen('rq:queue:mail')}"
        )
        if notices != created:
            problems.append(f"{notices} notices in the outbox for {created} registrations")
        if args.deliver:
            problems += deliver(env, args.redis, created)
        queue.flushdb()
    database = "PostgreSQL" if url.startswith("postgresql") else "SQLite"
    print(
        f"{database}, gunicorn -w {args.workers} --threads {args.threads}, "
        f"{args.clients} clients: "
        f"median {statistics.median(rates):.0f} registrations/s over {args.runs} runs"
    )
    failed = sum(c for s, c in statuses.items() if s.startswith(("5", "dropped")))
    print(f"answers of 5xx or dropped: {failed}; unhandled errors logged: {unhandled}")
    for problem in problems:
        print("VIOLATION", problem)
    return 1 if failed or unhandled or problems else 0


if __name__ == "__main__":
    sys.exit(main())
