"""Quizzes and knowledge tests of a content pack: load, check and grade them.

Language-neutral facts (question ids, types, options, the right answer,
pictures) live once in ``quiz.yaml``; the words live per locale in
``quiz.<locale>.yaml``. Knowledge tests (``knowledge-tests/<id>.yaml``) reuse
questions of lesson quizzes by id, so the same question can be asked before
and after a session and compared.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType

from . import schema
from .svg import check_svg
from .textfile import TextFileError, parse_yaml, read_text

QUIZ_TEXT_RE = re.compile(r"^quiz\.([A-Za-z_-]+)\.yaml$")
TEST_ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
TRUE_FALSE = ("true", "false")


@dataclass(frozen=True)
class Option:
    """One option of a question; picture options show an illustration."""

    id: str
    picture: str | None = None


@dataclass(frozen=True)
class QuestionText:
    """The words of a question in one locale."""

    locale: str
    question: str
    options: MappingProxyType  # option id -> text (empty for true-false)
    explanation: str


@dataclass(frozen=True)
class Question:
    """A question: its id, type, options, the right option and its text per locale."""

    id: str
    type: str
    options: tuple[Option, ...]
    correct: str
    texts: MappingProxyType  # locale -> QuestionText
    lesson: str

    def text_in(self, locale: str, source_locale: str) -> tuple[QuestionText, bool]:
        """Return the question's text in ``locale`` and whether it fell back."""
        if locale in self.texts:
            return self.texts[locale], False
        return self.texts[source_locale], True

    def option(self, option_id: str) -> Option | None:
        """Return the option with this id, or None."""
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True)
class Quiz:
    """The quiz of one lesson."""

    lesson: str
    questions: tuple[Question, ...]
    hide_scores: bool
    source: Path


@dataclass(frozen=True)
class KnowledgeTest:
    """A fixed set of questions asked before and after a session."""

    id: str
    title: MappingProxyType  # locale -> title
    questions: tuple[Question, ...]
    hide_scores: bool

    def title_in(self, locale: str, source_locale: str) -> str:
        """Return the title in ``locale``, or in the source locale."""
        return self.title.get(locale) or self.title[source_locale]


def load_quiz(root: Path, folder: Path, pack: dict, found) -> Quiz | None:
    """Load the quiz of the lesson in ``folder``, if it has one; report problems."""
    path = folder / "quiz.yaml"
    for misnamed in sorted(folder.glob("quiz*.yml")):
        found.add(misnamed, None, "not read: quiz files end in .yaml", severity="warning")
    if not path.exists():
        for stray in folder.glob("quiz.*.yaml"):
            found.add(stray, None, "quiz text without a quiz.yaml beside it")
        return None
    doc = _read(path, found)
    if doc is None:
        return None
    before = found.error_count()
    schema.validate(doc.data, schema.QUIZ_FIELDS, doc, found.reporter(path))
    if found.error_count() > before:
        return None
    if not doc.data["questions"]:
        found.add(path, doc.line("questions"), "the quiz has no questions")
        return None
    shapes = []
    seen = set()
    for index, item in enumerate(doc.data["questions"]):
        line = doc.line("questions", index)
        if item["id"] in seen:
            found.add(path, line, f"question id '{item['id']}' is used twice in this quiz")
            continue
        seen.add(item["id"])
        shape = _question_shape(item, path, line, doc, index, root, found)
        if shape:
            shapes.append(shape)
    if found.error_count() > before:
        return None
    texts = _load_texts(folder, shapes, pack, found)
    if found.error_count() > before or texts is None:
        return None
    questions = tuple(
        Question(
            id=qid,
            type=kind,
            options=options,
            correct=correct,
            texts=MappingProxyType({code: by_id[qid] for code, by_id in texts.items()}),
            lesson=folder.name,
        )
        for qid, kind, options, correct in shapes
    )
    if not schema.GOOD_QUIZ_SIZE[0] <= len(questions) <= schema.GOOD_QUIZ_SIZE[1]:
        found.add(
            path,
            doc.line("questions"),
            f"{len(questions)} questions: a lesson quiz works best with "
            f"{schema.GOOD_QUIZ_SIZE[0]} to {schema.GOOD_QUIZ_SIZE[1]}",
            severity="warning",
        )
    if not any(q.type == "picture" for q in questions):
        found.add(
            path,
            doc.line("questions"),
            "no picture question: add one for people who read little",
            severity="warning",
        )
    hidden = doc.data.get("scores") == "hidden"
    return Quiz(lesson=folder.name, questions=questions, hide_scores=hidden, source=path)


