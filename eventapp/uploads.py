"""Uploaded files kept by content: read within a size limit, stored once under their SHA-256.

A file lives at <UPLOADS_DIR>/<kind>/<first two hex digits>/<sha256><suffix>, outside the
database and the code, never executable; the same bytes uploaded twice are one file. The name a
file was uploaded under is only ever shown to people (display_name), never used as a path.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import unicodedata
import uuid
from pathlib import Path
from typing import IO

from flask import current_app

logger = logging.getLogger(__name__)

CHUNK = 64 * 1024
FILE_MODE = 0o640
FOLDER_MODE = 0o750
_SHA256 = re.compile(r"[0-9a-f]{64}")
_KIND = re.compile(r"[a-z][a-z0-9-]*")


class UploadTooLarge(ValueError):
    """The file is larger than its limit: nothing of it is kept."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"larger than {limit} bytes")
        self.limit = limit


class StoreNotWritable(OSError):
    """The uploads folder refused the file (read-only, full...); nothing is kept."""


class StoredFileMissing(LookupError):
    """The file a row names is not in the uploads folder (removed by hand, say)."""


class StoredFileChanged(RuntimeError):
    """The file in the uploads folder no longer has the SHA-256 it is named by."""


def uploads_dir() -> Path:
    return Path(current_app.config["UPLOADS_DIR"]).resolve()


def is_sha256(text: str) -> bool:
    """Whether the text is a SHA-256 as we write it: 64 lowercase hexadecimal digits."""
    return _SHA256.fullmatch(text) is not None


def read_limited(stream: IO[bytes], limit: int) -> bytes:
    """The whole stream, read in chunks; UploadTooLarge as soon as it passes `limit` bytes."""
    parts: list[bytes] = []
    size = 0
    while chunk := stream.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise UploadTooLarge(limit)
        parts.append(chunk)
    return b"".join(parts)


def display_name(uploaded_as: str | None, default: str, *, longest: int = 255) -> str:
    """The uploaded file's name fit to show: its last path part, printable, on one line, at most
    `longest` characters (its extension kept); `default` when nothing of it is left."""
    name = re.split(r"[/\\]", unicodedata.normalize("NFC", uploaded_as or ""))[-1]
    # Control and format characters (bidirectional overrides among them) go; any space is one.
    name = "".join(
        " " if unicodedata.category(ch)[0] == "Z" else ch
        for ch in name
        if unicodedata.category(ch)[0] != "C"
    )
    name = " ".join(name.split()).strip(" .")
    if not name:
        return default
    if len(name) > longest:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: longest - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:longest]
    return name


def stored_path(kind: str, sha256: str, suffix: str) -> Path:
    """Where the file of that content lives; ValueError for anything that is not a digest."""
    if not is_sha256(sha256) or _KIND.fullmatch(kind) is None:
        raise ValueError("not a stored file's name")
    return uploads_dir() / kind / sha256[:2] / f"{sha256}{suffix}"


def store(kind: str, data: bytes, suffix: str) -> str:
    """Keep the bytes under their SHA-256 (once: a file already there is left as it is) and
    answer the digest. Written whole or not at all: a temporary file beside it, then renamed."""
    sha256 = hashlib.sha256(data).hexdigest()
    path = stored_path(kind, sha256, suffix)
    if _holds(path, data):
        return sha256
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        path.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        with os.fdopen(descriptor, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(partial, FILE_MODE)  # exactly: readable by the service's group, run by nobody
        os.replace(partial, path)
    except OSError as exc:
        logger.error("uploads folder refused %s: %s", path, exc)
        raise StoreNotWritable(f"the uploads folder cannot take {path.name}: {exc}") from exc
    finally:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
    return sha256


def _holds(path: Path, data: bytes) -> bool:
    """The file is there with these bytes (a damaged one is replaced by the new upload)."""
    try:
        return path.stat().st_size == len(data) and path.read_bytes() == data
    except OSError:
        return False


def read_stored(kind: str, sha256: str, suffix: str) -> bytes:
    """The stored bytes, checked against their name before anyone gets them."""
    path = stored_path(kind, sha256, suffix)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise StoredFileMissing(f"{path} is missing") from exc
    except OSError as exc:
        raise StoredFileMissing(f"{path} cannot be read: {exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise StoredFileChanged(f"{path} has sha256 {digest}")
    return data
