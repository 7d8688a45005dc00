"""``eore materials build``: every printable page as static files, to print from any computer.

Each page is rendered by the application itself (see sitebuild), then its links are made
relative: to the other built pages, and to copies of the stylesheet and
pictures it uses. Links to pages that only the box serves (a lesson) point at
EORE_BASE_URL, like the QR codes.
"""

from __future__ import annotations

from pathlib import Path

from flask import url_for

from .content import current_library
from .materials import messages_fit
from .sitebuild import page_key, write_pages

# Query arguments a page has when none are given: left out of file names.
DEFAULTS = {"size": "a4", "qr": "link"}


def _key(url: str) -> tuple[str, frozenset]:
    return page_key(url, DEFAULTS)


def planned_pages(locales) -> dict[tuple, str]:
    """Return every page to build, by (path, query) key, with its file name."""
    library = current_library()
    pages: dict[tuple, str] = {}

    def add(url: str, file: str) -> None:
        pages[_key(url)] = file

    for code in locales:
        add(url_for("materials.index", locale=code), f"{code}/materials/index.html")
        add(url_for("materials.stickers", locale=code), f"{code}/materials/stickers.html")
        add(url_for("materials.sms_kit", locale=code), f"{code}/materials/sms.html")
        add(url_for("materials.sms_kit_csv", locale=code), f"{code}/materials/sms.csv")
        for slug, lesson in library.lessons.items():
            folder = f"{code}/materials/{slug}"
            for size in ("a4", "a3"):
                suffix = "" if size == "a4" else "-a3"
                add(
                    url_for("materials.poster", locale=code, slug=slug, size=size),
                    f"{folder}/poster{suffix}.html",
                )
                add(
                    url_for("materials.poster", locale=code, slug=slug, size=size, qr="messages"),
                    f"{folder}/poster{suffix}-messages.html",
                )
            add(url_for("materials.leaflet", locale=code, slug=slug), f"{folder}/leaflet.html")
            add(url_for("materials.cards", locale=code, slug=slug), f"{folder}/cards.html")
            add(
                url_for("materials.stickers", locale=code, lesson=slug),
                f"{folder}/stickers.html",
            )
            add(url_for("qr.lesson_qr", locale=code, slug=slug), f"qr/{code}/lessons/{slug}.svg")
            if messages_fit(lesson, code):
                add(
                    url_for("qr.messages_qr", locale=code, slug=slug),
                    f"qr/{code}/lessons/{slug}/messages.svg",
                )
    return pages


def build(app, out: Path, locales, progress=lambda done, total, name: None) -> int:
    """Write every printable page of ``locales`` under ``out``; return how many files."""
    base = app.config["BASE_URL"]
    with app.test_request_context(base_url=base):
        pages = planned_pages(locales)
    return write_pages(
        app,
        out,
        pages,
        base=base,
        # A page only the box serves, such as a lesson: its address on the box's network.
        elsewhere=lambda url, file: base + url,
        key=_key,
        progress=progress,
    )
