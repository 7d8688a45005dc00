"""Static files and pack media: versioned names, pre-compressed, far-future cached.

At start each file of ``static/`` and of the pack's ``media/`` is copied once
into the data folder under a name that carries a hash of its content, with
gzip and brotli siblings beside it. WhiteNoise serves that folder (an absolute
root) and may tell phones to keep every file for a year, since a changed file
gets a new name.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from pathlib import Path

import brotli
from flask import current_app
from whitenoise import WhiteNoise

from .settings import PROJECT_ROOT

STATIC_ROOT = PROJECT_ROOT / "static"
COMPRESSIBLE = {".css", ".js", ".svg", ".txt", ".json", ".html", ".ico"}
ONE_YEAR = 365 * 24 * 3600


def init_app(app) -> None:
    """Build the versioned files and put WhiteNoise in front of the app."""
    public = Path(app.config["DATA"]) / "build" / "public"
    library = app.extensions["eore"]["library"]
    manifest = {
        "static": build_folder(STATIC_ROOT, public / "static"),
        "media": build_folder(library.root / "media", public / "media"),
    }
    app.extensions["eore"]["assets"] = manifest
    app.wsgi_app = WhiteNoise(
        app.wsgi_app,
        max_age=ONE_YEAR,
        # Captions of sign-language videos: browsers refuse a track of another type.
        mimetypes={".vtt": "text/vtt"},
        add_headers_function=_add_headers,
        immutable_file_test=lambda path, url: True,
    )
    app.wsgi_app.add_files(str(public / "static"), prefix="static/")
    app.wsgi_app.add_files(str(public / "media"), prefix="media/")
    app.jinja_env.globals.update(static_url=static_url, media_url=media_url)


def _add_headers(headers, path, url):
    headers["X-Content-Type-Options"] = "nosniff"
    if path.endswith(".svg"):
        # An SVG opened on its own must not run anything either.
        headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"


def versioned_name(relative: str, content: bytes) -> str:
    """Return ``relative`` with a short hash of ``content`` before its suffix."""
    digest = hashlib.sha256(content).hexdigest()[:12]
    stem, dot, suffix = relative.rpartition(".")
    return f"{stem}.{digest}.{suffix}" if dot else f"{relative}.{digest}"


def build_folder(source: Path, target: Path) -> dict[str, str]:
    """Copy every file of ``source`` into ``target`` under a versioned name.

    A file whose size and modification time are those of the last start is not
    read again: recordings make a pack's media folder tens of megabytes, which a
    Pi's card would otherwise read and hash at every start.
    """
    manifest: dict[str, str] = {}
    wanted: set[Path] = set()
    record = target.with_name(f".{target.name}.built.json")  # beside the folder: never served
    built = _read_built(record)
    seen: dict[str, list] = {}
    if source.is_dir():
        for path in sorted(source.rglob("*")):
            if not path.is_file() or path.name.startswith("."):
                continue
            relative = path.relative_to(source).as_posix()
            stat = path.stat()
            known = built.get(relative)
            siblings = (".gz", ".br") if path.suffix.lower() in COMPRESSIBLE else ()
            if known and known[:2] == [stat.st_size, stat.st_mtime_ns]:
                name = known[2]
                paths = [target / name, *(target / f"{name}{suffix}" for suffix in siblings)]
                if all(p.is_file() for p in paths):
                    manifest[relative] = name
                    wanted.update(paths)
                    seen[relative] = known
                    continue
            content = path.read_bytes()
            name = versioned_name(relative, content)
            manifest[relative] = name
            seen[relative] = [stat.st_size, stat.st_mtime_ns, name]
            destination = target / name
            wanted.add(destination)
            if not destination.exists():
                _write(destination, content)
            for suffix, compress in ((".gz", _gzip), (".br", brotli.compress)):
                if suffix in siblings:
                    packed = destination.with_name(destination.name + suffix)
                    wanted.add(packed)
                    if not packed.exists():
                        _write(packed, compress(content))
    if target.is_dir():
        for stale in [p for p in target.rglob("*") if p.is_file() and p not in wanted]:
            stale.unlink()
    if seen != built:
        try:
            _write(record, json.dumps(seen).encode("utf-8"))
        except OSError:
            pass  # a full card: the files are read again at the next start
    return manifest


def _read_built(record: Path) -> dict[str, list]:
    try:
        built = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return built if isinstance(built, dict) else {}


def _gzip(content: bytes) -> bytes:
    return gzip.compress(content, compresslevel=9, mtime=0)


def _write(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".part")
    temporary.write_bytes(content)
    os.replace(temporary, path)


def static_url(relative: str) -> str:
    """Return the versioned URL of a file in static/."""
    return "/static/" + current_app.extensions["eore"]["assets"]["static"][relative]


def media_url(relative: str) -> str:
    """Return the versioned URL of a file in the pack's media/."""
    return "/media/" + current_app.extensions["eore"]["assets"]["media"][relative]
