"""Real-browser tests: Debian's Chromium, driven by Playwright, against `eore serve`."""

from __future__ import annotations

import pytest
from conftest import serious_violations

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 640}
RIGHT_TO_LEFT = ("ar", "ps")
PAGES = [
    "/en/",
    "/ar/",
    "/en/lessons/if-you-find-one",
    "/ar/lessons/if-you-find-one",
    "/uk/lessons/",
    "/ar/lessons/children-stop-dont-touch",
    "/en/lessons/if-you-find-one/quiz",
    "/ar/lessons/if-you-find-one/quiz",
    "/uk/test/general?phase=post",
    "/uk/lessons/farming",
    "/ar/lessons/children-danger-signs/guide",
    "/ar/test/pictures?phase=pre",
    "/fr/curriculum",
    "/ps/lessons/if-you-find-one",
    "/ps/lessons/if-you-find-one/quiz",
    "/ps/lessons/farming",
    "/ar/materials/",
    "/en/materials/sms",
    "/ar/materials/farming/poster",
    "/uk/materials/if-you-find-one/cards",
    "/fr/materials/stickers",
    "/ar/help",
    "/uk/help",
]


@pytest.fixture(scope="module")
def server(eore_server):
    """Return the address of the real server on loopback."""
    return eore_server.base


@pytest.fixture
def page(browser):
    """Return a fresh page the size of a small phone."""
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    page = context.new_page()
    yield page
    context.close()


@pytest.mark.parametrize("path", PAGES)
def test_page_fits_a_phone_with_the_right_direction(server, page, path):
    code = path.split("/")[1]
    response = page.goto(server + path)
    assert response.status == 200
    direction = page.evaluate("document.documentElement.dir")
    assert direction == ("rtl" if code in RIGHT_TO_LEFT else "ltr")
    assert page.evaluate("getComputedStyle(document.body).direction") == direction
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 360px"


@pytest.mark.parametrize(
    "path",
    [
        "/ar/lessons/if-you-find-one",
        "/uk/lessons/explosive-items",
        "/ar/lessons/children-danger-signs/quiz",
        "/fr/lessons/if-you-find-one/quiz",
    ],
)
def test_smallest_phone_does_not_scroll_sideways(server, browser, path):
    context = browser.new_context(viewport={"width": 320, "height": 568})
    page = context.new_page()
    page.goto(server + path)
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    context.close()
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 320px"


def test_arabic_layout_is_mirrored(server, page):
    page.goto(server + "/ar/lessons/")
    brand = page.locator(".brand").bounding_box()
    first_picture = page.locator(".lessons img").first.bounding_box()
    assert brand["x"] > PHONE["width"] / 2, "the site name starts on the right in Arabic"
    assert first_picture["x"] > PHONE["width"] / 2, "pictures lead on the right in Arabic"
    page.goto(server + "/en/lessons/")
    assert page.locator(".brand").bounding_box()["x"] < PHONE["width"] / 2


def test_tap_targets_are_large_enough(server, page):
    page.goto(server + "/en/")
    for selector in (".languages a", ".choices a"):
        for box in [item.bounding_box() for item in page.locator(selector).all()]:
            assert box["height"] >= 44, f"{selector} is {box['height']}px tall"


@pytest.mark.parametrize(
    "path",
    [
        *PAGES[:4],
        "/ar/lessons/if-you-find-one/quiz",
        "/ar/materials/",
        "/uk/materials/sms",
        "/ar/materials/farming/poster",
        "/en/materials/if-you-find-one/cards",
        "/login",
        "/ar/help",
        "/en/report",
        "/ar/report",
    ],
)
def test_no_serious_accessibility_violation(server, page, path):
    page.goto(server + path)
    assert serious_violations(page) == []


def test_pages_work_with_javascript_off(server, browser):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(server + "/")
    page.get_by_role("link", name="Français").first.click()
    assert page.url.endswith("/fr/")
    page.locator(".choices a").last.click()
    page.locator(".lessons a").first.click()
    assert page.locator("h1").inner_text()
    assert page.locator(".key-messages li").count() >= 1
    context.close()


