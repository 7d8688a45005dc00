"""A participant keeps a lesson: saved from the box, opened later from the phone's files."""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest
from conftest import free_port

from eore.content import load_pack
from eore.settings import PROJECT_ROOT

pytestmark = pytest.mark.browser

STARTER = load_pack(PROJECT_ROOT / "content")
PHONE = {"width": 360, "height": 640}


@pytest.fixture
def phone(browser):
    """Return a function opening a phone-sized page that records every request it makes."""
    contexts = []

    def open_page(javascript: bool = True):
        context = browser.new_context(
            viewport=PHONE, java_script_enabled=javascript, accept_downloads=True
        )
        contexts.append(context)
        page = context.new_page()
        page.requests = []
        page.on("request", lambda request: page.requests.append(request.url))
        page.errors = []
        page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
        page.on(
            "response",
            lambda r: page.errors.append(f"{r.status} {r.url}") if r.status >= 400 else None,
        )
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture(scope="module")
def saved_lesson(eore_server, browser, tmp_path_factory) -> Path:
    """Save the Arabic lesson from its page, as a participant does, and return the file."""
    context = browser.new_context(viewport=PHONE, accept_downloads=True)
    page = context.new_page()
    page.goto(f"{eore_server.base}/ar/lessons/if-you-find-one")
    with page.expect_download() as download:
        page.locator("a[download][href$='/download']").click()
    title = STARTER.lessons["if-you-find-one"].texts["ar"].title
    assert download.value.suggested_filename == f"{title}.html"
    path = tmp_path_factory.mktemp("phone") / "lesson.html"
    download.value.save_as(path)
    context.close()
    return path


def test_saved_lesson_quiz_works_from_the_phone_with_no_network(saved_lesson, phone):
    page = phone()
    page.goto(saved_lesson.as_uri())
    title = STARTER.lessons["if-you-find-one"].texts["ar"].title
    assert page.locator("h1").inner_text() == title
    assert page.evaluate("document.documentElement.dir") == "rtl"
    question = STARTER.quizzes["if-you-find-one"].questions[0]
    first = page.locator(f"#q-{question.id}")
    # The answers wait behind the choice: nothing is shown before choosing.
    assert not first.locator(".explanation").first.is_visible()
    wrong = next(o.id for o in question.options if o.id != question.correct)
    first.locator(f"input[value='{wrong}']").check()
    assert first.locator(".verdict.not-quite").is_visible()
    assert not first.locator(".verdict.right").is_visible()
    explanation = question.texts["ar"].explanation
    assert first.locator(".feedback .explanation").inner_text() == explanation
    first.locator(f"input[value='{question.correct}']").check()
    assert first.locator(".verdict.right").is_visible()
    # The page asked nothing of the network, and nothing broke.
    assert page.requests == [saved_lesson.as_uri()]
    assert page.errors == []
    # Overflow at phone width would hide text off the side.
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_saved_lesson_answers_are_readable_with_javascript_off(saved_lesson, phone):
    page = phone(javascript=False)
    page.goto(saved_lesson.as_uri())
    question = STARTER.quizzes["if-you-find-one"].questions[0]
    first = page.locator(f"#q-{question.id}")
    answer = first.locator("details.answer")
    assert answer.is_visible()
    assert not answer.locator(".explanation").is_visible()
    answer.locator("summary").click()
    assert answer.locator(".explanation").inner_text() == question.texts["ar"].explanation
    assert not first.locator(".feedback").is_visible()


def test_unzipped_pack_opens_from_the_phone_and_links_between_lessons(eore_server, phone, tmp_path):
    with urllib.request.urlopen(f"{eore_server.base}/uk/download/pack.zip") as response:
        (tmp_path / "pack.zip").write_bytes(response.read())
    with zipfile.ZipFile(tmp_path / "pack.zip") as archive:
        archive.extractall(tmp_path)
    index = tmp_path / "stay-safe-uk" / "index.html"
    page = phone()
    page.goto(index.as_uri())
    texts = STARTER.lessons["farming"].texts["uk"]
    page.locator("a[href='farming.html']").click()
    assert page.locator("h1").inner_text() == texts.title
    page.locator("a[href='index.html']").first.click()
    assert page.url == index.as_uri()
    assert all(url.startswith("file://") for url in page.requests)
    assert page.errors == []


@pytest.fixture(scope="module")
def published(tmp_path_factory):
    """Export the English site and publish it with a plain static web server on loopback."""
    from click.testing import CliRunner

    from eore.cli import cli

    out = tmp_path_factory.mktemp("published")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    result = CliRunner().invoke(
        cli,
        ["export", "static", "--out", str(out), "--base-url", base, "--locale", "en"],
        env={"EORE_DATA": str(tmp_path_factory.mktemp("export-data"))},
    )
    assert result.exit_code == 0, result.output
    server = subprocess.Popen(
        [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1"],
        cwd=out,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 20
    while True:
        try:
            urllib.request.urlopen(base + "/index.html", timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                server.kill()
                raise
            time.sleep(0.1)
    yield base
    server.terminate()
    server.wait(timeout=10)


def test_published_site_answers_the_printed_address_and_checks_quizzes_in_the_page(
    published, phone
):
    page = phone()
    # The address a QR code on a poster carries, with no trailing slash.
    page.goto(f"{published}/en/lessons/farming")
    assert page.locator("h1").inner_text() == STARTER.lessons["farming"].texts["en"].title
    page.locator("a.button", has_text="quiz").first.click()
    question = STARTER.quizzes["farming"].questions[0]
    block = page.locator(f"#q-{question.id}")
    block.locator(f"input[value='{question.correct}']").check()
    assert block.locator(".verdict.right").is_visible()
    assert not block.locator("details.answer").is_visible()
    assert all(url.startswith(published + "/") for url in page.requests)
    assert page.errors == []
