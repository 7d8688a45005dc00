"""Real-browser tests: Debian's Chromium, driven by Playwright, against `eore serve`."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 640}
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
PAGES = [
    "/en/",
    "/ar/",
    "/en/lessons/if-you-find-one",
    "/ar/lessons/if-you-find-one",
    "/uk/lessons/",
    "/ar/lessons/children-stop-dont-touch",
]


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """Start the real server (waitress) on loopback; stop it afterwards."""
    port = free_port()
    env = {**os.environ, "EORE_DATA": str(tmp_path_factory.mktemp("browser-data"))}
    env.pop("EORE_CONTENT", None)
    eore = Path(sys.executable).with_name("eore")
    process = subprocess.Popen(
        [str(eore), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("eore serve did not start: " + process.stderr.read().decode())
            time.sleep(0.1)
    yield base
    process.terminate()
    process.wait(timeout=10)
    process.stderr.close()


@pytest.fixture(scope="module")
def browser():
    """Launch Debian's Chromium headless (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("EORE_CHROMIUM") or shutil.which("chromium")
    if not executable:
        pytest.fail("Chromium is not installed: run the README's test command, which installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


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
    assert direction == ("rtl" if code == "ar" else "ltr")
    assert page.evaluate("getComputedStyle(document.body).direction") == direction
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 360px"


@pytest.mark.parametrize("path", ["/ar/lessons/if-you-find-one", "/uk/lessons/explosive-items"])
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


@pytest.mark.parametrize("path", PAGES[:4])
def test_no_serious_accessibility_violation(server, page, path):
    from axe_playwright_python.sync_playwright import Axe

    page.goto(server + path)
    results = Axe().run(page)
    serious = [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert serious == []


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
