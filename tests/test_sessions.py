"""Group sessions through the test client: start, phones join and follow, end."""

from __future__ import annotations

import re

import pytest
from conftest import csrf_token, signed_in

from eore.sessions import CODE_ALPHABET, CODE_LENGTH, new_code

BOX = "http://10.42.0.1:8000"


@pytest.fixture
def box(staffed_app):
    """An app with its own database, two facilitators (bo, cy) and an admin (amina)."""
    return staffed_app({"bo": "facilitator", "cy": "facilitator", "amina": "admin"}, BASE_URL=BOX)


def token(client, url) -> str:
    return csrf_token(client, url)


def start(client, **fields):
    data = {
        "csrf_token": token(client, "/facilitate/sessions/new"),
        "audience": "children",
        "locale": "ar",
        "place": "  School   of Al Noor ",
        "lesson": ["children-stop-dont-touch", "children-danger-signs"],
        **fields,
    }
    return client.post("/facilitate/sessions/new", data=data)


def move(client, code, where):
    url = f"/facilitate/sessions/{code}"
    return client.post(f"{url}/step", data={"csrf_token": token(client, url), "move": where})


def h1(html: str) -> str:
    return re.search(r"<h1>(.*?)</h1>", html, re.DOTALL).group(1).strip()


def test_join_codes_are_easy_to_read_aloud():
    codes = {new_code() for _ in range(500)}
    assert len(codes) > 490
    assert all(len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET) for code in codes)
    assert not set("0O1IL2Z5S6G8B") & set(CODE_ALPHABET)


def test_a_session_from_start_to_end_with_three_phones_following(box):
    from eore.content import load_pack
    from eore.settings import PROJECT_ROOT

    pack = load_pack(PROJECT_ROOT / "content")
    facilitator = signed_in(box, "bo")
    started = start(
        facilitator,
        test="pictures",
        **{"order-children-danger-signs": "1", "order-children-stop-dont-touch": "2"},
    )
    assert started.status_code == 302
    code = started.location.rsplit("/", 1)[1]
    control = facilitator.get(started.location).get_data(as_text=True)
    assert f"10.42.0.1:8000/join/{code}" in control
    assert facilitator.get(f"/facilitate/sessions/{code}/qr.svg").data.startswith(b"<svg")
    # Three phones join (one types the code in lower case, with a space).
    phones = [box.test_client() for _ in range(3)]
    first = phones[0].get(f"/join/{code}")
    assert first.status_code == 200 and '<html lang="ar" dir="rtl">' in first.get_data(as_text=True)
    assert phones[1].get(f"/join?code={code[:2].lower()} {code[2:]}").location == f"/join/{code}"
    for phone in phones[1:]:
        phone.get(f"/join/{code}")
    status = facilitator.get(f"/facilitate/sessions/{code}/status").get_json()
    assert status == {"version": 0, "phones": 3, "answers": 0, "tag": "0-3-0"}
    # The first step is the test before the session, tied to the session's code.
    assert f"/ar/test/pictures?phase=pre&amp;session={code}" in first.get_data(as_text=True)
    # Phones ask cheaply: nothing changed, nothing sent.
    state = phones[0].get(f"/join/{code}/state")
    assert (
        phones[0]
        .get(f"/join/{code}/state", headers={"If-None-Match": state.headers["ETag"]})
        .status_code
        == 304
    )
    move(facilitator, code, "next")
    moved = phones[0].get(f"/join/{code}/state", headers={"If-None-Match": state.headers["ETag"]})
    assert moved.status_code == 200 and moved.get_json()["version"] == 1
    # The lessons come in the order the facilitator numbered them.
    shown = h1(phones[2].get(f"/join/{code}").get_data(as_text=True))
    assert shown == pack.lessons["children-danger-signs"].texts["ar"].title
    move(facilitator, code, "next")
    shown = h1(phones[2].get(f"/join/{code}").get_data(as_text=True))
    assert shown == pack.lessons["children-stop-dont-touch"].texts["ar"].title
    move(facilitator, code, "next")
    assert f"phase=post&amp;session={code}" in phones[1].get(f"/join/{code}").get_data(as_text=True)
    # Past the end, the plan stays on its last step.
    move(facilitator, code, "next")
    assert facilitator.get(f"/facilitate/sessions/{code}/status").get_json()["version"] == 4
    assert "phase=post" in phones[1].get(f"/join/{code}").get_data(as_text=True)
    # Ending asks first, then phones are told.
    confirm = facilitator.get(f"/facilitate/sessions/{code}/end")
    assert confirm.status_code == 200 and "Yes, end the session" in confirm.get_data(as_text=True)
    url = f"/facilitate/sessions/{code}/end"
    facilitator.post(url, data={"csrf_token": token(facilitator, url)})
    assert phones[0].get(f"/join/{code}/state").get_json()["version"] == 5
    ended = phones[0].get(f"/join/{code}").get_data(as_text=True)
    assert "/ar/lessons/" in ended and "follow.js" not in ended
    listing = facilitator.get("/facilitate/sessions/").get_data(as_text=True)
    assert code in listing and "School of Al Noor" in listing


