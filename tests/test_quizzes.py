"""Quizzes and knowledge tests through the test client: no JavaScript, real forms, CSRF on."""

import re
import sqlite3
from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from eore import create_app

PACKS = Path(__file__).parent / "packs"

QUIZ = "/{code}/lessons/first-steps/quiz"
ALL_RIGHT = {"q-first-stop": "stop", "q-first-no-sign": "false", "q-first-picture": "sign"}
ONE_WRONG = {**ALL_RIGHT, "q-first-stop": "kick"}


@pytest.fixture
def make_app(shared_data, tmp_path):
    """Return a factory of apps on a pack (the sample pack by default), each with a new database."""

    def make(content=PACKS / "good"):
        return create_app(
            {
                "TESTING": True,
                "CONTENT": str(content),
                "DATA": str(shared_data / "sample"),
                "DATABASE": str(tmp_path / "eore.sqlite3"),
            }
        )

    return make


@pytest.fixture
def quiz_app(make_app):
    return make_app()


@pytest.fixture
def quiz_client(quiz_app):
    return quiz_app.test_client()


def open_form(client, url):
    """GET a quiz page; return its HTML and the hidden fields a browser would send."""
    response = client.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    assert set(hidden) == {"csrf_token", "attempt"}
    return html, hidden


def send(client, url, answers, hidden=None):
    """Open the form at ``url`` (unless its hidden fields are given) and send ``answers``."""
    if hidden is None:
        _html, hidden = open_form(client, url)
    return client.post(url, data={**hidden, **answers})


def stored(app):
    """Return every stored attempt and answer, as plain tuples."""
    with sqlite3.connect(app.config["DATABASE"]) as db:
        attempts = db.execute(
            "SELECT kind, subject, locale, phase, session_code, correct, total FROM quiz_attempt"
        ).fetchall()
        answers = db.execute("SELECT question, choice, is_correct FROM quiz_answer").fetchall()
    return attempts, answers


def main_of(response):
    html = response.get_data(as_text=True)
    return html[html.index("<main") : html.index("</main>")]


def test_quiz_page_is_a_plain_form_with_every_question(quiz_client):
    response = quiz_client.get(QUIZ.format(code="en"))
    html = response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    assert '<form class="quiz" method="post" action="/en/lessons/first-steps/quiz"' in html
    assert html.count('type="radio" name="q-first-stop"') == 3
    assert html.count('type="radio" name="q-first-no-sign"') == 2
    assert ">True</span>" in html and ">False</span>" in html
    assert re.search(r'<img src="/media/ball\.[0-9a-f]+\.svg" alt=""', html)
    assert "Question 1 of 3" in html
    # The script only enhances, from a file: no inline script under the CSP.
    assert re.search(r'<script src="/static/quiz\.[0-9a-f]+\.js" defer></script>', html)


def test_lesson_links_to_its_quiz_only_when_it_has_one(quiz_client):
    assert 'href="/en/lessons/first-steps/quiz"' in main_of(
        quiz_client.get("/en/lessons/first-steps")
    )
    assert "/quiz" not in main_of(quiz_client.get("/en/lessons/signs"))


def test_taking_the_quiz_shows_right_answers_and_explanations(quiz_client, quiz_app):
    response = send(quiz_client, QUIZ.format(code="en"), ONE_WRONG)
    assert response.status_code == 200
    page = main_of(response)
    assert "Your answers are saved." in page
    assert "You chose the safe answer for 2 questions out of 3." in page
    assert page.count('class="verdict right"') == 2
    assert page.count('class="verdict not-quite"') == 1
    assert "Your answer: Kick it" in page
    assert "The safe answer: <strong>Stop</strong>" in page
    for explanation in ("Stop and do not touch.", "No sign does not mean safe.", "The red"):
        assert explanation in page
    attempts, answers = stored(quiz_app)
    assert attempts == [("lesson", "first-steps", "en", None, None, 2, 3)]
    assert sorted(answers) == [
        ("first-no-sign", "false", 1),
        ("first-picture", "sign", 1),
        ("first-stop", "kick", 0),
    ]


def test_quiz_in_arabic_from_form_to_result(quiz_client, quiz_app):
    html, hidden = open_form(quiz_client, QUIZ.format(code="ar"))
    assert '<html lang="ar" dir="rtl">' in html
    assert "ماذا تفعل أولاً؟" in html
    response = send(quiz_client, QUIZ.format(code="ar"), ALL_RIGHT, hidden)
    page = response.get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    assert "المثلث الأحمر يعني الخطر." in page
    assert stored(quiz_app)[0] == [("lesson", "first-steps", "ar", None, None, 3, 3)]


