"""Loading and validating content packs: every problem named by file and line."""

from pathlib import Path

import pytest

from eore.content import PackError, check_pack, load_pack
from eore.settings import PROJECT_ROOT

PACKS = Path(__file__).parent / "packs"

LESSON_YAML = "lessons/first-steps/lesson.yaml"
LESSON_EN = "lessons/first-steps/lesson.en.md"


def lesson_text(**changes):
    """Return the English text of the sample lesson with header lines changed."""
    header = {
        "title": "First steps",
        "summary": "A summary.",
        "objectives": "\n  - Know the first rule.",
        "key_messages": "\n  - Stop and do not touch.",
        "alt": "\n  sign: A red triangle",
    }
    header.update(changes)
    lines = [f"{key}: {value}" for key, value in header.items() if value is not None]
    return "---\n" + "\n".join(lines) + "\n---\nBody text.\n"


def pack_yaml(*, source="en", locales="  en: {review: draft}\n"):
    """Return a pack.yaml with the given source locale and locales block."""
    return f"name: x\nversion: 1\nsource_locale: {source}\nlocales:\n{locales}contacts: []\n"


def errors_of(root):
    """Return the pack's errors as 'file:line: message' strings."""
    library, problems = check_pack(root)
    return library, [str(p) for p in problems if p.severity == "error"]


def test_good_sample_pack_loads_into_an_indexed_library(make_pack):
    library = load_pack(make_pack())
    assert library.name == "Test pack"
    assert list(library.lessons) == ["first-steps", "signs"]
    lesson = library.lessons["first-steps"]
    assert lesson.audiences == ("adults",)
    assert set(lesson.texts) == {"en", "ar"}
    assert library.locales["ar"].direction == "rtl"
    assert library.contacts[0].label["en"] == "Test hotline"
    assert library.coverage() == {"en": (2, 2), "ar": (1, 2)}
    assert [lesson.slug for lesson in library.lessons_for("children")] == ["signs"]


def test_library_is_immutable(make_pack):
    library = load_pack(make_pack())
    with pytest.raises(AttributeError):
        library.name = "changed"
    with pytest.raises(TypeError):
        library.lessons["new"] = None


def test_missing_translation_is_a_warning_and_falls_back(make_pack):
    library, problems = check_pack(make_pack())
    assert [str(p) for p in problems] == [
        "lessons/signs/lesson.ar.md: warning: missing translation: 'ar' readers see the en text",
        "lessons/signs/quiz.yaml: warning: no quiz: every lesson should end with 3 to 6 questions",
    ]
    text, fell_back = library.text_of(library.lessons["signs"], "ar")
    assert fell_back and text.locale == "en"


def test_starter_pack_is_usable_without_errors():
    library, problems = check_pack(PROJECT_ROOT / "content")
    assert library is not None, [str(p) for p in problems]
    assert [p for p in problems if p.severity == "error"] == []
    assert len(library.lessons) >= 3


