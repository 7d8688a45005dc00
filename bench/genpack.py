"""Make a synthetic content pack N times larger than the starter pack, to measure scaling.

Copies the starter pack in content/ (pack.yaml, media, glossary, services,
knowledge tests) and gives every lesson N - 1 copies beside it, named
``<slug>-copy-<k>``: each with its lesson.yaml (the same pictures in media/),
its text in every language (the title ends in ``(k)``), its teacher guides, and
its quiz, whose question ids become ``<id>-copy-<k>`` in quiz.yaml and in
every quiz.<code>.yaml, since question ids are unique in a pack. The original
lessons stay, so the knowledge tests and every address of the starter pack
still work. Scale 1 is a plain copy of the starter pack.

Usage: python bench/genpack.py --scale 10 --out DIR   (DIR must not exist or be empty)
Then ``eore check DIR`` must accept it, and ``EORE_CONTENT=DIR eore serve`` serves it.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

STARTER_PACK = Path(__file__).resolve().parent.parent / "content"
# A question's id in quiz.yaml ("  - id: find-first-step"), maybe quoted.
QUIZ_ID_RE = re.compile(r"""^(\s*-\s+id:\s*)(["']?)([a-z0-9-]+)\2([ \t]*(?:#.*)?)$""", re.M)
# A question's words in quiz.<code>.yaml, under its id at the start of a line.
TEXT_ID_RE = re.compile(r"""^(["']?)([a-z0-9-]+)\1:""", re.M)
# The title in a lesson text's header, plain or quoted.
TITLE_RE = re.compile(r"""^title:\s*(["']?)(.*?)\1[ \t]*$""", re.M)
QUIZ_TEXT_RE = re.compile(r"^quiz\.[A-Za-z_-]+\.yaml$")
LESSON_TEXT_RE = re.compile(r"^lesson\.[A-Za-z_-]+\.md$")


def lesson_folders(pack: Path) -> list[Path]:
    """Return the folder of every lesson of the pack (lesson folders may be grouped)."""
    return sorted(path.parent for path in (pack / "lessons").rglob("lesson.yaml"))


def question_ids(folder: Path) -> list[str]:
    """Return the ids of the questions of a lesson's quiz (none without a quiz)."""
    quiz = folder / "quiz.yaml"
    if not quiz.is_file():
        return []
    return [match.group(3) for match in QUIZ_ID_RE.finditer(quiz.read_text(encoding="utf-8"))]


def copy_lesson(folder: Path, number: int) -> Path:
    """Copy a lesson folder beside itself as copy ``number``; return the new folder."""
    suffix = f"-copy-{number}"
    target = folder.with_name(folder.name + suffix)
    target.mkdir()
    ids = set(question_ids(folder))

    def new_id(qid: str) -> str:
        return qid + suffix if qid in ids else qid

    for source in sorted(folder.iterdir()):
        if not source.is_file():
            continue
        destination = target / source.name
        if source.name == "quiz.yaml":
            text = QUIZ_ID_RE.sub(
                lambda m: f"{m[1]}{m[2]}{new_id(m[3])}{m[2]}{m[4]}",
                source.read_text(encoding="utf-8"),
            )
            destination.write_text(text, encoding="utf-8")
        elif QUIZ_TEXT_RE.match(source.name):
            text = TEXT_ID_RE.sub(
                lambda m: f"{m[1]}{new_id(m[2])}{m[1]}:", source.read_text(encoding="utf-8")
            )
            destination.write_text(text, encoding="utf-8")
        elif LESSON_TEXT_RE.match(source.name):
            text = TITLE_RE.sub(
                lambda m: f"title: {m[1]}{m[2]} ({number}){m[1]}",
                source.read_text(encoding="utf-8"),
                count=1,
            )
            destination.write_text(text, encoding="utf-8")
        else:
            shutil.copy2(source, destination)
    return target


def make_pack(scale: int, out: Path, source: Path = STARTER_PACK) -> dict:
    """Write a pack with ``scale`` times the lessons of ``source`` into ``out``."""
    if scale < 1:
        raise ValueError("the scale is a whole number of at least 1")
    out = Path(out)
    if out.exists() and any(out.iterdir()):
        raise FileExistsError(f"{out} is not empty: give a new folder")
    shutil.copytree(source, out, dirs_exist_ok=True)
    originals = lesson_folders(out)
    questions = 0
    for folder in originals:
        count = len(question_ids(folder))
        questions += count * scale
        for number in range(1, scale):
            copy_lesson(folder, number)
    return {"lessons": len(originals) * scale, "questions": questions, "folder": str(out)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=int, default=10, help="times the starter pack's lessons")
    parser.add_argument("--out", required=True, type=Path, help="new folder for the pack")
    args = parser.parse_args()
    try:
        made = make_pack(args.scale, args.out)
    except (ValueError, FileExistsError) as error:
        sys.exit(str(error))
    print(f"{made['lessons']} lessons, {made['questions']} quiz questions in {made['folder']}")


if __name__ == "__main__":
    main()
