"""Quizzes and knowledge tests in a pack: loaded when right, named by file and line when not."""

import pytest

from eore.content import check_pack, load_pack
from eore.quizpack import grade

QUIZ = "lessons/first-steps/quiz.yaml"
QUIZ_EN = "lessons/first-steps/quiz.en.yaml"
QUIZ_AR = "lessons/first-steps/quiz.ar.yaml"
TEST = "knowledge-tests/basics.yaml"

GOOD_QUIZ = """questions:
  - id: first-stop
    type: single
    options: [stop, touch, kick]
    correct: stop
  - id: first-no-sign
    type: true-false
    correct: false
  - id: first-picture
    type: picture
    pictures:
      sign: sign.svg
      ball: ball.svg
    correct: sign
"""


def errors_of(root):
    """Return the pack's errors as 'file:line: message' strings."""
    _library, problems = check_pack(root)
    return [str(p) for p in problems if p.severity == "error"]


def test_quiz_and_test_of_the_sample_pack_load(make_pack):
    library = load_pack(make_pack())
    quiz = library.quizzes["first-steps"]
    assert [q.id for q in quiz.questions] == ["first-stop", "first-no-sign", "first-picture"]
    assert [q.type for q in quiz.questions] == ["single", "true-false", "picture"]
    single, true_false, picture = quiz.questions
    assert [o.id for o in single.options] == ["stop", "touch", "kick"]
    assert [o.id for o in true_false.options] == ["true", "false"]
    assert true_false.correct == "false"
    assert [(o.id, o.picture) for o in picture.options] == [
        ("sign", "sign.svg"),
        ("ball", "ball.svg"),
    ]
    assert single.texts["ar"].options["stop"] == "قف"
    assert single.texts["en"].explanation == "Stop and do not touch."
    assert grade(single, "stop") and not grade(single, "kick")
    assert not quiz.hide_scores and not library.hide_scores
    test = library.tests["basics"]
    assert [q.id for q in test.questions] == ["first-stop", "first-no-sign"]
    assert test.title_in("ar", "en") == "الأساسيات"
    assert "signs" not in library.quizzes


def test_starter_pack_has_a_quiz_for_every_lesson_and_two_tests():
    from eore.settings import PROJECT_ROOT

    library, problems = check_pack(PROJECT_ROOT / "content")
    assert [p for p in problems if p.severity == "error"] == []
    assert set(library.quizzes) == set(library.lessons)
    coverage = library.coverage()
    assert {code: coverage[code] for code in ("en", "ar", "uk", "es", "fr")} == {
        code: (15, 15) for code in ("en", "ar", "uk", "es", "fr")
    }
    # The sixth language starts with the most urgent lessons.
    assert coverage["ps"] == (2, 15)
    for slug, lesson in library.lessons.items():
        assert {"en", "ar", "uk", "es", "fr"} <= set(lesson.guides), slug
    for slug, quiz in library.quizzes.items():
        assert 3 <= len(quiz.questions) <= 6, slug
        assert any(q.type == "picture" for q in quiz.questions), slug
        for question in quiz.questions:
            # A quiz is translated wherever its lesson is.
            assert set(question.texts) == set(library.lessons[slug].texts), question.id
    general = library.tests["general"].questions
    assert 8 <= len(general) <= 10
    pictures = library.tests["pictures"]
    assert pictures.hide_scores and all(q.type == "picture" for q in pictures.questions)


