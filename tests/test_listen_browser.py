"""In Chromium at phone width: listening, the picture-first view, larger text, the keyboard."""

from __future__ import annotations

import math
import shutil
import struct
import subprocess
import wave
from pathlib import Path

import pytest
from conftest import STARTER_PACK, free_port, serious_violations, start_eore, stop_eore

pytestmark = pytest.mark.browser

LESSON = "if-you-find-one"
PHONE = {"width": 320, "height": 640}


def tone_mp3(path: Path, seconds: float = 1.5) -> None:
    """Write a short MP3 made as the box's narration is (lame, mono, 24 kbit/s)."""
    wav = path.with_suffix(".wav")
    with wave.open(str(wav), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(16000)
        samples = (int(8000 * math.sin(2 * math.pi * 440 * i / 16000)) for i in range(24000))
        out.writeframes(b"".join(struct.pack("<h", s) for s in samples))
    subprocess.run(["lame", "--quiet", "-m", "m", "-b", "24", str(wav), str(path)], check=True)
    wav.unlink()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Serve the starter pack with recordings of one lesson in English and Arabic."""
    if not shutil.which("lame"):
        pytest.fail("lame is not installed: run the README's test command, which installs it")
    root = tmp_path_factory.mktemp("listen-browser") / "pack"
    shutil.copytree(STARTER_PACK, root)
    shutil.rmtree(root / "media" / "audio", ignore_errors=True)  # only this test's recordings
    for locale in ("en", "ar"):
        folder = root / "media" / "audio" / locale
        folder.mkdir(parents=True)
        tone_mp3(folder / f"{LESSON}.tts.mp3")
        for n in range(1, 6):
            tone_mp3(folder / f"{LESSON}.key-{n}.tts.mp3")
    port = free_port()
    process = start_eore(
        tmp_path_factory.mktemp("listen-browser-data"), port, EORE_CONTENT=str(root)
    )
    yield f"http://127.0.0.1:{port}"
    stop_eore(process)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    page = context.new_page()
    yield page
    context.close()


def fits(page) -> bool:
    return page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    )


@pytest.mark.parametrize("locale, direction", [("en", "ltr"), ("ar", "rtl")])
def test_a_child_steps_through_the_pictures_with_sound(server, page, locale, direction):
    fetched = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(f"{server}/{locale}/lessons/{LESSON}/pictures")
    assert page.evaluate("document.documentElement.dir") == direction
    for step in range(1, 6):
        page.locator("a[rel=next]").click()
        page.wait_for_url(f"**/pictures/{step}")
        assert fits(page), f"step {step} scrolls sideways"
        assert page.locator(".big-picture img").bounding_box()["width"] >= 200
        for button in page.locator(".step-buttons .button").all():
            assert button.bounding_box()["height"] >= 44
        assert page.locator("audio").get_attribute("preload") == "none"
    # Nothing was downloaded before someone pressed play.
    assert not [url for url in fetched if "/media/audio/" in url]
    page.locator("a[rel=next]").click()
    page.locator(f"a[href='/{locale}/lessons/{LESSON}/quiz']").click()
    assert page.url.endswith(f"/{locale}/lessons/{LESSON}/quiz")
    assert page.locator("input[type=radio]").count() > 0


def test_pressing_play_fetches_and_plays_the_message(server, browser):
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    fetched = []
    page.on("request", lambda request: fetched.append(request.url))
    page.goto(f"{server}/ar/lessons/{LESSON}/pictures/1")
    assert not [url for url in fetched if "/media/audio/" in url]
    # The keyboard reaches the player; the test starts it as a press on play would.
    duration = page.evaluate(
        """() => new Promise((resolve, reject) => {
            const audio = document.querySelector('audio');
            audio.addEventListener('loadedmetadata', () => resolve(audio.duration));
            audio.addEventListener('error', () => reject('cannot play: ' + audio.error.code));
            audio.muted = true;
            audio.play().catch(() => audio.load());
        })"""
    )
    assert 1.0 < duration < 2.5
    assert [url for url in fetched if f"{LESSON}.key-1.tts." in url]
    context.close()


@pytest.mark.parametrize(
    "path", [f"/en/lessons/{LESSON}/pictures", f"/ar/lessons/{LESSON}/pictures/1"]
)
def test_the_picture_view_has_no_serious_accessibility_violation(server, page, path):
    page.goto(server + path)
    assert serious_violations(page) == []


def test_larger_text_and_high_contrast_stay_chosen_and_fit(server, browser):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{server}/ar/lessons/{LESSON}")
    page.locator(".display a.size-larger").click()
    page.locator(".display a[href*='contrast=high']").click()
    assert page.url.endswith(f"/ar/lessons/{LESSON}")
    page.goto(f"{server}/ar/lessons/")
    assert page.evaluate("document.documentElement.className") == "text-larger contrast-high"
    size = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert size >= 1.125 * 16 * 1.5 - 0.5
    assert page.evaluate("getComputedStyle(document.body).color") == "rgb(0, 0, 0)"
    context.close()


@pytest.mark.parametrize(
    "path",
    [
        "/en/",
        f"/ar/lessons/{LESSON}",
        f"/en/lessons/{LESSON}/pictures/1",
        f"/ar/lessons/{LESSON}/pictures/6",
        f"/ar/lessons/{LESSON}/quiz",
        "/uk/lessons/",
        "/ar/report",
    ],
)
def test_pages_hold_at_320_pixels_with_text_twice_as_large(server, page, path):
    page.goto(f"{server}/display?text=larger&next={path}")
    # The largest choice is 150%; a phone's own text setting can add more: 200% in all.
    page.evaluate("document.documentElement.style.fontSize = '200%'")
    assert fits(page), f"{path} scrolls sideways at 200% text"


def test_a_lesson_and_its_quiz_work_with_the_keyboard_alone(server, page):
    page.goto(f"{server}/en/lessons/{LESSON}")
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Take the quiz":
            break
    else:
        pytest.fail("the quiz link cannot be reached with Tab")
    page.keyboard.press("Enter")
    page.wait_for_url("**/quiz")
    answered = set()
    for _ in range(300):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "({type: document.activeElement.type, name: document.activeElement.name,"
            " tag: document.activeElement.tagName})"
        )
        if focused["type"] == "radio" and focused["name"] not in answered:
            page.keyboard.press("Space")
            answered.add(focused["name"])
        if focused["tag"] == "BUTTON" and focused["type"] == "submit":
            break
    else:
        pytest.fail("the quiz's send button cannot be reached with Tab")
    questions = page.locator("fieldset").count()
    assert len(answered) == questions
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("p.saved").inner_text() == "Your answers are saved."
    assert page.locator("li.answer").count() == questions
