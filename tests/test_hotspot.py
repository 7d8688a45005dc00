"""Hotspot welcome: connectivity checks and other sites' addresses lead to the welcome page."""

import re
import shutil
from pathlib import Path

import pytest

from eore import create_app
from eore.hotspot import CHECK_PATHS, URGENT_LESSONS, is_own_host
from eore.settings import PROJECT_ROOT

PACKS = Path(__file__).parent / "packs"
STARTER_PACK = PROJECT_ROOT / "content"
BASE = "http://eore.lan"
CHECK_HOSTS = {
    "/generate_204": "connectivitycheck.gstatic.com",
    "/gen_204": "clients3.google.com",
    "/hotspot-detect.html": "captive.apple.com",
    "/library/test/success.html": "captive.apple.com",
    "/connecttest.txt": "www.msftconnecttest.com",
    "/ncsi.txt": "www.msftncsi.com",
    "/redirect": "www.msftconnecttest.com",
    "/canonical.html": "detectportal.firefox.com",
    "/success.txt": "detectportal.firefox.com",
}
HREF = re.compile(r'href="([^"]+)"')


def make_client(shared_data, **config):
    """Return a test client of the starter-pack app with these settings."""
    app = create_app(
        {
            "TESTING": True,
            "CONTENT": str(STARTER_PACK),
            "DATA": str(shared_data),
            "BASE_URL": "",
            "HOTSPOT": "on",
            **config,
        }
    )
    return app.test_client()


@pytest.fixture
def box(shared_data):
    """Return a client of a box whose address is http://eore.lan."""
    return make_client(shared_data, BASE_URL=BASE)


@pytest.fixture
def bare(shared_data):
    """Return a client of a box with no BASE_URL."""
    return make_client(shared_data)


def assert_sent_to(response, location):
    assert response.status_code == 302
    assert response.headers["Location"] == location
    assert response.headers["Cache-Control"] == "no-store"


def test_every_known_check_is_listed():
    assert set(CHECK_PATHS) == set(CHECK_HOSTS)


@pytest.mark.parametrize("path", CHECK_PATHS)
def test_check_on_the_box_leads_to_the_welcome_page(bare, path):
    response = bare.get(path)
    assert_sent_to(response, "/welcome")
    landing = bare.get(path, follow_redirects=True, headers={"Accept-Language": "fr"})
    assert landing.status_code == 200
    assert landing.request.path == "/fr/welcome"


@pytest.mark.parametrize("path", CHECK_PATHS)
def test_check_on_its_own_host_leads_to_the_box_address(box, path):
    assert_sent_to(box.get(path, headers={"Host": CHECK_HOSTS[path]}), BASE + "/welcome")
    assert_sent_to(box.get(path, base_url="http://" + CHECK_HOSTS[path]), BASE + "/welcome")
    # The box's own address answers a check too, and never with the visitor's host.
    assert_sent_to(box.get(path), BASE + "/welcome")


@pytest.mark.parametrize("path", ["/", "/some/page", "/news/", "/en/", "/en/lessons/", "/welcome"])
def test_any_page_of_another_site_leads_to_the_box(box, path):
    assert_sent_to(box.get(path, base_url="http://example.com"), BASE + "/welcome")


def test_other_methods_and_known_cookies_lead_to_the_box_too(box):
    assert_sent_to(box.post("/en/lessons/", base_url="http://example.com"), BASE + "/welcome")
    box.set_cookie("eore_lang", "fr", domain="example.com")
    assert_sent_to(box.get("/fr/", base_url="http://example.com"), BASE + "/welcome")


@pytest.mark.parametrize(
    "host",
    [
        "eore.lan",
        "EORE.LAN",
        "eore.lan:80",
        "eore.lan.",
        "localhost",
        "localhost:5000",
        "127.0.0.1:8771",
        "10.42.0.1",
        "10.42.0.1:8000",
        "[::1]:8000",
        "[fe80::1]",
    ],
)
def test_the_box_own_addresses_pass_through(box, host):
    response = box.get("/en/", headers={"Host": host})
    assert response.status_code == 200
    assert '<html lang="en"' in response.get_data(as_text=True)


