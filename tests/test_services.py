"""The help page: the pack's hotlines first, then its services by kind of help."""

from __future__ import annotations

import re

from conftest import PACKS


def test_help_lists_hotlines_first_then_every_service(sample_app):
    html = sample_app.test_client().get("/en/help").get_data(as_text=True)
    assert html.index("+000 111 222") < html.index('id="services-title"')
    assert "Test district hospital" in html and "Test listening centre" in html
    assert 'href="tel:+000333444"' in html
    for detail in (
        "Main road, North district",
        "North and South districts",
        "Always open",
        "Free",
        "Everyone",
        "Arabic, English",
    ):
        assert detail in html
    # Only the kinds of help the pack offers are filters.
    filters = re.findall(r'href="/en/help\?type=([a-z]+)"', html)
    assert filters == ["medical", "psychosocial"]
    assert "Ask your facilitator where to find" not in html


def test_help_filters_by_kind_of_help_without_javascript(sample_app):
    client = sample_app.test_client()
    html = client.get("/en/help?type=psychosocial").get_data(as_text=True)
    assert "Test listening centre" in html and "Test district hospital" not in html
    assert 'href="/en/help?type=psychosocial" aria-current="page"' in html
    assert client.get("/en/help?type=legal").status_code == 404
    assert client.get("/en/help?type=<script>").status_code == 404


def test_help_shows_a_service_in_the_reader_language_or_the_source(sample_app):
    html = sample_app.test_client().get("/ar/help").get_data(as_text=True)
    assert "مستشفى المنطقة للاختبار" in html  # translated by the operator
    assert "Test listening centre" in html  # not translated: the source language


def test_help_without_services_says_ask_your_facilitator(client):
    html = client.get("/en/help").get_data(as_text=True)
    assert "Ask your facilitator where to find medical care" in html
    assert 'class="service-list"' not in html
    for locale in ("ar", "uk", "es", "fr"):
        page = client.get(f"/{locale}/help")
        assert page.status_code == 200
        assert '<p class="ask">' in page.get_data(as_text=True)


def test_static_export_writes_a_page_per_kind_of_help(run_eore, tmp_path):
    out = tmp_path / "site"
    result = run_eore(
        "export",
        "static",
        "--out",
        str(out),
        "--base-url",
        "https://x.example",
        "--locale",
        "en",
        env={"EORE_CONTENT": str(PACKS / "good")},
    )
    assert result.exit_code == 0, result.output
    medical = (out / "en/help/medical/index.html").read_text(encoding="utf-8")
    assert "Test district hospital" in medical and "Test listening centre" not in medical
    every = (out / "en/help/index.html").read_text(encoding="utf-8")
    assert 'href="medical/index.html"' in every
    assert "/report" not in every  # the form needs the box
    home = (out / "en/index.html").read_text(encoding="utf-8")
    assert re.search(r'class="button report-button" href="help/index.html"', home)