@pytest.mark.parametrize("how", ["url", "quiz", "pack"])
def test_hidden_scores_show_only_explanations(make_app, make_pack, how):
    url = QUIZ.format(code="en")
    content = PACKS / "good"
    if how == "url":
        url += "?scores=hidden"
    elif how == "quiz":
        path = "lessons/first-steps/quiz.yaml"
        quiz = (content / path).read_text(encoding="utf-8")
        content = make_pack({path: "scores: hidden\n" + quiz})
    else:
        pack = (content / "pack.yaml").read_text(encoding="utf-8")
        content = make_pack({"pack.yaml": pack + "quiz_scores: hidden\n"})
    client = make_app(content).test_client()
    html, hidden = open_form(client, url)
    assert "verdict" not in html  # not even hidden in the page for the script
    assert f'action="{url}"' in html
    page = main_of(send(client, url, ONE_WRONG, hidden))
    assert "Your answers are saved." in page
    assert "Well done for taking part." in page
    assert "verdict" not in page and "out of" not in page and "Not quite" not in page
    assert "Your answer:" not in page
    assert "The safe answer: <strong>Stop</strong>" in page
    assert "Stop and do not touch." in page


def test_sending_the_same_form_twice_stores_one_attempt(quiz_client, quiz_app):
    url = QUIZ.format(code="en")
    _html, hidden = open_form(quiz_client, url)
    first = quiz_client.post(url, data={**hidden, **ONE_WRONG})
    second = quiz_client.post(url, data={**hidden, **ONE_WRONG})
    assert first.status_code == second.status_code == 200
    assert main_of(first) == main_of(second)
    attempts, answers = stored(quiz_app)
    assert len(attempts) == 1 and len(answers) == 3


def test_a_reused_attempt_id_never_shows_what_was_stored(quiz_app):
    url = QUIZ.format(code="en")
    first = quiz_app.test_client()
    _html, hidden = open_form(first, url)
    assert send(first, url, ONE_WRONG, hidden).status_code == 200
    other = quiz_app.test_client()
    _html, other_hidden = open_form(other, url)
    replay = other.post(url, data={**other_hidden, "attempt": hidden["attempt"], **ALL_RIGHT})
    html = replay.get_data(as_text=True)
    assert replay.status_code == 400
    assert "These answers were already sent." in html
    assert "Kick it" not in html and "safe answer" not in html
    assert len(stored(quiz_app)[0]) == 1


def test_the_same_id_in_another_phase_or_session_shows_nothing(quiz_client, quiz_app):
    pre = "/en/test/basics?phase=pre&session=ABC"
    _html, hidden = open_form(quiz_client, pre)
    answers = {"q-first-stop": "kick", "q-first-no-sign": "true"}
    assert quiz_client.post(pre, data={**hidden, **answers}).status_code == 200
    post = "/en/test/basics?phase=post&session=ZZZ"
    replay = quiz_client.post(post, data={**hidden, **answers})
    assert replay.status_code == 400
    assert "Kick it" not in replay.get_data(as_text=True)


def test_every_new_form_is_a_new_attempt(quiz_client, quiz_app):
    url = QUIZ.format(code="en")
    send(quiz_client, url, ALL_RIGHT)
    send(quiz_client, url, ONE_WRONG)
    assert len(stored(quiz_app)[0]) == 2


def test_missing_answer_keeps_what_was_chosen_and_stores_nothing(quiz_client, quiz_app):
    url = QUIZ.format(code="en")
    _html, hidden = open_form(quiz_client, url)
    partial = {"q-first-stop": "kick", "q-first-picture": "sign"}
    response = quiz_client.post(url, data={**hidden, **partial})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "Please answer every question. Not answered yet: 2." in html
    assert 'value="kick" checked' in html and 'value="sign" checked' in html
    assert f'name="attempt" value="{hidden["attempt"]}"' in html
    assert stored(quiz_app) == ([], [])


