"""Pages outside any locale: the front door, the health check and errors."""

from __future__ import annotations

from flask import Blueprint, g, jsonify, redirect, render_template, request, url_for
from werkzeug.exceptions import HTTPException

from .content import current_library
from .i18n import preferred_locale

bp = Blueprint("site", __name__)


@bp.get("/")
def index():
    """Send the visitor to the home page in their language."""
    response = redirect(url_for("learning.home", locale=preferred_locale()))
    response.vary.update(("Cookie", "Accept-Language"))
    return response


@bp.get("/healthz")
def healthz():
    """Say the box is up, and which content pack it serves."""
    library = current_library()
    return jsonify(status="ok", pack=library.name, version=library.version)


@bp.app_errorhandler(HTTPException)
def http_error(error):
    """Show an error (page not found, too large, ...) in the visitor's language."""
    return _error_page(error.code or 500)


def _error_page(status: int):
    if "locale" not in g:
        # A URL that matched no page may still start with a locale: answer in it.
        first = request.path.strip("/").split("/", 1)[0]
        g.locale = first if first in current_library().locales else preferred_locale()
    return render_template("errors/error.html", status=status), status
