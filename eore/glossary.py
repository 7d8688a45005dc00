"""The pack's glossary: the words every lesson uses for the same thing.

``glossary.yaml`` is optional and only helps translators: its problems are
warnings, so a slip in it never takes the lessons off the box.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import schema
from .textfile import TextFileError, parse_yaml, read_text


@dataclass(frozen=True)
class Term:
    """One glossary entry: its words and the part every form contains, per locale."""

    id: str
    words: dict[str, str]
    matches: dict[str, str]
    line: int | None


def check_glossary(root: Path, pack: dict, lessons: dict, found) -> None:
    """Warn about the glossary itself and about translations that leave its terms.

    ``found`` is the pack's problem collector; every problem is a warning.
    """
    path = root / "glossary.yaml"
    if not path.is_file():
        return
    warn = found.reporter(path, severity="warning")
    terms = _load_terms(path, warn)
    if terms is None:
        return
    source = pack["source_locale"]
    for term in terms:
        missing = [code for code in pack["locales"] if code not in term.words]
        if missing:
            warn(term.line, f"term '{term.id}' has no words yet for: {', '.join(missing)}")
        unknown = [code for code in term.words if code not in pack["locales"]]
        if unknown:
            warn(term.line, f"term '{term.id}': {', '.join(unknown)} is not a locale of the pack")
    for lesson in lessons.values():
        original = lesson.texts.get(source)
        if original is None:
            continue
        original_text = _searchable(original)
        for code, text in lesson.texts.items():
            if code == source:
                continue
            translated = _searchable(text)
            for term in terms:
                if code not in term.matches or source not in term.matches:
                    continue
                if term.matches[source] in original_text and term.matches[code] not in translated:
                    found.add(
                        root / text.source,
                        None,
                        f"glossary: the {source} text says '{term.words[source]}' but this "
                        f"translation never uses '{term.words[code]}' (see glossary.yaml)",
                        severity="warning",
                    )


def _load_terms(path: Path, warn) -> list[Term] | None:
    try:
        doc = parse_yaml(read_text(path))
    except TextFileError as error:
        warn(error.line, f"{error.message} (the glossary is not checked)")
        return None
    problems = []
    schema.validate(doc.data, schema.GLOSSARY_FIELDS, doc, lambda *p: problems.append(p))
    for line, message in problems:
        warn(line, message)
    if problems:
        return None
    terms, seen = [], set()
    for index, entry in enumerate(doc.data["terms"]):
        line = doc.line("terms", index)
        if entry["id"] in seen:
            warn(line, f"term '{entry['id']}' appears twice")
            continue
        seen.add(entry["id"])
        words = {code: str(text) for code, text in entry["term"].items()}
        matches = dict(words)
        for code, text in entry.get("match", {}).items():
            if code in words:
                matches[code] = str(text)
            else:
                warn(doc.line("terms", index, "match", code), f"'{code}' has a match but no term")
        terms.append(
            Term(
                id=entry["id"],
                words=words,
                matches={code: text.casefold() for code, text in matches.items()},
                line=line,
            )
        )
    return terms


def _searchable(text) -> str:
    """Return every word a reader sees in a lesson text, folded for searching."""
    parts = [text.title, text.summary, *text.objectives, *text.key_messages, text.body]
    return " ".join(" ".join(parts).split()).casefold()
