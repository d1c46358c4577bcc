"""Letters of nomination: the organisation's letter, uploaded by its focal point or an organiser.

A letter is checked by what it is, never by its name or declared type: a PDF (its bytes begin
with %PDF-) that opens, has a page, is not encrypted and carries no JavaScript, within the size
limit (NOMINATION_LETTER_MAX_BYTES). It is kept by content (eventapp/uploads.py): the same
letter uploaded twice is one file and, for one delegation, one row. The service only flushes.
"""

from __future__ import annotations

import io
import logging
from typing import IO

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject, PdfObject
from sqlalchemy.orm import selectinload

from .. import audit, uploads
from ..extensions import db
from ..locking import lock_meeting
from ..models import Delegation, Meeting, NominationLetter, User

logger = logging.getLogger(__name__)

KIND = "letters"  # the uploads folder's sub-folder
SUFFIX = ".pdf"
# Names under which a PDF carries JavaScript: the action's script, the document's name tree.
_SCRIPT_NAMES = frozenset({"/JS", "/JavaScript"})


class LetterRefused(ValueError):
    """The upload is not a letter we keep; the message says why, to the person who sent it."""


def max_bytes() -> int:
    return int(current_app.config["NOMINATION_LETTER_MAX_BYTES"])


def size_in_mb(size: int) -> str:
    """A size in megabytes as people write it: 5, 2.5."""
    return f"{size / (1024 * 1024):.1f}".removesuffix(".0")


def letters_of(delegation: Delegation) -> list[NominationLetter]:
    """The delegation's letters, newest first, with who uploaded each."""
    return list(
        db.session.scalars(
            sa.select(NominationLetter)
            .where(NominationLetter.delegation_id == delegation.id)
            .options(selectinload(NominationLetter.uploaded_by))
            .order_by(NominationLetter.uploaded_at.desc(), NominationLetter.id.desc())
        )
    )


def find_letter(delegation: Delegation, sha256: str) -> NominationLetter | None:
    """The delegation's letter of that content; None for another's or for no digest at all."""
    if not uploads.is_sha256(sha256):
        return None
    return db.session.scalar(
        sa.select(NominationLetter)
        .where(NominationLetter.delegation_id == delegation.id, NominationLetter.sha256 == sha256)
        .limit(1)
    )


def letter_bytes(letter: NominationLetter) -> bytes:
    """The letter's file as uploaded (uploads.StoredFileMissing, uploads.StoredFileChanged)."""
    return uploads.read_stored(KIND, letter.sha256, SUFFIX)


def read_upload(stream: IO[bytes] | None) -> bytes:
    """The uploaded file's bytes, read no further than the limit; LetterRefused if none."""
    if stream is None:
        raise LetterRefused(_("Choose the letter of nomination (a PDF file) to upload."))
    try:
        data = uploads.read_limited(stream, max_bytes())
    except uploads.UploadTooLarge:
        raise LetterRefused(too_large_message()) from None
    if not data:
        raise LetterRefused(_("The file is empty. Choose the letter of nomination (a PDF file)."))
    return data


def too_large_message() -> str:
    return _(
        "The file is larger than %(size)s MB, the most a letter may be. Send a smaller PDF "
        "(scanned at a lower resolution, say).",
        size=size_in_mb(max_bytes()),
    )


def check_letter(data: bytes) -> int:
    """The letter's number of pages, if it is a PDF we keep; LetterRefused saying why if not."""
    not_pdf = _("The file is not a PDF document. Save or print the letter as PDF and upload that.")
    if not data.startswith(b"%PDF-"):
        raise LetterRefused(not_pdf)
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise LetterRefused(
                _(
                    "The PDF is encrypted (protected by a password), so it cannot be checked or "
                    "read by the organisers. Upload it without protection."
                )
            )
        pages = len(reader.pages)
        scripted = _carries_script(reader.trailer)
    except LetterRefused:
        raise
    except Exception as exc:  # any failure of a damaged file: pypdf's own and its parsers'
        logger.info("uploaded letter does not open as PDF: %r", exc)
        raise LetterRefused(
            _("The PDF cannot be opened: it may be damaged. Save or print the letter again.")
        ) from None
    if pages < 1:
        raise LetterRefused(_("The PDF has no pages."))
    if scripted:
        raise LetterRefused(
            _(
                "The PDF contains JavaScript, which we do not accept in a letter. Print the "
                "letter to a new PDF (which leaves scripts out) and upload that."
            )
        )
    return pages


def _carries_script(root: PdfObject) -> bool:
    """Whether any object reachable from the trailer names JavaScript (an action's /JS, the
    /JavaScript name tree, an /S /JavaScript action), in object streams too."""
    seen: set[tuple[int, int]] = set()
    pending: list[PdfObject] = [root]
    while pending:
        item = pending.pop()
        if isinstance(item, IndirectObject):
            key = (item.idnum, item.generation)
            if key in seen:
                continue
            seen.add(key)
            resolved = item.get_object()
            if resolved is not None:
                pending.append(resolved)
        elif isinstance(item, DictionaryObject):  # streams too: their dictionary, not their data
            if any(str(name) in _SCRIPT_NAMES for name in item):
                return True
            pending.extend(item.values())
        elif isinstance(item, ArrayObject):
            pending.extend(item)
        elif isinstance(item, NameObject) and str(item) in _SCRIPT_NAMES:
            return True
    return False


def upload_letter(
    meeting: Meeting,
    delegation: Delegation,
    data: bytes,
    uploaded_as: str | None,
    uploader: User | None,
) -> tuple[NominationLetter, bool]:
    """Keep the checked letter (check_letter first) for the delegation: its file, once, and
    its row; the row and whether it is new (False: this delegation has this letter already,
    whose file is written again if it went missing). uploads.StoreNotWritable if the folder
    refuses it."""
    if delegation.meeting_id != meeting.id:
        raise LetterRefused(_("This organisation is not one of the meeting's."))
    sha256 = uploads.store(KIND, data, SUFFIX)
    # Uploads of one meeting take turns: the same letter sent twice at once is one row.
    lock_meeting(meeting)
    existing = find_letter(delegation, sha256)
    if existing is not None:
        return existing, False
    letter = NominationLetter(
        delegation=delegation,
        sha256=sha256,
        filename=uploads.display_name(uploaded_as, _("letter of nomination.pdf")),
        size=len(data),
        uploaded_by=uploader,
    )
    db.session.add(letter)
    audit.log(
        "delegation.letter_uploaded",
        meeting=meeting,
        target=letter.filename,
        details={"organisation": delegation.ref, "sha256": sha256, "size": len(data)},
        actor=uploader,
    )
    db.session.flush()
    return letter, True
