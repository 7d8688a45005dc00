"""``eore materials build``: every printable page as static files, to print from any computer.

Each page is rendered by the application itself, then its links are made
relative: to the other built pages, and to copies of the stylesheet and
pictures it uses. Links to pages that only the box serves (a lesson) point at
EORE_BASE_URL, like the QR codes.
"""

from __future__ import annotations

import html
import os
import posixpath
import re
import shutil
from functools import partial
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qsl, urlsplit

from flask import url_for

from .content import current_library
from .materials import messages_code

# Query arguments a page has when none are given: left out of file names.
DEFAULTS = {"size": "a4", "qr": "link"}
LINK_RE = re.compile(r'(href|src)="(/[^"]*)"')


def _key(url: str) -> tuple[str, frozenset]:
    parts = urlsplit(url)
    query = {k: v for k, v in parse_qsl(parts.query) if DEFAULTS.get(k) != v}
    return parts.path, frozenset(query.items())


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
            if messages_code(lesson, code)[0] is not None:
                add(
                    url_for("qr.messages_qr", locale=code, slug=slug),
                    f"qr/{code}/lessons/{slug}/messages.svg",
                )
    return pages


def build(app, out: Path, locales, progress=lambda done, total, name: None) -> int:
    """Write every printable page of ``locales`` under ``out``; return how many files."""
    base = app.config["BASE_URL"]
    public = Path(app.config["DATA"]) / "build" / "public"
    with app.test_request_context(base_url=base):
        pages = planned_pages(locales)
    client = app.test_client()
    total = len(pages)
    copied: set[str] = set()
    for done, ((path, query), file) in enumerate(sorted(pages.items(), key=lambda i: i[1]), 1):
        response = client.get(path, query_string=dict(query), base_url=base)
        if response.status_code != 200:
            raise RuntimeError(f"{path}: the page answered {response.status_code}")
        target = out / file
        target.parent.mkdir(parents=True, exist_ok=True)
        body = response.get_data()
        if file.endswith(".html"):
            text = body.decode("utf-8")
            relink = partial(_relink, file=file, pages=pages, base=base, public=public, out=out)
            text = LINK_RE.sub(lambda m, relink=relink: relink(m, copied=copied), text)
            body = text.encode("utf-8")
        _write(target, body)
        progress(done, total, file)
    return total + len(copied)


def _relink(match, file: str, pages, base: str, public: Path, out: Path, copied: set) -> str:
    attribute, url = match.group(1), html.unescape(match.group(2))
    here = PurePosixPath(file).parent
    built = pages.get(_key(url))
    if built is None and url.startswith(("/static/", "/media/")):
        built = url.lstrip("/")
        if built not in copied:
            source = public / built
            (out / built).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, out / built)
            copied.add(built)
    if built is None:
        # A page only the box serves, such as a lesson: its address on the box's network.
        return f'{attribute}="{html.escape(base + url)}"'
    return f'{attribute}="{html.escape(posixpath.relpath(built, str(here)))}"'


def _write(path: Path, content: bytes) -> None:
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)
