#!/usr/bin/env python3
"""Give the loopback Indico peer conferences the size of bench/generate.py's meetings.

Usage, from the repository root, with the peer running (its ``setup.sh``)::

    .venv/bin/python bench/indico_scales.py [--scales 1,5,20] [--indico-dir /tmp/indico-bench]

The peer's own ``populate.py`` makes one conference of 30 contributions and 100 registrations.
This runs the same script, in Indico's own virtualenv and configuration, with its sizes set to
those of ``generate_meeting(N)``: 16·N contributions (one speaker each, 30 minutes, in 4 rooms,
8 from scale 6 on, so that every day still ends in the afternoon) over 3 days, 7 from scale 2 on,
and 110·N registrations. Each run adds one event and prints its id; time it next to eventapp with
``bench/serve_compare.py --scale N --indico http://127.0.0.1:8000 --event ID``. Nothing is sent
anywhere: the script talks to Indico's database on loopback as populate.py does.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

PEER = Path("/work/shared/peers/indico")
SIZES = ("N_DAYS", "N_CONTRIBS", "N_ROOMS", "N_REGISTRATIONS")


def sizes(scale: int) -> dict[str, int]:
    """populate.py's constants for a conference the size of generate_meeting(scale)."""
    return {
        "N_DAYS": 3 if scale == 1 else 7,
        "N_CONTRIBS": 16 * scale,
        "N_ROOMS": 4 if scale <= 5 else 8,
        "N_REGISTRATIONS": 110 * scale,
    }


def scaled_script(source: str, scale: int) -> str:
    """populate.py with its size constants replaced; every other line as the peer wrote it."""
    for name, value in sizes(scale).items():
        source, found = re.subn(rf"(?m)^{name} = \d+$", f"{name} = {value}", source)
        if found != 1:
            raise SystemExit(f"populate.py has no line '{name} = <number>' any more")
    return source


def populate(indico_dir: Path, scale: int, work: Path) -> int:
    """Run the scaled populate.py in Indico's venv; the new event's id."""
    script = work / f"populate-{scale}.py"
    script.write_text(scaled_script((PEER / "populate.py").read_text("utf-8"), scale), "utf-8")
    out = work / f"out-{scale}"
    out.mkdir()
    env = {
        **os.environ,
        "INDICO_CONFIG": str(indico_dir / "data" / "etc" / "indico.conf"),
        "OUT_DIR": str(out),
    }
    command = [str(indico_dir / "venv" / "bin" / "python"), str(script)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.stderr.write(done.stdout[-3000:] + done.stderr[-3000:])
        raise SystemExit(f"populating Indico at scale {scale} failed")
    print(done.stdout.strip().splitlines()[-2], file=sys.stderr)
    return int((out / "event_id").read_text().strip())


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scales", default="1,5,20", help="comma-separated scales (1,5,20)")
    parser.add_argument("--indico-dir", type=Path, default=Path("/tmp/indico-bench"))
    parser.add_argument("--json", help="also write {scale: event id} to this file")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    scales = [int(part) for part in args.scales.split(",") if part.strip()]
    if not (args.indico_dir / "venv" / "bin" / "indico").exists():
        raise SystemExit(f"no Indico in {args.indico_dir}: run the peer's setup.sh first")
    events = {}
    with tempfile.TemporaryDirectory(prefix="indico-scales-") as tmp:
        for scale in scales:
            print(f"scale {scale}: {sizes(scale)}", file=sys.stderr, flush=True)
            events[scale] = populate(args.indico_dir, scale, Path(tmp))
            print(f"scale {scale}: event {events[scale]}", flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps(events) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
