"""Printed materials that lead back to the lessons: posters, leaflets, cards, stickers, SMS.

Every printable page is plain HTML with print CSS (``static/materials.css``):
the browser's Print or Save as PDF gives clean pages. QR codes are drawn
inline as SVG, so a page needs nothing else to print.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from flask import Blueprint, abort, current_app, g, render_template, request, url_for
from flask_babel import gettext as _

from . import qr, sms
from .content import current_library
from .i18n import localized_blueprint

bp = localized_blueprint("materials", __name__)
codes = Blueprint("qr", __name__, url_prefix="/qr")

POSTER_SIZES = ("a4", "a3")
QR_KINDS = ("link", "messages")
# Avery L7160 and its many equivalents: 3 columns of 7 labels, 63.5 x 38.1 mm.
STICKERS_PER_SHEET = 21


@dataclass(frozen=True)
class LessonCode:
    """A lesson's QR code as printed: what it opens and how it looks."""

    url: str
    short_url: str
    svg: str


def lesson_url(locale: str, slug: str) -> str:
    """Return the address a phone on the box's network opens for this lesson."""
    path = url_for("learning.lesson", locale=locale, slug=slug)
    return base_url() + path


def base_url() -> str:
    """Return EORE_BASE_URL, or while it is unset the address this browser used."""
    return current_app.config["BASE_URL"] or request.url_root.rstrip("/")


def short_form(url: str) -> str:
    """Return ``url`` as people type it: without ``http://``."""
    return url.removeprefix("http://")


def lesson_code(locale: str, slug: str) -> LessonCode:
    """Return the QR code of a lesson in a locale (cached: it only depends on settings)."""
    url = lesson_url(locale, slug)
    level = current_app.config["QR_ERROR_CORRECTION"]
    key = ("qr", url, level)
    library = current_library()
    drawing = library.rendered(key, lambda: qr.svg(url, level, title=short_form(url)))
    return LessonCode(url=url, short_url=short_form(url), svg=drawing)


def messages_text(lesson, locale: str) -> str:
    """Return the text a message QR code carries: title, key messages, contacts."""
    library = current_library()
    text, _fell_back = library.text_of(lesson, locale)
    lines = [text.title, ""]
    lines += [f"{number}. {message}" for number, message in enumerate(text.key_messages, 1)]
    if library.contacts:
        lines.append("")
        for contact in library.contacts:
            label = contact.label.get(locale) or contact.label[library.source_locale]
            lines.append(f"{label}: {contact.value}")
    return "\n".join(lines)


def messages_fit(lesson, locale: str) -> bool:
    """Say whether the key messages of ``lesson`` fit a message QR code."""
    return qr.fits(messages_text(lesson, locale), current_app.config["QR_ERROR_CORRECTION"])


def messages_code(lesson, locale: str) -> tuple[str | None, str]:
    """Return the SVG of the message QR code (or None) and, when refused, why."""
    level = current_app.config["QR_ERROR_CORRECTION"]
    text = messages_text(lesson, locale)

    # Drawn for each request (a rarely printed page): ninety cached drawings would cost the Pi
    # more memory than the drawing costs time.
    try:
        drawing = qr.svg(text, level, title=text.split("\n", 1)[0])
    except qr.TooLongForQr as error:
        return None, _(
            "The key messages of this lesson are too long for one QR code that a phone "
            "can read from paper (%(size)d bytes; at most %(capacity)d). Shorten them in the "
            "content pack, or print the code that opens the lesson.",
            size=error.size,
            capacity=error.capacity,
        )
    return drawing, ""


def _lesson_or_404(slug: str):
    return current_library().lessons.get(slug) or abort(404)


def _page_context(lesson) -> dict:
    library = current_library()
    text, fell_back = library.text_of(lesson, g.locale)
    return {
        "lesson": lesson,
        "text": text,
        "fell_back": fell_back,
        "text_locale": library.locales[text.locale],
        "code": lesson_code(g.locale, lesson.slug),
        "contacts": library.contacts,
        "source_locale": library.source_locale,
        "base_url_missing": not current_app.config["BASE_URL"],
    }


@bp.get("/materials/")
def index():
    """List every printable material of every lesson, with a preview."""
    library = current_library()
    items = [(lesson, library.text_of(lesson, g.locale)[0]) for lesson in library.lessons.values()]
    return render_template(
        "materials/index.html",
        items=items,
        base_url_missing=not current_app.config["BASE_URL"],
        example=short_form(base_url()),
    )


@bp.get("/materials/<slug>/poster")
def poster(slug):
    """A poster of the lesson's key messages, A4 or A3 portrait."""
    lesson = _lesson_or_404(slug)
    size = request.args.get("size", "a4")
    kind = request.args.get("qr", "link")
    if size not in POSTER_SIZES or kind not in QR_KINDS:
        abort(404)
    context = _page_context(lesson)
    message_svg, refusal = messages_code(lesson, g.locale) if kind == "messages" else (None, "")
    return render_template(
        "materials/poster.html",
        size=size,
        kind=kind,
        message_svg=message_svg,
        refusal=refusal,
        **context,
    )


