"""The web app manifest and the service worker: an extra on HTTPS, never needed on plain HTTP."""

from __future__ import annotations

import json
import re
import urllib.request

import pytest
from conftest import BOX_ADDRESS

from eore import pwa
from eore.assets import STATIC_ROOT
from eore.content import load_pack
from eore.settings import PROJECT_ROOT

STARTER = load_pack(PROJECT_ROOT / "content")
LESSON = "/en/lessons/if-you-find-one"
TITLE = STARTER.lessons["if-you-find-one"].texts["en"].title
PHONE = {"width": 360, "height": 640}
VERSION_RE = re.compile(r'^const VERSION = "([^"]*)";$', re.MULTILINE)


def version_of(client) -> str:
    """Return the cache version the server wrote into /sw.js."""
    found = VERSION_RE.search(client.get("/sw.js").get_data(as_text=True))
    assert found, "sw.js must set its VERSION on one line"
    return found.group(1)


# Flask test client ------------------------------------------------------------------------


def test_manifest_describes_an_installable_app(client):
    response = client.get("/manifest.webmanifest", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = json.loads(response.get_data(as_text=True))
    assert manifest["name"] == "Stay safe"
    assert manifest["short_name"]
    assert manifest["start_url"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == manifest["background_color"] == "#b3261e"
    assert "background: #b3261e" in (STATIC_ROOT / "eore.css").read_text(encoding="utf-8")
    [icon] = manifest["icons"]
    assert icon["type"] == "image/svg+xml" and icon["sizes"] == "any"
    with client.get(icon["src"]) as picture:
        assert picture.status_code == 200
        assert picture.mimetype == "image/svg+xml"
    assert len((STATIC_ROOT / "icon.svg").read_bytes()) < 2048


def test_manifest_speaks_the_visitors_language(client):
    response = client.get("/manifest.webmanifest", headers={"Accept-Language": "ar"})
    manifest = response.get_json(force=True)
    assert manifest["lang"] == "ar" and manifest["dir"] == "rtl"
    assert manifest["name"] != "Stay safe", "the Arabic catalogue translates the name"
    assert "Accept-Language" in response.headers["Vary"]


def test_service_worker_is_served_from_the_root_never_stale(client, app):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "text/javascript"
    assert response.headers["Cache-Control"] == "no-cache"
    text = response.get_data(as_text=True)
    assert "__CACHE_VERSION__" not in text
    with app.app_context():
        assert version_of(client).startswith(app.extensions["eore"]["library"].version + "-")
    # Everything else is the file as written.
    source = (STATIC_ROOT / "sw.js").read_text(encoding="utf-8")
    assert VERSION_RE.sub("", text) == VERSION_RE.sub("", source)


def test_a_new_pack_or_a_new_worker_names_new_caches(client, sample_app, tmp_path, monkeypatch):
    starter = version_of(client)
    sample = version_of(sample_app.test_client())
    assert sample.startswith("1.0-") and starter != sample
    changed = tmp_path / "sw.js"
    changed.write_text(
        (STATIC_ROOT / "sw.js").read_text(encoding="utf-8") + "\n// changed\n", encoding="utf-8"
    )
    monkeypatch.setattr(pwa, "SERVICE_WORKER", changed)
    assert version_of(client) not in (starter, sample)


def test_offline_page_speaks_the_visitors_language(client):
    response = client.get("/offline.html", headers={"Accept-Language": "en"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "You are offline. Lessons you opened or saved are still here:" in html
    assert "data-saved-list" in html and 'href="/"' in html
    arabic = client.get("/offline.html", headers={"Accept-Language": "ar"})
    assert '<html lang="ar" dir="rtl">' in arabic.get_data(as_text=True)
    assert "Accept-Language" in arabic.headers["Vary"]


@pytest.mark.parametrize(("code", "direction"), [("en", "ltr"), ("ar", "rtl")])
def test_saved_page_renders_an_empty_list_and_a_default_paragraph(client, code, direction):
    response = client.get(f"/{code}/saved")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert f'<html lang="{code}" dir="{direction}">' in html
    assert re.search(r"<ul [^>]*data-saved-list[^>]*></ul>", html)
    assert re.search(r"<p data-saved-none>[^<]+</p>", html)
    if code == "en":
        assert "Lessons kept on this phone for reading without the network" in html


def test_saved_page_needs_a_known_locale(client):
    assert client.get("/xx/saved").status_code == 404


def test_lesson_page_has_the_save_button_hidden(client):
    html = client.get(LESSON).get_data(as_text=True)
    button = re.search(r"<button[^>]*data-save-offline[^>]*>([^<]*)</button>", html)
    assert button, "the lesson page includes pwa/_save.html"
    tag = button.group(0)
    assert re.search(r"\shidden\s", tag)
    assert 'data-kept="Kept for offline"' in tag
    assert button.group(1) == "Keep this lesson for offline"
    assert re.search(r'<a hidden data-saved-link href="/en/saved">', html)
    head = html.split("</head>")[0]
    assert '<link rel="manifest" href="/manifest.webmanifest"' in head
    # On plain HTTP a phone downloads only the small loader; offline.js comes in a secure context.
    assert re.search(
        r'<script src="/static/offline-start\.\w+\.js" data-offline="/static/offline\.\w+\.js"'
        r" defer></script>",
        head,
    )


def test_page_script_is_old_browser_javascript_and_registers_only_when_secure():
    script = (STATIC_ROOT / "offline.js").read_text(encoding="utf-8")
    code = re.sub(r"/\*.*?\*/", "", script, flags=re.DOTALL)
    for modern in ("=>", "`", "classList", "let ", "const ", "async ", "await ", "..."):
        assert modern not in code, f"offline.js must run on old browsers: found {modern!r}"
    guard = code.index("window.isSecureContext !== true")
    assert guard < code.index('register("/sw.js")')
    loader = (STATIC_ROOT / "offline-start.js").read_text(encoding="utf-8")
    assert loader.index("window.isSecureContext !== true") < loader.index("createElement")
    assert len(loader.encode()) < 700
    worker = (STATIC_ROOT / "sw.js").read_bytes()
    assert len(worker) + len(script.encode()) < 9 * 1024


# Real browser -----------------------------------------------------------------------------


# Chromium's notice that security.py's header does nothing on plain http:// (not an error
# of this feature: every page of the box gets it on its plain-HTTP address).
IGNORED = "The Cross-Origin-Opener-Policy header has been ignored"


def watch(page) -> list[str]:
    """Return a list that fills with the page's console errors and uncaught exceptions."""
    errors: list[str] = []

    def console(message):
        if message.type == "error" and not message.text.startswith(IGNORED):
            errors.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    return errors


@pytest.fixture
def phone(browser):
    """Return a fresh phone-sized context of the shared Chromium."""
    context = browser.new_context(viewport=PHONE)
    yield context
    context.close()


# Resolve once the worker has kept a copy of the page at ``url`` (false after ten seconds).
WAIT_FOR_COPY = """url => new Promise(resolve => {
    const deadline = Date.now() + 10000;
    const check = () => caches.match(url, {ignoreVary: true}).then(found => {
        if (found || Date.now() > deadline) resolve(!!found); else setTimeout(check, 50);
    });
    check();
})"""

# Resolve once a service worker controls the page (false after ten seconds).
CONTROLLED = """() => navigator.serviceWorker.controller ? true : new Promise(resolve => {
    navigator.serviceWorker.addEventListener("controllerchange", () => resolve(true));
    setTimeout(() => resolve(false), 10000);
})"""


@pytest.mark.browser
def test_lessons_stay_readable_offline_in_a_secure_context(eore_server, phone):
    base = eore_server.base
    page = phone.new_page()
    errors = watch(page)
    page.goto(base + LESSON)
    assert page.evaluate("window.isSecureContext") is True, "http://127.0.0.1 is secure"
    assert page.evaluate("navigator.serviceWorker.ready.then(r => r.active.scriptURL)") == (
        base + "/sw.js"
    )
    page.reload()
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    button = page.locator("[data-save-offline]")
    button.wait_for(state="visible")
    # The default-src 'self' policy allows the manifest (manifest-src falls back to it).
    cdp = phone.new_cdp_session(page)
    manifest = cdp.send("Page.getAppManifest")
    assert manifest["url"] == base + "/manifest.webmanifest"
    assert manifest["errors"] == []
    assert json.loads(manifest["data"])["start_url"] == "/"
    assert page.evaluate(WAIT_FOR_COPY, base + LESSON)
    assert errors == [], "no console error, no refused script, worker or manifest"

    phone.set_offline(True)
    page.reload()
    assert page.locator("h1").inner_text() == TITLE
    # A page never opened: the offline page, listing the lesson opened before.
    page.goto(base + "/en/lessons/farming")
    assert "You are offline" in page.locator("main").inner_text()
    page.locator("[data-saved-list] a", has_text=TITLE).wait_for()
    assert page.locator("[data-saved-none]").is_hidden()

    phone.set_offline(False)
    page.goto(base + LESSON)
    button.wait_for(state="visible")
    assert button.inner_text() == "Keep this lesson for offline"
    button.click()
    page.get_by_role("button", name="Kept for offline").wait_for()
    phone.set_offline(True)
    page.goto(base + "/en/saved")
    assert page.locator("h1").inner_text() == "Lessons kept for offline"
    kept = page.locator("[data-saved-list] li")
    kept.first.wait_for()
    assert kept.count() == 1
    assert kept.locator("a").inner_text() == TITLE
    assert page.locator("[data-saved-none]").is_hidden()
    # The kept copy opens offline with its pictures.
    kept.locator("a").click()
    page.wait_for_url(base + LESSON)
    assert page.locator("h1").inner_text() == TITLE
    assert page.evaluate("document.querySelector('.lead-picture img').naturalWidth") > 0
    page.go_back()
    page.locator("[data-saved-list] button").click()
    kept.first.wait_for(state="detached")
    assert page.locator("[data-saved-none]").is_visible()


@pytest.mark.browser
def test_worker_drops_old_caches_and_never_keeps_quiz_pages(eore_server, phone):
    base = eore_server.base
    page = phone.new_page()
    # A page without the script: a cache left by an older worker, before this one installs.
    page.goto(base + "/healthz")
    page.evaluate("caches.open('eore-pages-old').then(() => caches.open('eore-saved'))")
    page.goto(base + LESSON)
    # The worker claims the page once it has emptied the old caches.
    assert page.evaluate(CONTROLLED)
    with urllib.request.urlopen(base + "/sw.js") as response:
        version = VERSION_RE.search(response.read().decode()).group(1)
    assert sorted(page.evaluate("caches.keys()")) == [f"eore-pages-{version}", "eore-saved"]
    page.goto(base + LESSON + "/quiz")
    assert page.locator("form.quiz").is_visible()
    page.goto(base + LESSON)
    assert page.evaluate(WAIT_FOR_COPY, base + LESSON)
    kept = page.evaluate(
        """() => caches.keys()
            .then(keys => Promise.all(keys.map(k => caches.open(k).then(c => c.keys()))))
            .then(lists => [].concat(...lists).map(r => r.url))"""
    )
    assert base + LESSON in kept
    assert base + LESSON + "/quiz" not in kept, "a no-store page must never be kept"


@pytest.mark.browser
def test_plain_http_registers_nothing_and_the_page_works(eore_server, plain_http_browser):
    port = eore_server.base.rsplit(":", 1)[1]
    base = f"http://{BOX_ADDRESS}:{port}"
    context = plain_http_browser.new_context(viewport=PHONE)
    page = context.new_page()
    errors = watch(page)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    response = page.goto(base + LESSON)
    assert response.status == 200
    assert page.evaluate("window.isSecureContext") is False
    assert page.evaluate(
        """() => !navigator.serviceWorker
            || navigator.serviceWorker.getRegistrations().then(list => list.length === 0)"""
    )
    assert page.locator("h1").inner_text() == TITLE
    assert page.locator("[data-save-offline]").is_hidden()
    assert page.locator("[data-saved-link]").is_hidden()
    page.get_by_role("link", name="Take the quiz").click()
    page.wait_for_url(base + LESSON + "/quiz")
    assert page.locator("form.quiz").is_visible()
    assert not any(url.endswith("/sw.js") for url in requests)
    # Only the small loader came: offline.js itself is never downloaded on plain HTTP.
    assert any("/static/offline-start." in url for url in requests)
    assert not any(re.search(r"/static/offline\.\w+\.js$", url) for url in requests)
    assert errors == []
    context.close()
