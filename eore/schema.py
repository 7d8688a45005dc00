"""The fields of every content file, each with its type and one line of help.

These schemas are the single description of the content pack format:
``eore check`` applies them and ``content/README.md`` documents them (a test
keeps the two in step).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

# Who a lesson is for; the words operators use in lesson.yaml.
AUDIENCES = {
    "children": _l("Children (under 12)"),
    "adolescents": _l("Adolescents (12 to 17)"),
    "adults": _l("Adults"),
    "farmers": _l("Farmers and rural workers"),
    "displaced": _l("Displaced people and returnees"),
    "scrap-collectors": _l("Scrap metal collectors"),
    "shelter": _l("People in emergency shelters"),
    "staff": _l("Humanitarian and school staff"),
}

THREATS = {
    "mines": _l("Landmines"),
    "cluster-munitions": _l("Cluster munitions"),
    "uxo": _l("Unexploded ordnance"),
    "ied": _l("Improvised explosive devices"),
}

REVIEW_STATES = ("draft", "reviewed")
DIRECTIONS = ("ltr", "rtl")
CONTACT_KINDS = ("phone", "sms", "whatsapp", "email", "place", "other")
SCORE_DISPLAYS = ("shown", "hidden")
# single: one right option among texts; picture: one right picture; true-false:
# a statement, right or wrong (its two options are named by the interface).
QUESTION_TYPES = ("single", "picture", "true-false")
GOOD_QUIZ_SIZE = (3, 6)
MIN_OPTIONS = 2
MAX_OPTIONS = 6

MAX_KEY_MESSAGES = 5
MAX_KEY_MESSAGE_LENGTH = 160


@dataclass(frozen=True)
class Field:
    """One field of a content file."""

    name: str
    kind: str
    required: bool
    help: str
    choices: tuple = ()
    fields: tuple = ()  # the sub-fields of a "record" or of each item of "records"


def _record(*fields: Field) -> tuple[Field, ...]:
    return fields


LOCALE_FIELDS = _record(
    Field("review", "choice", True, "draft until a native speaker has reviewed it", REVIEW_STATES),
    Field("name", "text", False, "native name of the language (known locales have one)"),
    Field("direction", "choice", False, "ltr or rtl (known locales have one)", DIRECTIONS),
)

CONTACT_FIELDS = _record(
    Field("kind", "choice", True, "how to reach it", CONTACT_KINDS),
    Field("value", "text", True, "the number, address or place, exactly as people use it"),
    Field("label", "locale-text", True, "what it is, per locale, e.g. 'Mine action hotline'"),
    Field("note", "locale-text", False, "hours, cost or other advice, per locale"),
)

DEFAULT_AGE_BANDS = ("0-4", "5-12", "13-17", "18-59", "60+")

AREA_FIELDS = _record(
    Field("code", "text", True, "the area's place code in the national database, e.g. SY0101"),
    Field("name", "locale-text", True, "the area's name, per locale"),
)

# Kinds of help for survivors and their families (victim assistance).
SERVICE_TYPES = {
    "medical": _l("Medical care"),
    "rehabilitation": _l("Rehabilitation"),
    "psychosocial": _l("Psychosocial support"),
    "livelihoods": _l("Livelihoods and social support"),
    "legal": _l("Legal aid"),
    "other": _l("Other help"),
}

SERVICE_FIELDS = _record(
    Field("type", "choice", True, "the kind of help", tuple(SERVICE_TYPES)),
    Field("provider", "locale-text", True, "who gives it, per locale"),
    Field("phone", "text", False, "the number people call, exactly as they dial it"),
    Field("address", "locale-text", False, "where it is, per locale"),
    Field("area_served", "locale-text", False, "who can come from where, per locale"),
    Field("hours", "locale-text", False, "opening hours, per locale"),
    Field("cost", "locale-text", False, "free, or what it costs, per locale"),
    Field("eligibility", "locale-text", False, "who may use it, per locale"),
    Field("languages", "texts", False, "languages spoken there, as people name them"),
)

SERVICES_FIELDS = _record(
    Field("services", "records", True, "the services, one entry each", fields=SERVICE_FIELDS),
)

PACK_FIELDS = _record(
    Field("name", "text", True, "name of the pack, shown on /healthz and in reports"),
    Field("version", "text", True, "version of the pack, e.g. 2026.11"),
    Field("source_locale", "text", True, "locale every lesson is written in first; the fallback"),
    Field("locales", "records-by-key", True, "locales of the pack, by code", fields=LOCALE_FIELDS),
    Field(
        "contacts",
        "records",
        True,
        "where to report; empty until the operator fills it in",
        fields=CONTACT_FIELDS,
    ),
    Field(
        "age_bands",
        "texts",
        False,
        "age bands counted at sessions, youngest first (default 0-4, 5-12, 13-17, 18-59, 60+)",
    ),
    Field(
        "areas",
        "records",
        False,
        "administrative areas people choose from in hazard reports",
        fields=AREA_FIELDS,
    ),
    Field(
        "area_level",
        "integer",
        False,
        "administrative level of the areas: 1 for provinces, 2 for districts... (default 1)",
    ),
    Field(
        "quiz_scores",
        "choice",
        False,
        "hidden shows participants only explanations, never scores (default shown)",
        SCORE_DISPLAYS,
    ),
)

ILLUSTRATION_FIELDS = _record(
    Field("id", "slug", True, "short name used for its alt text in each locale"),
    Field("file", "media-path", True, "SVG file under media/ in the pack"),
)

LESSON_FIELDS = _record(
    Field("audiences", "choices", True, "who the lesson is for", tuple(AUDIENCES)),
    Field("threats", "choices", True, "which threats it covers", tuple(THREATS)),
    Field("duration", "integer", True, "minutes it takes with a group"),
    Field("order", "integer", False, "position in lists (smaller first)"),
    Field(
        "illustrations",
        "records",
        True,
        "pictures of the lesson, first one leads",
        fields=ILLUSTRATION_FIELDS,
    ),
    Field(
        "message_pictures",
        "texts",
        False,
        "the illustration id shown with each key message, in order, in the picture-first view",
    ),
)

LESSON_TEXT_FIELDS = _record(
    Field("title", "text", True, "title of the lesson"),
    Field("summary", "text", True, "one sentence shown in lists"),
    Field("objectives", "texts", True, "what participants will know or do afterwards"),
    Field(
        "key_messages",
        "texts",
        True,
        f"at most {MAX_KEY_MESSAGES}, each at most {MAX_KEY_MESSAGE_LENGTH} characters",
    ),
    Field("alt", "text-by-key", True, "alt text of each illustration, by illustration id"),
)

QUESTION_FIELDS = _record(
    Field("id", "slug", True, "name of the question, unique in the pack; never change it"),
    Field("type", "choice", True, "single, picture or true-false", QUESTION_TYPES),
    Field("options", "slugs", False, "names of the options of a single question"),
    Field("pictures", "media-by-key", False, "picture question: option name: SVG under media/"),
    Field("correct", "answer", True, "name of the right option; true or false for true-false"),
)

QUIZ_FIELDS = _record(
    Field("questions", "records", True, "the questions, in order", fields=QUESTION_FIELDS),
    Field(
        "scores", "choice", False, "hidden for audiences that scores would upset", SCORE_DISPLAYS
    ),
)

QUESTION_TEXT_FIELDS = _record(
    Field("question", "text", True, "the question or, for true-false, the statement"),
    Field("options", "text-by-key", False, "text of each option by name (the picture's caption)"),
    Field("explanation", "text", True, "the safe behaviour, shown after answering"),
)

KNOWLEDGE_TEST_FIELDS = _record(
    Field("title", "locale-text", True, "title per locale"),
    Field("questions", "slugs", True, "ids of lesson quiz questions, in order"),
    Field("scores", "choice", False, "hidden to show participants no score", SCORE_DISPLAYS),
)

GUIDE_FIELDS = _record(
    Field("time_plan", "texts", True, "steps with their minutes, e.g. '5 min: read the story'"),
    Field("materials", "texts", True, "what the teacher needs"),
    Field("activity", "text", True, "a class activity that practises the safe behaviour"),
    Field("discussion", "texts", True, "questions to ask the group"),
    Field("if_someone_has_seen_one", "text", True, "what to do if someone says they saw an item"),
)

GLOSSARY_TERM_FIELDS = _record(
    Field("id", "slug", True, "short name of the term"),
    Field("term", "locale-text", True, "the preferred words, per locale"),
    Field(
        "match",
        "locale-text",
        False,
        "the part every form of the words contains, per locale (default: the term)",
    ),
    Field("note", "locale-text", False, "what the term means, for translators"),
)

GLOSSARY_FIELDS = _record(
    Field("terms", "records", True, "the terms, one entry each", fields=GLOSSARY_TERM_FIELDS),
)

SCHEMAS = {
    "pack.yaml": PACK_FIELDS,
    "lessons/<slug>/lesson.yaml": LESSON_FIELDS,
    "lessons/<slug>/<locale>.md (header)": LESSON_TEXT_FIELDS,
    "lessons/<slug>/quiz.yaml": QUIZ_FIELDS,
    "lessons/<slug>/quiz.yaml questions": QUESTION_FIELDS,
    "lessons/<slug>/quiz.<locale>.yaml (each question id)": QUESTION_TEXT_FIELDS,
    "knowledge-tests/<id>.yaml": KNOWLEDGE_TEST_FIELDS,
    "lessons/<slug>/guide.<locale>.md (header)": GUIDE_FIELDS,
    "glossary.yaml": GLOSSARY_FIELDS,
    "services.yaml": SERVICES_FIELDS,
    "services.yaml services": SERVICE_FIELDS,
    "glossary.yaml terms": GLOSSARY_TERM_FIELDS,
}


def validate(data, fields, doc, report, path=()):
    """Check ``data`` against ``fields``; call ``report(line, message)`` per problem."""
    where = ".".join(str(p) for p in path)
    if not isinstance(data, dict):
        report(doc.line(*path), f"{where or 'the file'} must be a set of 'name: value' fields")
        return
    known = {f.name: f for f in fields}
    for key in data:
        if key not in known:
            names = ", ".join(known)
            report(doc.line(*path, key), f"unknown field '{key}' (known fields: {names})")
    for f in fields:
        if f.name not in data or data[f.name] is None:
            if f.required:
                report(doc.line(*path), f"missing field '{f.name}' ({f.help})")
            continue
        _check_value(data[f.name], f, doc, report, path + (f.name,))


def _check_value(value, f, doc, report, path):
    line = doc.line(*path)
    name = ".".join(str(p) for p in path)
    if f.kind == "text":
        if (
            not isinstance(value, (str, int, float))
            or isinstance(value, bool)
            or not str(value).strip()
        ):
            report(line, f"'{name}' must be text")
    elif f.kind == "slug":
        if not _is_slug(value):
            report(line, f"'{name}' must be a short name of a-z, 0-9 and '-'")
    elif f.kind == "media-path":
        if not is_media_path(value):
            report(line, f"'{name}' must be a file name inside media/, e.g. sign.svg")
    elif f.kind == "integer":
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            report(line, f"'{name}' must be a whole number")
    elif f.kind == "choice":
        if value not in f.choices:
            report(line, f"'{name}' is '{value}'; it must be one of: {', '.join(f.choices)}")
    elif f.kind == "answer":
        if isinstance(value, list):
            report(line, f"'{name}' must name exactly one right option, not a list")
        elif not isinstance(value, (str, bool)) or value == "":
            report(line, f"'{name}' must name one option (or be true or false)")
    elif f.kind in ("choices", "texts", "slugs"):
        if not isinstance(value, list) or not value:
            report(line, f"'{name}' must be a list with at least one item ('- item' lines)")
            return
        for index, item in enumerate(value):
            item_line = doc.line(*path, index)
            if f.kind == "choices" and item not in f.choices:
                report(
                    item_line,
                    f"unknown {f.name[:-1] if f.name.endswith('s') else f.name} "
                    f"'{item}' (known: {', '.join(f.choices)})",
                )
            if f.kind == "texts" and (not isinstance(item, str) or not item.strip()):
                report(item_line, f"each item of '{name}' must be text")
            if f.kind == "slugs" and not _is_slug(item):
                report(item_line, f"each item of '{name}' must be a short name (a-z, 0-9, '-')")
    elif f.kind in ("locale-text", "text-by-key", "media-by-key"):
        if not isinstance(value, dict) or not value:
            report(line, f"'{name}' must be a set of 'key: text' lines")
            return
        for key, text in value.items():
            if f.kind == "media-by-key":
                if not _is_slug(key):
                    report(
                        doc.line(*path, key),
                        f"'{name}': '{key}' must be a short name (a-z, 0-9, '-')",
                    )
                if not is_media_path(text):
                    report(doc.line(*path, key), f"'{name}.{key}' must be a file inside media/")
            elif not isinstance(text, str) or not text.strip():
                report(doc.line(*path, key), f"'{name}.{key}' must be text")
    elif f.kind == "records":
        if not isinstance(value, list):
            report(line, f"'{name}' must be a list ('- field: value' items), or [] when empty")
            return
        for index, item in enumerate(value):
            validate(item, f.fields, doc, report, path + (index,))
    elif f.kind == "records-by-key":
        if not isinstance(value, dict) or not value:
            report(line, f"'{name}' must list at least one entry by its code")
            return
        for key, item in value.items():
            if not isinstance(key, str):
                report(doc.line(*path, key), f"'{name}' codes must be words, not '{key}'")
                continue
            validate(item if item is not None else {}, f.fields, doc, report, path + (key,))


SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _is_slug(value) -> bool:
    return isinstance(value, str) and bool(SLUG_RE.match(value))


def is_media_path(value) -> bool:
    """Return whether ``value`` names a file inside the pack's media/ folder."""
    if not isinstance(value, str):
        return False
    parts = value.replace("\\", "/").split("/")
    return bool(value) and not value.startswith("/") and ".." not in parts and "" not in parts
