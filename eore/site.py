"""Pages outside any locale: the front door, the health check and errors."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from flask import Blueprint, current_app, g, jsonify, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from . import store
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


# What a person is told when the box could not save: a heading, and whom to tell.
STORAGE_FAILURES = {
    "full": (
        _l("Not saved: the box's storage is full"),
        _l(
            "Tell your facilitator that the box's storage is full. "
            "It cannot save anything until space is made."
        ),
    ),
    "read_only": (
        _l("Not saved: the box cannot write to its storage"),
        _l(
            "Tell your facilitator that the box cannot write to its memory card. "
            "The card may be damaged."
        ),
    ),
    "busy": (
        _l("Not saved: the box is busy"),
        _l("Many people are sending at the same time. Please wait a moment and send again."),
    ),
    "damaged": (
        _l("Not saved: the box's storage has a problem"),
        _l("Tell your facilitator that the box could not save. Its memory card may be damaged."),
    ),
}


def storage_failure(error: Exception) -> tuple | None:
    """Log a failure of the box's storage in one line and return what to tell the person.

    Returns None when ``error`` is not the storage failing (a program's fault).
    """
    if isinstance(error, sqlite3.DatabaseError):
        problem = store.storage_problem(error)
    elif isinstance(error, OSError):
        problem = {errno.ENOSPC: "full", errno.EDQUOT: "full", errno.EROFS: "read_only"}.get(
            error.errno
        )
    else:
        problem = None
    if problem is None:
        return None
    if problem == "damaged" and store.nearly_full(Path(current_app.config["DATABASE"]).parent):
        # A full card often reaches SQLite as an I/O error while growing its journal.
        problem = "full"
    # One line for the operator (journalctl -u eore), never a stack trace.
    current_app.logger.error(
        "could not save (%s) on %s %s: %s",
        problem.replace("_", "-"),
        request.method,
        request.path,
        error,
    )
    return STORAGE_FAILURES[problem]


def storage_message(failure: tuple) -> str:
    """Return a storage failure as one message for a form: its heading, then whom to tell."""
    heading, advice = failure
    return f"{heading}. {advice}"


@bp.app_errorhandler(sqlite3.DatabaseError)
@bp.app_errorhandler(OSError)
def storage_error(error):
    """Say in plain words that the box could not save, instead of a stack trace."""
    failure = storage_failure(error)
    if failure is None:
        raise error
    response, status = _error_page(503, failure=failure)
    return response, status, {"Retry-After": "60", "Cache-Control": "no-store"}


def _error_page(status: int, **values):
    if "locale" not in g:
        # A URL that matched no page may still start with a locale: answer in it.
        first = request.path.strip("/").split("/", 1)[0]
        g.locale = first if first in current_library().locales else preferred_locale()
    return render_template("errors/error.html", status=status, **values), status
