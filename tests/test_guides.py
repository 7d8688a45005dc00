"""Teacher guides and the curriculum page: loaded when right, reported by file and line when not."""

from pathlib import Path

import pytest

from eore import create_app
from eore.content import check_pack

PACKS = Path(__file__).parent / "packs"
GUIDE_EN = "lessons/first-steps/guide.en.md"


def test_guide_shows_every_part_with_the_lesson_objectives(sample_app):
    html = sample_app.test_client().get("/en/lessons/first-steps/guide").get_data(as_text=True)
    for part in (
        "Teacher guide",
        "Know the first rule.",  # objective from the lesson
        "Stop and do not touch.",  # key message from the lesson
        "2 min: Ask what the group already knows.",
        "The lesson on a phone",
        "Play &#34;stop and go back&#34; with the group.",
        "What do you do first?",
        "Never send anyone to check.",
        "Notes for the teacher.",
    ):
        assert part in html, part


def test_guide_in_arabic_and_fallback_with_a_notice(sample_app):
    client = sample_app.test_client()
    arabic = client.get("/ar/lessons/first-steps/guide").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in arabic and "لا ترسل أحداً ليتحقق." in arabic
    assert 'class="notice fallback"' not in arabic
    fallback = client.get("/ar/lessons/signs/guide").get_data(as_text=True)
    assert 'class="notice fallback"' in fallback and 'lang="en" dir="ltr"' in fallback


def test_lesson_links_to_its_guide_and_home_to_the_curriculum(sample_app):
    client = sample_app.test_client()
    assert 'href="/en/lessons/first-steps/guide"' in client.get("/en/lessons/first-steps").text
    assert 'href="/en/curriculum"' in client.get("/en/").text


def test_lesson_without_guide_has_no_guide_page(make_pack, tmp_path):
    root = make_pack({"lessons/signs/guide.en.md": None})
    app = create_app({"TESTING": True, "CONTENT": str(root), "DATA": str(tmp_path / "data")})
    client = app.test_client()
    assert client.get("/en/lessons/signs/guide").status_code == 404
    assert "/guide" not in client.get("/en/lessons/signs").text
    _library, problems = check_pack(root)
    assert "lessons/signs/guide.en.md: warning: no teacher guide: teachers and facilitators " in (
        "\n".join(str(p) for p in problems)
    )


def test_curriculum_groups_lessons_by_age(sample_app):
    html = sample_app.test_client().get("/en/curriculum").text
    children = html.index('id="group-children"')
    adults = html.index('id="group-adults"')
    assert html.index("Signs", children) < adults  # the children's lesson
    assert html.index("First steps", adults) > adults
    assert 'id="group-adolescents"' not in html  # no lesson for them in the sample pack


@pytest.mark.parametrize(
    "old, new, expected",
    [
        (
            'activity: Play "stop and go back" with the group.\n',
            "",
            f"{GUIDE_EN}:2: error: missing field 'activity' (a class activity that practises "
            "the safe behaviour)",
        ),
        (
            "discussion:\n  - What do you do first?\n",
            "discussion: What do you do first?\n",
            f"{GUIDE_EN}:8: error: 'discussion' must be a list with at least one item "
            "('- item' lines)",
        ),
        (
            "materials:\n",
            "tools:\n  - x\nmaterials:\n",
            f"{GUIDE_EN}:5: error: unknown field 'tools' (known fields: time_plan, materials, "
            "activity, discussion, if_someone_has_seen_one)",
        ),
    ],
    ids=["no-activity", "discussion-not-a-list", "unknown-field"],
)
def test_broken_guide_is_reported_by_file_and_line(make_pack, old, new, expected):
    root = make_pack()
    text = (root / GUIDE_EN).read_text(encoding="utf-8")
    assert old in text
    (root / GUIDE_EN).write_text(text.replace(old, new), encoding="utf-8")
    _library, problems = check_pack(root)
    assert [str(p) for p in problems if p.severity == "error"] == [expected]


def test_guide_in_an_unknown_locale_is_an_error(make_pack):
    root = make_pack()
    (root / "lessons/first-steps/guide.xx.md").write_text("---\n---\n", encoding="utf-8")
    _library, problems = check_pack(root)
    assert [str(p) for p in problems if p.severity == "error"] == [
        "lessons/first-steps/guide.xx.md: error: unknown locale 'xx' (the pack's locales: en, ar)"
    ]
