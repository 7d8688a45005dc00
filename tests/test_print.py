"""Printing as a facilitator does: Chromium's Save as PDF, and phones scanning the codes."""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

from eore.content import load_pack
from eore.settings import PROJECT_ROOT

pytestmark = pytest.mark.browser

STARTER = load_pack(PROJECT_ROOT / "content")
# PDF points: A4 is 595 x 842, A3 842 x 1191, A5 420 x 595.
PAPER = {"a4": (595, 842), "a3": (842, 1191), "a5": (420, 595)}


def pdf_pages(page, url) -> list[tuple[int, int]]:
    """Print ``url`` to PDF as the browser's Save as PDF does; return each page's size."""
    page.goto(url)
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    sizes = [(round(float(w)), round(float(h))) for w, h in boxes]
    assert len(sizes) == pages
    return sizes


@pytest.fixture(scope="module")
def printer(browser):
    context = browser.new_context()
    yield context.new_page()
    context.close()


@pytest.fixture(scope="module")
def camera(browser):
    """A page drawn at twice the pixels, as a printed sheet looks to a phone camera."""
    context = browser.new_context(device_scale_factor=2)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("code", ["en", "ar"])
@pytest.mark.parametrize("slug", list(STARTER.lessons))
def test_every_poster_prints_on_one_a4_page(eore_server, printer, code, slug):
    sizes = pdf_pages(printer, f"{eore_server.base}/{code}/materials/{slug}/poster")
    assert sizes == [PAPER["a4"]]


@pytest.mark.parametrize("code", ["uk", "es", "fr"])
def test_longest_posters_print_on_one_page_in_a4_and_a3(eore_server, printer, code):
    # The lesson with the most key-message text in this language.
    slug = max(
        STARTER.lessons, key=lambda s: len("".join(STARTER.lessons[s].texts[code].key_messages))
    )
    base = f"{eore_server.base}/{code}/materials/{slug}"
    assert pdf_pages(printer, f"{base}/poster") == [PAPER["a4"]]
    assert pdf_pages(printer, f"{base}/poster?size=a3") == [PAPER["a3"]]


@pytest.mark.parametrize("code", ["en", "ar", "uk"])
def test_leaflet_cards_and_stickers_print_on_their_paper(eore_server, printer, code):
    base = f"{eore_server.base}/{code}/materials"
    assert pdf_pages(printer, f"{base}/safe-paths/leaflet") == [PAPER["a5"]] * 2
    cards = len(STARTER.lessons["if-you-find-one"].texts[code].key_messages)
    sheets = 2 * -(-cards // 4)
    assert pdf_pages(printer, f"{base}/if-you-find-one/cards") == [PAPER["a4"]] * sheets
    assert pdf_pages(printer, f"{base}/stickers") == [PAPER["a4"]]


def scanned(page, url, width=900) -> list[str]:
    """Return what a phone camera reads from ``url`` as shown on screen (zbarimg)."""
    zbarimg = shutil.which("zbarimg")
    if not zbarimg:
        pytest.fail("zbarimg is not installed: run the README's test command, which installs it")
    page.set_viewport_size({"width": width, "height": 1200})
    page.goto(url)
    image = page.screenshot(full_page=True)
    result = subprocess.run(
        [zbarimg, "--quiet", "--raw", "-Sdisable", "-Sqrcode.enable", "-"],
        input=image,
        capture_output=True,
        check=False,
    )
    return result.stdout.decode("utf-8").splitlines()


@pytest.mark.parametrize("code", list(STARTER.locales))
def test_every_sticker_code_opens_its_lesson_in_that_language(eore_server, camera, code):
    found = scanned(camera, f"{eore_server.base}/{code}/materials/stickers")
    expected = {f"{eore_server.base}/{code}/lessons/{slug}" for slug in STARTER.lessons}
    assert sorted(found) == sorted(expected)


def test_scanned_poster_code_lands_on_the_lesson_in_that_language(eore_server, camera):
    (url,) = scanned(camera, f"{eore_server.base}/ar/materials/children-stop-dont-touch/poster")
    assert url == f"{eore_server.base}/ar/lessons/children-stop-dont-touch"
    camera.goto(url)
    assert camera.locator("html").get_attribute("lang") == "ar"
    assert camera.locator("h1").inner_text() == (
        STARTER.lessons["children-stop-dont-touch"].texts["ar"].title
    )


@pytest.mark.parametrize("code", ["ar", "uk"])
def test_message_code_on_a_poster_reads_back_the_key_messages(eore_server, camera, code):
    text = STARTER.lessons["children-stop-dont-touch"].texts[code]
    poster = f"{eore_server.base}/{code}/materials/children-stop-dont-touch/poster?qr=messages"
    found = scanned(camera, poster)
    lines = "\n".join(found)
    assert lines.startswith(text.title)
    for number, message in enumerate(text.key_messages, 1):
        assert f"{number}. {message}" in lines


def card_centres(page, side) -> dict[str, tuple[float, float]]:
    """Return each card's number and place (centre x, top y) on the first sheet of ``side``."""
    return page.evaluate(
        """side => Object.fromEntries(
            [...document.querySelector('.sheet.cards.' + side).querySelectorAll('.card')]
            .map(card => { const box = card.getBoundingClientRect();
                return [card.querySelector('.card-number').textContent,
                        [box.left + box.width / 2, box.top + window.scrollY]]; }))""",
        side,
    )


@pytest.mark.parametrize("code", ["en", "ar"])
def test_each_card_back_prints_behind_its_front(eore_server, printer, code):
    printer.set_viewport_size({"width": 1000, "height": 1200})
    printer.goto(f"{eore_server.base}/{code}/materials/if-you-find-one/cards")
    sheet = printer.locator(".sheet.cards.fronts").first.bounding_box()
    fronts = card_centres(printer, "fronts")
    backs = card_centres(printer, "backs")
    assert set(fronts) == set(backs) == {"1", "2", "3", "4"}
    middle = sheet["x"] + sheet["width"] / 2
    for number, (x, _) in fronts.items():
        # Flipped on the long edge, left and right swap: the back sits in the other column.
        assert backs[number][0] == pytest.approx(2 * middle - x, abs=2)
    # On a phone the preview reads in order, one card under another.
    printer.set_viewport_size({"width": 360, "height": 800})
    backs = card_centres(printer, "backs")
    assert sorted(backs, key=lambda n: backs[n][1]) == ["1", "2", "3", "4"]