PACK_WITH_AREAS = (PACKS / "good" / "pack.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    "files, expected",
    [
        ({LESSON_EN: lesson_text(colour="red")}, f"{LESSON_EN}:10: error: unknown field 'colour'"),
        ({LESSON_EN: lesson_text(summary=None)}, f"{LESSON_EN}:2: error: missing field 'summary'"),
        (
            {LESSON_EN: lesson_text(objectives="just text")},
            f"{LESSON_EN}:4: error: 'objectives' must be a list",
        ),
        (
            {LESSON_EN: lesson_text(key_messages="\n  - " + "x" * 161)},
            f"{LESSON_EN}:7: error: key message of 161 characters",
        ),
        (
            {LESSON_EN: lesson_text(key_messages="".join(f"\n  - m{i}" for i in range(6)))},
            f"{LESSON_EN}:6: error: 6 key messages; at most 5",
        ),
        (
            {LESSON_EN: lesson_text(alt="\n  other: text")},
            f"{LESSON_EN}:9: error: alt text for unknown illustration 'other'",
        ),
        (
            {
                LESSON_YAML: "audiences: [pilots]\nthreats: [mines]\nduration: 5\n"
                "illustrations:\n  - {id: sign, file: sign.svg}\n"
            },
            f"{LESSON_YAML}:1: error: unknown audience 'pilots'",
        ),
        (
            {
                LESSON_YAML: "audiences: [adults]\nthreats: [mines]\nduration: five\n"
                "illustrations:\n  - {id: sign, file: sign.svg}\n"
            },
            f"{LESSON_YAML}:3: error: 'duration' must be a whole number",
        ),
        (
            {
                LESSON_YAML: "audiences: [adults]\nthreats: [mines]\nduration: 5\n"
                "illustrations:\n  - {id: sign, file: missing.svg}\n"
            },
            f"{LESSON_YAML}:5: error: illustration file media/missing.svg does not exist",
        ),
        (
            {"lessons/first-steps/lesson.de.md": lesson_text()},
            "lessons/first-steps/lesson.de.md: error: unknown locale 'de'",
        ),
        (
            {"lessons/other-group/signs/lesson.yaml": "audiences: [adults]\n"},
            "lessons/signs/lesson.yaml: error: duplicate slug 'signs': also used by "
            "lessons/other-group",
        ),
        (
            {"lessons/Bad_Name/lesson.yaml": "audiences: [adults]\n"},
            "lessons/Bad_Name/lesson.yaml: error: folder name 'Bad_Name' is the lesson's address",
        ),
        (
            {LESSON_EN: None},
            f"{LESSON_YAML}: error: no text in the source locale: add lesson.en.md",
        ),
        (
            {"pack.yaml": pack_yaml(locales="  en: {review: maybe}\n")},
            "pack.yaml:5: error: 'locales.en.review' is 'maybe'; it must be one of: draft",
        ),
        (
            {"pack.yaml": pack_yaml(source="de")},
            "pack.yaml:3: error: source_locale 'de' is not one of the pack's locales",
        ),
        (
            {"pack.yaml": pack_yaml(locales="  en: {review: draft}\n  sw: {review: draft}\n")},
            "pack.yaml:6: error: unknown locale 'sw': give its 'name' and 'direction'",
        ),
        (
            {"pack.yaml": pack_yaml(locales="  en: {review: draft}\n  xx: {review: draft}\n")},
            "pack.yaml:6: error: 'xx' is not a language code",
        ),
        (
            {"pack.yaml": pack_yaml(locales="  en: {review: draft}\n  1: {review: draft}\n")},
            "pack.yaml:6: error: 'locales' codes must be words",
        ),
        (
            {
                LESSON_YAML: "audiences: [adults]\nthreats: [mines]\nduration: 5\n"
                "illustrations:\n  - {id: sign, file: ../../outside.svg}\n"
            },
            f"{LESSON_YAML}:5: error: 'illustrations.0.file' must be a file name inside media/",
        ),
        (
            {
                LESSON_YAML: "audiences: [adults]\nthreats: [mines]\nduration: 5\n"
                "illustrations:\n  - {id: sign, file: 5}\n"
            },
            f"{LESSON_YAML}:5: error: 'illustrations.0.file' must be a file name inside media/",
        ),
        (
            {LESSON_YAML: "audiences: &x [*x]\n"},
            f"{LESSON_YAML}:1: error: a YAML alias refers to itself",
        ),
        (
            {
                "media/sign.svg": '<svg xmlns="http://www.w3.org/2000/svg"><script>x()</script></svg>'
            },
            "media/sign.svg: error: <script> with scripts or outside links is not allowed",
        ),
        (
            {"media/sign.svg": "<svg>\n<path>\n</svg>\n"},
            "media/sign.svg:3: error: not a valid SVG file",
        ),
        ({LESSON_EN: "---\ntitle: [broken\n---\nBody\n"}, f"{LESSON_EN}:3: error: YAML syntax"),
        ({"pack.yaml": "name: x\n\tversion: 1\n"}, "pack.yaml:2: error: YAML syntax"),
        (
            {"services.yaml": "services:\n  - type: magic\n    provider: {en: X}\n"},
            "services.yaml:2: error: 'services.0.type' is 'magic'; it must be one of: medical,",
        ),
        (
            {"services.yaml": "services:\n  - type: legal\n    provider: {ar: X}\n"},
            "services.yaml:3: error: the provider needs a text in the source locale 'en'",
        ),
        (
            {"services.yaml": "services:\n  - type: legal\n    provider: {en: X}\n    fax: 1\n"},
            "services.yaml:4: error: unknown field 'fax'",
        ),
        (
            {"services.yaml": "services:\n  - type: legal\n    provider: {en: X, xx: Y}\n"},
            "services.yaml:3: error: unknown locale 'xx'",
        ),
        (
            {"services.yaml": "services: none\n"},
            "services.yaml:1: error: 'services' must be a list",
        ),
        (
            {"pack.yaml": PACK_WITH_AREAS + "  - {code: TP01, name: {en: Again}}\n"},
            "pack.yaml:23: error: area code 'TP01' is listed twice",
        ),
        (
            {"pack.yaml": PACK_WITH_AREAS + "  - {code: TP03}\n"},
            "pack.yaml:23: error: missing field 'name'",
        ),
        (
            {"pack.yaml": PACK_WITH_AREAS + "area_level: 7\n"},
            "pack.yaml:23: error: area_level must be from 1 to 5",
        ),
    ],
)
def test_broken_pack_reports_file_and_line(make_pack, files, expected):
    library, errors = errors_of(make_pack(files))
    assert library is None
    assert any(error.startswith(expected) for error in errors), errors


