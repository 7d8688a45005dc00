"""Render once the pages that are the same for every participant.

A lesson, the lesson list, the curriculum or the home page depends only on its
address: the content pack is read once at start and never changes while the
server runs. Rendering such a page takes most of a request's time, and a class
of 30 phones opens the same lesson within seconds, so the page is rendered for
the first phone and its gzip kept for the others (phones on the box's Wi-Fi all
accept gzip).

A page is kept only when rendering it read nothing of the visitor: not the
session cookie, not a form token, and set no cookie of its own. Anything else
is rendered for each request as before. The cache holds at most
``MAX_BYTES`` of compressed pages, dropping the least recently used first.
"""

from __future__ import annotations

import functools
import gzip
import threading
from collections import OrderedDict
from dataclasses import dataclass

from flask import Response, current_app, request
from flask.globals import request_ctx

from .compression import MINIMUM_SIZE
from .display import current_display, display_classes

MAX_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True)
class Page:
    """A rendered page, compressed, with what its response needs."""

    gzipped: bytes
    mimetype: str


class PageCache:
    """Compressed pages by address, least recently used dropped first; safe across threads."""

    def __init__(self, max_bytes: int = MAX_BYTES):
        self.max_bytes = max_bytes
        self.bytes = 0
        self._pages: OrderedDict[tuple, Page] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple) -> Page | None:
        """Return the page kept for ``key``, or None."""
        with self._lock:
            page = self._pages.get(key)
            if page is not None:
                self._pages.move_to_end(key)
            return page

    def put(self, key: tuple, page: Page) -> None:
        """Keep ``page`` for ``key``, dropping the oldest pages beyond the size limit."""
        if len(page.gzipped) > self.max_bytes:
            return
        with self._lock:
            old = self._pages.pop(key, None)
            if old is not None:
                self.bytes -= len(old.gzipped)
            self._pages[key] = page
            self.bytes += len(page.gzipped)
            while self.bytes > self.max_bytes:
                _key, dropped = self._pages.popitem(last=False)
                self.bytes -= len(dropped.gzipped)

    def __len__(self) -> int:
        return len(self._pages)


def init_app(app) -> None:
    """Give the app an empty page cache."""
    app.extensions.setdefault("eore", {})["pages"] = PageCache()


def same_for_everyone(view):
    """Serve the view's page from the cache when it is kept; keep it when it may be."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        cache: PageCache = current_app.extensions["eore"]["pages"]
        # The text size and contrast chosen change the page's <html> classes.
        key = (request.host, request.full_path, display_classes(current_display()))
        page = cache.get(key)
        if page is None:
            response = current_app.make_response(view(*args, **kwargs))
            page = _keepable(response)
            if page is None:
                return response
            cache.put(key, page)
        return _respond(page)

    return wrapper


def _keepable(response: Response) -> Page | None:
    """Return the response as a Page, or None when it must not be shown to anyone else."""
    if (
        response.status_code != 200
        or response.direct_passthrough
        or _session_was_used()
        or response.mimetype != "text/html"
        # Only the body and its type are kept: a page with headers of its own
        # (a cookie, a cache rule, an encoding) is rendered every time.
        or set(response.headers.keys()) - {"Content-Type", "Content-Length"}
    ):
        return None
    body = response.get_data()
    if len(body) < MINIMUM_SIZE:
        return None
    return Page(gzip.compress(body, compresslevel=6, mtime=0), response.mimetype)


def _session_was_used() -> bool:
    """Return whether the request read or wrote the session cookie, without reading it."""
    context = request_ctx._get_current_object()
    # Flask 3.1.3 and later mark any use of the session on the context's own copy
    # (reading ``flask.session`` here would mark it too); older ones on the session.
    opened = getattr(context, "_session", None)
    return (context.session if opened is None else opened).accessed


def _respond(page: Page) -> Response:
    if request.accept_encodings["gzip"] > 0:
        response = Response(page.gzipped, mimetype=page.mimetype)
        response.headers["Content-Encoding"] = "gzip"
    else:
        response = Response(gzip.decompress(page.gzipped), mimetype=page.mimetype)
    response.vary.add("Accept-Encoding")
    return response
