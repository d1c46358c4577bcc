"""A real CalDAV server takes agenda.ics and finds its sessions by time across a DST change.

Radicale (PyPI) runs on 127.0.0.1 as a subprocess, with a storage folder of its own and no
authentication. The feed of a meeting in Europe/Zurich over 27-29 March 2027 (summer time
begins on the 28th at 01:00 UTC, 02:00 local becoming 03:00) is put into a calendar, one
resource per event with the feed's VTIMEZONE in each, as CalDAV stores them; then calendar-query
REPORTs with UTC time ranges on both sides of the change must answer exactly the sessions
there. Radicale places each event with the file's own VTIMEZONE, so a VTIMEZONE that put the
change an hour late would move the sessions of the night of the change.
"""

from __future__ import annotations

import contextlib
import http.client
import re
import socket
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import icalendar
import pytest
from flask.testing import FlaskClient

from tests.factories import DEMO_SLUG, demo_document, load

HOST = "127.0.0.1"
CALENDAR = "/eventapp/agenda/"
USER = ("Authorization", "Basic ZXZlbnRhcHA6eA==")  # eventapp:x, any password with auth none
DAV = "{DAV:}"
CALDAV = "{urn:ietf:params:xml:ns:caldav}"
READY_ATTEMPTS = 300  # connection attempts, each answered at once or within 0.1 s

# (ref, local start, local end): the night of the change, and the mornings around it.
SESSIONS = [
    ("s-before", "2027-03-27T09:00", "2027-03-27T10:00"),  # 08:00-09:00Z (CET)
    ("s-night-cet", "2027-03-28T01:00", "2027-03-28T01:45"),  # 00:00-00:45Z, before the change
    ("s-night-cest", "2027-03-28T03:30", "2027-03-28T04:30"),  # 01:30-02:30Z, after it
    ("s-morning", "2027-03-28T09:00", "2027-03-28T10:00"),  # 07:00-08:00Z (CEST)
    ("s-after", "2027-03-29T09:00", "2027-03-29T10:00"),  # 07:00-08:00Z
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _request(
    port: int, method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(method, path, body=body, headers={USER[0]: USER[1], **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def _wait_until_answering(process: subprocess.Popen[bytes], port: int) -> None:
    """Connect until the server answers HTTP, a bounded number of times; fail if it exits."""
    for _ in range(READY_ATTEMPTS):
        if process.poll() is not None:
            raise RuntimeError(f"radicale exited with status {process.returncode}")
        try:
            with socket.create_connection((HOST, port), timeout=0.1):
                pass
        except OSError:
            # Not listening yet: wait for the process a moment, which also notices an exit.
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.1)
            continue
        if _request(port, "OPTIONS", "/")[0] < 500:
            return
    raise RuntimeError(f"radicale did not answer on {HOST}:{port}")


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[int]:
    """Radicale on a free loopback port, storage in tmp_path; stopped when the test ends."""
    port = _free_port()
    log = (tmp_path / "radicale.log").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "radicale",
            "--config",
            "",
            "--server-hosts",
            f"{HOST}:{port}",
            "--storage-filesystem-folder",
            str(tmp_path / "collections"),
            "--auth-type",
            "none",
            "--rights-type",
            "owner_only",
            "--logging-level",
            "warning",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_until_answering(process, port)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def _dst_meeting() -> None:
    doc = demo_document()
    doc["meeting"].update(timezone="Europe/Zurich", start_date="2027-03-27", end_date="2027-03-29")
    doc["sessions"] = [
        {
            "ref": ref,
            "title": f"Session {ref}",
            "kind": "plenary",
            "start": start,
            "end": end,
            "room": "plenary",
            "public": True,
            "chairs": ["chair"],
        }
        for ref, start, end in SESSIONS
    ]
    # A closed session in the same night: never in the public feed, so never found.
    doc["sessions"].append(
        {
            "ref": "s-closed",
            "title": "Closed session",
            "kind": "closed",
            "start": "2027-03-28T03:30",
            "end": "2027-03-28T04:30",
            "room": "room-b",
        }
    )
    load(doc)


def _resources(feed: bytes) -> dict[str, bytes]:
    """One calendar object per event, each with the feed's VTIMEZONE, by UID."""
    cal = icalendar.Calendar.from_ical(feed)
    zones = cal.walk("VTIMEZONE")
    found = {}
    for event in cal.walk("VEVENT"):
        one = icalendar.Calendar()
        for name in ("prodid", "version", "calscale"):
            one.add(name, cal[name])
        for zone in zones:
            one.add_component(zone)
        one.add_component(event)
        found[str(event["uid"])] = one.to_ical()
    return found


def _query(port: int, start: str, end: str) -> set[str]:
    """The sessions (refs) a calendar-query REPORT finds in the UTC range [start, end)."""
    body = f"""<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop><D:getetag/><C:calendar-data/></D:prop>
  <C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">
    <C:time-range start="{start}" end="{end}"/>
  </C:comp-filter></C:comp-filter></C:filter>
</C:calendar-query>""".encode()
    headers = {"Depth": "1", "Content-Type": "application/xml; charset=utf-8"}
    status, answer = _request(port, "REPORT", CALENDAR, body, headers)
    assert status == 207, answer
    refs = set()
    for data in ET.fromstring(answer).iter(f"{CALDAV}calendar-data"):
        for event in icalendar.Calendar.from_ical(data.text or "").walk("VEVENT"):
            refs.add(str(event["uid"]).split(".")[0])
    return refs


def test_radicale_finds_the_sessions_by_time_across_the_dst_change(
    client: FlaskClient, radicale: int
) -> None:
    _dst_meeting()
    feed = client.get(f"/meetings/{DEMO_SLUG}/agenda.ics")
    assert feed.status_code == 200
    status, answer = _request(radicale, "MKCALENDAR", CALENDAR)
    assert status == 201, answer
    resources = _resources(feed.data)
    assert {uid.split(".")[0] for uid in resources} == {ref for ref, _, _ in SESSIONS}
    for uid, text in resources.items():
        path = f"{CALENDAR}{re.sub(r'[^A-Za-z0-9.-]', '_', uid)}.ics"
        status, answer = _request(
            radicale, "PUT", path, text, {"Content-Type": "text/calendar; charset=utf-8"}
        )
        assert status == 201, (uid, answer)

    # Across the change (01:00Z): the session before it and the one after it, nothing else.
    assert _query(radicale, "20270328T003000Z", "20270328T020000Z") == {
        "s-night-cet",
        "s-night-cest",
    }
    # Each side alone: 03:30 local is summer time already (01:30Z), 01:00 local is not (00:00Z).
    assert _query(radicale, "20270328T013000Z", "20270328T020000Z") == {"s-night-cest"}
    assert _query(radicale, "20270328T000000Z", "20270328T004500Z") == {"s-night-cet"}
    # 09:00 local is 08:00Z the day before the change and 07:00Z on and after it.
    assert _query(radicale, "20270327T080000Z", "20270327T090000Z") == {"s-before"}
    assert _query(radicale, "20270328T070000Z", "20270328T080000Z") == {"s-morning"}
    assert _query(radicale, "20270329T063000Z", "20270329T070000Z") == set()
    assert _query(radicale, "20270327T000000Z", "20270330T000000Z") == {
        ref for ref, _, _ in SESSIONS
    }
