"""Rendered public pages and exports, kept while the meeting's content stays the same.

Public pages, calendars and schedules are read far more than meetings change. Each is keyed by
the meeting's content_version (raised by every change the public could see, see
models/content.py), its name and its language, so a change is never served stale, and several
workers agree without talking to each other. Pages are served from it only to anonymous visits
without pending messages: nothing personal is cached.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable

from flask import Response, make_response, request, session
from flask_login import current_user

from .models import Meeting

MAX_PAGES = 512
# A printable agenda can weigh a megabyte: the cache is bounded by size as well as by count.
MAX_BYTES = 64 * 1024 * 1024


class PageCache:
    def __init__(self, max_pages: int = MAX_PAGES, max_bytes: int = MAX_BYTES):
        self._pages: OrderedDict[tuple[object, ...], tuple[bytes, str]] = OrderedDict()
        self._lock = threading.Lock()
        self.max_pages = max_pages
        self.max_bytes = max_bytes
        self._bytes = 0
        self.renders = 0  # how many pages were rendered rather than served: for tests and bench

    def get(self, key: tuple[object, ...], render: Callable[[], str | bytes]) -> tuple[bytes, str]:
        with self._lock:
            if key in self._pages:
                self._pages.move_to_end(key)
                return self._pages[key]
        rendered = render()
        body = rendered.encode() if isinstance(rendered, str) else rendered
        # From the bytes alone: a new version that renders the same keeps its ETag.
        etag = hashlib.sha256(body).hexdigest()[:32]
        with self._lock:
            self.renders += 1
            if key not in self._pages:
                self._pages[key] = (body, etag)
                self._bytes += len(body)
            while len(self._pages) > self.max_pages or self._bytes > self.max_bytes:
                _, (old, _) = self._pages.popitem(last=False)
                self._bytes -= len(old)
        return body, etag

    def clear(self) -> None:
        with self._lock:
            self._pages.clear()
            self._bytes = 0


pages = PageCache()


def _cacheable() -> bool:
    return (
        not current_user.is_authenticated
        and not session.get("_flashes")
        and set(request.args) <= {"lang"}
    )


def serve(meeting: Meeting, page: str, locale: str, render: Callable[[], str]) -> Response:
    """A public page, from the cache when it may be, with an ETag for revalidation."""
    if not _cacheable():
        return make_response(render())
    return cached_response(meeting, page, locale, render, mimetype="text/html")


def cached_response(
    meeting: Meeting,
    name: str,
    variant: str,
    render: Callable[[], str | bytes],
    *,
    mimetype: str,
) -> Response:
    """What `render` makes of the meeting as it stands, rendered once per change of it."""
    # created_at too: an id can be reused after a deletion (SQLite), a creation time cannot.
    key = (meeting.id, meeting.created_at, meeting.content_version, name, variant)
    body, etag = pages.get(key, render)
    response = Response(body, mimetype=mimetype)
    response.set_etag(etag)
    # Anyone may keep a copy, but must ask again each time: a 304 costs one query.
    response.cache_control.public = True
    response.cache_control.no_cache = True
    response.make_conditional(request)  # in place: a matching If-None-Match becomes a 304
    return response
