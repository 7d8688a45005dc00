"""A session in Chromium: one facilitator, two phones that follow when the facilitator moves on."""

from __future__ import annotations

import pytest
from conftest import STAFF_PASSWORD, add_server_account
from playwright.sync_api import expect

from eore.content import load_pack
from eore.settings import PROJECT_ROOT

pytestmark = pytest.mark.browser

STARTER = load_pack(PROJECT_ROOT / "content")


@pytest.fixture(scope="module")
def facilitator_account(eore_server):
    return add_server_account(eore_server, "dana", "facilitator")


def test_phones_follow_the_facilitator(eore_server, browser, facilitator_account):
    laptop = browser.new_context(viewport={"width": 1000, "height": 800})
    facilitator = laptop.new_page()
    facilitator.goto(f"{eore_server.base}/facilitate/")
    # Asked to sign in first, then back to the page asked for.
    facilitator.fill("#name", facilitator_account)
    facilitator.fill("#password", STAFF_PASSWORD)
    facilitator.click("button[type=submit]")
    facilitator.click("text=Start a session")
    facilitator.select_option("#audience", "farmers")
    facilitator.select_option("#locale", "uk")
    facilitator.fill("#place", "Village hall")
    facilitator.check("#lesson-farming")
    facilitator.check("#lesson-if-you-find-one")
    facilitator.click("text=Start the session")
    code = facilitator.locator(".join-code").first.inner_text()
    address = facilitator.locator(".address").first.inner_text()
    assert address.endswith(f"/join/{code}")

    phones = []
    for _ in range(2):
        context = browser.new_context(viewport={"width": 360, "height": 640})
        page = context.new_page()
        page.goto(f"http://{address.removeprefix('http://')}")
        phones.append((context, page))
    uk = {slug: STARTER.lessons[slug].texts["uk"].title for slug in ("farming", "if-you-find-one")}
    for _context, page in phones:
        # Unnumbered lessons come in the pack's order.
        expect(page.locator("h1")).to_have_text(uk["if-you-find-one"])
    # The facilitator's page counts the phones by itself.
    expect(facilitator.locator(".phones")).to_contain_text("2", timeout=15000)
    facilitator.click("button[value=next]")
    for _context, page in phones:
        # No tap on the phone: it asks the box and shows the next lesson.
        expect(page.locator("h1")).to_have_text(uk["farming"], timeout=15000)
        assert page.evaluate("document.documentElement.lang") == "uk"
    # A live question: both phones answer; the bars and the explanation follow by themselves.
    question = STARTER.quizzes["farming"].questions[1]
    facilitator.locator(
        ".ask-list form", has=facilitator.locator(f"input[value='{question.id}']")
    ).locator("button").click()
    for _context, page in phones:
        expect(page.locator("h1")).to_have_text(question.texts["uk"].question, timeout=15000)
        page.locator(f"input[name=choice][value='{question.correct}']").check()
        page.locator("form.quiz button[type=submit]").click()
    expect(facilitator.locator(".bars figcaption")).to_contain_text("2", timeout=15000)
    facilitator.click("button[value=reveal]")
    for _context, page in phones:
        expect(page.locator(".explanation")).to_have_text(
            question.texts["uk"].explanation, timeout=15000
        )
        assert page.locator(".verdict.right").is_visible()
    for context, _page in phones:
        context.close()
    laptop.close()
