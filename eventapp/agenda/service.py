"""The published agenda as text and print: what the exports share, and the printable agenda.

The agenda itself, and what of it the public may see, is agenda/published.py's read model;
this module writes it as the calendar's and schedules' texts and renders the printable agenda.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

from flask import current_app, render_template
from flask_babel import force_locale, gettext

from .. import localtime
from ..config import PROJECT_ROOT
from ..reports import render
from .published import Agenda, Item, Person, Words, kind_label

logger = logging.getLogger(__name__)

PRINT_TEMPLATE = "print/agenda.html"
# The files the printable agenda is made of; a change to any of them is a new rendering.
PRINT_FILES = ("agenda.html", "_macros.html", "layout.html", "print.css")


def location(agenda: Agenda, item: Item) -> str:
    """'Room, venue, city' for calendars; a part already named (a room named after its venue,
    say) is not repeated."""
    text = ""
    for part in (item.room.name if item.room else None, agenda.venue_name, agenda.venue_city):
        if part and part.casefold() not in text.casefold():
            text = f"{text}, {part}" if text else part
    return text or agenda.title


def description(item: Item, words: Words | None = None) -> str:
    """The session's description, then its chairs and speakers who may be named, as text.

    An export passes one `words` for all its sessions: the catalogue is asked once.
    """
    words = words or Words()
    text = (item.description or "").strip()
    lines = [text] if text else []
    if item.chairs:
        lines.append(f"{words.chairs(len(item.chairs))}: {_names(item.chairs)}")
    if item.speakers:
        lines.append(f"{words.speakers(len(item.speakers))}: {_names(item.speakers)}")
    return "\n\n".join(lines)


def _names(people: tuple[Person, ...]) -> str:
    return ", ".join(p.name for p in people)


# --- the printable agenda ---------------------------------------------------------------------


class PrintKind:
    """The layout names the document kind as `head.kind.value` (the body's class)."""

    value = "agenda"


@dataclass(frozen=True)
class PrintHead:
    """What print/layout.html shows in the masthead and running header of every page."""

    kind: PrintKind
    symbol: str
    slug: str
    title: str
    short_title: str | None
    host: str | None
    chair_organisation: str | None
    start_date: date
    end_date: date


def agenda_html(agenda: Agenda, lang: str) -> str:
    """The printable agenda's HTML in language `lang` (the chrome; names and titles as written)."""
    with force_locale(lang):
        return render_template(
            PRINT_TEMPLATE,
            agenda=agenda,
            head=PrintHead(
                kind=PrintKind(),
                symbol=agenda.document_symbol or agenda.slug.upper(),
                slug=agenda.slug,
                title=agenda.title,
                short_title=agenda.short_title,
                host=agenda.host,
                chair_organisation=None,
                start_date=agenda.start_date,
                end_date=agenda.end_date,
            ),
            lang=lang,
            preview=False,
            version=None,
            issued=agenda.publication.astimezone(agenda.zone).date(),
            kind_title=gettext("Agenda"),
            page_label=render.page_label(),
            fmt=render.Formats(lang),
            kind_label=kind_label,
            zone_label=localtime.zone_label(agenda.zone, lang),
            place=agenda.venue_city or agenda.zone.key,
        )


def agenda_pdf(agenda: Agenda, lang: str) -> bytes:
    """The printable agenda as a tagged PDF: rendered once per version, then served from disk.

    The cache file's name carries the publication time and a digest of the data, the language
    and the print templates, so a file is never served for anything but what it shows.
    """
    folder = cache_dir()
    name = f"{_safe(agenda.slug)}-{lang}"
    path = folder / f"{name}-{_print_key(agenda, lang)}.pdf"
    cached = _read(path)
    if cached is not None:
        return cached
    try:
        folder.mkdir(parents=True, exist_ok=True)
        lock = (folder / f".{name}.lock").open("a")
    except OSError as exc:
        logger.error("agenda cache %s unusable, rendering without it: %s", folder, exc)
        return render.pdf_from_html(agenda_html(agenda, lang))
    # One process renders a version; the others wait for its file instead of rendering too.
    # The lock goes with the file's closing.
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        cached = _read(path)
        if cached is not None:
            return cached
        pdf = render.pdf_from_html(agenda_html(agenda, lang))
        try:
            _write_atomically(path, pdf)
            _drop_older(path, agenda.slug, lang)
        except OSError as exc:
            logger.error("agenda %s not cached: %s", path.name, exc)
    return pdf


def print_etag(agenda: Agenda, lang: str) -> str:
    """The PDF's ETag, known without rendering: the same key as its cache file."""
    return f"pdf-{lang}-{_print_key(agenda, lang)}"


def cache_dir() -> Path:
    """Where rendered agendas are kept: AGENDA_CACHE_DIR, else instance/cache/agenda."""
    configured = current_app.config.get("AGENDA_CACHE_DIR")
    return Path(configured or Path(current_app.instance_path) / "cache" / "agenda")


def _print_key(agenda: Agenda, lang: str) -> str:
    stamp = int(agenda.publication.timestamp())
    digest = hashlib.sha256(
        f"{agenda.fingerprint}\n{lang}\n{_print_files_digest(lang)}".encode()
    ).hexdigest()
    return f"{stamp}-{digest[:20]}"


@cache
def _print_files_digest(lang: str) -> str:
    # The templates and stylesheet, and the language's compiled catalogue: what the chrome is.
    digest = hashlib.sha256()
    for name in PRINT_FILES:
        digest.update((render.ASSETS_DIR / name).read_bytes())
    catalogue = PROJECT_ROOT / "eventapp" / "translations" / lang / "LC_MESSAGES" / "messages.mo"
    if catalogue.is_file():
        digest.update(catalogue.read_bytes())
    return digest.hexdigest()


_UNSAFE = re.compile(r"[^a-z0-9-]")


def _safe(slug: str) -> str:
    return _UNSAFE.sub("_", slug.lower())


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:  # an unusable cache folder costs a rendering, never the answer
        logger.error("agenda cache file %s unreadable: %s", path.name, exc)
        return None


def _write_atomically(path: Path, data: bytes) -> None:
    # Readers see the whole file or none: write aside, then rename over.
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
        # mkstemp makes the file private; a public document may be read by a front server.
        os.chmod(temp, 0o644)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def _drop_older(current: Path, slug: str, lang: str) -> None:
    # Earlier renderings of this meeting and language are never served again.
    pattern = re.compile(rf"{re.escape(_safe(slug))}-{lang}-\d+-[0-9a-f]{{20}}\.pdf")
    for other in current.parent.iterdir():
        if other != current and pattern.fullmatch(other.name):
            other.unlink(missing_ok=True)
