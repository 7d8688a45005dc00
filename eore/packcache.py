"""Keep the loaded content pack between starts, so a box with a big pack boots fast.

Parsing and checking every file of a pack takes a fraction of a second on a
laptop and several on a Raspberry Pi. The loaded Library is kept in the data
folder with a fingerprint of every pack file (name, size, time) and of the
loader's own code; any change to either means a fresh load.
"""

from __future__ import annotations

import copyreg
import hashlib
import logging
import os
import pickle
from pathlib import Path
from types import MappingProxyType


def _read_only(mapping: dict) -> MappingProxyType:
    return MappingProxyType(mapping)


# The Library is made of frozen dataclasses and read-only mappings.
copyreg.pickle(MappingProxyType, lambda mapping: (_read_only, (dict(mapping),)))

CODE = Path(__file__).resolve().parent


def fingerprint(root: Path) -> str:
    """Return a digest of every file of the pack and of the loader's code."""
    digest = hashlib.sha256()
    for folder in (root, CODE):
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            for name in sorted(filenames):
                if folder is CODE and not name.endswith(".py"):
                    continue
                path = Path(dirpath, name)
                stat = path.stat()
                digest.update(f"{path}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()


def load_cached(root: Path, cache: Path, load):
    """Return the Library of the pack at ``root``, from ``cache`` when nothing changed."""
    root = Path(root).resolve()
    key = fingerprint(root)
    try:
        with cache.open("rb") as handle:
            stored_key, library = pickle.load(handle)
        if stored_key == key:
            return library
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError, ValueError):
        pass  # no cache yet, or one from another version: load afresh
    library = load(root)
    temporary = cache.with_suffix(".tmp")
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        with temporary.open("wb") as handle:
            pickle.dump((key, library), handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, cache)
    except OSError as error:
        # A full or read-only card must not keep the lessons from being served:
        # the pack is read afresh at each start until the cache can be written.
        temporary.unlink(missing_ok=True)
        logging.getLogger("eore").warning("could not keep the loaded pack in %s: %s", cache, error)
    return library
