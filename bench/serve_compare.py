#!/usr/bin/env python3
"""Serve the Indico peer's meeting with eventapp under gunicorn and time its public pages.

Usage, from the repository root::

    .venv/bin/python bench/serve_compare.py [--n 50] [--warmup 3] [--workers 2]
                                            [--database URL] [--json FILE]
                                            [--indico http://127.0.0.1:8000] [--event 1]
                                            [--scale N]

The meeting is the one ``/work/shared/peers/indico/populate.py`` gives Indico: 3 days from
2026-12-07 (Europe/Zurich), 30 talks of 30 minutes (10 a day) every 45 minutes from 09:00 in
rooms A-D, one speaker each, 100 approved participants (or, with ``--scale N``, the synthetic
meeting of ``bench/generate.py`` at that scale). It is written here as a
``wen-meeting/1`` document, checked with ``eventapp.interchange.check_document``, then loaded
with the commands an operator uses (``flask --app wsgi db upgrade`` and ``meeting import``)
into a fresh SQLite file (or the ``--database`` named, which for PostgreSQL is WIPED first),
and served by ``gunicorn -w 2 -b 127.0.0.1:PORT wsgi:app``.

The timing follows the peer's ``measure.py``: for each URL some untimed warm-up GETs, then
``--n`` sequential GETs, each on a new TCP connection, timed from connect to the last body byte;
median and p90 in milliseconds. Only 127.0.0.1 is ever contacted. Pages that answer 404 (not
built yet) are skipped with a note. The agenda page and the exports are measured twice: as most
visitors get them (from the response cache), and each GET as the first after a change (the
meeting's content version raised, untimed, through the database before it, as every change the
public can see raises it), which is what a visitor waits for while organisers edit.

With ``--indico URL`` (an Indico started on loopback by ``/work/shared/peers/indico/setup.sh``)
Indico's endpoints are measured in the same run the same way; without it, the figures are
Indico's from ``results-2026-11-28.md``. Indico is NOT started here. gunicorn is always stopped
at the end, on errors and on Ctrl-C too.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    # Run as a script, the repository root (eventapp, bench) is not on the path yet.
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.generate import generate_meeting  # noqa: E402
from bench.gunicorn import HOST, flask, serving  # noqa: E402
from bench.run import database_label, machine, reset_postgres  # noqa: E402

Json = dict[str, Any]

SLUG = "indico-peer"

# The peer's meeting (populate.py): N_DAYS, N_CONTRIBS, N_ROOMS, N_REGISTRATIONS, TZ, FIRST_DAY.
DAYS = 3
TALKS = 30
ROOMS = 4
PARTICIPANTS = 100
ZONE = "Europe/Zurich"
FIRST_DAY = date(2026, 12, 7)
LOREM = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 3


@dataclass(frozen=True)
class IndicoFigure:
    """Indico's figures for one endpoint in results-2026-11-28.md: medians (p90) of 4 runs."""

    label: str
    path: str
    medians_ms: tuple[float, ...]
    p90s_ms: tuple[float, ...]

    @property
    def median_ms(self) -> float:
        """The median of the four runs' medians: the reference figure."""
        return statistics.median(self.medians_ms)


# Columns: indico-run, gunicorn-2w, indico-run-final, indico-run-final2 (see the results file).
INDICO = {
    "home": IndicoFigure(
        "event main page", "/event/1/", (54.3, 44.4, 46.5, 44.8), (70, 50, 52, 48)
    ),
    "agenda": IndicoFigure(
        "timetable page", "/event/1/timetable/", (92.0, 93.6, 126.4, 100.4), (122, 104, 159, 121)
    ),
    "ics": IndicoFigure(
        "event ics +contribs",
        "/event/1/event.ics?detail=contributions",
        (226.8, 203.8, 276.4, 268.9),
        (263, 237, 323, 292),
    ),
    "pdf": IndicoFigure(
        "timetable PDF simplified",
        "/event/1/timetable/pdf?submitted=1&download=1&pagesize=A4",
        (238.4, 209.6, 305.9, 227.5),
        (277, 258, 384, 291),
    ),
}

