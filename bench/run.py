#!/usr/bin/env python3
"""Time eventapp on synthetic meetings: import, public pages, report PDFs and export.

Usage, from the repository root::

    .venv/bin/python bench/run.py [--scales 1,5,20] [--runs 5] [--seed 1] [--database URL]
                                  [--json FILE] [--only OPERATIONS] [--profile OPERATION]

For each scale the meeting of ``bench/generate.py`` (about 110*N participants, 16*N sessions)
is generated once (not timed), then, each ``--runs`` times:

- ``import (new)``: ``import_meeting`` + commit into a database without the meeting (the
  meeting is deleted, untimed, before each of these runs);
- ``import (--replace)``: the same document again over the meeting, ``replace=True``;
- ``GET home``, ``GET agenda``, ``GET participants``: the public pages through the Flask test
  client, after one untimed warm-up request, each status checked to be 200;
- ``chair's summary PDF``, ``full report PDF``: ``report_pdf(..., preview=True)`` in English,
  after one warm-up (skipped, with a note, while ``eventapp.reports`` cannot render);
- ``export``: ``export_meeting``, after one warm-up.

Every operation runs in its own application context, so each starts with an empty SQLAlchemy
session, as a request or a command does. Each scale runs in a child process of its own, so that
its peak memory (``ru_maxrss``) is its own. The database is a fresh SQLite file in a temporary
directory unless ``--database`` names one; a PostgreSQL database named there is WIPED (its
schema ``public`` is dropped and created again) and migrated, so name a scratch database.

Timings are wall-clock (``time.perf_counter``) medians, minima and maxima in milliseconds; the
``first`` column is the warm-up (or, for imports, the first run), ``SQL`` the statements one
call sends. ``--only agenda,export`` times only those (the meeting is still imported, once,
untimed); ``--profile agenda`` prints a cProfile of one more call. Nothing here asserts anything
about timings. Exit status: 0, or 1 if a document does not validate, a page does not answer
200, or a step fails.
"""

from __future__ import annotations

import argparse
import copy
import cProfile
import io
import json
import os
import platform
import pstats
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    # Run as a script, the repository root (eventapp, bench) is not on the path yet.
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask import Flask  # noqa: E402

from bench.generate import generate_meeting  # noqa: E402

Json = dict[str, Any]
T = TypeVar("T")

OPERATIONS = {
    "import-new": "import (new)",
    "import-replace": "import (--replace)",
    "home": "GET home",
    "agenda": "GET agenda",
    "participants": "GET participants",
    "agenda.ics": "GET agenda.ics",
    "schedule.xml": "GET schedule.xml",
    "schedule.json": "GET schedule.json",
    # The same, each call the first after a change: what a visitor waits for while organisers edit.
    "agenda-render": "GET agenda, first render after a change",
    "agenda.ics-render": "GET agenda.ics, first render after a change",
    "schedule.xml-render": "GET schedule.xml, first render after a change",
    "schedule.json-render": "GET schedule.json, first render after a change",
    "chair-summary": "chair's summary PDF",
    "full-report": "full report PDF",
    "export": "export",
}
PAGES = {"home": "/meetings/{slug}/", "agenda": "/meetings/{slug}/agenda"}
PAGES["participants"] = "/meetings/{slug}/participants"
# The exports calendars and schedule readers fetch, from the published version (issue 8).
PAGES["agenda.ics"] = "/meetings/{slug}/agenda.ics"
PAGES["schedule.xml"] = "/meetings/{slug}/schedule.xml"
PAGES["schedule.json"] = "/meetings/{slug}/schedule.json"
# Pages also timed as the first render after a change (OPERATIONS' "-render" keys).
RENDERED = ("agenda", "agenda.ics", "schedule.xml", "schedule.json")


