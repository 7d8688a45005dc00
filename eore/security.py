"""Security on every page: CSRF tokens on forms, a strict Content Security Policy and friends."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask_wtf.csrf import CSRFProtect

# Nothing is fetched from outside the box and no inline script ever runs.
CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self'",
        "media-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    )
)


def local_page(target: str | None) -> str | None:
    """Return ``target`` if it is a page of this box, never another site; else None.

    For addresses to go back to after signing in or choosing a text size.
    """
    if not target or not target.startswith("/") or "\\" in target:
        return None
    # Browsers drop tabs and newlines from addresses: "/\t/evil" would become "//evil".
    if any(ord(character) < 32 or ord(character) == 127 for character in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    return target


HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(self)",
    "Cross-Origin-Opener-Policy": "same-origin",
}


csrf = CSRFProtect()


def init_app(app) -> None:
    """Protect every form against cross-site requests; add the security headers."""
    csrf.init_app(app)

    @app.after_request
    def add_security_headers(response):
        for name, value in HEADERS.items():
            response.headers.setdefault(name, value)
        return response
