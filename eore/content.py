"""Load a content pack from disk into an immutable, indexed Library.

The pack is read once at start (and on an explicit reload); views only ever
see the Library. Every problem found is reported with its file and line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from . import guides, quizpack, recordings, schema
from .glossary import check_glossary
from .locales import KNOWN_LOCALES
from .svg import check_svg
from .textfile import TextFileError, parse_front_matter, parse_yaml, read_text

SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
LOCALE_CODE_RE = re.compile(r"^[a-z]{2,3}(?:-[A-Z]{2})?$")
TEXT_FILE_RE = re.compile(r"^lesson\.([A-Za-z_-]+)\.md$")
# Seven or more digits, maybe split by spaces or dashes: a phone number in a lesson.
PHONE_NUMBER_RE = re.compile(r"(?<![\w/])\+?\d(?:[ -]?\d){6,}")
EXTERNAL_LINK_RE = re.compile(r"(\]\(\s*<?|<|\]:\s*<?)(https?:|//)", re.IGNORECASE)


@dataclass(frozen=True)
class Problem:
    """Something wrong in the pack, where it is, and whether it stops the pack."""

    file: str
    line: int | None
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.severity}: {self.message}"


class PackError(Exception):
    """The pack cannot be used; ``problems`` says why, file by file."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        lines = "\n".join(str(p) for p in errors)
        super().__init__(f"The content pack cannot be used ({len(errors)} problem(s)):\n{lines}")


@dataclass(frozen=True)
class PackLocale:
    """A language the pack offers, and whether its text has been reviewed."""

    code: str
    name: str
    direction: str
    review: str


@dataclass(frozen=True)
class Contact:
    """A way to report a hazard or get help, filled in by the operator."""

    kind: str
    value: str
    label: MappingProxyType
    note: MappingProxyType


def in_locale(texts, locale: str, source: str) -> str:
    """Return the text of ``texts`` (by locale) in ``locale``, else in ``source``, else ''."""
    return texts.get(locale) or texts.get(source) or ""


@dataclass(frozen=True)
class Area:
    """An administrative area people can choose, with its national place code."""

    code: str
    name: MappingProxyType


@dataclass(frozen=True)
class Service:
    """A service for survivors and their families, filled in by the operator."""

    type: str
    provider: MappingProxyType
    phone: str
    address: MappingProxyType
    area_served: MappingProxyType
    hours: MappingProxyType
    cost: MappingProxyType
    eligibility: MappingProxyType
    languages: tuple[str, ...]


@dataclass(frozen=True)
class Illustration:
    """A picture of a lesson: its id and its path under the pack's media/."""

    id: str
    file: str


@dataclass(frozen=True)
class LessonText:
    """The words of a lesson in one locale."""

    locale: str
    title: str
    summary: str
    objectives: tuple[str, ...]
    key_messages: tuple[str, ...]
    alt: MappingProxyType
    body: str
    source: str


@dataclass(frozen=True)
class Lesson:
    """A lesson: language-neutral facts plus its text in each locale."""

    slug: str
    audiences: tuple[str, ...]
    threats: tuple[str, ...]
    duration: int
    order: int
    illustrations: tuple[Illustration, ...]
    texts: MappingProxyType
    guides: MappingProxyType  # locale -> teacher Guide
    message_pictures: tuple[str, ...] = ()  # illustration id per key message, in order

    def picture_for_message(self, index: int) -> Illustration:
        """Return the picture shown with key message ``index`` (from 0) on its own screen.

        The pack says which (``message_pictures``); otherwise the illustrations
        are taken in order, and the lead picture once they run out.
        """
        by_id = {ill.id: ill for ill in self.illustrations}
        if index < len(self.message_pictures) and self.message_pictures[index] in by_id:
            return by_id[self.message_pictures[index]]
        if index < len(self.illustrations):
            return self.illustrations[index]
        return self.illustrations[0]


