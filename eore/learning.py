"""What participants read: the home page, the lesson list and each lesson."""

from __future__ import annotations

import math

from flask import abort, current_app, g, render_template, request
from flask_babel import lazy_gettext as _l

from . import schema
from .assets import media_url
from .content import current_library, in_locale
from .i18n import localized_blueprint
from .pagecache import same_for_everyone
from .render import render_markdown

bp = localized_blueprint("learning", __name__)


@bp.get("/")
@same_for_everyone
def home():
    """Show what the toolkit is and where each audience starts."""
    library = current_library()
    audiences = [(a, schema.AUDIENCES[a]) for a in library.audiences()]
    return render_template("learning/home.html", audiences=audiences)


@bp.get("/lessons/")
@same_for_everyone
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
@same_for_everyone
def lesson(slug):
    """Show one lesson, falling back to the source language with a notice."""
    library = current_library()
    found = library.lessons.get(slug) or abort(404)
    context = lesson_context(found, g.locale)
    narration = context["narration"]
    sound = sum(key.size for key in narration.keys if key) if narration else 0
    return render_template(
        "learning/lesson.html",
        **context,
        has_quiz=slug in library.quizzes,
        has_guide=bool(found.guides),
        # Saved inside the file as base64: a third larger than the recordings.
        sound_kb=f"{math.ceil(sound * 4 / 3 / 1024)} KB" if sound else None,
    )


@bp.get("/lessons/<slug>/pictures", defaults={"step": 0})
@bp.get("/lessons/<slug>/pictures/<int:step>")
@same_for_everyone
def pictures(slug, step):
    """Show the lesson for people who cannot read: one key message a screen, big, with sound.

    Screen 0 gives the title and the whole lesson's narration; then each key
    message with its picture and its own recording; the last screen leads to
    the quiz (whose picture questions need no reading).
    """
    library = current_library()
    found = library.lessons.get(slug) or abort(404)
    context = lesson_context(found, g.locale)
    count = len(context["text"].key_messages)
    if step > count + 1:
        abort(404)
    index = step - 1  # the key message shown, from 0; none on the first and last screens
    on_message = 0 <= index < count
    narration = context["narration"]
    if narration is None:
        sound = None
    else:
        sound = narration.lesson if step == 0 else (narration.keys[index] if on_message else None)
    return render_template(
        "learning/pictures.html",
        **context,
        step=step,
        count=count,
        message=context["text"].key_messages[index] if on_message else None,
        picture=found.picture_for_message(index) if on_message else found.illustrations[0],
        sound=sound,
        has_quiz=slug in library.quizzes,
    )


def lesson_context(lesson, locale: str, render_body=None) -> dict:
    """Return what learning/_lesson.html needs to show ``lesson`` in ``locale``.

    The text falls back to the source language; ``render_body(text)`` makes the
    body's HTML (by default with the box's picture addresses, kept once rendered).
    """
    library = current_library()
    text, fell_back = library.text_of(lesson, locale)
    if render_body is None:
        body = library.rendered(
            (lesson.slug, text.locale),
            lambda: render_markdown(text.body, media_url=_media_url_or_none),
        )
    else:
        body = render_body(text)
    return {
        "lesson": lesson,
        "text": text,
        "body": body,
        "fell_back": fell_back,
        "text_locale": library.locales[text.locale],
        "audience_names": schema.AUDIENCES,
        "contacts": library.contacts,
        "source_locale": library.source_locale,
        # Heard in the language the text is shown in.
        "narration": library.narrations.get((lesson.slug, text.locale)),
        "sign_video": library.sign_videos.get((lesson.slug, text.locale)),
    }


@bp.get("/lessons/<slug>/guide")
@same_for_everyone
def guide(slug):
    """Show how to teach a lesson: time plan, activity, and what to do if someone saw an item."""
    library = current_library()
    found = library.lessons.get(slug) or abort(404)
    teacher_guide, fell_back = library.guide_of(found, g.locale)
    if teacher_guide is None:
        abort(404)
    text, _fell_back = library.text_of(found, g.locale)
    notes = library.rendered(
        ("guide", slug, teacher_guide.locale),
        lambda: render_markdown(teacher_guide.notes, media_url=_media_url_or_none),
    )
    return render_template(
        "learning/guide.html",
        lesson=found,
        text=text,
        guide=teacher_guide,
        notes=notes,
        fell_back=fell_back,
        guide_locale=library.locales[teacher_guide.locale],
        has_quiz=slug in library.quizzes,
        contacts=library.contacts,
        source_locale=library.source_locale,
    )


@bp.get("/curriculum")
@same_for_everyone
def curriculum():
    """List the lessons by age group in teaching order, with their quiz and teacher guide."""
    library = current_library()
    groups = []
    for key, label, wanted in AGE_GROUPS:
        lessons = [
            (lesson, library.text_of(lesson, g.locale)[0])
            for lesson in library.lessons.values()
            if wanted(lesson.audiences)
        ]
        if lessons:
            groups.append((key, label, lessons))
    return render_template("learning/curriculum.html", groups=groups, quizzes=library.quizzes)


@bp.get("/help", endpoint="help")
@same_for_everyone
def help_page():
    """Say how to report, with the pack's contacts, and list services (by kind of help)."""
    library = current_library()
    related = [
        (lesson, library.text_of(lesson, g.locale)[0])
        for slug in HELP_LESSONS
        if (lesson := library.lessons.get(slug)) is not None
    ]
    offered = {service.type for service in library.services}
    chosen = request.args.get("type")
    if chosen is not None and chosen not in offered:
        abort(404)
    return render_template(
        "learning/help.html",
        related=related,
        contacts=library.contacts,
        source_locale=library.source_locale,
        services=library.services,
        shown=[s for s in library.services if chosen is None or s.type == chosen],
        chosen=chosen,
        types=[(code, name) for code, name in schema.SERVICE_TYPES.items() if code in offered],
        type_names=schema.SERVICE_TYPES,
        fields=SERVICE_DETAILS,
        text=lambda texts: in_locale(texts, g.locale, library.source_locale),
    )


SERVICE_DETAILS = (
    ("address", _l("Address")),
    ("area_served", _l("Area served")),
    ("hours", _l("Opening hours")),
    ("cost", _l("Cost")),
    ("eligibility", _l("Who can use it")),
)

# Lessons the help page points to, when the pack has them.
HELP_LESSONS = ("how-to-report", "if-you-find-one", "someone-hurt", "survivor-help")


# School age groups of the curriculum page; a lesson may serve more than one.
AGE_GROUPS = (
    ("children", schema.AUDIENCES["children"], lambda audiences: "children" in audiences),
    ("adolescents", schema.AUDIENCES["adolescents"], lambda audiences: "adolescents" in audiences),
    (
        "adults",
        _l("Adults and communities"),
        lambda audiences: bool(set(audiences) - {"children", "adolescents"}),
    ),
)


def _media_url_or_none(name: str) -> str | None:
    if name in current_app.extensions["eore"]["assets"]["media"]:
        return media_url(name)
    return None