@pytest.mark.parametrize(
    "quiz, expected",
    [
        (
            GOOD_QUIZ.replace("correct: stop", "correct: run"),
            f"{QUIZ}:5: error: question 'first-stop': the right option 'run' is not one of "
            "its options (stop, touch, kick)",
        ),
        (
            GOOD_QUIZ.replace("correct: stop", "correct: [stop, touch]"),
            f"{QUIZ}:5: error: 'questions.0.correct' must name exactly one right option, "
            "not a list",
        ),
        (
            GOOD_QUIZ.replace("correct: false", "correct: maybe"),
            f"{QUIZ}:8: error: question 'first-no-sign' is true-false: 'correct' must be "
            "true or false",
        ),
        (
            GOOD_QUIZ.replace(
                "type: true-false\n", "type: true-false\n    options: [right, wrong]\n"
            ),
            f"{QUIZ}:8: error: question 'first-no-sign' is true-false: its options are always "
            "true and false; remove 'options'",
        ),
        (
            GOOD_QUIZ.replace("ball.svg", "missing.svg"),
            f"{QUIZ}:13: error: illustration file media/missing.svg does not exist",
        ),
        (
            GOOD_QUIZ.replace("options: [stop, touch, kick]", "options: [stop]"),
            f"{QUIZ}:4: error: question 'first-stop' has 1 options; give 2 to 6",
        ),
        (
            GOOD_QUIZ.replace("type: single", "type: multiple"),
            f"{QUIZ}:3: error: 'questions.0.type' is 'multiple'; it must be one of: single, "
            "picture, true-false",
        ),
        (
            GOOD_QUIZ.replace("type: single\n    options", "type: picture\n    options"),
            f"{QUIZ}:4: error: question 'first-stop' is a picture question: give its options "
            "under 'pictures', not 'options'",
        ),
        (
            GOOD_QUIZ.replace("id: first-picture", "id: first-stop"),
            f"{QUIZ}:9: error: question id 'first-stop' is used twice in this quiz",
        ),
        (
            GOOD_QUIZ.replace("    correct: stop\n", ""),
            f"{QUIZ}:2: error: missing field 'correct' (name of the right option; true or "
            "false for true-false)",
        ),
        ("questions: []\n", f"{QUIZ}:1: error: the quiz has no questions"),
        (
            GOOD_QUIZ.replace("ball: ball.svg", "2: ball.svg"),
            f"{QUIZ}:13: error: 'questions.2.pictures': '2' must be a short name (a-z, 0-9, '-')",
        ),
        (
            GOOD_QUIZ.replace("options: [stop, touch, kick]", "options: [stop, Touch, kick]"),
            f"{QUIZ}:4: error: each item of 'questions.0.options' must be a short name "
            "(a-z, 0-9, '-')",
        ),
        (
            "questions: [\n",
            f"{QUIZ}:2: error: YAML syntax: expected the node content, but found '<stream end>'",
        ),
    ],
    ids=[
        "right-option-unknown",
        "two-right-options",
        "true-false-not-boolean",
        "true-false-with-options",
        "picture-missing",
        "one-option",
        "unknown-type",
        "picture-without-pictures",
        "repeated-id",
        "no-correct",
        "no-questions",
        "picture-name-not-a-word",
        "uppercase-option",
        "yaml-syntax",
    ],
)
def test_broken_quiz_is_reported_by_file_and_line(make_pack, quiz, expected):
    errors = errors_of(make_pack({QUIZ: quiz}))
    assert errors == [expected]


@pytest.mark.parametrize(
    "old, new, expected",
    [
        (
            "    kick: اركله\n",
            "",
            f"{QUIZ_AR}:1: error: question 'first-stop' has no text for option 'kick'",
        ),
        (
            "    kick: اركله\n",
            "    kick: اركله\n    run: اهرب\n",
            f"{QUIZ_AR}:7: error: question 'first-stop' has no option 'run'",
        ),
        (
            "  explanation: المثلث الأحمر يعني الخطر.\n",
            "",
            f"{QUIZ_AR}:11: error: missing field 'explanation' (the safe behaviour, shown "
            "after answering)",
        ),
        (
            "first-no-sign:\n",
            "first-no-signs:\n",
            f"{QUIZ_AR}:8: error: text for unknown question 'first-no-signs' (not in quiz.yaml)",
        ),
        (
            "  explanation: عدم وجود إشارة لا يعني الأمان.\n",
            "  explanation: عدم وجود إشارة لا يعني الأمان.\n  options:\n    right: صح\n",
            f"{QUIZ_AR}:11: error: question 'first-no-sign' is true-false: its options are "
            "named by the toolkit",
        ),
    ],
    ids=["option-without-text", "unknown-option", "no-explanation", "unknown-question", "tf"],
)
def test_broken_quiz_text_is_reported_by_file_and_line(make_pack, old, new, expected):
    root = make_pack()
    text = (root / QUIZ_AR).read_text(encoding="utf-8")
    assert old in text
    (root / QUIZ_AR).write_text(text.replace(old, new), encoding="utf-8")
    assert expected in errors_of(root)


def test_quiz_without_source_text_is_an_error(make_pack):
    assert errors_of(make_pack({QUIZ_EN: None})) == [
        f"{QUIZ}: error: no text in the source locale: add quiz.en.yaml"
    ]