@dataclass(frozen=True)
class Library:
    """The whole content pack in memory, indexed by slug."""

    root: Path
    name: str
    version: str
    source_locale: str
    locales: MappingProxyType
    contacts: tuple[Contact, ...]
    lessons: MappingProxyType
    quizzes: MappingProxyType  # lesson slug -> Quiz
    questions: MappingProxyType  # question id -> Question
    tests: MappingProxyType  # knowledge test id -> KnowledgeTest
    hide_scores: bool
    age_bands: tuple[str, ...] = schema.DEFAULT_AGE_BANDS  # attendance of sessions
    areas: tuple[Area, ...] = ()  # administrative areas of hazard reports
    area_level: int = 1  # their administrative level, for HXL tags (#adm1, #adm2...)
    services: tuple[Service, ...] = ()  # the help directory
    # (slug, locale) -> Narration, and -> SignVideo (see recordings.py)
    narrations: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    sign_videos: MappingProxyType = field(default_factory=lambda: MappingProxyType({}))
    problems: tuple[Problem, ...] = ()
    _rendered: dict = field(default_factory=dict, compare=False, repr=False)

    def text_of(self, lesson: Lesson, locale: str) -> tuple[LessonText, bool]:
        """Return the lesson's text in ``locale`` and whether it fell back."""
        if locale in lesson.texts:
            return lesson.texts[locale], False
        return lesson.texts[self.source_locale], True

    def guide_of(self, lesson: Lesson, locale: str):
        """Return the lesson's guide in ``locale`` (else the source's), and whether it fell back."""
        if locale in lesson.guides:
            return lesson.guides[locale], False
        if self.source_locale in lesson.guides:
            return lesson.guides[self.source_locale], True
        return None, False

    def lessons_for(self, audience: str | None = None) -> list[Lesson]:
        """Return the lessons for an audience (all when None), in order."""
        return [
            lesson
            for lesson in self.lessons.values()
            if audience is None or audience in lesson.audiences
        ]

    def audiences(self) -> list[str]:
        """Return the audiences that at least one lesson is made for."""
        used = {a for lesson in self.lessons.values() for a in lesson.audiences}
        return [a for a in schema.AUDIENCES if a in used]

    def coverage(self) -> dict[str, tuple[int, int]]:
        """Return, per locale, how many lessons are translated out of all."""
        total = len(self.lessons)
        return {
            code: (sum(code in lesson.texts for lesson in self.lessons.values()), total)
            for code in self.locales
        }

    def audio_coverage(self) -> dict[str, dict[str, int]]:
        """Return, per locale, how many lessons and key messages can be listened to.

        "lessons" and "keys" count those read by a person or a computer voice;
        "synthetic" counts the lessons with any recording a computer voice made;
        "key_total" is the number of key messages in that language.
        """
        coverage = {}
        for code in self.locales:
            heard = [self.narrations.get((slug, code)) for slug in self.lessons]
            coverage[code] = {
                "lessons": sum(n is not None and n.lesson is not None for n in heard),
                "synthetic": sum(n is not None and n.synthetic for n in heard),
                "keys": sum(key is not None for n in heard if n for key in n.keys),
                "key_total": sum(
                    len(lesson.texts[code].key_messages)
                    for lesson in self.lessons.values()
                    if code in lesson.texts
                ),
                "videos": sum((slug, code) in self.sign_videos for slug in self.lessons),
            }
        return coverage

    def quiz_coverage(self) -> dict[str, int]:
        """Return, per locale, how many quizzes are translated into it."""
        return {
            code: sum(code in quiz.questions[0].texts for quiz in self.quizzes.values())
            for code in self.locales
        }

    def rendered(self, key, render):
        """Return ``render()`` cached under ``key`` (the pack never changes in memory)."""
        if key not in self._rendered:
            self._rendered[key] = render()
        return self._rendered[key]