def test_missing_answer_message_is_localized(quiz_client):
    url = QUIZ.format(code="ar")
    _html, hidden = open_form(quiz_client, url)
    response = quiz_client.post(url, data=hidden)
    assert response.status_code == 422
    assert "Please answer" not in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "changes",
    [
        {"q-unknown": "stop"},
        {"q-first-stop": "run-away"},
        {"q-first-no-sign": "maybe"},
        {"attempt": "not-a-uuid"},
        {"attempt": ""},
        {"name": "Alice"},
    ],
    ids=["unknown-question", "unknown-option", "unknown-true-false", "bad-id", "no-id", "extra"],
)
def test_forged_answers_are_refused_politely_and_nothing_is_stored(quiz_client, quiz_app, changes):
    url = QUIZ.format(code="en")
    _html, hidden = open_form(quiz_client, url)
    response = quiz_client.post(url, data={**hidden, **ALL_RIGHT, **changes})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Your answers could not be read, so nothing was saved." in html
    assert "Traceback" not in html
    assert stored(quiz_app) == ([], [])


def test_repeated_answer_field_is_refused(quiz_client, quiz_app):
    url = QUIZ.format(code="en")
    _html, hidden = open_form(quiz_client, url)
    data = MultiDict([*hidden.items(), *ALL_RIGHT.items(), ("q-first-stop", "kick")])
    response = quiz_client.post(url, data=data)
    assert response.status_code == 400
    assert stored(quiz_app) == ([], [])


def test_oversized_post_is_refused_politely(quiz_client, quiz_app):
    url = QUIZ.format(code="en")
    _html, hidden = open_form(quiz_client, url)
    response = quiz_client.post(url, data={**hidden, **ALL_RIGHT, "q-first-stop": "x" * 200_000})
    assert response.status_code == 413
    assert "What you sent is too large." in response.get_data(as_text=True)
    assert stored(quiz_app) == ([], [])


def test_expired_token_keeps_the_answers_and_a_resend_is_saved(quiz_client, quiz_app):
    url = QUIZ.format(code="en")
    _html, hidden = open_form(quiz_client, url)
    response = quiz_client.post(url, data={"attempt": hidden["attempt"], **ONE_WRONG})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Your answers are kept: please press Send again." in html
    assert 'value="kick" checked' in html
    assert stored(quiz_app) == ([], [])
    fresh = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    # A new id: an id planted by another site must never name these answers.
    assert fresh["attempt"] != hidden["attempt"]
    assert quiz_client.post(url, data={**fresh, **ONE_WRONG}).status_code == 200
    assert len(stored(quiz_app)[0]) == 1


@pytest.mark.parametrize(
    "url, status",
    [
        ("/en/lessons/nothing/quiz", 404),
        ("/en/lessons/signs/quiz", 404),
        ("/en/test/nothing?phase=pre", 404),
        ("/en/test/basics?phase=during", 404),
        ("/en/test/basics?phase=pre&session=<b>", 400),
    ],
)
def test_post_without_token_to_a_missing_page_is_its_own_error(quiz_client, url, status):
    response = quiz_client.post(url, data={"x": "1"})
    assert response.status_code == status
    assert "<b>" not in response.get_data(as_text=True)