@dataclass
class Timing:
    """The timed runs of one operation at one scale."""

    key: str
    label: str
    samples_ms: list[float] = field(default_factory=list)
    # CPU time of this process for the same calls: what other work on the machine slows less.
    cpu_ms: list[float] = field(default_factory=list)
    first_ms: float | None = None
    queries: int | None = None
    skipped: str | None = None

    def stats(self) -> tuple[float, float, float] | None:
        """Median, min and max of the samples, or None if there are none."""
        if not self.samples_ms:
            return None
        return statistics.median(self.samples_ms), min(self.samples_ms), max(self.samples_ms)


@dataclass
class ScaleResult:
    """Everything measured for one scale (written by the child process as JSON)."""

    scale: int
    slug: str
    participants: int = 0
    sessions: int = 0
    generate_ms: float = 0.0
    document_bytes: int = 0
    export_bytes: int | None = None
    page_bytes: dict[str, int] = field(default_factory=dict)
    pdf_bytes: dict[str, int] = field(default_factory=dict)
    pdf_pages: dict[str, int] = field(default_factory=dict)
    peak_rss_mib: float = 0.0
    # 1-minute load average at the start and the end (the benchmark itself adds about 1).
    load: tuple[float, float] = (0.0, 0.0)
    timings: list[Timing] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, data: Json) -> ScaleResult:
        timings = [Timing(**t) for t in data.pop("timings")]
        load = tuple(data.pop("load"))
        return cls(**data, timings=timings, load=(load[0], load[1]))


def ms_since(start: float) -> float:
    return (time.perf_counter() - start) * 1000


def database_label(url: str) -> str:
    """The URL without credentials, fit to print."""
    return sa.make_url(url).render_as_string(hide_password=True)


def reset_postgres(url: str) -> None:
    """Empty a PostgreSQL database: drop and recreate its schema ``public``."""
    engine = sa.create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    finally:
        engine.dispose()


def make_app(url: str, reports_dir: Path) -> Flask:
    """The application on the benchmark database (SECRET_KEY set first if unset)."""
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production")
    from eventapp import create_app

    return create_app({"SQLALCHEMY_DATABASE_URI": url, "REPORTS_DIR": reports_dir})


def migrate(url: str, reports_dir: Path) -> None:
    """Create or migrate the schema with the project's migrations."""
    from flask_migrate import upgrade

    from eventapp.extensions import db

    app = make_app(url, reports_dir)
    with app.app_context():
        upgrade()
        db.engine.dispose()


def scratch_app(work: Path, database: str | None) -> tuple[Flask, str]:
    """The application on a migrated scratch database: `database` (a PostgreSQL one is
    WIPED first) or a fresh SQLite file in `work`; with its URL."""
    url = database or f"sqlite:///{work / 'bench.db'}"
    if url.startswith("postgresql"):
        reset_postgres(url)
    migrate(url, work / "reports")
    app = make_app(url, work / "reports")
    app.config["OUTBOX_DIR"] = work / "outbox"
    return app, url


def signed_in_client(app: Flask, email: str, password: str) -> Any:
    """A test client signed in through the login form, as a browser is."""
    client = app.test_client()
    login = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login)
    assert token, "no CSRF token on the login form"
    signed = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token[1]}
    )
    assert signed.status_code == 302, f"{email} could not sign in"
    return client


# -- the child process: one scale ----------------------------------------------------------


class QueryCounter:
    """Counts the SQL statements an engine sends."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, *args: Any, **kwargs: Any) -> None:
        self.count += 1


@dataclass(frozen=True)
class Settings:
    """What the command line asks of one scale's measurement."""

    scale: int
    seed: int
    runs: int
    url: str
    only: frozenset[str]
    profile: str | None = None


