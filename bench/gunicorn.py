"""The bench scripts' server: eventapp under gunicorn on 127.0.0.1, set up by operator commands.

One place for starting, waiting for and stopping gunicorn, so that every script measures the
application the way it is deployed and none leaves a server behind.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
VENV_BIN = ROOT / ".venv" / "bin"
APP = "wsgi:app"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def flask(args: list[str], env: dict[str, str], stdin: str | None = None) -> str:
    """``flask --app wsgi ARGS``: what it printed; on failure, stop with its output."""
    command = [str(VENV_BIN / "flask"), "--app", "wsgi", *args]
    done = subprocess.run(
        command, cwd=ROOT, env=env, input=stdin, capture_output=True, text=True, check=False
    )
    if done.returncode:
        sys.stderr.write(done.stdout + done.stderr)
        raise SystemExit(f"failed: flask --app wsgi {' '.join(args)}")
    return done.stdout.strip()


def healthy(port: int) -> bool:
    try:
        conn = http.client.HTTPConnection(HOST, port, timeout=5)
        conn.request("GET", "/healthz")
        ok = conn.getresponse().status == 200
        conn.close()
        return ok
    except (OSError, http.client.HTTPException):
        return False


def wait_ready(server: subprocess.Popen[bytes], port: int, log: Path, timeout: float) -> None:
    """Wait for /healthz to answer 200; stop with gunicorn's log if it does not."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and server.poll() is None:
        if healthy(port):
            return
        time.sleep(0.2)
    sys.stderr.write(log.read_text(errors="replace")[-4000:] if log.exists() else "")
    raise SystemExit("gunicorn did not become ready")


def stop(server: subprocess.Popen[bytes]) -> None:
    """Stop gunicorn: SIGTERM to its master, then SIGKILL to its process group if need be."""
    if server.poll() is not None:
        return
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        # start_new_session made the master the leader of a group of its own: its workers.
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


@contextmanager
def serving(
    env: dict[str, str],
    log: Path,
    *,
    workers: int,
    port: int = 0,
    options: Sequence[str] = (),
) -> Iterator[int]:
    """gunicorn serving the app on loopback (a free port unless given), ready, and its port.

    Stopped on leaving, on errors and Ctrl-C too.
    """
    port = port or free_port()
    command = [str(VENV_BIN / "gunicorn"), "-w", str(workers), "-b", f"{HOST}:{port}"]
    with log.open("wb") as log_file:
        server = subprocess.Popen(
            [*command, *options, APP],
            cwd=ROOT,
            env=env,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches us only; we stop gunicorn ourselves
        )
    try:
        wait_ready(server, port, log, timeout=60)
        yield port
    finally:
        stop(server)
