"""Rendered public pages, kept while the meeting's content stays the same.

Public pages are read far more than meetings change. A page is keyed by the meeting's
content_version (raised by every change, see models/content.py), the page and the language,
so a change is never served stale, and several workers agree without talking to each other.
Only anonymous visits without pending messages are served from it: nothing personal is cached.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

from flask import Response, make_response, request, session
from flask_login import current_user

from ..models import Meeting

MAX_PAGES = 512


class PageCache:
    def __init__(self, max_pages: int = MAX_PAGES):
        self._pages: OrderedDict[tuple[object, ...], tuple[str, str]] = OrderedDict()
        self._lock = threading.Lock()
        self.max_pages = max_pages
        self.renders = 0  # how many pages were rendered rather than served: for tests and bench

    def get(self, key: tuple[object, ...], render: Callable[[], str]) -> tuple[str, str]:
        with self._lock:
            if key in self._pages:
                self._pages.move_to_end(key)
                return self._pages[key]
        html = render()
        etag = hashlib.sha256(repr(key).encode() + html.encode()).hexdigest()[:32]
        with self._lock:
            self.renders += 1
            self._pages[key] = (html, etag)
            while len(self._pages) > self.max_pages:
                self._pages.popitem(last=False)
        return html, etag

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()


pages = PageCache()


def _cacheable() -> bool:
    return (
        not current_user.is_authenticated
        and not session.get("_flashes")
        and set(request.args) <= {"lang"}
    )


def serve(meeting: Meeting, page: str, locale: str, render: Callable[[], str]) -> Response:
    """The page, from the cache when it may be, with an ETag for revalidation."""
    if not _cacheable():
        return make_response(render())
    # created_at too: an id can be reused after a deletion (SQLite), a creation time cannot.
    key = (meeting.id, meeting.created_at, meeting.content_version, page, locale)
    html, etag = pages.get(key, render)
    response = make_response(html)
    response.set_etag(etag)
    response.headers["Cache-Control"] = "no-cache"
    return response.make_conditional(request)
