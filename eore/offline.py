"""Lessons that stay on the phone: self-contained downloads and a zip of the pack.

On the box's plain ``http://`` network no service worker can keep a page, so
the dependable way to take a lesson home is a file. Each lesson becomes one
HTML file with its stylesheet, pictures and quiz inside: it opens from the
phone's Downloads folder or from a message, asks nothing of the network, and
allows only its own style and script (a Content Security Policy by hash).
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import sqlite3
import zipfile
from dataclasses import replace
from urllib.parse import quote

from flask import abort, current_app, g, render_template, request
from flask_babel import gettext as _
from markupsafe import Markup

from . import store
from .assets import STATIC_ROOT
from .content import current_library
from .export import static_export
from .i18n import localized_blueprint
from .learning import lesson_context
from .quizzes import QuizPage
from .recordings import Narration
from .render import render_markdown

bp = localized_blueprint("offline", __name__)
# Templates leave out what only the box can do when a page is written for a static site.
bp.add_app_template_global(static_export, "static_export")

# Characters a phone's file system or a messaging app may refuse in a file name.
UNSAFE_NAME_RE = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]+')
LINK_RE = re.compile(r'<a href="([^"]*)">(.*?)</a>', re.DOTALL)
LESSON_LINK_RE = re.compile(r"^/([A-Za-z-]+)/lessons/([a-z0-9-]+)/?$")


@bp.get("/lessons/<slug>/download")
def download(slug):
    """Send the lesson as one self-contained HTML file, to keep on the phone."""
    library = current_library()
    lesson = library.lessons.get(slug) or abort(404)
    text, _fell_back = library.text_of(lesson, g.locale)
    with_sound = request.args.get("sound") == "with"
    if request.args.get("sound") not in (None, "with") or (
        with_sound and not _key_sounds(library, slug, text.locale)
    ):
        abort(404)
    # Rendered each time (a few milliseconds): ninety files kept in memory would cost the Pi.
    response = current_app.response_class(
        lesson_file(slug, with_sound=with_sound), mimetype="text/html"
    )
    if request.method == "GET" and not static_export():  # a phone saved it
        try:
            store.count_lesson_download(store.get_db(), slug, g.locale)
        except sqlite3.Error as error:  # a count is never worth refusing the lesson
            current_app.logger.warning("lesson save not counted: %s", error)
    suffix = "-sound" if with_sound else ""
    title = _("%(title)s (with sound)", title=text.title) if with_sound else text.title
    response.headers["Content-Disposition"] = attachment(
        title, fallback=f"{slug}-{g.locale}{suffix}.html"
    )
    return response


def _key_sounds(library, slug: str, locale: str) -> Narration | None:
    """Return the narration of the key messages alone (the file's sound), or None."""
    narration = library.narrations.get((slug, locale))
    if narration is None or not any(narration.keys):
        return None
    return replace(narration, lesson=None)


@bp.get("/download/pack.zip")
def pack():
    """Send every lesson of this language as files, with an index page, in one zip."""
    data = current_library().rendered(("pack.zip", g.locale), lambda: pack_zip(g.locale))
    response = current_app.response_class(data, mimetype="application/zip")
    response.headers["Content-Disposition"] = attachment(
        None, fallback=f"{pack_folder(g.locale)}.zip"
    )
    return response


def attachment(title: str | None, *, fallback: str) -> str:
    """Return a Content-Disposition that saves the file under a readable name.

    ``filename`` is plain ASCII for old phones; ``filename*`` carries the title
    in the page's own script for the browsers that read it (RFC 6266).
    """
    header = f'attachment; filename="{fallback}"'
    name = " ".join(UNSAFE_NAME_RE.sub(" ", title or "").split())[:80].strip(" .")
    if name:
        header += f"; filename*=UTF-8''{quote(name + '.html', safe='')}"
    return header


def pack_folder(locale: str) -> str:
    """Return the folder name the pack unzips into."""
    return f"stay-safe-{locale}"


def lesson_file(slug: str, *, in_pack: bool = False, with_sound: bool = False) -> str:
    """Return the lesson ``slug`` in the request's locale as one self-contained page.

    In a pack, links to other lessons open their files beside it; alone, a link
    to the box cannot work away from it, so only its words are kept.
    """
    library = current_library()

    def body(text) -> Markup:
        html = str(render_markdown(text.body, media_url=_inline_media_or_none))
        return Markup(LINK_RE.sub(lambda m: _relink(m, in_pack), html))

    context = lesson_context(library.lessons[slug], g.locale, render_body=body)
    text = context["text"]
    quiz = library.quizzes.get(slug)
    asked = []
    hide_scores = library.hide_scores
    if quiz is not None:
        quiz_page = QuizPage(
            kind="lesson",
            subject=slug,
            title=text.title,
            questions=quiz.questions,
            hide_scores=library.hide_scores or quiz.hide_scores,
            instant=True,
        )
        hide_scores = quiz_page.hide_scores
        # A fixed shuffle: the right answer is not always first, and the file never changes.
        asked = quiz_page.asked(attempt_id=f"download/{slug}/{g.locale}")
    # A sign-language video is far too large for a file passed from phone to phone.
    context["sign_video"] = None
    if with_sound:
        # Only the key messages: each short, together a few hundred kilobytes.
        context["narration"] = _key_sounds(library, slug, text.locale)
    return _self_contained(
        "offline/lesson.html",
        **context,
        asked=asked,
        page={"hide_scores": hide_scores},
        in_pack=in_pack,
        audio_src=inline_sound if with_sound else None,
    )


def pack_zip(locale: str) -> bytes:
    """Return the zip of every lesson of ``locale`` with an ``index.html`` linking them."""
    library = current_library()
    folder = pack_folder(locale)
    items = [(lesson, library.text_of(lesson, locale)[0]) for lesson in library.lessons.values()]
    index = _self_contained("offline/index.html", items=items)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr(f"{folder}/index.html", index)
        for slug in library.lessons:
            archive.writestr(f"{folder}/{slug}.html", lesson_file(slug, in_pack=True))
    return buffer.getvalue()


def _self_contained(template: str, audio_src=None, **context) -> str:
    """Render ``template`` with the stylesheet and script inside, allowed by their hashes.

    With ``audio_src``, the sound it puts inside the page may play too.
    """
    style = _static_text("eore.css")
    script = _static_text("quiz.js")
    policy = "; ".join(
        (
            "default-src 'none'",
            "img-src data:",
            *(["media-src data:"] if audio_src else []),
            f"style-src '{_csp_hash(style)}'",
            f"script-src '{_csp_hash(script)}'",
            "base-uri 'none'",
            "form-action 'none'",
        )
    )
    library = current_library()
    return render_template(
        template,
        style=Markup(style),
        script=Markup(script),
        policy=policy,
        picture_src=inline_media,
        audio_src=audio_src,
        pack_name=library.name,
        pack_version=library.version,
        **context,
    )


def _static_text(name: str) -> str:
    # "</" could end the <style> or <script> element early: our files never hold it.
    text = (STATIC_ROOT / name).read_text(encoding="utf-8")
    if "</" in text:
        raise ValueError(f"static/{name} holds '</' and cannot be put inside a page")
    return text


def _csp_hash(text: str) -> str:
    digest = hashlib.sha256(text.encode("utf-8")).digest()
    return "sha256-" + base64.b64encode(digest).decode("ascii")


def inline_media(name: str) -> str:
    """Return the pack picture ``name`` as a data: URL (an SVG as text, it zips smaller)."""
    library = current_library()
    return library.rendered(("inline", name), lambda: _data_url(library.root / "media" / name))


def inline_sound(name: str) -> str:
    """Return the pack recording ``name`` as a data: URL (not kept: sound is large)."""
    return _data_url(current_library().root / "media" / name)


def _inline_media_or_none(name: str) -> str | None:
    # Only files of the pack's media folder, as the lesson page: never "../" or an absolute path.
    if name in current_app.extensions["eore"]["assets"]["media"]:
        return inline_media(name)
    return None


def _data_url(path) -> str:
    content = path.read_bytes()
    if path.suffix.lower() == ".svg":
        text = " ".join(content.decode("utf-8").split())
        return "data:image/svg+xml," + quote(text, safe=" /=:;,'()-._~!$*+@?&")
    kind = {
        ".png": "image/png",
        ".jpg": "image/jpeg",
        ".jpeg": "image/jpeg",
        ".mp3": "audio/mpeg",
    }.get(path.suffix.lower(), "application/octet-stream")
    return f"data:{kind};base64," + base64.b64encode(content).decode("ascii")


def _relink(match: re.Match, in_pack: bool) -> str:
    """Point a lesson's link at the file beside it in a pack; otherwise keep only its words."""
    href, words = match.group(1), match.group(2)
    if href.startswith(("tel:", "sms:", "mailto:", "#")):
        return match.group(0)
    found = LESSON_LINK_RE.match(href)
    if in_pack and found and found.group(2) in current_library().lessons:
        return f'<a href="{found.group(2)}.html">{words}</a>'
    return f"<span>{words}</span>"