def _read(path: Path, found):
    try:
        return parse_yaml(read_text(path))
    except TextFileError as error:
        found.add(path, error.line, error.message)
        return None


def _question_shape(item, path, line, doc, index, root, found):
    """Return (id, type, options, correct) of a question, or None if it is wrong."""
    kind = item["type"]
    qid = item["id"]
    where = f"question '{qid}'"
    correct = item["correct"]
    if kind == "true-false":
        for extra in ("options", "pictures"):
            if extra in item:
                found.add(
                    path,
                    doc.line("questions", index, extra),
                    f"{where} is true-false: its options are always true and false; "
                    f"remove '{extra}'",
                )
        if not isinstance(correct, bool):
            found.add(
                path,
                doc.line("questions", index, "correct"),
                f"{where} is true-false: 'correct' must be true or false",
            )
            return None
        return qid, kind, tuple(Option(o) for o in TRUE_FALSE), "true" if correct else "false"
    wanted, other = ("pictures", "options") if kind == "picture" else ("options", "pictures")
    if other in item:
        found.add(
            path,
            doc.line("questions", index, other),
            f"{where} is a {kind} question: give its options under '{wanted}', not '{other}'",
        )
        return None
    if wanted not in item:
        found.add(path, line, f"{where} needs '{wanted}' ({kind} question)")
        return None
    if kind == "picture":
        options = tuple(Option(oid, picture) for oid, picture in item["pictures"].items())
        for option in options:
            check_svg(
                root / "media" / option.picture,
                path,
                doc.line("questions", index, "pictures", option.id),
                found,
            )
    else:
        options = tuple(Option(oid) for oid in item["options"])
    ids = [o.id for o in options]
    if len(set(ids)) != len(ids):
        found.add(path, doc.line("questions", index, wanted), f"{where} repeats an option name")
        return None
    if not schema.MIN_OPTIONS <= len(ids) <= schema.MAX_OPTIONS:
        found.add(
            path,
            doc.line("questions", index, wanted),
            f"{where} has {len(ids)} options; give {schema.MIN_OPTIONS} to {schema.MAX_OPTIONS}",
        )
        return None
    if correct not in ids:
        found.add(
            path,
            doc.line("questions", index, "correct"),
            f"{where}: the right option '{correct}' is not one of its options ({', '.join(ids)})",
        )
        return None
    return qid, kind, options, correct


def _load_texts(folder: Path, shapes, pack: dict, found) -> dict | None:
    """Return {locale: {question id: QuestionText}} from the quiz.<locale>.yaml files."""
    texts = {}
    for path in sorted(folder.glob("quiz.*.yaml")):
        match = QUIZ_TEXT_RE.match(path.name)
        code = match.group(1) if match else None
        if code not in pack["locales"]:
            found.add(
                path,
                None,
                f"unknown locale '{code}' (the pack's locales: {', '.join(pack['locales'])})",
            )
            continue
        by_id = _load_text_file(path, code, shapes, found)
        if by_id is not None:
            texts[code] = by_id
    source = pack["source_locale"]
    if source not in texts:
        if not (folder / f"quiz.{source}.yaml").exists():
            found.add(
                folder / "quiz.yaml", None, f"no text in the source locale: add quiz.{source}.yaml"
            )
        return None
    lesson_locales = {
        m.group(1)
        for p in folder.glob("lesson.*.md")
        if (m := re.match(r"lesson\.(.+)\.md$", p.name))
    }
    for code in pack["locales"]:
        if code in lesson_locales and not (folder / f"quiz.{code}.yaml").exists():
            found.add(
                folder / f"quiz.{code}.yaml",
                None,
                f"missing translation: the lesson is in '{code}' but its quiz is shown in {source}",
                severity="warning",
            )
    return texts