QUIZ = "/{code}/lessons/if-you-find-one/quiz"
# One wrong answer (the picture), the rest right.
CHOICES = {
    "find-first-step": "stop",
    "find-safe-picture": "pick-up",
    "find-someone-hurt": "call-help",
    "find-mark-close": "false",
}


def choose(page, question, option):
    """Tap the option of a question, as a finger would: on its label."""
    page.locator(
        f"#q-{question} label.option", has=page.locator(f'input[value="{option}"]')
    ).click()


def verdicts_of(page, selector):
    """Return the visible verdict of each question, in order."""
    return [item.locator(".verdict:visible").inner_text() for item in page.locator(selector).all()]


@pytest.mark.parametrize("code", ["en", "ar"])
def test_quiz_gives_feedback_at_once_and_the_same_result_after_sending(server, page, code):
    page.goto(server + QUIZ.format(code=code))
    feedback = page.locator("#q-find-first-step .feedback")
    assert not feedback.is_visible()
    choose(page, "find-first-step", "stop")
    assert feedback.is_visible()
    assert page.locator("#q-find-first-step .verdict.right").is_visible()
    # Changing one's mind updates the feedback; the answer sent is the last one chosen.
    choose(page, "find-first-step", "go-closer")
    assert page.locator("#q-find-first-step .verdict.not-quite").is_visible()
    assert not page.locator("#q-find-first-step .verdict.right").is_visible()
    choose(page, "find-first-step", "stop")
    assert page.locator("#q-find-first-step .verdict.right").is_visible()
    for question, option in list(CHOICES.items())[1:]:
        choose(page, question, option)
    assert page.locator("#q-find-safe-picture .verdict.not-quite").is_visible()
    instant = verdicts_of(page, "fieldset.question")
    page.locator("form.quiz button[type=submit]").click()
    page.wait_for_selector(".saved")
    assert verdicts_of(page, "li.answer") == instant
    assert len(instant) == 4
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


@pytest.mark.parametrize("code", ["en", "ar"])
def test_quiz_works_with_javascript_off(server, browser, code):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(server + QUIZ.format(code=code) + "?scores=hidden")
    for question, option in CHOICES.items():
        choose(page, question, option)
    # Without the script nothing is revealed before sending.
    assert not page.locator(".feedback").first.is_visible()
    page.locator("form.quiz button[type=submit]").click()
    page.wait_for_selector(".saved")
    assert page.locator(".explanation").count() == 4
    assert page.locator(".verdict").count() == 0, "hidden scores show no verdict"
    assert page.evaluate("document.documentElement.dir") == (
        "rtl" if code in RIGHT_TO_LEFT else "ltr"
    )
    context.close()


def test_keyboard_moves_between_options_with_feedback(server, page):
    page.goto(server + QUIZ.format(code="en"))
    first = page.locator("#q-find-first-step input[type=radio]").first
    first.focus()
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    radios = page.locator("#q-find-first-step input[type=radio]").all()
    assert not any(radio.is_disabled() for radio in radios)
    assert sum(radio.is_checked() for radio in radios) == 1
    assert page.locator("#q-find-first-step .feedback").is_visible()


def test_feedback_works_on_the_form_shown_again_for_a_missing_answer(server, page):
    page.goto(server + QUIZ.format(code="en"))
    choose(page, "find-first-step", "stop")
    page.locator("form.quiz button[type=submit]").click()
    page.wait_for_selector("fieldset.unanswered")
    choose(page, "find-someone-hurt", "run-in")
    assert page.locator("#q-find-someone-hurt .verdict.not-quite").is_visible()
    assert page.locator("#q-find-first-step .verdict.right").is_visible()


def test_picture_options_are_side_by_side_and_large_enough(server, page):
    page.goto(server + QUIZ.format(code="en"))
    boxes = [o.bounding_box() for o in page.locator("#q-find-safe-picture label.option").all()]
    assert len(boxes) == 2
    assert abs(boxes[0]["y"] - boxes[1]["y"]) < 2, "two pictures share a row on a phone"
    for box in boxes:
        assert box["height"] >= 44 and box["width"] >= 120