class ScaleBench:
    """Runs every operation at one scale in one process."""

    def __init__(self, settings: Settings, work: Path):
        scale, seed = settings.scale, settings.seed
        self.runs = settings.runs
        self.only = settings.only
        self.profile = settings.profile
        self.load_start = os.getloadavg()[0]
        self.app = make_app(settings.url, work / "reports")
        self.counter = QueryCounter()
        from eventapp.extensions import db

        with self.app.app_context():
            sa.event.listen(db.engine, "before_cursor_execute", self.counter)
        start = time.perf_counter()
        self.doc = generate_meeting(scale, seed=seed)
        generate_ms = ms_since(start)
        self.slug: str = self.doc["meeting"]["slug"]
        self.result = ScaleResult(
            scale=scale,
            slug=self.slug,
            participants=len(self.doc["participants"]),
            sessions=len(self.doc["sessions"]),
            generate_ms=generate_ms,
            document_bytes=len(json.dumps(self.doc, ensure_ascii=False, indent=2).encode()),
        )

    # -- helpers --

    def timed(
        self, call: Callable[[], T], prepare: Callable[[], object] | None = None
    ) -> tuple[float, int, T, float]:
        """Run ``call`` once (after ``prepare``, untimed): milliseconds, SQL statements sent,
        what it returned, and the process's CPU milliseconds."""
        if prepare is not None:
            prepare()
        before = self.counter.count
        cpu = time.process_time()
        start = time.perf_counter()
        value = call()
        elapsed = ms_since(start)
        return elapsed, self.counter.count - before, value, (time.process_time() - cpu) * 1000

    def run_operation(
        self, key: str, call: Callable[[], T], prepare: Callable[[], object] | None = None
    ) -> T:
        """Time ``call`` ``runs`` times after one warm-up; return what the warm-up returned.

        ``prepare`` runs, untimed, before each call. An exception in the warm-up propagates
        before anything is recorded.
        """
        timing = Timing(key, OPERATIONS[key])
        timing.first_ms, timing.queries, value, _ = self.timed(call, prepare)
        for _ in range(self.runs):
            elapsed, _, _, cpu = self.timed(call, prepare)
            timing.samples_ms.append(elapsed)
            timing.cpu_ms.append(cpu)
        self.result.timings.append(timing)
        self.maybe_profile(key, call, prepare)
        return value

    def maybe_profile(
        self, key: str, call: Callable[[], object], prepare: Callable[[], object] | None = None
    ) -> None:
        """With --profile KEY: one more call under cProfile, the top functions on stderr."""
        if self.profile != key:
            return
        if prepare is not None:
            prepare()
        profiler = cProfile.Profile()
        profiler.runcall(call)
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out).strip_dirs()
        stats.sort_stats("cumulative").print_stats(30)
        stats.sort_stats("tottime").print_stats(15)
        print(f"\n=== profile of {OPERATIONS[key]} at scale {self.result.scale}", file=sys.stderr)
        print(out.getvalue(), file=sys.stderr)

    def skip(self, key: str, reason: str) -> None:
        self.result.timings.append(Timing(key, OPERATIONS[key], skipped=reason))
        self.result.notes.append(f"{OPERATIONS[key]}: skipped: {reason}")

    # -- the operations --

    def check(self) -> bool:
        """Validate the generated document; list every problem if it does not validate."""
        from eventapp.interchange import check_document

        with self.app.app_context():
            problems = check_document(self.doc)
        if not problems:
            return True
        self.result.failures.append(
            f"the generated meeting at scale {self.result.scale} is not a valid wen-meeting/1 "
            f"document ({len(problems)} problem(s)); nothing was timed:"
        )
        self.result.failures.extend(f"  {problem}" for problem in problems)
        return False

    def delete_meeting(self) -> None:
        """Remove the benchmark meeting if present (rows hang off it with ON DELETE CASCADE)."""
        from eventapp.extensions import db
        from eventapp.models import Meeting

        with self.app.app_context():
            where = Meeting.slug == self.slug
            db.session.execute(sa.update(Meeting).where(where).values(chair_id=None))
            db.session.execute(sa.delete(Meeting).where(where))
            db.session.commit()

    def import_once(self, replace: bool) -> tuple[float, int]:
        """Import the document and commit: milliseconds and SQL statements."""
        from eventapp.extensions import db
        from eventapp.interchange import import_meeting

        document = copy.deepcopy(self.doc)  # a private copy, whatever the importer does
        with self.app.app_context():
            start = time.perf_counter()
            before = self.counter.count
            import_meeting(document, replace=replace)
            db.session.commit()
            return ms_since(start), self.counter.count - before

    def imports(self) -> None:
        """Time fresh imports and replacing imports, alternating, ``runs`` times each."""
        if not {"import-new", "import-replace"} & self.only:
            self.import_once(replace=True)  # the meeting the other operations need, untimed
            return
        new = Timing("import-new", OPERATIONS["import-new"])
        replace = Timing("import-replace", OPERATIONS["import-replace"])
        for _ in range(self.runs):
            self.delete_meeting()
            for timing, flag in ((new, False), (replace, True)):
                elapsed, queries = self.import_once(flag)
                timing.samples_ms.append(elapsed)
                if timing.first_ms is None:
                    timing.first_ms, timing.queries = elapsed, queries
        self.result.timings += [new, replace]
        for key, flag in (("import-new", False), ("import-replace", True)):
            if self.profile == key:
                if not flag:
                    self.delete_meeting()
                self.maybe_profile(key, partial(self.import_once, flag))

    def change(self) -> None:
        """What any change the public can see does to the caches: raise the meeting's content
        version (models/content.py), so the next request renders instead of being served."""
        from eventapp.extensions import db
        from eventapp.models import Meeting

        with self.app.app_context():
            db.session.execute(
                sa.update(Meeting)
                .where(Meeting.slug == self.slug)
                .values(content_version=Meeting.content_version + 1)
            )
            db.session.commit()

    def pages(self) -> None:
        """Time the public pages through the test client, from the response cache and (the
        "-render" operations) each as the first request after a change; each must answer 200."""
        client = self.app.test_client()
        for key, pattern in PAGES.items():
            path = pattern.format(slug=self.slug)
            failures: list[str] = []

            def get(path: str = path, failures: list[str] = failures) -> int:
                response = client.get(path)
                body = response.get_data()
                if response.status_code != 200 and not failures:
                    failures.append(f"GET {path} answered {response.status}")
                return len(body)

            if key in self.only:
                self.result.page_bytes[key] = self.run_operation(key, get)
            if key in RENDERED and f"{key}-render" in self.only:
                self.run_operation(f"{key}-render", get, prepare=self.change)
            self.result.failures.extend(failures)

    def reports(self) -> None:
        """Time both report renders, or skip them with a note while they cannot render."""
        keys = {
            key: name
            for key, name in (("chair-summary", "CHAIR_SUMMARY"), ("full-report", "FULL_REPORT"))
            if key in self.only
        }
        if not keys:
            return
        try:
            from eventapp.reports import render
        except Exception as exc:  # the reports package is being written: any import error
            for key in keys:
                self.skip(key, f"eventapp.reports.render cannot be imported ({exc!r})")
            return
        from eventapp.interchange.exporter import load_meeting
        from eventapp.models import ReportKind

        for key, name in keys.items():
            kind = ReportKind[name]

            def render_pdf(kind: ReportKind = kind) -> bytes:
                with self.app.app_context():
                    return render.report_pdf(load_meeting(self.slug), kind, "en", preview=True)

            try:
                pdf = self.run_operation(key, render_pdf)
            except Exception as exc:  # e.g. its templates are not written yet
                self.skip(key, f"report_pdf failed: {type(exc).__name__}: {exc}")
                print(traceback.format_exc(), file=sys.stderr)
                continue
            self.result.pdf_bytes[key] = len(pdf)
            self.result.pdf_pages[key] = pdf_pages(pdf)

    def export(self) -> None:
        from eventapp.interchange import export_meeting

        if "export" not in self.only:
            return

        def run() -> Json:
            with self.app.app_context():
                return export_meeting(self.slug)

        document = self.run_operation("export", run)
        text = json.dumps(document, ensure_ascii=False, indent=2)
        self.result.export_bytes = len(text.encode())
        if document != self.doc:
            self.result.notes.append("export: the exported document differs from the imported")

    def run_all(self) -> ScaleResult:
        if self.check():
            steps = (self.imports, self.pages, self.reports, self.export)
            for step in steps:
                try:
                    step()
                except Exception as exc:
                    self.result.failures.append(
                        f"{step.__name__} failed: {type(exc).__name__}: {exc}"
                    )
                    print(traceback.format_exc(), file=sys.stderr)
        # ru_maxrss is in KiB on Linux.
        self.result.peak_rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.result.load = (self.load_start, os.getloadavg()[0])
        return self.result


