"""Lessons that stay on the phone: the saved lesson file, the pack zip, the static export."""

from __future__ import annotations

import base64
import hashlib
import io
import posixpath
import re
import zipfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from eore.content import load_pack
from eore.settings import PROJECT_ROOT

STARTER = load_pack(PROJECT_ROOT / "content")
FULL_LOCALES = ("en", "ar", "uk", "es", "fr")
# Links a saved page may hold: its own pictures, phone actions, places in the page.
INSIDE_THE_PAGE = ("data:", "tel:", "sms:", "mailto:", "#")
RIGHT_OPTION_RE = re.compile(r'<input type="radio"[^>]* data-correct>')


class Links(HTMLParser):
    """Collect every href and src of a page, and the text of its style and script."""

    def __init__(self):
        super().__init__()
        self.links: list[str] = []
        self.inline: dict[str, list[str]] = {"style": [], "script": []}
        self.meta_policy: str | None = None
        self._open: str | None = None

    def handle_starttag(self, tag, attrs):
        values = dict(attrs)
        for name in ("href", "src"):
            if values.get(name) is not None:
                self.links.append(values[name])
        if tag == "meta" and (values.get("http-equiv") or "").lower() == (
            "content-security-policy"
        ):
            self.meta_policy = values.get("content")
        if tag in self.inline:
            self._open = tag
            self.inline[tag].append("")

    def handle_endtag(self, tag):
        if tag == self._open:
            self._open = None

    def handle_data(self, data):
        if self._open:
            self.inline[self._open][-1] += data


def parsed(page: str) -> Links:
    links = Links()
    links.feed(page)
    return links


