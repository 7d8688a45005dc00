"""Writing pages of the app as static files, with links that work from any folder.

Each page is rendered by the application itself, then every ``href`` and
``src`` that names a page of the box is rewritten: to the file of a page that
is written too, to a copy of the stylesheet or picture, and otherwise as the
caller decides (the box's address, or a page of the export).
"""

from __future__ import annotations

import html
import os
import posixpath
import re
import shutil
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from urllib.parse import parse_qsl, urlsplit

LINK_RE = re.compile(r'(href|src)="(/[^"]*)"')
# A WSGI key an HTTP client cannot set: pages rendered for a static export.
STATIC_EXPORT = "eore.static_export"


def page_key(url: str, defaults: dict[str, str] | None = None) -> tuple[str, frozenset]:
    """Return the (path, query) key of ``url``, leaving out query values that are defaults."""
    parts = urlsplit(url)
    query = {k: v for k, v in parse_qsl(parts.query) if (defaults or {}).get(k) != v}
    return parts.path, frozenset(query.items())


def write_pages(
    app,
    out: Path,
    pages: dict[tuple, str],
    *,
    base: str,
    elsewhere: Callable[[str, str], str],
    key: Callable[[str], tuple] = page_key,
    environ: dict | None = None,
    progress=lambda done, total, name: None,
) -> int:
    """Write each planned page under ``out``; return how many files were written.

    ``elsewhere(url, file)`` returns the link for a page of the box that is not
    written, as seen from ``file``.
    """
    public = Path(app.config["DATA"]) / "build" / "public"
    client = app.test_client()
    total = len(pages)
    copied: set[str] = set()
    for done, ((path, query), file) in enumerate(sorted(pages.items(), key=lambda i: i[1]), 1):
        response = client.get(
            path, query_string=dict(query), base_url=base, environ_base=environ or {}
        )
        if response.status_code != 200:
            raise RuntimeError(f"{path}: the page answered {response.status_code}")
        body = response.get_data()
        if file.endswith(".html"):
            here = PurePosixPath(file).parent

            def relink(match, here=here, file=file):
                attribute, url = match.group(1), html.unescape(match.group(2))
                built = pages.get(key(url))
                if built is None and url.startswith(("/static/", "/media/")):
                    built = url.lstrip("/")
                    if built not in copied:
                        source = (public / built).resolve()
                        if public.resolve() not in source.parents or not source.is_file():
                            raise RuntimeError(f"{file}: {url} is not a file of the box")
                        write_file(out / built, source.read_bytes())
                        copied.add(built)
                if built is None:
                    target = elsewhere(url, file)
                else:
                    target = posixpath.relpath(built, str(here))
                return f'{attribute}="{html.escape(target)}"'

            body = LINK_RE.sub(relink, body.decode("utf-8")).encode("utf-8")
        write_file(out / file, body)
        progress(done, total, file)
    return total + len(copied)


def write_file(path: Path, content: bytes) -> None:
    """Write ``content`` whole or not at all (a half-written file is never left)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_bytes(content)
    os.replace(temporary, path)


def empty_folder(out: Path) -> None:
    """Remove what an earlier export wrote in ``out``, keeping the folder itself."""
    if out.is_dir():
        for child in out.iterdir():
            if child.is_dir() and not child.is_symlink():
                shutil.rmtree(child)
            else:
                child.unlink()
