"""The wen-meeting/1 interchange format: validate, import, export (used by CLI and API)."""

from .exporter import MeetingNotFound, export_meeting
from .importer import ImportResult, SlugTaken, import_meeting
from .validate import FORMAT, InvalidDocument, Problem, check_document, parse_document

__all__ = [
    "FORMAT",
    "ImportResult",
    "InvalidDocument",
    "MeetingNotFound",
    "Problem",
    "SlugTaken",
    "check_document",
    "export_meeting",
    "import_meeting",
    "parse_document",
]
