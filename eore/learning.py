"""What participants read: the home page, the lesson list and each lesson."""

from __future__ import annotations

from flask import abort, current_app, g, render_template, request

from . import schema
from .assets import media_url
from .content import current_library
from .i18n import localized_blueprint
from .render import render_markdown

bp = localized_blueprint("learning", __name__)


@bp.get("/")
def home():
    """Show what the toolkit is and where each audience starts."""
    library = current_library()
    audiences = [(a, schema.AUDIENCES[a]) for a in library.audiences()]
    return render_template("learning/home.html", audiences=audiences)


@bp.get("/lessons/")
def lessons():
    """List the lessons, optionally for one audience."""
    library = current_library()
    audience = request.args.get("audience")
    if audience is not None and audience not in schema.AUDIENCES:
        abort(404)
    items = [
        (lesson, library.text_of(lesson, g.locale)[0]) for lesson in library.lessons_for(audience)
    ]
    audiences = [(a, schema.AUDIENCES[a]) for a in library.audiences()]
    return render_template(
        "learning/lessons.html",
        items=items,
        audience=audience,
        audiences=audiences,
    )


@bp.get("/lessons/<slug>")
def lesson(slug):
    """Show one lesson, falling back to the source language with a notice."""
    library = current_library()
    found = library.lessons.get(slug) or abort(404)
    text, fell_back = library.text_of(found, g.locale)
    body = library.rendered(
        (slug, text.locale), lambda: render_markdown(text.body, media_url=_media_url_or_none)
    )
    return render_template(
        "learning/lesson.html",
        lesson=found,
        text=text,
        body=body,
        fell_back=fell_back,
        text_locale=library.locales[text.locale],
        audience_names=schema.AUDIENCES,
        contacts=library.contacts,
        source_locale=library.source_locale,
        has_quiz=slug in library.quizzes,
    )


def _media_url_or_none(name: str) -> str | None:
    if name in current_app.extensions["eore"]["assets"]["media"]:
        return media_url(name)
    return None