def test_uploaded_files_are_refused(quiz_client, quiz_app):
    import io

    url = QUIZ.format(code="en")
    _html, hidden = open_form(quiz_client, url)
    data = {**hidden, **ALL_RIGHT, "photo": (io.BytesIO(b"x"), "photo.jpg")}
    response = quiz_client.post(url, data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    assert stored(quiz_app) == ([], [])


def test_options_are_shuffled_per_attempt_and_kept_when_shown_again(quiz_client):
    url = QUIZ.format(code="en")
    orders = set()
    for _ in range(12):
        html, hidden = open_form(quiz_client, url)
        order = tuple(re.findall(r'name="q-first-stop" value="([^"]+)"', html))
        orders.add(order)
        again = quiz_client.post(url, data={**hidden, "q-first-stop": "kick"})
        kept = tuple(
            re.findall(r'name="q-first-stop" value="([^"]+)"', again.get_data(as_text=True))
        )
        assert kept == order
    assert len(orders) > 1, "the right option is not always in the same place"
    assert all(sorted(order) == ["kick", "stop", "touch"] for order in orders)


def test_token_from_another_browser_is_refused(quiz_app):
    url = QUIZ.format(code="en")
    _html, hidden = open_form(quiz_app.test_client(), url)
    other = quiz_app.test_client()
    other.get(url)
    response = other.post(url, data={**hidden, **ALL_RIGHT})
    assert response.status_code == 400
    assert stored(quiz_app) == ([], [])


def test_database_failure_keeps_the_answers(quiz_client, quiz_app, monkeypatch):
    from eore import store

    def fail(*args, **kwargs):
        raise sqlite3.OperationalError("database is locked")

    monkeypatch.setattr(store, "save_attempt", fail)
    url = QUIZ.format(code="en")
    _html, hidden = open_form(quiz_client, url)
    response = quiz_client.post(url, data={**hidden, **ONE_WRONG})
    assert response.status_code == 503
    html = response.get_data(as_text=True)
    assert "Not saved: the box is busy" in html and 'value="kick" checked' in html
    assert "Your answers are saved." not in html


@pytest.mark.parametrize(
    "url",
    ["/en/lessons/signs/quiz", "/en/lessons/nothing/quiz", "/xx/lessons/first-steps/quiz"],
)
def test_quiz_that_does_not_exist_is_a_404(quiz_client, url):
    assert quiz_client.get(url).status_code == 404


def test_knowledge_test_asks_before_or_after(quiz_client):
    response = quiz_client.get("/en/test/basics?session=ab12")
    html = main_of(response)
    assert "<h1>Basics</h1>" in html
    assert 'href="/en/test/basics?phase=pre&amp;session=AB12"' in html
    assert 'href="/en/test/basics?phase=post&amp;session=AB12"' in html


def test_pre_test_stores_its_phase_and_session_without_revealing_answers(quiz_client, quiz_app):
    url = "/en/test/basics?phase=pre&session=ab12"
    html, hidden = open_form(quiz_client, url)
    assert "quiz.js" not in html and "data-correct" not in html and "feedback" not in html
    answers = {"q-first-stop": "kick", "q-first-no-sign": "false"}
    page = main_of(quiz_client.post(url, data={**hidden, **answers}))
    assert "Your answers are saved." in page
    assert "We will learn about all of this together now." in page
    assert "Stop and do not touch." not in page and "safe answer" not in page
    attempts, _answers = stored(quiz_app)
    assert attempts == [("test", "basics", "en", "pre", "AB12", 1, 2)]


def test_post_test_shows_explanations(quiz_client, quiz_app):
    url = "/ar/test/basics?phase=post"
    answers = {"q-first-stop": "stop", "q-first-no-sign": "true"}
    page = main_of(send(quiz_client, url, answers))
    assert "عدم وجود إشارة لا يعني الأمان." in page
    assert stored(quiz_app)[0] == [("test", "basics", "ar", "post", None, 1, 2)]


@pytest.mark.parametrize(
    "url, status",
    [
        ("/en/test/basics?phase=during", 404),
        ("/en/test/nothing?phase=pre", 404),
        ("/en/test/basics?phase=pre&session=<script>", 400),
        ("/en/test/basics?phase=pre&session=" + "A" * 40, 400),
    ],
)
def test_bad_test_addresses_are_refused(quiz_client, url, status):
    response = quiz_client.get(url)
    assert response.status_code == status
    assert "<script>" not in response.get_data(as_text=True)


@pytest.mark.parametrize("given", ["AB12", "ab12", " ab12 "])
def test_language_links_keep_the_test_phase_and_session(quiz_client, given):
    html = quiz_client.get(f"/en/test/basics?phase=post&session={given}&x=1").get_data(as_text=True)
    assert 'href="/ar/test/basics?phase=post&amp;session=AB12"' in html


def test_choosing_the_phase_keeps_hidden_scores(quiz_client):
    html = quiz_client.get("/en/test/basics?scores=hidden").get_data(as_text=True)
    assert 'href="/en/test/basics?phase=pre&amp;scores=hidden"' in html


def test_empty_session_code_is_no_session(quiz_client, quiz_app):
    url = "/en/test/basics?phase=pre&session="
    send(quiz_client, url, {"q-first-stop": "stop", "q-first-no-sign": "false"})
    assert stored(quiz_app)[0] == [("test", "basics", "en", "pre", None, 2, 2)]


def test_untranslated_quiz_falls_back_with_a_notice(make_app, make_pack):
    client = make_app(make_pack({"lessons/first-steps/quiz.ar.yaml": None})).test_client()
    html = client.get(QUIZ.format(code="ar")).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    assert 'class="notice fallback"' in html
    assert 'lang="en" dir="ltr"' in html and "What do you do first?" in html