# (key, label, path, may be missing): the pages measured, in order.
PAGES: tuple[tuple[str, str, str, bool], ...] = (
    ("home", "meeting home", "/meetings/{slug}/", False),
    ("agenda", "agenda", "/meetings/{slug}/agenda", False),
    ("participants", "participants", "/meetings/{slug}/participants", False),
    ("ics", "agenda.ics", "/meetings/{slug}/agenda.ics", True),
    ("xml", "schedule.xml", "/meetings/{slug}/schedule.xml", True),
    ("json", "schedule.json", "/meetings/{slug}/schedule.json", True),
    ("pdf", "agenda.pdf", "/meetings/{slug}/agenda.pdf", True),
)
# Also measured as the first GET after a change ("<key>-render").
RENDERED = ("agenda", "ics", "xml", "json")

# Indico's endpoints measured live with --indico: (key, label, path with {event}). The ones
# compared with ours: its timetable page (our agenda page), its event calendar with the
# contributions (agenda.ics) and its timetable export, uncached (nc=yes: the nearest thing it
# has to schedule.json/xml); and the cached export, as the figure from its cache.
INDICO_LIVE: tuple[tuple[str, str, str], ...] = (
    ("agenda", "timetable page", "/event/{event}/timetable/"),
    ("ics", "event ics +contribs", "/event/{event}/event.ics?detail=contributions"),
    ("json", "export API timetable JSON, uncached", "/export/timetable/{event}.json?nc=yes"),
    ("json-cached", "export API timetable JSON, cached", "/export/timetable/{event}.json"),
    ("home", "event main page", "/event/{event}/"),
)


# -- the meeting -------------------------------------------------------------------------