def test_missing_quiz_translation_is_a_warning_and_falls_back(make_pack):
    library, problems = check_pack(make_pack({QUIZ_AR: None}))
    assert [str(p) for p in problems if p.file == QUIZ_AR] == [
        f"{QUIZ_AR}: warning: missing translation: the lesson is in 'ar' but its quiz is "
        "shown in en"
    ]
    question = library.quizzes["first-steps"].questions[0]
    text, fell_back = question.text_in("ar", library.source_locale)
    assert fell_back and text.locale == "en"


def test_quiz_text_without_quiz_is_an_error(make_pack):
    errors = errors_of(make_pack({QUIZ: None, TEST: None}))
    assert errors == [
        f"{QUIZ_AR}: error: quiz text without a quiz.yaml beside it",
        f"{QUIZ_EN}: error: quiz text without a quiz.yaml beside it",
    ]


def test_question_ids_are_unique_in_the_pack(make_pack):
    root = make_pack(
        {
            "lessons/signs/quiz.yaml": "questions:\n  - id: first-stop\n    type: true-false\n"
            "    correct: true\n",
            "lessons/signs/quiz.en.yaml": "first-stop:\n  question: Q\n  explanation: E\n",
        }
    )
    assert errors_of(root) == [
        "lessons/signs/quiz.yaml: error: question id 'first-stop' is used by the quizzes of "
        "both 'first-steps' and 'signs': ids must be unique in the pack"
    ]


@pytest.mark.parametrize(
    "test, expected",
    [
        (
            "title:\n  en: Basics\nquestions: [first-stop, nope]\n",
            f"{TEST}:3: error: unknown question 'nope': use the id of a question in a "
            "lesson's quiz.yaml",
        ),
        (
            "title:\n  en: Basics\nquestions: [first-stop, first-stop]\n",
            f"{TEST}:3: error: question 'first-stop' is listed twice",
        ),
        (
            "title:\n  ar: الأساسيات\nquestions: [first-stop]\n",
            f"{TEST}:1: error: the title needs a text in the source locale 'en'",
        ),
        (
            "title:\n  en: Basics\n",
            f"{TEST}:1: error: missing field 'questions' (ids of lesson quiz questions, in order)",
        ),
    ],
    ids=["unknown-question", "repeated", "no-source-title", "no-questions"],
)
def test_broken_knowledge_test_is_reported_by_file_and_line(make_pack, test, expected):
    assert errors_of(make_pack({TEST: test})) == [expected]


def test_scores_can_be_hidden_per_quiz_and_per_pack(make_pack):
    root = make_pack({QUIZ: "scores: hidden\n" + GOOD_QUIZ})
    assert load_pack(root).quizzes["first-steps"].hide_scores
    pack = (root / "pack.yaml").read_text(encoding="utf-8") + "quiz_scores: hidden\n"
    (root / "pack.yaml").write_text(pack, encoding="utf-8")
    assert load_pack(root).hide_scores


def test_misnamed_quiz_and_test_files_are_warned_about(make_pack):
    root = make_pack()
    (root / "knowledge-tests" / "basics.yaml").rename(root / "knowledge-tests" / "basics.yml")
    (root / "lessons" / "first-steps" / "quiz.ar.yaml").rename(
        root / "lessons" / "first-steps" / "quiz.ar.yml"
    )
    library, problems = check_pack(root)
    warnings = [str(p) for p in problems if p.severity == "warning"]
    assert "knowledge-tests/basics.yml: warning: not read: knowledge tests are <id>.yaml files" in (
        warnings
    )
    assert "lessons/first-steps/quiz.ar.yml: warning: not read: quiz files end in .yaml" in warnings
    assert library.tests == {}


def test_quiz_size_and_picture_question_are_advised(make_pack):
    quiz = "questions:\n  - id: first-no-sign\n    type: true-false\n    correct: false\n"
    text = "first-no-sign:\n  question: Q\n  explanation: E\n"
    root = make_pack({QUIZ: quiz, QUIZ_EN: text, QUIZ_AR: text, TEST: None})
    _library, problems = check_pack(root)
    assert [str(p) for p in problems if p.file == QUIZ] == [
        f"{QUIZ}:1: warning: 1 questions: a lesson quiz works best with 3 to 6",
        f"{QUIZ}:1: warning: no picture question: add one for people who read little",
    ]
