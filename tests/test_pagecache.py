"""Pages the same for everyone are rendered once; nothing personal is ever kept."""

from __future__ import annotations

import gzip

from flask import session

from eore import learning
from eore.pagecache import Page, PageCache, same_for_everyone

LESSON = "/en/lessons/if-you-find-one"


def pages(app) -> PageCache:
    return app.extensions["eore"]["pages"]


def test_a_lesson_is_rendered_once_and_served_the_same(app, monkeypatch):
    client = app.test_client()
    rendered = []
    real = learning.render_template
    monkeypatch.setattr(
        learning, "render_template", lambda *a, **k: rendered.append(a[0]) or real(*a, **k)
    )
    first = client.get(LESSON, headers={"Accept-Encoding": "gzip"})
    second = client.get(LESSON, headers={"Accept-Encoding": "gzip"})
    plain = client.get(LESSON)
    assert rendered == ["learning/lesson.html"]
    assert first.headers["Content-Encoding"] == second.headers["Content-Encoding"] == "gzip"
    assert first.data == second.data
    assert "Content-Encoding" not in plain.headers
    assert gzip.decompress(second.data) == plain.data
    assert b"<h1" in plain.data
    assert "Accept-Encoding" in plain.headers["Vary"] and "Cookie" not in plain.headers["Vary"]
    # The shared headers (CSP and the rest) are still added to every copy.
    assert "Content-Security-Policy" in second.headers


def test_each_address_and_language_is_its_own_page(app):
    client = app.test_client()
    english = client.get(LESSON).data
    arabic = client.get("/ar/lessons/if-you-find-one").data
    children = client.get("/en/lessons/?audience=children").data
    everyone = client.get("/en/lessons/").data
    assert english != arabic and b'dir="rtl"' in arabic
    assert children != everyone


def test_a_visitors_cookies_do_not_change_what_is_kept(app):
    client = app.test_client()
    client.set_cookie("eore_lang", "ar")
    with_cookie = client.get(LESSON).data
    assert b'lang="en"' in with_cookie
    assert app.test_client().get(LESSON).data == with_cookie


def _app_with_page(app, rule, view):
    app.add_url_rule(rule, view.__name__, same_for_everyone(view))
    return app.test_client()


def test_a_page_that_read_the_session_is_not_kept(app):
    def personal():
        return f"<p>{session.get('account', 'nobody')}</p>" + "x" * 600

    client = _app_with_page(app, "/test-personal", personal)
    assert client.get("/test-personal").status_code == 200
    assert client.get("/test-personal").headers["Vary"] == "Cookie"
    assert len(pages(app)) == 0


def test_a_page_with_headers_of_its_own_is_not_kept(app):
    def with_cookie():
        return "<p>" + "x" * 600 + "</p>", 200, {"Set-Cookie": "a=b"}

    def not_found():
        return "<p>" + "x" * 600 + "</p>", 404

    app.add_url_rule("/test-cookie", "with_cookie", same_for_everyone(with_cookie))
    client = _app_with_page(app, "/test-missing", not_found)
    assert client.get("/test-cookie").headers["Set-Cookie"] == "a=b"
    assert client.get("/test-missing").status_code == 404
    assert len(pages(app)) == 0


def test_the_cache_drops_the_least_recently_used_page_beyond_its_size():
    cache = PageCache(max_bytes=250)
    for name in "abc":
        cache.put((name,), Page(b"x" * 100, "text/html"))
    assert cache.get(("a",)) is None  # three pages of 100 bytes do not fit in 250
    assert cache.get(("b",)) is not None  # read: now the most recently used
    cache.put(("d",), Page(b"x" * 100, "text/html"))
    assert cache.get(("c",)) is None and cache.get(("b",)) is not None
    assert cache.bytes == 200
    cache.put(("huge",), Page(b"x" * 300, "text/html"))
    assert cache.get(("huge",)) is None and cache.bytes == 200