def test_a_session_needs_its_fields_and_keeps_what_was_typed(box):
    facilitator = signed_in(box, "bo")
    refused = start(facilitator, audience="", place="Camp 4", lesson=[])
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert "Choose who the session is for." in page and "Choose at least one lesson." in page
    assert 'value="Camp 4"' in page
    too_long = start(facilitator, place="x" * 201)
    assert too_long.status_code == 422
    no_token = facilitator.post("/facilitate/sessions/new", data={"audience": "children"})
    assert no_token.status_code == 400


def test_sessions_belong_to_their_facilitator(box):
    bo = signed_in(box, "bo")
    code = start(bo).location.rsplit("/", 1)[1]
    other = signed_in(box, "cy")
    assert other.get(f"/facilitate/sessions/{code}").status_code == 404
    assert other.post(f"/facilitate/sessions/{code}/step", data={"move": "next"}).status_code in (
        400,
        404,
    )
    assert code not in other.get("/facilitate/sessions/").get_data(as_text=True)
    admin = signed_in(box, "amina")
    assert admin.get(f"/facilitate/sessions/{code}").status_code == 200


def test_unknown_code_asks_again_politely(box):
    response = box.test_client().get("/join/XXXXX", headers={"Accept-Language": "fr"})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert '<html lang="fr"' in html and 'name="code" value="XXXXX"' in html
    assert box.test_client().get("/join/XXXXX/state").status_code == 404


def answer(phone, code, choice, question=None):
    html = phone.get(f"/join/{code}").get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    return phone.post(
        f"/join/{code}/answer",
        data={**fields, "choice": choice, **({"question": question} if question else {})},
    )