def peer_meeting() -> Json:
    """The Indico peer's benchmark conference as a wen-meeting/1 document.

    Indico's 30 speakers are event persons beside its 100 registrations; here a speaker must
    be a participant, so the first 30 of the 100 approved participants are the speakers.
    """
    organisations: list[Json] = [
        {"ref": f"institute-{i}", "name": f"Institute {i}", "kind": "other"} for i in range(10)
    ]
    organisations.append({"ref": "bench-lab", "name": "Bench Lab", "kind": "other"})
    participants: list[Json] = []
    for i in range(PARTICIPANTS):
        speaker = i < TALKS
        participants.append(
            {
                "ref": f"p{i:03d}",
                "organisation": "bench-lab" if speaker else f"institute-{i % 10}",
                "given_name": f"Speaker{i:02d}" if speaker else f"First{i:03d}",
                "family_name": f"Person{i:02d}" if speaker else f"Last{i:03d}",
                "email": f"participant{i:03d}@example.org",
                "role": "speaker" if speaker else "delegate",
                "status": "approved",
                "list_consent": True,
                "registered_at": "2026-11-27T09:00:00Z",
            }
        )
    rooms = [
        {"ref": f"room-{c.lower()}", "name": f"Room {c}", "capacity": 50 + 25 * i}
        for i, c in enumerate("ABCD"[:ROOMS])
    ]
    sessions: list[Json] = []
    per_day = -(-TALKS // DAYS)
    n = 0
    for day in range(DAYS):
        nine = datetime.combine(FIRST_DAY + timedelta(days=day), datetime.min.time()).replace(
            hour=9
        )
        for slot in range(per_day):
            if n >= TALKS:
                break
            start = nine + timedelta(minutes=45 * (slot // ROOMS))
            sessions.append(
                {
                    "ref": f"c{n + 1:02d}",
                    "number": str(n + 1),
                    "title": f"Contribution {n + 1:02d}: timetable rendering, part {n % 7 + 1}",
                    "kind": "breakout",
                    "description": LOREM.strip(),
                    "start": start.strftime("%Y-%m-%dT%H:%M"),
                    "end": (start + timedelta(minutes=30)).strftime("%Y-%m-%dT%H:%M"),
                    "room": rooms[slot % ROOMS]["ref"],
                    "public": True,
                    "speakers": [f"p{n:03d}"],
                }
            )
            n += 1
    return {
        "format": "wen-meeting/1",
        "meeting": {
            "slug": SLUG,
            "title": "Bench Conference",
            "description": "Synthetic conference used for loopback benchmarking.",
            "venue": {"name": "Bench Campus"},
            "timezone": ZONE,
            "start_date": FIRST_DAY.isoformat(),
            "end_date": (FIRST_DAY + timedelta(days=DAYS - 1)).isoformat(),
            "languages": ["en"],
            "registration_opens": "2026-11-27T00:00:00Z",
            "registration_closes": "2026-12-07T07:30:00Z",
            "approval": "manual",
        },
        "organisations": organisations,
        "participants": participants,
        "rooms": rooms,
        "sessions": sessions,
    }


# -- measuring (as the peer's measure.py) --------------------------------------------------


def get(port: int, path: str) -> tuple[int, int, str, float]:
    """One GET to 127.0.0.1 on a new connection: status, body bytes, content type, seconds."""
    start = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, port, timeout=60)
    try:
        conn.request("GET", path, headers={"Accept-Encoding": "identity"})
        response = conn.getresponse()
        body = response.read()
        elapsed = time.perf_counter() - start
    finally:
        conn.close()
    return response.status, len(body), response.getheader("Content-Type", ""), elapsed


@dataclass
class PageResult:
    key: str
    label: str
    path: str
    status: list[int] = field(default_factory=list)
    bytes: int = 0
    content_type: str = ""
    n: int = 0
    median_ms: float = 0.0
    p90_ms: float = 0.0
    min_ms: float = 0.0
    max_ms: float = 0.0
    mean_ms: float = 0.0
    skipped: str | None = None


def measure(
    port: int,
    key: str,
    label: str,
    path: str,
    n: int,
    warmup: int,
    before: Callable[[], object] | None = None,
) -> PageResult:
    """``warmup`` untimed GETs, then ``n`` timed ones; statistics as measure.py computes them.

    ``before`` runs, untimed, before each GET (warm-ups included).
    """
    for _ in range(warmup):
        if before is not None:
            before()
        get(port, path)
    times: list[float] = []
    statuses: set[int] = set()
    size, ctype = 0, ""
    for _ in range(n):
        if before is not None:
            before()
        status, size, ctype, elapsed = get(port, path)
        statuses.add(status)
        times.append(elapsed * 1000)
    times.sort()
    return PageResult(
        key,
        label,
        path,
        status=sorted(statuses),
        bytes=size,
        content_type=ctype,
        n=n,
        median_ms=statistics.median(times),
        p90_ms=times[min(len(times) - 1, round(0.9 * len(times)) - 1)],
        min_ms=times[0],
        max_ms=times[-1],
        mean_ms=statistics.fmean(times),
    )


class Change:
    """What every change the public can see does to the response cache: the meeting's content
    version raised (models/content.py), here straight through the database, untimed."""

    def __init__(self, url: str, slug: str):
        self.engine = sa.create_engine(url)
        meetings = sa.table("meetings", sa.column("slug"), sa.column("content_version"))
        self.statement = (
            sa.update(meetings)
            .where(meetings.c.slug == slug)
            .values(content_version=meetings.c.content_version + 1)
        )

    def __call__(self) -> None:
        with self.engine.begin() as conn:
            conn.execute(self.statement)

    def close(self) -> None:
        self.engine.dispose()


def measure_indico(args: argparse.Namespace) -> list[PageResult]:
    """Indico's endpoints, live, as ours are measured; only on 127.0.0.1."""
    parts = urlsplit(args.indico)
    if parts.hostname != HOST or parts.port is None:
        raise SystemExit(f"--indico must be http://{HOST}:PORT, not {args.indico}")
    results = []
    for key, label, pattern in INDICO_LIVE:
        path = pattern.format(event=args.event)
        print(f"measuring Indico {path}", file=sys.stderr, flush=True)
        result = measure(parts.port, key, label, path, args.n, args.warmup)
        if result.status != [200]:
            raise SystemExit(f"Indico: GET {path} answered {result.status}")
        results.append(result)
    return results


# -- the server ------------------------------------------------------------------------------


# -- output ----------------------------------------------------------------------------------


def markdown(results: list[PageResult], meta: Json, indico: list[PageResult]) -> str:
    """Our figures, then the comparison with Indico's (live with --indico, else the file's)."""
    lines = [
        f"## eventapp under gunicorn ({meta['workers']} workers), {meta['date']}",
        "",
        f"{meta['machine']['cpus']} CPUs ({meta['machine']['cpu']}), Python "
        f"{meta['machine']['python']}; database {meta['database']}; {meta['meeting']}; "
        f"{meta['n']} sequential GETs after {meta['warmup']} "
        f"warm-ups, new TCP connection each; ms. Load average {meta['load'][0]:.1f} before, "
        f'{meta["load"][1]:.1f} after (the measurement itself adds about 1). "first render": '
        "each GET the first after a change.",
        "",
        "| page | path | status | bytes | median | p90 | min | max | mean |",
        "|---|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for r in [*results, *indico]:
        if r.skipped:
            lines.append(f"| {r.label} | `{r.path}` | {r.skipped} | | | | | | |")
            continue
        status = ",".join(map(str, r.status))
        lines.append(
            f"| {r.label} | `{r.path}` | {status} | {r.bytes:,} | {r.median_ms:.1f} | "
            f"{r.p90_ms:.1f} | {r.min_ms:.1f} | {r.max_ms:.1f} | {r.mean_ms:.1f} |"
        )
    ours = {r.key: r for r in results if not r.skipped}
    if indico:
        peers = {r.key: (r.label, r.median_ms, "") for r in indico}
        source = "measured in the same run"
    else:
        peers = {
            k: (v.label, v.median_ms, f" ({min(v.medians_ms):.0f}–{max(v.medians_ms):.0f})")
            for k, v in INDICO.items()
        }
        source = "results-2026-11-28.md: median of its 4 runs' medians, and their range"
    lines += [
        "",
        f"Next to Indico 3.2.9 on the same meeting and machine ({source}); Indico renders these "
        "on every request:",
        "",
        "| eventapp page | cached | first render | Indico endpoint | Indico | Indico / cached | "
        "Indico / first render |",
        "|---|---:|---:|---|---:|---:|---:|",
    ]
    for key, label, _, _ in PAGES:
        if key not in ours:
            continue
        cached = ours[key].median_ms
        render = ours.get(f"{key}-render")
        first = f"{render.median_ms:.1f}" if render else "—"
        peer = peers.get(key)
        if peer is None:
            lines.append(f"| {label} | {cached:.1f} | {first} | not measured there | — | — | — |")
            continue
        name, theirs, spread = peer
        ratio_render = f"{theirs / render.median_ms:.0f}×" if render else "—"
        lines.append(
            f"| {label} | {cached:.1f} | {first} | {name} | {theirs:.0f}{spread} | "
            f"{theirs / cached:.0f}× | {ratio_render} |"
        )
    return "\n".join(lines) + "\n"


# -- main ------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Time eventapp's public pages under gunicorn on the Indico peer's meeting."
    )
    parser.add_argument("--n", type=int, default=50, help="timed GETs per page (50)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed GETs first (3)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (2)")
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (default: free)")
    parser.add_argument(
        "--database",
        help="SQLAlchemy URL (default: a fresh SQLite file in a temporary directory); "
        "a PostgreSQL database is WIPED first: name a scratch one",
    )
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument(
        "--indico",
        help="also measure a running Indico at this loopback URL, e.g. http://127.0.0.1:8000 "
        "(started by /work/shared/peers/indico/setup.sh)",
    )
    parser.add_argument("--event", type=int, default=1, help="Indico's event id (1)")
    parser.add_argument(
        "--scale",
        type=int,
        default=0,
        help="serve bench/generate.py's meeting at this scale instead of the Indico peer's "
        "(Indico's at the same scale: bench/indico_scales.py)",
    )
    args = parser.parse_args(argv)
    if args.n < 1 or args.warmup < 0 or args.workers < 1:
        parser.error("--n and --workers must be at least 1, --warmup at least 0")
    return args


def serve_and_measure(args: argparse.Namespace, work: Path) -> tuple[list[PageResult], str]:
    """Load the meeting, start gunicorn, measure every page, always stop gunicorn."""
    from eventapp.interchange import check_document

    document = generate_meeting(args.scale, seed=1) if args.scale else peer_meeting()
    slug = document["meeting"]["slug"]
    problems = check_document(document)
    if problems:
        listing = "\n".join(f"  {p}" for p in problems)
        raise SystemExit(f"the meeting is not a valid wen-meeting/1 document:\n{listing}")
    source = work / "indico-peer.json"
    source.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")

    url = args.database or f"sqlite:///{work / 'serve.db'}"
    if sa.make_url(url).get_backend_name() == "postgresql":
        print(f"resetting schema public of {database_label(url)}", file=sys.stderr)
        reset_postgres(url)
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "REPORTS_DIR": str(work / "reports"),
        "SECRET_KEY": os.environ.get("SECRET_KEY") or "bench-secret-key-not-for-production",
    }
    flask(["db", "upgrade"], env)
    flask(["meeting", "import", str(source)], env)

    results: list[PageResult] = []
    change = Change(url, slug)
    with serving(env, work / "gunicorn.log", workers=args.workers, port=args.port) as port:
        for key, label, pattern, optional in PAGES:
            path = pattern.format(slug=slug)
            status = get(port, path)[0]
            if status != 200:
                if optional and status == 404:
                    results.append(PageResult(key, label, path, [status], skipped="404: not built"))
                    continue
                raise SystemExit(f"GET {path} answered {status}")
            runs: list[tuple[str, str, Callable[[], object] | None]] = [(key, label, None)]
            if key in RENDERED:
                runs.append((f"{key}-render", f"{label}, first render after a change", change))
            for run_key, run_label, before in runs:
                print(f"measuring {path} ({run_label})", file=sys.stderr, flush=True)
                result = measure(port, run_key, run_label, path, args.n, args.warmup, before)
                if result.status != [200]:
                    raise SystemExit(f"GET {path} answered {result.status} while measured")
                results.append(result)
    change.close()
    label = database_label(url) if args.database else "a fresh SQLite file"
    return results, label


def interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    # A polite kill (SIGTERM, SIGHUP) unwinds like Ctrl-C, so that gunicorn is stopped too.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, interrupt)
    load_start = os.getloadavg()[0]
    try:
        with tempfile.TemporaryDirectory(prefix="eventapp-serve-") as tmp:
            results, database = serve_and_measure(args, Path(tmp))
        indico = measure_indico(args) if args.indico else []
    except KeyboardInterrupt:
        print("interrupted; gunicorn stopped", file=sys.stderr)
        return 130
    meta = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "database": database,
        "workers": args.workers,
        "meeting": (
            f"bench/generate.py's meeting at scale {args.scale}"
            if args.scale
            else "the Indico peer's meeting (30 talks, 100 participants)"
        ),
        "n": args.n,
        "warmup": args.warmup,
        # 1-minute load average before and after: the client and gunicorn add about 1.
        "load": (load_start, os.getloadavg()[0]),
        "indico": {k: asdict(v) | {"reference_ms": v.median_ms} for k, v in INDICO.items()},
    }
    print(markdown(results, meta, indico))
    if args.json:
        payload = {
            **meta,
            "results": [asdict(r) for r in results],
            "indico_live": [asdict(r) for r in indico],
        }
        Path(args.json).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