def csp_hash(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


@pytest.mark.parametrize("code", [*FULL_LOCALES, "ps"])
@pytest.mark.parametrize("slug", list(STARTER.lessons))
def test_saved_lesson_is_one_small_file_with_nothing_outside(client, code, slug):
    response = client.get(f"/{code}/lessons/{slug}/download")
    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    page = response.get_data(as_text=True)
    assert len(response.data) <= 100 * 1024, f"{len(response.data)} bytes"
    links = parsed(page)
    outside = [link for link in links.links if not link.startswith(INSIDE_THE_PAGE)]
    assert outside == []
    lesson = STARTER.lessons[slug]
    text = lesson.texts.get(code) or lesson.texts[STARTER.source_locale]
    for message in text.key_messages:
        assert _html_text(message) in page
    # Every picture is inside the page.
    assert page.count('src="data:image/svg+xml,') >= len(lesson.illustrations)
    # The reporting section ends every lesson (the starter pack has no contacts yet).
    assert 'id="how-to-report"' in page


@pytest.mark.parametrize("code", ["en", "ar"])
def test_saved_lesson_allows_only_its_own_style_and_script(client, code):
    page = client.get(f"/{code}/lessons/if-you-find-one/download").get_data(as_text=True)
    links = parsed(page)
    policy = dict(
        part.strip().split(" ", 1) for part in links.meta_policy.split(";") if part.strip()
    )
    assert policy["default-src"] == "'none'"
    assert policy["img-src"] == "data:"
    (style,) = links.inline["style"]
    (script,) = links.inline["script"]
    assert policy["style-src"] == f"'{csp_hash(style)}'"
    assert policy["script-src"] == f"'{csp_hash(script)}'"
    assert f'<html lang="{code}" dir="{"rtl" if code == "ar" else "ltr"}">' in page


def test_saved_lesson_has_its_quiz_with_answers_and_explanations(client):
    page = client.get("/uk/lessons/farming/download").get_data(as_text=True)
    quiz = STARTER.quizzes["farming"]
    assert page.count('<fieldset class="question"') == len(quiz.questions)
    assert len(RIGHT_OPTION_RE.findall(page)) == len(quiz.questions)
    for question in quiz.questions:
        words = question.texts["uk"]
        assert _html_text(words.question) in page
        assert _html_text(words.explanation) in page
    # Without JavaScript each answer is behind "Show the answer"; nothing is ever sent.
    assert page.count('<details class="answer">') == len(quiz.questions)
    assert "<form" not in page


def test_saved_lesson_has_a_readable_file_name_in_its_language(client):
    disposition = client.get("/ar/lessons/if-you-find-one/download").headers["Content-Disposition"]
    assert 'filename="if-you-find-one-ar.html"' in disposition
    encoded = re.search(r"filename\*=UTF-8''(\S+)", disposition).group(1)
    assert unquote(encoded) == STARTER.lessons["if-you-find-one"].texts["ar"].title + ".html"


def test_lesson_page_offers_to_save_the_lesson_and_the_list_the_pack(client):
    lesson = client.get("/fr/lessons/farming").get_data(as_text=True)
    assert 'href="/fr/lessons/farming/download" download' in lesson
    lessons = client.get("/fr/lessons/").get_data(as_text=True)
    assert 'href="/fr/download/pack.zip" download' in lessons


def test_unknown_lesson_or_language_has_no_download(client):
    assert client.get("/en/lessons/nothing/download").status_code == 404
    assert client.get("/xx/lessons/farming/download").status_code == 404
    assert client.get("/xx/download/pack.zip").status_code == 404


def pack_of(client, code) -> zipfile.ZipFile:
    response = client.get(f"/{code}/download/pack.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert f'filename="stay-safe-{code}.zip"' in response.headers["Content-Disposition"]
    return zipfile.ZipFile(io.BytesIO(response.data))


@pytest.mark.parametrize("code", [*FULL_LOCALES, "ps"])
def test_pack_zip_holds_every_lesson_and_an_index_whose_links_resolve(client, code):
    archive = pack_of(client, code)
    names = set(archive.namelist())
    folder = f"stay-safe-{code}"
    assert names == {f"{folder}/index.html"} | {f"{folder}/{s}.html" for s in STARTER.lessons}
    index = archive.read(f"{folder}/index.html").decode()
    assert {link for link in parsed(index).links if not link.startswith("data:")} == {
        f"{slug}.html" for slug in STARTER.lessons
    }
    for name in names:
        for link in parsed(archive.read(name).decode()).links:
            if link.startswith(INSIDE_THE_PAGE):
                continue
            assert posixpath.normpath(posixpath.join(folder, link)) in names, (name, link)


def test_lesson_links_lead_to_the_file_beside_them_in_a_pack_and_to_words_alone(client):
    # The adolescents' lesson links to the lesson on reporting.
    archive = pack_of(client, "en")
    in_pack = archive.read("stay-safe-en/adolescents-dares.html").decode()
    assert 'href="how-to-report.html"' in in_pack
    alone = client.get("/en/lessons/adolescents-dares/download").get_data(as_text=True)
    assert "lessons/how-to-report" not in alone
    assert "<span>How and where to report</span>" in alone
    assert "How and where to report" in alone


def test_the_five_language_packs_fit_the_budget(client):
    total = sum(len(client.get(f"/{code}/download/pack.zip").data) for code in FULL_LOCALES)
    assert total <= 2 * 1024 * 1024, f"{total} bytes"


def _html_text(text: str) -> str:
    """Return ``text`` as the page escapes it."""
    from markupsafe import escape

    return str(escape(text))


def export_links_outside(root: Path) -> list[tuple[str, str]]:
    """Return every link of the export that does not open a file inside it."""
    bad = []
    for file in root.rglob("*.html"):
        for link in parsed(file.read_text("utf-8")).links:
            if link.startswith(INSIDE_THE_PAGE):
                continue
            parts = urlsplit(link)
            target = (file.parent / unquote(parts.path)).resolve()
            if (
                parts.scheme
                or parts.netloc
                or link.startswith("/")
                or not target.is_file()
                or root.resolve() not in target.parents
            ):
                bad.append((str(file.relative_to(root)), link))
    return bad


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """Export the site in English and Arabic once, with the CLI."""
    from click.testing import CliRunner

    from eore.cli import cli

    out = tmp_path_factory.mktemp("site")
    data = tmp_path_factory.mktemp("export-data")
    result = CliRunner().invoke(
        cli,
        ["export", "static", "--out", str(out), "--base-url", "https://eore.example.org/"]
        + ["--locale", "en", "--locale", "ar"],
        env={"EORE_DATA": str(data), "EORE_BASE_URL": ""},
    )
    assert result.exit_code == 0, result.output
    return out


def test_static_export_links_all_resolve_inside_the_folder(exported):
    assert (exported / "index.html").is_file()
    assert export_links_outside(exported) == []
    for code in ("en", "ar"):
        for slug in STARTER.lessons:
            lesson = exported / code / "lessons" / slug
            assert (lesson / "index.html").is_file()
            assert (lesson / "quiz" / "index.html").is_file()
            assert (lesson / f"{slug}-{code}.html").is_file()
        assert (exported / code / "download" / "pack.zip").is_file()
        assert (exported / code / "help" / "index.html").is_file()
    assert not (exported / "uk").exists()


def test_static_export_quizzes_are_checked_in_the_page(exported):
    quiz = (exported / "ar" / "lessons" / "farming" / "quiz" / "index.html").read_text("utf-8")
    assert "<form" not in quiz
    assert len(RIGHT_OPTION_RE.findall(quiz)) == len(STARTER.quizzes["farming"].questions)
    assert "quiz." in quiz and "<script src=" in quiz


def test_static_export_codes_point_at_the_published_site(exported):
    poster = (exported / "en" / "materials" / "farming" / "poster.html").read_text("utf-8")
    assert "eore.example.org/en/lessons/farming" in poster


def test_static_export_keeps_other_folders_safe(run_eore, tmp_path):
    precious = tmp_path / "documents"
    precious.mkdir()
    (precious / "report.txt").write_text("keep me")
    result = run_eore("export", "static", "--out", str(precious), "--base-url", "https://x.example")
    assert result.exit_code == 1
    assert "not empty" in result.output
    assert (precious / "report.txt").read_text() == "keep me"


def test_static_export_replaces_an_earlier_export(run_eore, tmp_path):
    out = tmp_path / "site"
    args = ("export", "static", "--out", str(out), "--base-url", "https://x.example")
    assert run_eore(*args, "--locale", "en").exit_code == 0
    (out / "en" / "old-page.html").write_text("stale")
    assert run_eore(*args, "--locale", "fr").exit_code == 0
    assert not (out / "en").exists()
    assert (out / "fr" / "index.html").is_file()


def test_static_export_needs_the_address_it_will_be_published_at(run_eore, tmp_path):
    result = run_eore("export", "static", "--out", str(tmp_path / "s"), env={"EORE_BASE_URL": ""})
    assert result.exit_code == 1
    assert "--base-url" in result.output
    bad = run_eore("export", "static", "--out", str(tmp_path / "s"), "--base-url", "eore.lan")
    assert bad.exit_code == 1
    assert "--base-url is 'eore.lan'" in bad.output


def test_saved_lesson_never_takes_a_file_from_outside_the_pack_media(make_pack, shared_data):
    from eore import create_app

    root = make_pack()
    lesson = root / "lessons" / "first-steps" / "lesson.en.md"
    lesson.write_text(lesson.read_text() + "\n\n![x](media/../pack.yaml)\n\n![y](/etc/hostname)\n")
    app = create_app({"TESTING": True, "CONTENT": str(root), "DATA": str(shared_data / "hostile")})
    page = app.test_client().get("/en/lessons/first-steps/download").get_data(as_text=True)
    secret = (root / "pack.yaml").read_text()
    assert base64.b64encode(secret.encode()).decode()[:40] not in page
    assert "source_locale" not in page
    assert not any(link.startswith("data:") and "pack" in link for link in parsed(page).links)