def test_live_question_counts_answers_once_and_reveals_the_explanation(box):
    from eore.content import load_pack
    from eore.settings import PROJECT_ROOT

    pack = load_pack(PROJECT_ROOT / "content")
    facilitator = signed_in(box, "bo")
    code = start(facilitator, lesson=["farming"], locale="es").location.rsplit("/", 1)[1]
    control = f"/facilitate/sessions/{code}"
    question = pack.quizzes["farming"].questions[1]
    wrong = next(o.id for o in question.options if o.id != question.correct)
    phones = [box.test_client() for _ in range(4)]
    for phone in phones:
        phone.get(f"/join/{code}")
    asked = facilitator.post(
        f"{control}/question",
        data={"csrf_token": token(facilitator, control), "action": "ask", "question": question.id},
    )
    assert asked.status_code == 302
    page = phones[0].get(f"/join/{code}").get_data(as_text=True)
    assert question.texts["es"].question in page and 'name="choice"' in page
    assert question.texts["es"].explanation not in page
    # Three right, one wrong; a double tap is one answer.
    html = phones[0].get(f"/join/{code}").get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    for phone, choice in zip(phones, [question.correct] * 3 + [wrong], strict=True):
        assert answer(phone, code, choice).status_code == 302
    double_tap = phones[0].post(f"/join/{code}/answer", data={**fields, "choice": wrong})
    assert double_tap.status_code == 302
    waiting = phones[0].get(f"/join/{code}").get_data(as_text=True)
    assert 'class="saved" role="status"' in waiting and 'name="choice"' not in waiting
    status = facilitator.get(f"{control}/status").get_json()
    assert status["answers"] == 4
    bars = facilitator.get(control).get_data(as_text=True)
    assert "3 (75%)" in bars and "1 (25%)" in bars
    # An answer that is not an option, or to another question, is refused politely.
    late = box.test_client()
    assert answer(late, code, "no-such-option").status_code == 422
    assert answer(late, code, question.correct, question="farm-x").status_code == 409
    slow = box.test_client()
    html = slow.get(f"/join/{code}").get_data(as_text=True)
    slow_fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    # Revealed: phones see the explanation and whether they were right; answers close.
    facilitator.post(
        f"{control}/question", data={"csrf_token": token(facilitator, control), "action": "reveal"}
    )
    right = phones[0].get(f"/join/{code}").get_data(as_text=True)
    assert question.texts["es"].explanation in right and 'class="verdict right"' in right
    assert 'class="verdict not-quite"' in phones[3].get(f"/join/{code}").get_data(as_text=True)
    too_late = slow.post(f"/join/{code}/answer", data={**slow_fields, "choice": question.correct})
    assert too_late.status_code == 409
    # The answers count in the quiz statistics, tied to the session.
    from eore import store

    db = store.connect(box.config["DATABASE"])
    stats = store.question_stats(db, session_code=code)[question.id]
    assert (stats.quiz.answered, stats.quiz.correct) == (4, 3)
    db.close()
    # Moving on closes the question.
    facilitator.post(
        f"{control}/question", data={"csrf_token": token(facilitator, control), "action": "close"}
    )
    assert 'name="choice"' not in phones[0].get(f"/join/{code}").get_data(as_text=True)


def test_session_page_shows_the_gain_per_question_of_the_test(box):
    from eore.content import load_pack
    from eore.settings import PROJECT_ROOT

    pack = load_pack(PROJECT_ROOT / "content")
    test = pack.tests["general"]
    facilitator = signed_in(box, "bo")
    code = start(facilitator, test="general", locale="en").location.rsplit("/", 1)[1]
    first = test.questions[0]
    wrong = next(o.id for o in first.options if o.id != first.correct)

    def take(phase, first_choice):
        phone = box.test_client()
        url = f"/en/test/general?phase={phase}&session={code}"
        html = phone.get(url).get_data(as_text=True)
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
        answers = {f"q-{q.id}": q.correct for q in test.questions}
        answers[f"q-{first.id}"] = first_choice
        assert phone.post(url, data={**fields, **answers}).status_code == 200

    take("pre", wrong)
    take("pre", first.correct)
    take("post", first.correct)
    take("post", first.correct)
    page = facilitator.get(f"/facilitate/sessions/{code}").get_data(as_text=True)
    row = page[page.index(first.texts["en"].question) :].split("</tr>")[0]
    assert "50%" in row and "100%" in row and "+50" in row


def test_an_answer_without_the_phone_cookie_is_not_counted(box):
    facilitator = signed_in(box, "bo")
    code = start(facilitator, lesson=["farming"]).location.rsplit("/", 1)[1]
    control = f"/facilitate/sessions/{code}"
    from eore.content import load_pack
    from eore.settings import PROJECT_ROOT

    first = load_pack(PROJECT_ROOT / "content").quizzes["farming"].questions[0]
    facilitator.post(
        f"{control}/question",
        data={"csrf_token": token(facilitator, control), "action": "ask", "question": first.id},
    )
    phone = box.test_client()
    html = phone.get(f"/join/{code}").get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    for _ in range(3):
        phone.delete_cookie("eore_phone")
        refused = phone.post(f"/join/{code}/answer", data={**fields, "choice": first.correct})
        assert refused.status_code == 400
    assert facilitator.get(f"{control}/status").get_json()["answers"] == 0
    assert (
        phone.post(f"/join/{code}/answer", data={**fields, "choice": first.correct}).status_code
        == 302
    )
    assert facilitator.get(f"{control}/status").get_json()["answers"] == 1
