"""Printed materials: every page in every locale, QR codes, the base-URL warning, the SMS kit."""

import csv
import io
import re

import pytest

from eore import create_app, qr
from eore.content import load_pack
from eore.settings import PROJECT_ROOT

STARTER = load_pack(PROJECT_ROOT / "content")
LOCALES = list(STARTER.locales)
SLUGS = list(STARTER.lessons)
BOX = "http://10.42.0.1:8000"
EXTERNAL_URL = re.compile(r"""(?:src|href|action)=["']?(?:https?:)?//""", re.IGNORECASE)
LESSON_PAGES = ("poster", "poster?size=a3", "poster?qr=messages", "leaflet", "cards")


def make_client(data, **config):
    app = create_app(
        {"TESTING": True, "CONTENT": str(PROJECT_ROOT / "content"), "DATA": str(data), **config}
    )
    return app.test_client()


@pytest.fixture(scope="module")
def box(shared_data):
    """A client of a box whose address is set, as on a deployed Raspberry Pi."""
    return make_client(shared_data, BASE_URL=BOX)


@pytest.fixture(scope="module")
def unset(shared_data):
    """A client of a box whose EORE_BASE_URL was never set."""
    return make_client(shared_data, BASE_URL="")


def printable_urls():
    for code in LOCALES:
        yield f"/{code}/materials/"
        yield f"/{code}/materials/stickers"
        yield f"/{code}/materials/sms"
        for slug in SLUGS:
            for page in LESSON_PAGES:
                yield f"/{code}/materials/{slug}/{page}"
            yield f"/{code}/materials/stickers?lesson={slug}"


@pytest.mark.parametrize("url", list(printable_urls()))
def test_every_printable_page_renders_in_its_language(box, url):
    response = box.get(url)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    code = url.split("/")[1]
    assert f'<html lang="{code}" dir="{STARTER.locales[code].direction}">' in html
    # Only the box's own address, which phones reach, appears as a full URL.
    assert not EXTERNAL_URL.search(html.replace(f'href="{BOX}', 'href="'))
    assert "<script" not in html or 'src="/static/' in html
    assert "The QR codes point at an address" not in html


def test_poster_carries_title_messages_report_and_code_with_short_url(box):
    html = box.get("/uk/materials/farming/poster").get_data(as_text=True)
    text = STARTER.lessons["farming"].texts["uk"]
    assert text.title in html
    for message in text.key_messages:
        assert message in html
    assert "10.42.0.1:8000/uk/lessons/farming</span>" in html
    assert html.count("<svg") == 1 and 'shape-rendering="crispEdges"' in html
    assert 'class="sheet poster a4' in html
    # A draft translation says so on the paper too.
    assert 'class="draft-mark"' in html
    assert 'class="draft-mark"' not in box.get("/en/materials/farming/poster").get_data(
        as_text=True
    )


def test_a3_poster_and_the_other_sheets(box):
    assert 'class="sheet poster a3' in box.get("/en/materials/farming/poster?size=a3").get_data(
        as_text=True
    )
    leaflet = box.get("/ar/materials/farming/leaflet").get_data(as_text=True)
    assert leaflet.count('class="sheet leaflet a5"') == 2
    cards = box.get("/en/materials/if-you-find-one/cards").get_data(as_text=True)
    messages = STARTER.lessons["if-you-find-one"].texts["en"].key_messages
    assert cards.count('class="card front"') == cards.count('class="card back"') == len(messages)
    # Five cards: two sheets of fronts and two of backs.
    assert cards.count('class="sheet cards fronts"') == 2
    assert cards.count('class="sheet cards backs"') == 2
    stickers = box.get("/fr/materials/stickers?lesson=farming").get_data(as_text=True)
    assert stickers.count('class="sticker"') == 21


@pytest.mark.parametrize(
    "url",
    ["/en/materials/farming/poster?size=a2", "/en/materials/nothing/poster", "/xx/materials/"],
)
def test_unknown_material_is_not_found(box, url):
    assert box.get(url).status_code == 404


def test_qr_svg_has_a_fixed_address_and_encodes_the_lesson_url(box):
    response = box.get("/qr/ar/lessons/farming.svg")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    assert response.headers["Content-Security-Policy"] == "default-src 'none'"
    body = response.get_data(as_text=True)
    assert body == qr.svg(
        f"{BOX}/ar/lessons/farming", "M", title="10.42.0.1:8000/ar/lessons/farming"
    )
    assert len(body) < 6000
    assert box.get("/qr/xx/lessons/farming.svg").status_code == 404
    assert box.get("/qr/en/lessons/nothing.svg").status_code == 404


