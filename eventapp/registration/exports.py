"""The desk's registrations as CSV and XLSX: one row each, filtered as the desk is.

Spreadsheets run a cell that begins with =, +, -, @ (and, in some, a tab or a carriage return)
as a formula. The CSV prefixes such a value with a single quote, which spreadsheets show as text;
the XLSX writes every value as a string cell (XlsxWriter's write_string), which no spreadsheet
evaluates. The CSV starts with a byte-order mark, without which Excel reads UTF-8 as the local
code page.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from datetime import datetime

import xlsxwriter
from flask_babel import gettext as _

from ..extensions import db
from ..models import (
    Delegation,
    Meeting,
    OrganisationKind,
    Participant,
    ParticipantRole,
    RegistrationStatus,
)
from ..vocabulary import label
from .desk import DeskQuery, matching_rows

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# XML 1.0 has no place for most control characters: they are dropped from the XLSX.
_ILLEGAL_IN_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _headings(meeting: Meeting) -> list[str]:
    return [
        _("Reference"),
        _("Title"),
        _("Given name"),
        _("Family name"),
        _("E-mail address"),
        _("Organisation"),
        _("Organisation reference"),
        _("Kind of organisation"),
        _("Country"),
        _("Position"),
        _("Role"),
        _("Status"),
        _("Asked for travel support"),
        _("Travel support granted"),
        _("Travel support note"),
        _("Visa letter"),
        _("Dietary requirements"),
        _("Accessibility needs"),
        _("Listed"),
        _("Language"),
        _("Registered (%(zone)s)", zone=meeting.timezone),
        _("Checked in (%(zone)s)", zone=meeting.timezone),
    ]


COLUMNS = (
    Participant.ref,
    Participant.honorific,
    Participant.given_name,
    Participant.family_name,
    Participant.email,
    Delegation.name,
    Delegation.acronym,
    Delegation.ref,
    Delegation.kind,
    Delegation.country,
    Participant.position,
    Participant.role,
    Participant.status,
    Participant.travel_support_requested,
    Participant.funded,
    Participant.travel_support_note,
    Participant.needs_visa_letter,
    Participant.dietary,
    Participant.accessibility,
    Participant.list_consent,
    Participant.language,
    Participant.registered_at,
    Participant.checked_in_at,
)


def rows(meeting: Meeting, query: DeskQuery) -> Iterator[list[str]]:
    """The headings, then each matching registration, in the desk's order.

    Plain rows, not ORM objects, and each translated word looked up once: an export of
    thousands of registrations is mostly this loop.
    """
    yield _headings(meeting)
    words: dict[object, str] = {None: "", True: _("yes"), False: _("no")}
    kinds = {kind: label(kind) for kind in OrganisationKind}
    roles = {role: label(role) for role in ParticipantRole}
    statuses = {status: label(status) for status in RegistrationStatus}
    zone = meeting.zone

    def when(value: datetime | None) -> str:
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M") if value else ""

    for row in db.session.execute(matching_rows(meeting, query, *COLUMNS)):
        (ref, honorific, given, family, email, name, acronym, org_ref, kind, country) = row[:10]
        yield [
            ref,
            honorific or "",
            given,
            family,
            email,
            f"{name} ({acronym})" if acronym else name,
            org_ref,
            kinds[kind],
            country or "",
            row.position or "",
            roles[row.role],
            statuses[row.status],
            words[row.travel_support_requested],
            words[row.funded],
            row.travel_support_note or "",
            words[row.needs_visa_letter],
            row.dietary or "",
            row.accessibility or "",
            words[row.list_consent],
            row.language or "",
            when(row.registered_at),
            when(row.checked_in_at),
        ]


def inert(value: str) -> str:
    """A CSV value no spreadsheet runs as a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_document(lines: Iterable[list[str]]) -> bytes:
    """Rows as a CSV file a spreadsheet opens safely: UTF-8 with a byte-order mark, and no
    value run as a formula. The desk's export and the action tracker's write through it."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    for row in lines:
        writer.writerow([inert(value) for value in row])
    return out.getvalue().encode("utf-8")


def csv_bytes(meeting: Meeting, query: DeskQuery) -> bytes:
    return csv_document(rows(meeting, query))


def xlsx_bytes(meeting: Meeting, query: DeskQuery) -> bytes:
    out = io.BytesIO()
    # In memory: the book is built and sent whole; no temporary files on the server.
    book = xlsxwriter.Workbook(out, {"in_memory": True, "strings_to_formulas": False})
    sheet = book.add_worksheet(_("Registrations")[:31])
    bold = book.add_format({"bold": True})
    for y, row in enumerate(rows(meeting, query)):
        for x, value in enumerate(row):
            if value:
                # write_string: text, even when it looks like a formula, a number or a URL.
                sheet.write_string(y, x, _ILLEGAL_IN_XML.sub("", value), bold if y == 0 else None)
    sheet.freeze_panes(1, 0)
    book.close()
    return out.getvalue()