class _Collector:
    """Gathers problems for one pack, relative to its root."""

    def __init__(self, root: Path):
        self.root = root
        self.problems: list[Problem] = []

    def add(self, path: Path, line, message, severity="error"):
        try:
            name = path.relative_to(self.root).as_posix()
        except ValueError:
            name = str(path)
        self.problems.append(Problem(name, line, message, severity))

    def reporter(self, path: Path, severity="error"):
        return lambda line, message: self.add(path, line, message, severity)

    def error_count(self) -> int:
        return sum(p.severity == "error" for p in self.problems)

    def has_errors(self) -> bool:
        return self.error_count() > 0


def load_pack(root: Path | str) -> Library:
    """Load and validate the pack at ``root``; raise PackError if it is unusable."""
    root = Path(root).resolve()
    found = _Collector(root)
    if not (root / "pack.yaml").is_file():
        found.add(
            root / "pack.yaml", None, f"no pack.yaml in {root}: is this a content pack folder?"
        )
        raise PackError(found.problems)
    pack = _load_pack_file(root / "pack.yaml", found)
    lessons, quizzes = _load_lessons(root, pack, found) if pack else ({}, {})
    if pack and not lessons and not found.has_errors():
        found.add(root / "lessons", None, "the pack has no lessons")
    questions = quizpack.index_questions(quizzes.values(), found)
    # Tests are checked once every quiz loaded: a broken quiz would otherwise
    # also show up as "unknown question" in each test that uses it.
    tests = quizpack.load_tests(root, questions, pack, found) if not found.has_errors() else {}
    if pack and not found.has_errors():
        check_glossary(root, pack, lessons, found)
    services = _load_services(root / "services.yaml", pack, found) if pack else ()
    if found.has_errors():
        raise PackError(found.problems)
    narrations, sign_videos = recordings.find_recordings(
        root,
        {
            slug: {code: len(text.key_messages) for code, text in lesson.texts.items()}
            for slug, lesson in lessons.items()
        },
        pack["locales"],
        lambda path, message: found.add(path, None, message, "warning"),
        outdated=_outdated_voices(root, lessons),
    )
    ordered = sorted(lessons.values(), key=lambda lesson: (lesson.order, lesson.slug))
    return Library(
        root=root,
        name=str(pack["name"]),
        version=str(pack["version"]),
        source_locale=pack["source_locale"],
        locales=MappingProxyType(pack["locales"]),
        contacts=pack["contacts"],
        lessons=MappingProxyType({lesson.slug: lesson for lesson in ordered}),
        quizzes=MappingProxyType(quizzes),
        questions=MappingProxyType(questions),
        tests=MappingProxyType(tests),
        hide_scores=pack.get("quiz_scores") == "hidden",
        age_bands=pack["age_bands"],
        areas=pack["areas"],
        area_level=pack.get("area_level") or 1,
        services=services,
        narrations=narrations,
        sign_videos=sign_videos,
        problems=tuple(found.problems),
    )


def _outdated_voices(root: Path, lessons: dict) -> set[str]:
    """Return the computer-voice files that read words their lesson no longer says."""
    from .narrate import outdated

    texts = {
        (slug, code): text
        for slug, lesson in lessons.items()
        for code, text in lesson.texts.items()
    }
    return outdated(root / "media" / "audio", texts)


def check_pack(root: Path | str) -> tuple[Library | None, list[Problem]]:
    """Load the pack for ``eore check``: the Library (or None) and every problem."""
    try:
        library = load_pack(root)
    except PackError as error:
        return None, error.problems
    return library, list(library.problems)


def _read_valid(path: Path, fields, found: _Collector, *, parse=parse_yaml):
    """Return the parsed file if it can be parsed and fits ``fields``, else None."""
    try:
        doc = parse(read_text(path))
    except TextFileError as error:
        found.add(path, error.line, error.message)
        return None
    before = len(found.problems)
    schema.validate(doc.data, fields, doc, found.reporter(path))
    return doc if len(found.problems) == before else None