def pdf_pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)


def worker(args: argparse.Namespace) -> int:
    """Child process: measure one scale and write the result as JSON to --worker-out."""
    with tempfile.TemporaryDirectory(prefix="eventapp-bench-") as work:
        settings = Settings(
            args.worker, args.seed, args.runs, args.database, args.only, args.profile
        )
        bench = ScaleBench(settings, Path(work))
        result = bench.run_all()
    Path(args.worker_out).write_text(json.dumps(asdict(result)), encoding="utf-8")
    return 1 if result.failures else 0


# -- the parent: all scales, the tables ------------------------------------------------------


def machine() -> Json:
    """What the figures were measured on."""
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return {
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def markdown(results: list[ScaleResult], meta: Json) -> str:
    """The results as Markdown: sizes, medians by scale, and the full figures."""
    lines = [
        f"## eventapp bench, {meta['date']}, {meta['database_kind']}",
        "",
        f"{meta['machine']['cpus']} CPUs ({meta['machine']['cpu']}), Python "
        f"{meta['machine']['python']}; database `{meta['database']}`; {meta['runs']} runs "
        "per figure; times in ms.",
        "",
        "| scale | participants | sessions | document bytes | export bytes | "
        "chair's summary PDF | full report PDF | peak RSS | load avg |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        pdfs = [
            f"{r.pdf_bytes[k]:,} B, {r.pdf_pages[k]} p" if k in r.pdf_bytes else "—"
            for k in ("chair-summary", "full-report")
        ]
        export = f"{r.export_bytes:,}" if r.export_bytes is not None else "—"
        lines.append(
            f"| {r.scale} | {r.participants:,} | {r.sessions:,} | {r.document_bytes:,} | "
            f"{export} | {pdfs[0]} | {pdfs[1]} | {r.peak_rss_mib:.0f} MiB | "
            f"{r.load[0]:.1f} → {r.load[1]:.1f} |"
        )
    lines += ["", "Medians (ms):", ""]
    lines.append("| operation | " + " | ".join(f"scale {r.scale}" for r in results) + " |")
    lines.append("|---|" + "---:|" * len(results))
    for key, label in OPERATIONS.items():
        cells = []
        for r in results:
            timing = next((t for t in r.timings if t.key == key), None)
            stats = timing.stats() if timing else None
            cells.append("—" if timing is None else fmt(stats[0]) if stats else "skipped")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += [
        "",
        "| scale | operation | n | median | min | max | CPU median | first | SQL |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        for t in r.timings:
            stats = t.stats()
            if stats is None:
                lines.append(f"| {r.scale} | {t.label} | 0 | skipped | | | | | |")
                continue
            first = fmt(t.first_ms) if t.first_ms is not None else ""
            cpu = fmt(statistics.median(t.cpu_ms)) if t.cpu_ms else ""
            lines.append(
                f"| {r.scale} | {t.label} | {len(t.samples_ms)} | {fmt(stats[0])} | "
                f"{fmt(stats[1])} | {fmt(stats[2])} | {cpu} | {first} | {t.queries} |"
            )
    notes = [f"scale {r.scale}: {note}" for r in results for note in r.notes]
    notes.append(
        "load avg: the 1-minute load average when the scale started and ended; the benchmark "
        f"itself accounts for about 1 of it, anything above that ran beside it on "
        f"{meta['machine']['cpus']} CPUs and slowed the figures down."
    )
    notes += [
        "Generation (not timed in the imports): "
        + ", ".join(f"scale {r.scale} {r.generate_ms:,.0f} ms" for r in results)
    ]
    lines += ["", *[f"- {note}" for note in notes]]
    return "\n".join(lines) + "\n"


def parse_scales(text: str) -> list[int]:
    try:
        scales = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"not a comma-separated list of integers: {text}"
        ) from None
    if not scales or min(scales) < 1:
        raise argparse.ArgumentTypeError("scales must be integers of at least 1")
    return scales


def parse_operations(text: str) -> frozenset[str]:
    keys = frozenset(part.strip() for part in text.split(",") if part.strip())
    unknown = keys - OPERATIONS.keys()
    if unknown or not keys:
        known = ", ".join(OPERATIONS)
        raise argparse.ArgumentTypeError(f"unknown operation(s) {sorted(unknown)}; known: {known}")
    return keys


def positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time import, public pages, report PDFs and export of synthetic meetings."
    )
    parser.add_argument("--scales", type=parse_scales, default=[1, 5, 20], help="e.g. 1,5,20")
    parser.add_argument("--runs", type=positive, default=5, help="timed runs per figure (5)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (1)")
    parser.add_argument(
        "--database",
        help="SQLAlchemy URL (default: a fresh SQLite file in a temporary directory); "
        "a PostgreSQL database is WIPED first: name a scratch one, e.g. "
        "postgresql+psycopg://postgres@127.0.0.1:5432/evt_bench",
    )
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument(
        "--only",
        type=parse_operations,
        default=frozenset(OPERATIONS),
        help="comma-separated operations to time (default all): " + ", ".join(OPERATIONS),
    )
    parser.add_argument(
        "--profile",
        choices=sorted(OPERATIONS),
        help="profile one more call of this operation at each scale (cProfile, to stderr)",
    )
    # Internal: the child process that measures one scale.
    parser.add_argument("--worker", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--worker-out", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def child_command(args: argparse.Namespace, scale: int, url: str, out: Path) -> list[str]:
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", str(scale)]
    command += ["--worker-out", str(out), "--database", url]
    command += ["--runs", str(args.runs), "--seed", str(args.seed)]
    command += ["--only", ",".join(sorted(args.only))]
    if args.profile:
        command += ["--profile", args.profile]
    return command


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker is not None:
        return worker(args)
    os.environ.setdefault("SECRET_KEY", "bench-secret-key-not-for-production")
    with tempfile.TemporaryDirectory(prefix="eventapp-bench-") as tmp:
        work = Path(tmp)
        url = args.database or f"sqlite:///{work / 'bench.db'}"
        kind = sa.make_url(url).get_backend_name()
        if kind == "postgresql":
            print(f"resetting schema public of {database_label(url)}", file=sys.stderr)
            reset_postgres(url)
        migrate(url, work / "reports")
        results: list[ScaleResult] = []
        status = 0
        for scale in args.scales:
            print(f"scale {scale}: measuring ({args.runs} runs)...", file=sys.stderr, flush=True)
            out = work / f"scale-{scale}.json"
            child = subprocess.run(child_command(args, scale, url, out), check=False)
            if not out.exists():
                print(f"scale {scale}: the measuring process failed", file=sys.stderr)
                status = 1
                continue
            result = ScaleResult.from_json(json.loads(out.read_text(encoding="utf-8")))
            if child.returncode or result.failures:
                status = 1
                print(f"scale {scale}: FAILED", file=sys.stderr)
                for failure in result.failures:
                    print(f"  {failure}", file=sys.stderr)
            results.append(result)
    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "database": database_label(url) if args.database else "fresh SQLite file (temporary)",
        "database_kind": kind,
        "runs": args.runs,
        "seed": args.seed,
    }
    print(markdown(results, meta))
    if args.json:
        payload = {**meta, "scales": [asdict(r) for r in results], "status": status}
        Path(args.json).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main())
