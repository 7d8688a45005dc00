"""Every page in every locale, through the Flask test client."""

import re

import pytest

from eore import create_app
from eore.content import load_pack
from eore.settings import PROJECT_ROOT

STARTER = load_pack(PROJECT_ROOT / "content")
LOCALES = list(STARTER.locales)
SLUGS = list(STARTER.lessons)
EXTERNAL_URL = re.compile(r"""(?:src|href|action)=["']?(?:https?:)?//""", re.IGNORECASE)


def page_urls():
    """Yield every page of the starter pack in every locale."""
    for code in LOCALES:
        yield f"/{code}/"
        yield f"/{code}/lessons/"
        yield f"/{code}/curriculum"
        yield f"/{code}/help"
        for audience in STARTER.audiences():
            yield f"/{code}/lessons/?audience={audience}"
        for slug in SLUGS:
            yield f"/{code}/lessons/{slug}"
            if slug in STARTER.quizzes:
                yield f"/{code}/lessons/{slug}/quiz"
            if STARTER.lessons[slug].guides:
                yield f"/{code}/lessons/{slug}/guide"
        for test_id in STARTER.tests:
            yield f"/{code}/test/{test_id}"
            yield f"/{code}/test/{test_id}?phase=pre"
            yield f"/{code}/test/{test_id}?phase=post&session=AB12"


@pytest.fixture(scope="module")
def reader(shared_data):
    """Return one client for the many read-only page checks (one app, built once)."""
    app = create_app(
        {"TESTING": True, "CONTENT": str(PROJECT_ROOT / "content"), "DATA": str(shared_data)}
    )
    return app.test_client()


@pytest.mark.parametrize("url", list(page_urls()))
def test_every_page_renders_in_its_language(reader, url):
    response = reader.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    code = url.split("/")[1]
    direction = STARTER.locales[code].direction
    assert f'<html lang="{code}" dir="{direction}">' in html
    assert not EXTERNAL_URL.search(html), "a page must not point outside the box"
    # Scripts come only from the box's static files, never inline.
    for tag, body in re.findall(r"<script([^>]*)>(.*?)</script>", html, flags=re.DOTALL):
        assert re.fullmatch(
            r' src="/static/[\w.-]+\.js"( data-offline="/static/[\w.]+\.js")? defer', tag
        )
        assert body == ""
    assert html.count("<script") == len(re.findall(r"<script[^>]*></script>", html))
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("code", LOCALES)
@pytest.mark.parametrize("slug", SLUGS)
def test_lesson_shows_its_parts(reader, code, slug):
    html = reader.get(f"/{code}/lessons/{slug}").get_data(as_text=True)
    lesson = STARTER.lessons[slug]
    text, fell_back = STARTER.text_of(lesson, code)
    assert f"<h1>{text.title}</h1>".replace("'", "&#39;") in html
    for message in text.key_messages:
        assert message.replace("'", "&#39;").replace('"', "&#34;") in html
    for illustration in lesson.illustrations:
        alt = text.alt[illustration.id].replace("'", "&#39;").replace('"', "&#34;")
        assert f'alt="{alt}"' in html
    assert 'class="report"' in html
    assert 'class="ask"' in html, "with no contacts, the lesson must say to ask the facilitator"
    assert ('class="notice fallback"' in html) == fell_back


def test_home_offers_every_language_by_its_native_name(client):
    html = client.get("/en/").get_data(as_text=True)
    for code, info in STARTER.locales.items():
        assert f'hreflang="{code}"' in html
        assert f">{info.name}</a>" in html
    assert "/en/lessons/?audience=children" in html


def test_interface_is_translated(client):
    assert "<h1>Lessons</h1>" in client.get("/en/lessons/").get_data(as_text=True)
    assert "<h1>Lessons</h1>" not in client.get("/ar/lessons/").get_data(as_text=True)


def test_draft_locale_is_labelled(client):
    assert 'class="notice draft"' in client.get("/ar/").get_data(as_text=True)
    assert 'class="notice draft"' not in client.get("/en/").get_data(as_text=True)


def test_audience_filter_lists_only_that_audience(client):
    html = client.get("/en/lessons/?audience=children").get_data(as_text=True)
    children = [s for s in SLUGS if "children" in STARTER.lessons[s].audiences]
    others = [s for s in SLUGS if s not in children]
    assert children and others
    for slug in children:
        assert f'href="/en/lessons/{slug}"' in html
    for slug in others:
        assert f'href="/en/lessons/{slug}"' not in html


@pytest.mark.parametrize(
    "headers, cookie, expected",
    [
        ({"Accept-Language": "uk-UA,uk;q=0.9,en;q=0.5"}, None, "/uk/"),
        ({"Accept-Language": "ar-SY"}, None, "/ar/"),
        ({"Accept-Language": "de-DE"}, None, "/en/"),
        ({}, None, "/en/"),
        ({"Accept-Language": "ar"}, "fr", "/fr/"),
        ({"Accept-Language": "ar"}, "zz", "/ar/"),
    ],
)
def test_root_redirects_by_cookie_then_accept_language(client, headers, cookie, expected):
    if cookie:
        client.set_cookie("eore_lang", cookie)
    response = client.get("/", headers=headers)
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_visiting_a_locale_remembers_it(client):
    client.get("/es/lessons/")
    assert client.get("/").headers["Location"] == "/es/"


@pytest.mark.parametrize(
    "url, code",
    [
        ("/xx/", "en"),
        ("/en/lessons/no-such-lesson", "en"),
        ("/ar/lessons/no-such-lesson", "ar"),
        ("/en/lessons/?audience=pilots", "en"),
        ("/uk/no/such/page", "uk"),
        ("/nothing/here/at/all", "en"),
    ],
)
def test_unknown_locale_or_slug_is_a_localized_404(client, url, code):
    response = client.get(url)
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert f'<html lang="{code}"' in html
    assert "Traceback" not in html