@pytest.mark.parametrize("host", ["eore.lan:8000", "eore.lan.example.com", "lan", "bad:port"])
def test_the_same_name_on_another_port_or_a_lookalike_is_foreign(box, host):
    assert_sent_to(box.get("/en/", headers={"Host": host}), BASE + "/welcome")


def test_health_check_answers_on_any_address(box):
    response = box.get("/healthz", base_url="http://example.com")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"


def test_ports_are_compared_with_each_scheme_default():
    assert is_own_host("eore.lan", "https://eore.lan", "http")
    assert is_own_host("eore.lan:443", "https://eore.lan", "https")
    assert is_own_host("eore.lan:8000", "http://eore.lan:8000", "http")
    assert not is_own_host("eore.lan", "http://eore.lan:8000", "http")
    assert not is_own_host("eore.lan:8080", "http://eore.lan", "http")
    assert not is_own_host("example.com", "http://eore.lan", "http")
    assert is_own_host("192.168.4.1:8000", "http://eore.lan", "http")


def test_without_base_url_other_hosts_are_served_but_checks_still_answer(bare):
    response = bare.get("/en/", base_url="http://example.com")
    assert response.status_code == 200
    assert "Location" not in response.headers
    assert bare.get("/some/page", base_url="http://example.com").status_code == 404
    # The check is answered on the host it was asked on: the phone stays there.
    assert_sent_to(
        bare.get("/generate_204", base_url="http://connectivitycheck.gstatic.com"), "/welcome"
    )


def test_hotspot_off_answers_nothing_special(shared_data):
    client = make_client(shared_data, BASE_URL=BASE, HOTSPOT="off")
    for path in CHECK_PATHS:
        response = client.get(path)
        assert response.status_code == 404, path
        assert "Location" not in response.headers
    response = client.get("/en/", base_url="http://example.com")
    assert response.status_code == 200
    assert "Location" not in response.headers
    assert client.get("/generate_204", base_url="http://example.com").status_code == 404


@pytest.mark.parametrize(
    "headers, cookie, expected",
    [
        ({"Accept-Language": "ar"}, None, "ar"),
        ({"Accept-Language": "uk,en;q=0.5"}, None, "uk"),
        ({"Accept-Language": "de"}, None, "en"),
        ({"Accept-Language": "ar"}, "es", "es"),
    ],
)
def test_welcome_picks_the_visitor_language(bare, headers, cookie, expected):
    if cookie:
        bare.set_cookie("eore_lang", cookie)
    response = bare.get("/welcome", headers=headers)
    assert_sent_to(response, f"/{expected}/welcome")
    assert {"Cookie", "Accept-Language"} <= set(response.vary)


def page_of(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response.get_data(as_text=True)


@pytest.mark.parametrize(
    "code, direction", [("en", "ltr"), ("ar", "rtl"), ("uk", "ltr"), ("es", "ltr"), ("fr", "ltr")]
)
def test_welcome_page_in_each_language(box, code, direction):
    html = page_of(box, f"/{code}/welcome")
    assert f'<html lang="{code}" dir="{direction}">' in html
    assert f'<p class="address" dir="ltr">{BASE}</p>' in html
    # No script of its own: only the files every page loads, never inline code.
    for tag, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.DOTALL):
        assert re.fullmatch(r' src="/static/[\w.-]+\.js"( data-offline="[^"]+")? defer', tag)
        assert body == ""
    main = html[html.index("<main") : html.index("</main>")]
    assert "<script" not in main and "<form" not in main
    assert not any(" download" in tag for tag in re.findall(r"<a [^>]*>", html))
    assert 'class="browser-hint"' in html
    assert f'href="/{code}/lessons/"' in html
    slugs = re.findall(rf'href="/{code}/lessons/([a-z0-9-]+)"', html)
    assert slugs == list(URGENT_LESSONS)
    for href in HREF.findall(html):
        if href.startswith(f"/{code}/lessons/"):
            assert box.get(href).status_code == 200, href
    # Each language link keeps the visitor on the welcome page.
    for other in box.application.extensions["eore"]["library"].locales:
        assert f'href="/{other}/welcome"' in html


