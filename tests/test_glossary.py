"""The pack glossary: translations keep to its terms; a broken glossary only warns."""

from eore.content import check_pack, load_pack
from eore.settings import PROJECT_ROOT

GLOSSARY = """\
terms:
  - id: touch
    term:
      en: touch
      ar: تلمس
    match:
      en: touch
      ar: لمس
"""


def warnings_of(root):
    library, problems = check_pack(root)
    assert library is not None, [str(p) for p in problems]
    return [str(p) for p in problems if p.severity == "warning"]


def test_translation_that_uses_the_term_passes(make_pack):
    found = warnings_of(make_pack({"glossary.yaml": GLOSSARY}))
    assert not [w for w in found if "glossary" in w]


def test_translation_that_leaves_the_term_is_named_by_file(make_pack):
    root = make_pack({"glossary.yaml": GLOSSARY.replace("ar: لمس", "ar: أمسك")})
    found = warnings_of(root)
    assert (
        "lessons/first-steps/lesson.ar.md: warning: glossary: the en text says 'touch' "
        "but this translation never uses 'تلمس' (see glossary.yaml)"
    ) in found


def test_term_missing_a_pack_locale_is_a_warning_with_its_line(make_pack):
    root = make_pack({"glossary.yaml": GLOSSARY.replace("      ar: تلمس\n", "")})
    found = warnings_of(root)
    assert "glossary.yaml:2: warning: term 'touch' has no words yet for: ar" in found
    assert "glossary.yaml:7: warning: 'ar' has a match but no term" in found


def test_broken_glossary_warns_by_line_and_keeps_the_pack_usable(make_pack):
    root = make_pack({"glossary.yaml": "terms:\n  - id: touch\n    term: {en: x\n  - id: y\n"})
    found = warnings_of(root)
    assert any(
        w.startswith("glossary.yaml:4: warning:") and w.endswith("(the glossary is not checked)")
        for w in found
    ), found
    root = make_pack({"glossary.yaml": "terms:\n  - id: touch\n    colour: red\n"})
    found = warnings_of(root)
    assert any("unknown field 'colour'" in w for w in found), found
    assert any("missing field 'term'" in w for w in found), found
    assert load_pack(root).lessons


def test_starter_pack_glossary_covers_every_full_locale_and_every_lesson_keeps_to_it():
    library, problems = check_pack(PROJECT_ROOT / "content")
    glossary_warnings = [
        str(p) for p in problems if "glossary" in p.file or "glossary" in p.message
    ]
    # Only the partial sixth language may still miss terms.
    assert glossary_warnings and all(
        w.startswith("glossary.yaml:") and w.endswith("no words yet for: ps")
        for w in glossary_warnings
    ), glossary_warnings
