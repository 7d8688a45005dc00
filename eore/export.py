"""``eore export static``: the learner's site as files any web server or CDN can host.

Every language's home, lesson list, lessons, quizzes (checked in the page,
nothing sent), teacher guides, curriculum, help page, saved-lesson files,
pack zip and printed materials are rendered by the application and written
with relative links, so the folder also opens from a disk. A page is written
as ``<path>/index.html``: a web server answers the address printed in a QR code
(``/en/lessons/farming``) with that file. What needs the box itself (sending
quiz answers, knowledge tests of a session, hazard reports and session
joining) is not written; a link to it leads to the help page with the contacts.
"""

from __future__ import annotations

import posixpath
from pathlib import Path, PurePosixPath

from flask import render_template, request, url_for

from .content import current_library
from .materials_build import _key as materials_key
from .materials_build import planned_pages as materials_pages
from .sitebuild import STATIC_EXPORT, page_key, write_file, write_pages

# Written in every export, so that a new export may replace an old one and nothing else.
MARKER = ".eore-export"


def static_export() -> bool:
    """Return whether this page is being rendered for a static export."""
    return bool(request and request.environ.get(STATIC_EXPORT))


def file_for(url: str) -> str:
    """Return the file that answers ``url`` on a static web server."""
    path = url.split("?", 1)[0].lstrip("/")
    if path == "" or path.endswith("/"):
        return path + "index.html"
    if PurePosixPath(path).suffix:
        return path
    return path + "/index.html"


def planned_pages(locales) -> dict[tuple, str]:
    """Return every learner page of ``locales``, by (path, query) key, with its file."""
    library = current_library()
    pages: dict[tuple, str] = {}

    def add(url: str, file: str | None = None) -> None:
        pages[page_key(url)] = file or file_for(url)

    for code in locales:
        add(url_for("learning.home", locale=code))
        add(url_for("learning.lessons", locale=code))
        for audience in library.audiences():
            add(
                url_for("learning.lessons", locale=code, audience=audience),
                f"{code}/lessons/for/{audience}/index.html",
            )
        add(url_for("learning.curriculum", locale=code))
        add(url_for("learning.help", locale=code))
        for kind in sorted({service.type for service in library.services}):
            add(url_for("learning.help", locale=code, type=kind), f"{code}/help/{kind}/index.html")
        add(url_for("offline.pack", locale=code))
        for slug, lesson in library.lessons.items():
            add(url_for("learning.lesson", locale=code, slug=slug))
            add(
                url_for("offline.download", locale=code, slug=slug),
                f"{code}/lessons/{slug}/{slug}-{code}.html",
            )
            text = library.text_of(lesson, code)[0]
            add(url_for("learning.pictures", locale=code, slug=slug))
            for step in range(1, len(text.key_messages) + 2):
                add(url_for("learning.pictures", locale=code, slug=slug, step=step))
            narration = library.narrations.get((slug, text.locale))
            if narration is not None and any(narration.keys):
                add(
                    url_for("offline.download", locale=code, slug=slug, sound="with"),
                    f"{code}/lessons/{slug}/{slug}-{code}-sound.html",
                )
            if slug in library.quizzes:
                add(url_for("quizzes.lesson_quiz", locale=code, slug=slug))
            if lesson.guides:
                add(url_for("learning.guide", locale=code, slug=slug))
    for (path, query), file in materials_pages(locales).items():
        pages[(path, query)] = file
    return pages


def _key(url: str) -> tuple[str, frozenset]:
    # Materials pages leave their default query values out of their keys.
    if "/materials/" in url:
        return materials_key(url)
    return page_key(url)


def export(app, out: Path, locales, progress=lambda done, total, name: None) -> int:
    """Write the learner's site for ``locales`` under ``out``; return how many files."""
    base = app.config["BASE_URL"]
    library = app.extensions["eore"]["library"]
    with app.test_request_context(base_url=base):
        pages = planned_pages(locales)

    def elsewhere(url: str, file: str) -> str:
        # Only the box can answer it: the help page of the page's language says who to ask.
        code = file.split("/", 1)[0]
        if code not in library.locales:
            code = library.source_locale
        return posixpath.relpath(f"{code}/help/index.html", str(PurePosixPath(file).parent))

    count = write_pages(
        app,
        out,
        pages,
        base=base,
        elsewhere=elsewhere,
        key=_key,
        environ={STATIC_EXPORT: True},
        progress=progress,
    )
    with app.test_request_context(base_url=base, environ_base={STATIC_EXPORT: True}):
        languages = [library.locales[code] for code in locales]
        front = render_template("export/index.html", languages=languages)
    write_file(out / "index.html", front.encode("utf-8"))
    write_file(out / MARKER, f"{library.name} {library.version}\n".encode())
    return count + 1