def test_checked_in_broken_pack_reports_the_header_line():
    with pytest.raises(PackError) as caught:
        load_pack(Path(__file__).parent / "packs" / "broken-header")
    assert [str(p) for p in caught.value.problems] == [
        "lessons/oops/lesson.en.md:5: error: YAML syntax: expected ',' or ']', but got ':' "
        "(while parsing a flow sequence that starts on line 4)"
    ]


def test_folder_without_pack_yaml_is_explained(tmp_path):
    with pytest.raises(PackError, match="no pack.yaml"):
        load_pack(tmp_path)


def test_non_utf8_file_is_reported_with_its_line(make_pack):
    root = make_pack()
    (root / LESSON_EN).write_bytes(lesson_text().encode() + b"caf\xe9\n")
    library, errors = errors_of(root)
    assert errors == [f"{LESSON_EN}:12: error: not UTF-8 text (save the file as UTF-8)"]


def test_link_to_the_internet_is_a_warning(make_pack):
    body = lesson_text().replace("Body text.", "See [this](https://example.org).")
    library, problems = check_pack(make_pack({LESSON_EN: body}))
    assert library is not None
    assert f"{LESSON_EN}:11: warning: link to the internet" in "\n".join(map(str, problems))


def test_regional_locale_is_served(make_pack):
    pack = (
        (make_pack() / "pack.yaml")
        .read_text()
        .replace("  ar: {review: draft}", "  ar: {review: draft}\n  pt-BR: {review: draft}")
    )
    root = make_pack({"pack.yaml": pack})
    from eore import create_app

    (root / "pack.yaml").write_text(
        pack.replace("pt-BR: {review: draft}", "pt-BR: {review: draft, name: Português}")
    )

    app = create_app({"CONTENT": str(root), "DATA": str(root.parent / "data")})
    response = app.test_client().get("/pt-BR/lessons/first-steps")
    assert response.status_code == 200
    assert '<html lang="pt-BR" dir="ltr">' in response.get_data(as_text=True)


def test_repeating_aliases_cannot_exhaust_the_loader():
    from eore.textfile import TextFileError, parse_yaml

    laughs = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{n}: &{n} [{', '.join(['*' + p] * 10)}]\n"
        for p, n in zip("abcdefgh", "bcdefghi", strict=False)
    )
    with pytest.raises(TextFileError, match="repeats itself"):
        parse_yaml(laughs)


def test_phone_number_in_a_lesson_is_a_warning(make_pack):
    body = lesson_text().replace("Body text.", "Call 0944 123 456 now.\nIn 2026 and 2027.")
    _library, problems = check_pack(make_pack({LESSON_EN: body}))
    assert [str(p) for p in problems if "phone" in p.message] == [
        f"{LESSON_EN}:11: warning: looks like a phone number: put contacts in pack.yaml, where "
        "operators keep them right (never invent one)"
    ]


def test_areas_and_services_are_loaded_in_order():
    library = load_pack(PACKS / "good")
    assert [area.code for area in library.areas] == ["TP01", "TP02"]
    assert library.areas[0].name["ar"] == "المنطقة الشمالية"
    medical, psychosocial = library.services
    assert (medical.type, medical.phone, medical.languages) == (
        "medical",
        "+000 333 444",
        ("Arabic", "English"),
    )
    assert psychosocial.phone == "" and dict(psychosocial.cost) == {}


def test_a_pack_without_services_or_areas_has_none(make_pack):
    root = make_pack({"services.yaml": None})
    library = load_pack(root)
    assert library.services == ()
    starter = load_pack(PROJECT_ROOT / "content")
    assert starter.services == () and starter.areas == ()