def _load_pack_file(path: Path, found: _Collector) -> dict | None:
    doc = _read_valid(path, schema.PACK_FIELDS, found)
    if doc is None:
        return None
    data = doc.data
    locales = {}
    for code, info in data["locales"].items():
        info = info or {}
        if not _is_locale_code(code):
            found.add(
                path,
                doc.line("locales", code),
                f"'{code}' is not a language code such as 'fr' or 'pt-BR'",
            )
            continue
        known = KNOWN_LOCALES.get(code) or KNOWN_LOCALES.get(code.split("-")[0])
        if known is None and not (info.get("name") and info.get("direction")):
            found.add(
                path,
                doc.line("locales", code),
                f"unknown locale '{code}': give its 'name' and 'direction'",
            )
            continue
        locales[code] = PackLocale(
            code=code,
            name=info.get("name") or known.name,
            direction=info.get("direction") or known.direction,
            review=info["review"],
        )
    source = data["source_locale"]
    if source not in data["locales"]:
        found.add(
            path,
            doc.line("source_locale"),
            f"source_locale '{source}' is not one of the pack's locales",
        )
        return None
    contacts = []
    for index, item in enumerate(data["contacts"]):
        _check_texts(
            path, doc, found, item, ("contacts", index), ("label", "note"), locales, source
        )
        contacts.append(
            Contact(
                kind=item["kind"],
                value=str(item["value"]),
                label=MappingProxyType(dict(item["label"])),
                note=MappingProxyType(dict(item.get("note") or {})),
            )
        )
    bands = tuple(str(band) for band in data.get("age_bands") or schema.DEFAULT_AGE_BANDS)
    for index, band in enumerate(bands):
        if not AGE_BAND_RE.match(band):
            found.add(
                path,
                doc.line("age_bands", index),
                f"age band '{band}' must look like '5-12' or '60+'",
            )
    if len(set(bands)) != len(bands):
        found.add(path, doc.line("age_bands"), "an age band is listed twice")
    if data.get("area_level") is not None and not 1 <= data["area_level"] <= MAX_AREA_LEVEL:
        found.add(
            path,
            doc.line("area_level"),
            f"area_level must be from 1 to {MAX_AREA_LEVEL} (1: provinces, 2: districts...)",
        )
    areas, codes = [], set()
    for index, item in enumerate(data.get("areas") or ()):
        _check_texts(path, doc, found, item, ("areas", index), ("name",), locales, source)
        code = str(item["code"]).strip()
        if code in codes:
            found.add(path, doc.line("areas", index, "code"), f"area code '{code}' is listed twice")
        codes.add(code)
        areas.append(Area(code=code, name=MappingProxyType(dict(item["name"]))))
    return {
        **data,
        "locales": locales,
        "contacts": tuple(contacts),
        "age_bands": bands,
        "areas": tuple(areas),
    }


def _check_texts(path, doc, found, item, where, keys, locales, source) -> None:
    """Check the per-locale texts ``keys`` of ``item``: known locales, the first in ``source``."""
    for key in keys:
        for code in item.get(key) or {}:
            if code not in locales:
                found.add(path, doc.line(*where, key, code), f"unknown locale '{code}'")
    if source not in item[keys[0]]:
        found.add(
            path,
            doc.line(*where, keys[0]),
            f"the {keys[0]} needs a text in the source locale '{source}'",
        )


SERVICE_TEXTS = ("provider", "address", "area_served", "hours", "cost", "eligibility")


