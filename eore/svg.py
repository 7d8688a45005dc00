"""Check the SVG illustrations of a pack: present, small, well formed, inert."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

ILLUSTRATION_BUDGET = 15 * 1024


def check_svg(path: Path, referrer: Path, line, found) -> None:
    """Report to ``found`` what is wrong with the SVG at ``path``, named by ``referrer``."""
    if path.suffix.lower() != ".svg":
        found.add(referrer, line, f"illustration '{path.name}' must be an SVG file")
        return
    if not path.is_file():
        found.add(referrer, line, f"illustration file media/{path.name} does not exist")
        return
    if path.stat().st_size > ILLUSTRATION_BUDGET:
        found.add(
            path,
            None,
            f"{path.stat().st_size // 1024} KB; illustrations should stay "
            f"under {ILLUSTRATION_BUDGET // 1024} KB",
            severity="warning",
        )
    try:
        tree = ElementTree.parse(path)
    except ElementTree.ParseError as error:
        found.add(path, error.position[0], f"not a valid SVG file: {error}")
        return
    for element in tree.iter():
        tag = element.tag.rsplit("}", 1)[-1]
        unsafe = (
            tag in ("script", "foreignObject")
            or any(name.lower().startswith("on") for name in element.attrib)
            or any(
                name.endswith("href") and not value.startswith("#")
                for name, value in element.attrib.items()
            )
        )
        if unsafe:
            found.add(path, None, f"<{tag}> with scripts or outside links is not allowed in an SVG")
            return