def test_404_uses_the_visitors_language(client):
    html = client.get("/xx/", headers={"Accept-Language": "ar"}).get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    assert "Page not found" not in html


def test_server_error_page_hides_internals(app):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert "secret internals" not in response.get_data(as_text=True)


def test_healthz_names_the_pack(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "pack": STARTER.name, "version": STARTER.version}


def fetch(client, url, **headers):
    """Return status, headers and body of ``url``, closing the file response."""
    with client.get(url, headers=headers) as response:
        return response.status_code, response.headers, response.get_data()


def test_static_files_are_versioned_compressed_and_cached(client):
    html = client.get("/en/").get_data(as_text=True)
    css_url = re.search(r'href="(/static/eore\.[0-9a-f]{12}\.css)"', html).group(1)
    status, headers, plain = fetch(client, css_url)
    assert status == 200
    assert "max-age=31536000" in headers["Cache-Control"]
    assert "immutable" in headers["Cache-Control"]
    status, headers, packed = fetch(client, css_url, **{"Accept-Encoding": "br"})
    assert headers["Content-Encoding"] == "br"
    assert len(packed) < len(plain)
    status, headers, packed = fetch(client, css_url, **{"Accept-Encoding": "gzip"})
    assert headers["Content-Encoding"] == "gzip"
    assert fetch(client, "/static/eore.css")[0] == 404


def test_illustrations_are_served_with_a_safe_policy(client):
    html = client.get("/en/lessons/danger-signs").get_data(as_text=True)
    svg_url = re.search(r'src="(/media/danger-sign\.[0-9a-f]{12}\.svg)"', html).group(1)
    status, headers, body = fetch(client, svg_url)
    assert status == 200
    assert headers["Content-Type"].startswith("image/svg+xml")
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    assert body.startswith(b"<svg")


def test_sample_pack_contacts_and_safe_markdown(sample_app):
    client = sample_app.test_client()
    html = client.get("/en/lessons/first-steps").get_data(as_text=True)
    assert '<a href="tel:+000111222" dir="ltr">+000 111 222</a>' in html
    assert "Test hotline" in html and "Open every day" in html
    assert 'class="ask"' not in html
    assert "&lt;b&gt;raw html&lt;/b&gt;" in html
    assert 'href="javascript:' not in html
    assert re.search(r'<img src="/media/sign\.[0-9a-f]{12}\.svg" alt="sign"', html)
    arabic = client.get("/ar/lessons/first-steps").get_data(as_text=True)
    assert "الخط الساخن للاختبار" in arabic


def test_help_page_has_the_rules_the_contacts_and_lessons_that_help(client, sample_app):
    html = client.get("/es/help").get_data(as_text=True)
    assert 'id="how-to-report"' in html and 'class="ask"' in html
    for slug in ("how-to-report", "if-you-find-one", "someone-hurt", "survivor-help"):
        assert f'href="/es/lessons/{slug}"' in html
    assert 'href="/es/help"' in client.get("/es/").get_data(as_text=True)
    sample = sample_app.test_client().get("/en/help").get_data(as_text=True)
    assert '<a href="tel:+000111222" dir="ltr">+000 111 222</a>' in sample
    assert 'class="ask"' not in sample


def test_fallback_lesson_keeps_the_page_language_for_the_notice(sample_app):
    html = sample_app.test_client().get("/ar/lessons/signs").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in html
    assert '<article class="lesson" lang="en" dir="ltr">' in html
    assert 'class="notice fallback" lang="ar" dir="rtl"' in html


def test_pages_are_gzipped_for_phones_that_accept_it(client):
    import gzip

    plain = client.get("/en/lessons/if-you-find-one")
    packed = client.get("/en/lessons/if-you-find-one", headers={"Accept-Encoding": "gzip"})
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 2


def test_missing_trailing_slash_still_redirects(client):
    response = client.get("/en/lessons")
    assert response.status_code == 308
    assert response.headers["Location"].endswith("/en/lessons/")


def test_unexpected_method_is_refused_politely(client):
    response = client.post("/fr/lessons/", data={"x": "y"})
    assert response.status_code == 405
    assert '<html lang="fr" dir="ltr">' in response.get_data(as_text=True)


def test_language_links_carry_only_the_known_filter(client):
    html = client.get("/en/lessons/?audience=children&junk=" + "x" * 5000).get_data(as_text=True)
    assert 'href="/ar/lessons/?audience=children"' in html
    assert "junk" not in html


def test_gzip_refused_with_q0_is_not_sent(client):
    response = client.get("/en/lessons/", headers={"Accept-Encoding": "gzip;q=0"})
    assert "Content-Encoding" not in response.headers


def test_web_links_in_lessons_are_not_links(make_pack, shared_data):
    from eore import create_app

    body = "---\ntitle: T\nsummary: S\nobjectives: [o]\nkey_messages: [k]\nalt: {sign: a}\n---\n"
    body += "[a](https://x.org) <https://e.org/a> [b](//evil) ![i](https://e/i.png) [t](tel:+1)\n"
    root = make_pack({"lessons/first-steps/lesson.en.md": body})
    app = create_app({"CONTENT": str(root), "DATA": str(shared_data / "links")})
    html = app.test_client().get("/en/lessons/first-steps").get_data(as_text=True)
    assert not EXTERNAL_URL.search(html)
    assert '<a href="tel:+1">t</a>' in html