def _load_services(path: Path, pack: dict, found: _Collector) -> tuple[Service, ...]:
    """Return the help directory of ``services.yaml`` (optional: none without the file)."""
    if not path.is_file():
        return ()
    doc = _read_valid(path, schema.SERVICES_FIELDS, found)
    if doc is None:
        return ()
    services = []
    for index, item in enumerate(doc.data["services"]):
        where = ("services", index)
        _check_texts(
            path, doc, found, item, where, SERVICE_TEXTS, pack["locales"], pack["source_locale"]
        )
        services.append(
            Service(
                type=item["type"],
                phone=str(item.get("phone") or ""),
                languages=tuple(item.get("languages") or ()),
                **{key: MappingProxyType(dict(item.get(key) or {})) for key in SERVICE_TEXTS},
            )
        )
    return tuple(services)


MAX_AREA_LEVEL = 5
AGE_BAND_RE = re.compile(r"^(\d{1,3})(-\d{1,3}|\+)$")


def _is_locale_code(code) -> bool:
    """Return whether ``code`` is a language code that Babel knows, e.g. fr or pt-BR."""
    from babel import Locale, UnknownLocaleError

    if not isinstance(code, str) or not LOCALE_CODE_RE.match(code):
        return False
    try:
        Locale.parse(code, sep="-")
    except (UnknownLocaleError, ValueError):
        return False
    return True


def _load_lessons(root: Path, pack: dict, found: _Collector) -> tuple[dict, dict]:
    """Return the pack's lessons and their quizzes, each by slug."""
    lessons: dict[str, Lesson] = {}
    quizzes: dict[str, quizpack.Quiz] = {}
    first_seen: dict[str, Path] = {}
    for meta_path in sorted((root / "lessons").rglob("lesson.yaml")):
        folder = meta_path.parent
        slug = folder.name
        if not SLUG_RE.match(slug):
            found.add(
                meta_path,
                None,
                f"folder name '{slug}' is the lesson's address: "
                "use lowercase letters, digits and '-' only",
            )
            continue
        if slug in first_seen:
            found.add(
                meta_path,
                None,
                f"duplicate slug '{slug}': also used by "
                f"{first_seen[slug].relative_to(root).as_posix()}",
            )
            continue
        first_seen[slug] = meta_path
        lesson = _load_lesson(root, folder, pack, found)
        if lesson:
            lessons[slug] = lesson
            quiz = quizpack.load_quiz(root, folder, pack, found)
            if quiz:
                quizzes[slug] = quiz
            elif not (folder / "quiz.yaml").exists():
                found.add(
                    folder / "quiz.yaml",
                    None,
                    "no quiz: every lesson should end with 3 to 6 questions",
                    severity="warning",
                )
    return lessons, quizzes


def _load_lesson(root: Path, folder: Path, pack: dict, found: _Collector) -> Lesson | None:
    meta_path = folder / "lesson.yaml"
    doc = _read_valid(meta_path, schema.LESSON_FIELDS, found)
    if doc is None:
        return None
    meta = doc.data
    illustrations = []
    for index, item in enumerate(meta["illustrations"]):
        check_svg(root / "media" / item["file"], meta_path, doc.line("illustrations", index), found)
        illustrations.append(Illustration(id=item["id"], file=item["file"]))
    ids = [ill.id for ill in illustrations]
    message_pictures = tuple(meta.get("message_pictures") or ())
    for index, picture in enumerate(message_pictures):
        if picture not in ids:
            found.add(
                meta_path,
                doc.line("message_pictures", index),
                f"message_pictures: '{picture}' is not an illustration id ({', '.join(ids)})",
            )
    texts = {}
    for text_path in sorted(folder.glob("lesson.*.md")):
        match = TEXT_FILE_RE.match(text_path.name)
        code = match.group(1) if match else None
        if code not in pack["locales"]:
            found.add(
                text_path,
                None,
                f"unknown locale '{code}' (the pack's locales: {', '.join(pack['locales'])})",
            )
            continue
        text = _load_lesson_text(text_path, code, ids, root, found)
        if text:
            texts[code] = text
    source = pack["source_locale"]
    if message_pictures and source in texts:
        wanted = len(texts[source].key_messages)
        if len(message_pictures) != wanted:
            found.add(
                meta_path,
                doc.line("message_pictures"),
                f"message_pictures has {len(message_pictures)} picture(s) for {wanted} key "
                f"message(s) in lesson.{source}.md: give one for each, in order",
                severity="warning",
            )
    if source not in texts:
        if not (folder / f"lesson.{source}.md").exists():
            found.add(meta_path, None, f"no text in the source locale: add lesson.{source}.md")
        return None
    for code in pack["locales"]:
        if code not in texts and not (folder / f"lesson.{code}.md").exists():
            found.add(
                folder / f"lesson.{code}.md",
                None,
                f"missing translation: '{code}' readers see the {source} text",
                severity="warning",
            )
    return Lesson(
        slug=folder.name,
        audiences=tuple(meta["audiences"]),
        threats=tuple(meta["threats"]),
        duration=meta["duration"],
        order=meta.get("order", 1000),
        illustrations=tuple(illustrations),
        message_pictures=message_pictures,
        texts=MappingProxyType(texts),
        guides=MappingProxyType(guides.load_guides(folder, pack, texts, found)),
    )


