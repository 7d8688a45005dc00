"""Pages outside any locale: the front door, the health check and errors."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, redirect, render_template, url_for

from .content import current_library
from .i18n import preferred_locale

bp = Blueprint("site", __name__)


@bp.get("/")
def index():
    """Send the visitor to the home page in their language."""
    return redirect(url_for("learning.home", locale=preferred_locale()))


@bp.get("/healthz")
def healthz():
    """Say the box is up, and which content pack it serves."""
    library = current_library()
    return jsonify(status="ok", pack=library.name, version=library.version)


@bp.app_errorhandler(404)
def not_found(error):
    """Show a page-not-found message in the visitor's language."""
    return _error_page(404)


@bp.app_errorhandler(405)
def method_not_allowed(error):
    """Refuse an unexpected method politely."""
    return _error_page(405)


@bp.app_errorhandler(413)
def too_large(error):
    """Refuse an oversized request politely."""
    return _error_page(413)


@bp.app_errorhandler(500)
def server_error(error):
    """Apologise without showing any internals."""
    return _error_page(500)


def _error_page(status: int):
    if "locale" not in g:
        g.locale = preferred_locale()
    return render_template("errors/error.html", status=status), status
