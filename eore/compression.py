"""Gzip the pages the app renders: every kilobyte is shared Wi-Fi airtime.

Static files are compressed ahead of time (see assets.py); this covers the
HTML and JSON that views return. Phones on the box's plain-HTTP network do
not offer brotli (browsers only use it over HTTPS), so gzip is what counts.
"""

from __future__ import annotations

import gzip

from flask import request

MINIMUM_SIZE = 500
COMPRESSIBLE_TYPES = ("text/html", "application/json", "text/plain", "text/csv")


def init_app(app) -> None:
    """Compress the app's own responses for clients that accept gzip."""

    @app.after_request
    def compress(response):
        accepted = request.accept_encodings["gzip"] > 0
        if (
            not accepted
            or response.direct_passthrough
            or response.status_code < 200
            or response.status_code in (204, 304)
            or "Content-Encoding" in response.headers
            or not response.mimetype.startswith(COMPRESSIBLE_TYPES)
        ):
            return response
        body = response.get_data()
        if len(body) < MINIMUM_SIZE:
            return response
        response.set_data(gzip.compress(body, compresslevel=6, mtime=0))
        response.headers["Content-Encoding"] = "gzip"
        response.vary.add("Accept-Encoding")
        return response