def test_error_correction_follows_the_setting(shared_data):
    url = f"{BOX}/en/lessons/farming"
    low = make_client(shared_data, BASE_URL=BOX, QR_ERROR_CORRECTION="l")
    high = make_client(shared_data, BASE_URL=BOX, QR_ERROR_CORRECTION="H")
    assert (
        low.get("/qr/en/lessons/farming.svg")
        .get_data(as_text=True)
        .startswith(qr.svg(url, "L")[:60])
    )
    assert len(qr.matrix(url, "H")) > len(qr.matrix(url, "L"))
    assert high.get("/qr/en/lessons/farming.svg").get_data(as_text=True) == qr.svg(
        url, "H", title=url.removeprefix("http://")
    )


def test_unset_base_url_warns_the_facilitator_and_explains_how_to_set_it(unset):
    html = unset.get("/en/materials/").get_data(as_text=True)
    assert "The QR codes point at an address phones may not reach." in html
    assert "EORE_BASE_URL=http://10.42.0.1:8000" in html
    assert "EORE_BASE_URL=http://eore.lan" in html
    poster = unset.get("/en/materials/farming/poster").get_data(as_text=True)
    assert "Set EORE_BASE_URL before printing" in poster
    # Meanwhile the codes use the address this browser used.
    assert "localhost/en/lessons/farming</span>" in poster


def test_message_qr_carries_title_and_key_messages(box):
    response = box.get("/qr/en/lessons/if-you-find-one/messages.svg")
    assert response.status_code == 200
    text = STARTER.lessons["if-you-find-one"].texts["en"]
    expected = "\n".join(
        [text.title, "", *(f"{n}. {m}" for n, m in enumerate(text.key_messages, 1))]
    )
    assert response.get_data(as_text=True) == qr.svg(expected, "M", title=text.title)


def test_message_qr_too_long_is_refused_clearly(shared_data):
    strict = make_client(shared_data, BASE_URL=BOX, QR_ERROR_CORRECTION="H")
    response = strict.get("/qr/uk/lessons/if-you-find-one/messages.svg")
    assert response.status_code == 422
    assert "%(" not in response.get_data(as_text=True)
    poster = strict.get("/uk/materials/if-you-find-one/poster?qr=messages")
    html = poster.get_data(as_text=True)
    assert poster.status_code == 200 and 'class="refusal" role="alert"' in html
    assert "535" in html and "<svg" not in html


def test_qr_refuses_text_beyond_its_capacity():
    assert qr.capacity("M") == 997
    qr.svg("a" * 997, "M")
    with pytest.raises(qr.TooLongForQr) as raised:
        qr.svg("é" * 499, "M")
    assert (raised.value.size, raised.value.capacity) == (998, 997)


def test_sms_kit_counts_and_flags_long_messages(box):
    html = box.get("/ar/materials/sms").get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(box.get("/ar/materials/sms.csv").get_data(as_text=True))))
    assert rows[0] == [
        "\ufefflesson",
        "number",
        "locale",
        "message",
        "encoding",
        "characters",
        "segments",
    ]
    body = rows[1:]
    assert len(body) == sum(
        len(lesson.texts["ar"].key_messages) for lesson in STARTER.lessons.values()
    )
    assert {row[4] for row in body} == {"UCS-2"}
    long_ones = [row for row in body if int(row[6]) > 1]
    assert long_ones and all(int(row[5]) > 70 for row in long_ones)
    assert html.count('<tr class="long">') == len(long_ones)
    response = box.get("/en/materials/sms.csv")
    assert response.headers["Content-Disposition"] == 'attachment; filename="sms-en.csv"'
    english = list(csv.reader(io.StringIO(response.get_data(as_text=True))))[1:]
    assert {row[4] for row in english} == {"GSM-7"}
    assert all(row[6] == "1" for row in english)


def test_materials_are_linked_from_the_curriculum_and_each_guide(box):
    assert 'href="/fr/materials/"' in box.get("/fr/curriculum").get_data(as_text=True)
    guide = box.get("/fr/lessons/farming/guide").get_data(as_text=True)
    assert 'href="/fr/materials/farming/poster"' in guide
