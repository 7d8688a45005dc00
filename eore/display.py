"""Reading comfort: larger text and high contrast, kept in a cookie, without JavaScript.

Two rows of links at the foot of every page set the text size (normal, large,
larger) and the contrast (normal, high); the choice is kept for a year in a
cookie and applied as classes on ``<html>``. A preference that changes only
how pages look, so plain links do: nothing is stored on the box.
"""

from __future__ import annotations

from urllib.parse import urlencode

from flask import Blueprint, redirect, request, url_for

from .i18n import kept_query
from .security import local_page

DISPLAY_COOKIE = "eore_display"
TEXT_SIZES = ("normal", "large", "larger")
CONTRASTS = ("normal", "high")
ONE_YEAR = 365 * 24 * 3600

bp = Blueprint("display", __name__)


def current_display() -> dict[str, str]:
    """Return the visitor's text size and contrast (the defaults when none was chosen)."""
    words = (request.cookies.get(DISPLAY_COOKIE) or "").split()
    text = words[0] if len(words) == 2 and words[0] in TEXT_SIZES else "normal"
    contrast = words[1] if len(words) == 2 and words[1] in CONTRASTS else "normal"
    return {"text": text, "contrast": contrast}


def display_classes(display: dict[str, str]) -> str:
    return " ".join(
        f"{kind}-{value}"
        for kind, value in (("text", display["text"]), ("contrast", display["contrast"]))
        if value != "normal"
    )


@bp.app_context_processor
def display_context() -> dict:
    """Give every page the visitor's display and a way to link to another one."""
    if not request:
        return {}
    display = current_display()

    def display_url(**change) -> str:
        # Back to this page, with only the query values the box knows (never a stranger's).
        query = kept_query()
        here = request.path + ("?" + urlencode(query) if query else "")
        return url_for("display.choose", **{**display, **change}, next=here)

    return {
        "display": display,
        "display_classes": display_classes(display),
        "display_url": display_url,
    }


@bp.get("/display")
def choose():
    """Keep the chosen text size and contrast, then go back to the page the visitor was on."""
    display = current_display()
    text = request.args.get("text", display["text"])
    contrast = request.args.get("contrast", display["contrast"])
    if text not in TEXT_SIZES or contrast not in CONTRASTS:
        text, contrast = display["text"], display["contrast"]
    target = local_page(request.args.get("next")) or "/"
    response = redirect(target, 303)
    response.set_cookie(
        DISPLAY_COOKIE, f"{text} {contrast}", max_age=ONE_YEAR, samesite="Lax", httponly=True
    )
    response.headers["Cache-Control"] = "no-store"
    return response