def _load_text_file(path: Path, code: str, shapes, found) -> dict | None:
    doc = _read(path, found)
    if doc is None:
        return None
    before = found.error_count()
    report = found.reporter(path)
    data = doc.data
    if not isinstance(data, dict):
        report(doc.line(), "the file must list each question id with its text")
        return None
    known = {qid: (kind, options) for qid, kind, options, _correct in shapes}
    for qid in data:
        if qid not in known:
            report(doc.line(qid), f"text for unknown question '{qid}' (not in quiz.yaml)")
    for qid, (kind, options) in known.items():
        if qid not in data:
            report(doc.line(), f"no text for question '{qid}'")
            continue
        schema.validate(data[qid], schema.QUESTION_TEXT_FIELDS, doc, report, (qid,))
        entry = data[qid] if isinstance(data[qid], dict) else {}
        given = entry.get("options") or {}
        if kind == "true-false":
            if given:
                report(
                    doc.line(qid, "options"),
                    f"question '{qid}' is true-false: its options are named by the toolkit",
                )
            continue
        if not isinstance(given, dict):
            continue
        for option in options:
            if option.id not in given:
                report(doc.line(qid), f"question '{qid}' has no text for option '{option.id}'")
        for oid in given:
            if all(o.id != oid for o in options):
                report(doc.line(qid, "options", oid), f"question '{qid}' has no option '{oid}'")
    if found.error_count() > before:
        return None
    return {
        qid: QuestionText(
            locale=code,
            question=str(data[qid]["question"]),
            options=MappingProxyType(dict(data[qid].get("options") or {})),
            explanation=str(data[qid]["explanation"]),
        )
        for qid in known
    }


def load_tests(root: Path, questions: dict[str, Question], pack: dict, found) -> dict:
    """Load every knowledge test of the pack, by id; report problems."""
    tests = {}
    folder = root / "knowledge-tests"
    if folder.is_dir():
        for other in sorted(folder.iterdir()):
            if other.suffix != ".yaml" and not other.name.startswith("."):
                found.add(
                    other, None, "not read: knowledge tests are <id>.yaml files", severity="warning"
                )
    for path in sorted(folder.glob("*.yaml")) if folder.is_dir() else ():
        test_id = path.stem
        if not TEST_ID_RE.match(test_id):
            found.add(
                path,
                None,
                f"file name '{path.name}' is the test's address: "
                "use lowercase letters, digits and '-' only",
            )
            continue
        doc = _read(path, found)
        if doc is None:
            continue
        before = found.error_count()
        schema.validate(doc.data, schema.KNOWLEDGE_TEST_FIELDS, doc, found.reporter(path))
        if found.error_count() > before:
            continue
        data = doc.data
        for code in data["title"]:
            if code not in pack["locales"]:
                found.add(path, doc.line("title", code), f"unknown locale '{code}'")
        if pack["source_locale"] not in data["title"]:
            found.add(
                path,
                doc.line("title"),
                f"the title needs a text in the source locale '{pack['source_locale']}'",
            )
        chosen = []
        for index, qid in enumerate(data["questions"]):
            if qid not in questions:
                found.add(
                    path,
                    doc.line("questions", index),
                    f"unknown question '{qid}': use the id of a question in a lesson's quiz.yaml",
                )
            elif questions[qid] in chosen:
                found.add(path, doc.line("questions", index), f"question '{qid}' is listed twice")
            else:
                chosen.append(questions[qid])
        if found.error_count() > before:
            continue
        tests[test_id] = KnowledgeTest(
            id=test_id,
            title=MappingProxyType(dict(data["title"])),
            questions=tuple(chosen),
            hide_scores=data.get("scores") == "hidden",
        )
    return tests


def index_questions(quizzes, found) -> dict[str, Question]:
    """Return every question of every quiz by id; a repeated id is an error."""
    questions: dict[str, Question] = {}
    for quiz in quizzes:
        for question in quiz.questions:
            if question.id in questions:
                other = questions[question.id].lesson
                found.add(
                    quiz.source,
                    None,
                    f"question id '{question.id}' is used by the quizzes of both "
                    f"'{other}' and '{quiz.lesson}': ids must be unique in the pack",
                )
                continue
            questions[question.id] = question
    return questions


def grade(question: Question, choice: str) -> bool:
    """Return whether ``choice`` is the right option of ``question``."""
    return choice == question.correct
