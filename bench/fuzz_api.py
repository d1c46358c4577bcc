#!/usr/bin/env python3
"""Fuzz the JSON API with schemathesis under gunicorn: no input may earn a 5xx.

Usage, from the repository root::

    .venv/bin/python bench/fuzz_api.py [--max-examples 100] [--workers 4]
                                       [--database URL] [--max-time SECONDS]

A fresh SQLite file (or the ``--database`` named, which for PostgreSQL is WIPED first) is
migrated and given the demo meeting and its accounts with the operator's commands; gunicorn
serves it on 127.0.0.1 only; schemathesis reads ``/api/v1/openapi.json`` and runs its
examples, coverage and fuzzing phases with the check ``not_a_server_error``, once with an
organiser's token and once with an administrator's. Registration in the demo meeting is
opened first, so the registration endpoints are driven past the closed-period answer.
The exit status is schemathesis's: 0 when no case answered 5xx. gunicorn is always stopped.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402

from bench.gunicorn import HOST, VENV_BIN, flask, serving  # noqa: E402
from bench.run import reset_postgres  # noqa: E402

DEMO = ROOT / "eventapp" / "demo" / "first-global-wen-meeting.json"
ACCOUNTS = {"organiser": "organiser@example.org", "admin": "admin@example.org"}


def open_registration(work: Path) -> Path:
    """The demo meeting with registration open whenever the fuzzing runs."""
    document = json.loads(DEMO.read_text("utf-8"))
    document["meeting"].pop("registration_opens", None)
    document["meeting"].pop("registration_closes", None)
    path = work / "demo-open.json"
    path.write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return path


def fuzz_config(work: Path) -> Path:
    """Path parameters that name the demo meeting's rows, so cases reach past the 404s."""
    path = work / "schemathesis.toml"
    path.write_text(
        '[parameters]\n"path.slug" = "first-global-wen-meeting"\n\n'
        '[[operations]]\ninclude-path-regex = "/registrations/"\n'
        'parameters = { "path.ref" = "p-pending" }\n\n'
        '[[operations]]\ninclude-path-regex = "/sessions/"\n'
        'parameters = { "path.ref" = "s-net" }\n',
        encoding="utf-8",
    )
    return path


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--max-examples", type=int, default=100, help="per operation (100)")
    parser.add_argument("--max-time", type=int, default=None, help="seconds per token's run")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (4)")
    parser.add_argument("--database", help="SQLAlchemy URL (PostgreSQL is wiped first)")
    parser.add_argument("--seed", type=int, default=20261201)
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="eventapp-fuzz-") as scratch:
        work = Path(scratch)
        url = args.database or f"sqlite:///{work / 'fuzz.db'}"
        if sa.make_url(url).get_backend_name() == "postgresql":
            reset_postgres(url)
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "REPORTS_DIR": str(work / "reports"),
            "SECRET_KEY": "fuzz-secret-key-not-for-production",
        }
        env.pop("REDIS_URL", None)
        env.pop("MAIL_URL", None)
        flask(["db", "upgrade"], env)
        flask(["demo", "load"], env)
        flask(["meeting", "import", "--replace", str(open_registration(work))], env)
        tokens = {
            role: flask(["token", "create", email], env).strip().splitlines()[-1]
            for role, email in ACCOUNTS.items()
        }
        worst = 0
        config = fuzz_config(work)
        with serving(env, work / "gunicorn.log", workers=args.workers) as port:
            for role, token in tokens.items():
                print(f"== schemathesis with the {role}'s token", flush=True)
                command = [
                    str(VENV_BIN / "schemathesis"),
                    "--config-file",
                    str(config),
                    "run",
                    f"http://{HOST}:{port}/api/v1/openapi.json",
                    "--checks",
                    "not_a_server_error",
                    "--phases",
                    "examples,coverage,fuzzing",
                    "--max-examples",
                    str(args.max_examples),
                    "--seed",
                    str(args.seed),
                    # One worker: hypothesis describing lambdas in threads trips a CPython 3.11
                    # bug (SystemError from ast.parse) that looks like a failure of ours.
                    "--workers",
                    "1",
                    "--no-color",
                    "-H",
                    f"Authorization: Bearer {token}",
                ]
                if args.max_time:
                    command += ["--max-time", str(args.max_time)]
                done = subprocess.run(command, cwd=ROOT, check=False)
                worst = max(worst, done.returncode)
        log = (work / "gunicorn.log").read_text(errors="replace")
        errors = [
            line for line in log.splitlines() if "unhandled error" in line or "Traceback" in line
        ]
        print(f"== unhandled errors in gunicorn's log: {len(errors)}")
        for line in errors[:20]:
            print("  " + line)
        if errors:
            worst = max(worst, 1)
        return worst


if __name__ == "__main__":
    raise SystemExit(main())
