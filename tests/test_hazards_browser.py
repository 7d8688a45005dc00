"""Hazard reports in Chromium: a child reports in Arabic with JavaScript off; an admin acts."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from conftest import BOX_ADDRESS, STAFF_PASSWORD, add_server_account
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

REFERENCE_RE = re.compile(r"^H-[A-Z0-9]{4}-[A-Z0-9]{4}$")


@pytest.fixture(scope="module")
def admin_account(eore_server):
    return add_server_account(eore_server, "hala", "admin")


def sign_in(page, name):
    page.fill("#name", name)
    page.fill("#password", STAFF_PASSWORD)
    page.click("button[type=submit]")


def download(page, link_text) -> str:
    with page.expect_download() as caught:
        page.click(f"text={link_text}")
    with open(caught.value.path(), encoding="utf-8") as handle:
        return handle.read()


def test_a_child_reports_in_arabic_without_javascript_and_an_admin_closes_it(
    eore_server, browser, admin_account
):
    phone = browser.new_context(viewport={"width": 320, "height": 640}, java_script_enabled=False)
    page = phone.new_page()
    page.goto(f"{eore_server.base}/ar/")
    page.click(".report-button")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    # The safety rules come first, then "ask your facilitator" (the starter pack has no hotline).
    assert page.locator(".safety .rules li").count() == 4
    expect(page.locator(".safety .ask")).to_be_visible()
    # A child answers the two questions that matter, by tapping a picture and typing a place.
    page.click("label.option:has(input[value=unknown])")
    page.fill("#field-place", "قرب المدرسة، تحت الشجرة")
    page.locator("button[type=submit]").first.click()
    reference = page.locator(".reference").inner_text()
    assert REFERENCE_RE.match(reference)
    assert page.evaluate("document.documentElement.lang") == "ar"
    assert "تحت الشجرة" not in page.content()  # nothing of the report is shown back
    # Reloading the confirmation sends nothing again.
    page.reload()
    assert page.locator(".reference").inner_text() == reference

    laptop = browser.new_context(viewport={"width": 1000, "height": 800}, accept_downloads=True)
    admin = laptop.new_page()
    admin.goto(f"{eore_server.base}/admin/reports/")
    sign_in(admin, admin_account)
    row = admin.locator("tr", has=admin.locator(f"text={reference}"))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("قرب المدرسة")
    row.locator("a").click()
    admin.fill("#note", "Sent to the district office")
    admin.click("button[value=forwarded]")
    admin.click("button[value=verified]")
    admin.fill("#note", "Cleared by the team")
    admin.click("button[value=closed]")
    expect(admin.locator(".record dd").first).to_contain_text("Closed")
    expect(admin.locator(".history li")).to_have_count(3)
    expect(admin.locator(".history")).to_contain_text("Sent to the district office")
    admin.click("text=All hazard reports")
    text = download(admin, "CSV (HXL)")
    lines = list(csv.reader(io.StringIO(text)))
    record = dict(zip(lines[1], lines[2], strict=True))
    assert record["#meta+ref"] == reference and record["#status"] == "closed"
    assert record["#item+type"] == "unknown" and record["#loc+name"] == "قرب المدرسة، تحت الشجرة"
    assert len(lines) == 3  # one report
    geo = json.loads(download(admin, "GeoJSON"))
    assert geo == {"type": "FeatureCollection", "features": []}  # no location was given
    phone.close()
    laptop.close()


def test_a_phone_in_a_secure_context_fills_in_its_location(eore_server, browser, admin_account):
    phone = browser.new_context(
        viewport={"width": 360, "height": 640},
        geolocation={"latitude": 33.5138, "longitude": 36.2765},
        permissions=["geolocation"],
    )
    page = phone.new_page()
    page.goto(f"{eore_server.base}/en/report")
    assert page.evaluate("window.isSecureContext") is True
    locate = page.locator("[data-locate]")
    # Only once the person says it is safe to record the location.
    expect(locate).to_be_hidden()
    page.check("input[name=geo_safe]")
    expect(locate).to_be_visible()
    locate.click()
    expect(page.locator("#field-latitude")).to_have_value("33.513800")
    expect(page.locator("#field-longitude")).to_have_value("36.276500")
    page.click("label.option:has(input[value=mine])")
    page.fill("#field-place", "Olive grove by the river")
    page.click("label.option:has(input[name=hurt][value=yes])")
    page.locator("button[type=submit]").first.click()
    reference = page.locator(".reference").inner_text()
    expect(page.locator(".notice.problem")).to_contain_text("Call for help now")

    laptop = browser.new_context(accept_downloads=True)
    admin = laptop.new_page()
    admin.goto(f"{eore_server.base}/admin/reports/")
    sign_in(admin, admin_account)
    # Someone hurt: first in the inbox.
    expect(admin.locator("tbody tr").first).to_contain_text(reference)
    expect(admin.locator("tbody tr").first).to_have_class("urgent")
    geo = json.loads(download(admin, "GeoJSON"))
    (feature,) = [f for f in geo["features"] if f["properties"]["reference"] == reference]
    assert feature["geometry"] == {"type": "Point", "coordinates": [36.2765, 33.5138]}
    phone.close()
    laptop.close()


def test_on_the_plain_http_hotspot_the_location_is_typed(eore_server, plain_http_browser):
    port = eore_server.base.rsplit(":", 1)[1]
    context = plain_http_browser.new_context(viewport={"width": 360, "height": 640})
    page = context.new_page()
    page.goto(f"http://{BOX_ADDRESS}:{port}/fr/report")
    assert page.evaluate("window.isSecureContext") is False
    page.check("input[name=geo_safe]")
    expect(page.locator("[data-locate]")).to_be_hidden()
    page.click("label.option:has(input[value=ied])")
    page.fill("#field-place", "Route du marché")
    page.fill("#field-latitude", "91")
    page.fill("#field-longitude", "2.35")
    page.locator("button[type=submit]").first.click()
    # Refused with the reason next to the field; everything typed is still there.
    expect(page.locator("#problem-latitude")).to_be_visible()
    expect(page.locator("#field-place")).to_have_value("Route du marché")
    expect(page.locator("input[value=ied]")).to_be_checked()
    page.fill("#field-latitude", "48.85")
    page.locator("button[type=submit]").first.click()
    assert REFERENCE_RE.match(page.locator(".reference").inner_text())
    context.close()


@pytest.mark.parametrize("javascript", [False, True], ids=["no-js", "js"])
def test_the_form_works_in_every_language_at_phone_width(eore_server, browser, javascript):
    context = browser.new_context(
        viewport={"width": 320, "height": 640}, java_script_enabled=javascript
    )
    page = context.new_page()
    references = set()
    for locale in ("en", "ar", "uk", "es", "fr"):
        page.goto(f"{eore_server.base}/{locale}/report")
        assert page.evaluate("document.documentElement.lang") == locale
        assert page.evaluate("document.documentElement.dir") == ("rtl" if locale == "ar" else "ltr")
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        # Nothing chosen yet: the box names what is missing, in the page's language.
        page.locator("button[type=submit]").first.click()
        expect(page.locator("#problem-item")).to_be_visible()
        page.click("label.option:has(input[value=cluster_submunition])")
        page.fill("#field-place", f"{locale}: by the bridge")
        page.locator("button[type=submit]").first.click()
        reference = page.locator(".reference").inner_text()
        assert REFERENCE_RE.match(reference)
        references.add(reference)
    assert len(references) == 5
    context.close()
