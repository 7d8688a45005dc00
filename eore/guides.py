"""Teacher guides: how to run a lesson with a class or a group, per locale.

A guide is ``lessons/<slug>/guide.<locale>.md``: a YAML header with the parts
every guide must have (time plan, materials, a class activity, discussion
questions, what to do if someone has seen an item), then optional notes in
Markdown. The objectives and key messages come from the lesson itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from . import schema
from .textfile import TextFileError, parse_front_matter, read_text

GUIDE_FILE_RE = re.compile(r"^guide\.([A-Za-z_-]+)\.md$")


@dataclass(frozen=True)
class Guide:
    """A teacher guide of a lesson in one locale."""

    locale: str
    time_plan: tuple[str, ...]
    materials: tuple[str, ...]
    activity: str
    discussion: tuple[str, ...]
    if_someone_has_seen_one: str
    notes: str


def load_guides(folder: Path, pack: dict, lesson_locales, found) -> dict[str, Guide]:
    """Return the lesson's guides by locale; report problems and missing guides."""
    guides = {}
    for path in sorted(folder.glob("guide.*.md")):
        match = GUIDE_FILE_RE.match(path.name)
        code = match.group(1) if match else None
        if code not in pack["locales"]:
            found.add(
                path,
                None,
                f"unknown locale '{code}' (the pack's locales: {', '.join(pack['locales'])})",
            )
            continue
        try:
            doc = parse_front_matter(read_text(path))
        except TextFileError as error:
            found.add(path, error.line, error.message)
            continue
        before = found.error_count()
        schema.validate(doc.data, schema.GUIDE_FIELDS, doc, found.reporter(path))
        if found.error_count() > before:
            continue
        data = doc.data
        guides[code] = Guide(
            locale=code,
            time_plan=tuple(data["time_plan"]),
            materials=tuple(data["materials"]),
            activity=str(data["activity"]),
            discussion=tuple(data["discussion"]),
            if_someone_has_seen_one=str(data["if_someone_has_seen_one"]),
            notes=doc.body,
        )
    source = pack["source_locale"]
    if not guides and not any(folder.glob("guide.*.md")):
        found.add(
            folder / f"guide.{source}.md",
            None,
            "no teacher guide: teachers and facilitators will miss the time plan and activity",
            severity="warning",
        )
    elif source not in guides:
        if not (folder / f"guide.{source}.md").exists():
            found.add(folder / f"guide.{source}.md", None, "no guide in the source locale")
    else:
        for code in lesson_locales:
            if code not in guides and not (folder / f"guide.{code}.md").exists():
                found.add(
                    folder / f"guide.{code}.md",
                    None,
                    f"missing translation: the lesson is in '{code}' but its guide is shown "
                    f"in {source}",
                    severity="warning",
                )
    return guides