def test_welcome_page_pictures_are_served(box):
    html = page_of(box, "/en/welcome")
    pictures = re.findall(r'<img src="(/media/[^"]+)"', html)
    assert len(pictures) == len(URGENT_LESSONS)
    for src in pictures:
        with box.get(src) as response:
            assert response.status_code == 200, src


def test_welcome_page_is_english_source_text(box):
    html = page_of(box, "/en/welcome")
    assert "Welcome: lessons to stay safe from explosive ordnance" in html
    assert "This window is limited. To save lessons to your phone or take a quiz" in html
    assert "What to do if you find an explosive item" in html


def test_welcome_page_without_base_url_shows_the_address_asked(bare):
    html = page_of(bare, "/en/welcome")
    assert '<p class="address" dir="ltr">http://localhost</p>' in html
    html = bare.get("/en/welcome", base_url="http://10.42.0.1:8000").get_data(as_text=True)
    assert '<p class="address" dir="ltr">http://10.42.0.1:8000</p>' in html


def test_welcome_page_skips_lessons_the_pack_lacks(tmp_path, shared_data):
    pack = tmp_path / "pack"
    shutil.copytree(PACKS / "good", pack)
    (pack / "lessons" / "signs").rename(pack / "lessons" / "danger-signs")
    app = create_app(
        {"TESTING": True, "CONTENT": str(pack), "DATA": str(tmp_path / "data"), "BASE_URL": ""}
    )
    client = app.test_client()
    html = page_of(client, "/en/welcome")
    assert re.findall(r'href="(/en/lessons/[^"]*)"', html) == [
        "/en/lessons/danger-signs",
        "/en/lessons/",
    ]
    assert client.get("/en/lessons/danger-signs").status_code == 200


def test_welcome_css_is_appended_not_inline(box):
    html = page_of(box, "/en/welcome")
    assert "style=" not in html and "<style" not in html
    css = (PROJECT_ROOT / "static" / "eore.css").read_text(encoding="utf-8")
    assert ".welcome-lessons" in css and ".browser-hint .address" in css


PHONE = {"width": 360, "height": 640}


@pytest.mark.browser
def test_welcome_page_works_with_javascript_off(eore_server, browser):
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(eore_server.base + "/welcome")
    assert page.url.endswith("/en/welcome")
    assert page.locator(".address").inner_text() == eore_server.base
    page.locator(".welcome-lessons a").first.click()
    assert page.url.endswith("/en/lessons/if-you-find-one")
    assert page.locator(".key-messages li").count() >= 1
    context.close()


@pytest.mark.browser
@pytest.mark.parametrize("code", ["en", "ar"])
def test_welcome_page_fits_a_small_phone(eore_server, browser, code):
    context = browser.new_context(viewport={"width": 320, "height": 568})
    page = context.new_page()
    page.goto(f"{eore_server.base}/{code}/welcome")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    links = [link.bounding_box() for link in page.locator(".welcome-lessons a").all()]
    picture = page.locator(".welcome-lessons img").first.bounding_box()
    context.close()
    assert overflow <= 0, f"/{code}/welcome scrolls sideways by {overflow}px"
    assert len(links) == len(URGENT_LESSONS)
    assert all(box["height"] >= 48 for box in links)
    # Pictures lead on the reading side: left in English, right in Arabic.
    assert (picture["x"] > 160) == (code == "ar")