@bp.get("/materials/<slug>/leaflet")
def leaflet(slug):
    """An A5 leaflet, two sides: the messages, then the pictures, contacts and code."""
    lesson = _lesson_or_404(slug)
    return render_template("materials/leaflet.html", **_page_context(lesson))


@bp.get("/materials/<slug>/cards")
def cards(slug):
    """Flashcards for facilitators: a picture on the front, message and talking points behind."""
    lesson = _lesson_or_404(slug)
    library = current_library()
    context = _page_context(lesson)
    text = context["text"]
    teacher_guide, _fell_back = library.guide_of(lesson, g.locale)
    questions = list(teacher_guide.discussion) if teacher_guide else []
    pictures = lesson.illustrations
    items = []
    for index, message in enumerate(text.key_messages):
        picture = pictures[index % len(pictures)]
        items.append(
            {
                "number": index + 1,
                "message": message,
                "picture": picture,
                "alt": text.alt[picture.id],
                "question": questions[index] if index < len(questions) else None,
            }
        )
    # Four cards a sheet; the backs are mirrored so that they fall behind
    # their fronts when the sheet is printed on both sides (long edge).
    sheets = [items[start : start + 4] for start in range(0, len(items), 4)]
    return render_template("materials/cards.html", sheets=sheets, **context)


@bp.get("/materials/stickers")
def stickers():
    """A sheet of small QR stickers: one per lesson, or a whole sheet of one lesson."""
    library = current_library()
    chosen = request.args.get("lesson")
    if chosen is not None:
        lessons = [_lesson_or_404(chosen)] * STICKERS_PER_SHEET
    else:
        lessons = list(library.lessons.values())
    items = [
        (library.text_of(lesson, g.locale)[0], lesson_code(g.locale, lesson.slug))
        for lesson in lessons
    ]
    sheets = [
        items[start : start + STICKERS_PER_SHEET]
        for start in range(0, len(items), STICKERS_PER_SHEET)
    ]
    return render_template(
        "materials/stickers.html",
        sheets=sheets,
        chosen=chosen,
        base_url_missing=not current_app.config["BASE_URL"],
    )


def sms_rows(locale: str) -> list[dict]:
    """Return every key message of every lesson in ``locale`` with its SMS count."""
    library = current_library()
    rows = []
    for lesson in library.lessons.values():
        text, fell_back = library.text_of(lesson, locale)
        for number, message in enumerate(text.key_messages, 1):
            rows.append(
                {
                    "lesson": lesson.slug,
                    "title": text.title,
                    "locale": text.locale,
                    "fell_back": fell_back,
                    "number": number,
                    "message": message,
                    "count": sms.count(message),
                }
            )
    return rows


def sms_csv(rows: list[dict]) -> str:
    """Return the SMS kit as CSV for an SMS gateway (UTF-8, one message a row)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["lesson", "number", "locale", "message", "encoding", "characters", "segments"])
    for row in rows:
        count = row["count"]
        writer.writerow(
            [
                row["lesson"],
                row["number"],
                row["locale"],
                row["message"],
                count.encoding,
                count.units,
                count.segments,
            ]
        )
    return out.getvalue()


@bp.get("/materials/sms")
def sms_kit():
    """Each lesson's key messages with their SMS parts, for a campaign."""
    rows = sms_rows(g.locale)
    return render_template(
        "materials/sms.html",
        rows=rows,
        long_ones=sum(not row["count"].single for row in rows),
    )


@bp.get("/materials/sms.csv")
def sms_kit_csv():
    """The SMS kit as a CSV file ready for an SMS gateway."""
    body = "\ufeff" + sms_csv(sms_rows(g.locale))
    return current_app.response_class(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="sms-{g.locale}.csv"'},
    )


def _svg_response(drawing: str):
    response = current_app.response_class(drawing, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = "default-src 'none'"
    return response


@codes.get("/<locale>/lessons/<slug>.svg")
def lesson_qr(locale, slug):
    """The QR code that opens a lesson in a locale, as SVG."""
    if locale not in current_library().locales:
        abort(404)
    g.locale = locale
    _lesson_or_404(slug)
    return _svg_response(lesson_code(locale, slug).svg)


@codes.get("/<locale>/lessons/<slug>/messages.svg")
def messages_qr(locale, slug):
    """A QR code carrying the key messages as text; refused clearly when too long."""
    if locale not in current_library().locales:
        abort(404)
    g.locale = locale
    lesson = _lesson_or_404(slug)
    drawing, refusal = messages_code(lesson, locale)
    if drawing is None:
        return current_app.response_class(refusal, status=422, mimetype="text/plain")
    return _svg_response(drawing)