def _load_lesson_text(path: Path, code: str, ids: list[str], root: Path, found: _Collector):
    doc = _read_valid(path, schema.LESSON_TEXT_FIELDS, found, parse=parse_front_matter)
    if doc is None:
        return None
    report = found.reporter(path)
    errors_before = found.error_count()
    data = doc.data
    messages = data["key_messages"]
    if len(messages) > schema.MAX_KEY_MESSAGES:
        report(
            doc.line("key_messages"),
            f"{len(messages)} key messages; at most {schema.MAX_KEY_MESSAGES}",
        )
    for index, message in enumerate(messages):
        if len(message) > schema.MAX_KEY_MESSAGE_LENGTH:
            report(
                doc.line("key_messages", index),
                f"key message of {len(message)} characters; at most "
                f"{schema.MAX_KEY_MESSAGE_LENGTH} (it must fit an SMS)",
            )
    for ill_id in ids:
        if ill_id not in data["alt"]:
            report(doc.line("alt"), f"no alt text for illustration '{ill_id}'")
    for key in data["alt"]:
        if key not in ids:
            report(doc.line("alt", key), f"alt text for unknown illustration '{key}'")
    if not doc.body.strip():
        report(doc.body_line, "the lesson has no body text below its header")
    for offset, line in enumerate(doc.body.splitlines()):
        if PHONE_NUMBER_RE.search(line):
            found.add(
                path,
                doc.body_line + offset,
                "looks like a phone number: put contacts in pack.yaml, where operators "
                "keep them right (never invent one)",
                severity="warning",
            )
        if EXTERNAL_LINK_RE.search(line):
            found.add(
                path,
                doc.body_line + offset,
                "link to the internet: it is not shown, as phones on the box cannot open it",
                severity="warning",
            )
    if found.error_count() > errors_before:
        return None
    return LessonText(
        locale=code,
        title=str(data["title"]),
        summary=str(data["summary"]),
        objectives=tuple(data["objectives"]),
        key_messages=tuple(messages),
        alt=MappingProxyType(dict(data["alt"])),
        body=doc.body,
        source=path.relative_to(root).as_posix(),
    )


def init_app(app) -> None:
    """Load the pack named by the CONTENT setting; refuse an unusable one."""
    from .packcache import load_cached

    cache = Path(app.config["DATA"]) / "build" / "library.pickle"
    library = load_cached(Path(app.config["CONTENT"]), cache, load_pack)
    app.extensions.setdefault("eore", {})["library"] = library
    if library.problems:
        app.logger.warning(
            "the content pack has %d warning(s), such as missing translations: "
            "run 'eore check' to see them",
            len(library.problems),
        )


def current_library() -> Library:
    """Return the Library of the running app."""
    from flask import current_app

    return current_app.extensions["eore"]["library"]
