"""Community hazard reports: the form, durability, the admin inbox, exports and purging."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from conftest import PACKS, STARTER_PACK, signed_in

from eore.hazards import (
    COLUMNS,
    NEXT_STATUS,
    REPORTS_PER_PHONE,
    purge_contacts,
    report_by_id,
)
from eore.locales import INTERFACE_LOCALES

GOOD_PACK = str(PACKS / "good")


@pytest.fixture
def box(staffed_app):
    """An app on the sample pack (a hotline, two areas, two services) with staff."""
    return staffed_app({"ada": "admin", "fay": "facilitator"}, CONTENT=GOOD_PACK, CONTACT_DAYS="30")


@pytest.fixture(scope="module")
def country_pack(tmp_path_factory):
    """The starter pack (five languages) with a hotline and areas, as an operator fills it."""
    root = tmp_path_factory.mktemp("country") / "pack"
    shutil.copytree(STARTER_PACK, root)
    pack = root / "pack.yaml"
    hotline = 'contacts:\n  - kind: phone\n    value: "+000 111 222"\n    label: {en: Hotline}\n'
    areas = "areas:\n  - {code: TP01, name: {en: North}}\n  - {code: TP02, name: {en: South}}\n"
    text = pack.read_text(encoding="utf-8")
    text = text.replace("contacts: []", hotline).replace("areas: []", areas)
    pack.write_text(text, encoding="utf-8")
    return str(root)


def form_of(client, locale="en") -> dict:
    html = client.get(f"/{locale}/report").get_data(as_text=True)
    return {
        "csrf_token": re.search(r'name="csrf_token" value="([^"]+)"', html).group(1),
        "report_id": re.search(r'name="report_id" value="([^"]+)"', html).group(1),
    }


GOOD = {"item": "uxo", "place": "Behind the old mill", "how_many": "one", "hurt": "no"}


def send(client, locale="en", form=None, **fields):
    """Post the report form as a phone would; return the response (not followed)."""
    data = {**(form or form_of(client, locale)), **fields}
    return client.post(f"/{locale}/report", data=data)


def stored(app) -> list:
    return app.test_db.execute("SELECT * FROM hazard_report ORDER BY created_utc").fetchall()


def reference_of(client, response) -> str:
    page = client.get(response.location).get_data(as_text=True)
    return re.search(r'class="reference" dir="ltr">([^<]+)<', page).group(1)


# --- The form ---------------------------------------------------------------


@pytest.mark.parametrize("locale", INTERFACE_LOCALES)
def test_form_in_every_locale_works_without_javascript(staffed_app, country_pack, locale):
    box = staffed_app({}, CONTENT=country_pack)
    client = box.test_client()
    page = client.get(f"/{locale}/report")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert page.headers["Cache-Control"] == "no-store"
    direction = "rtl" if locale in ("ar", "ps") else "ltr"
    assert f'<html lang="{locale}" dir="{direction}">' in html
    # The safety rules and the hotline come before the first question.
    assert html.index('class="safety"') < html.index('name="item"')
    assert html.index("+000 111 222") < html.index('name="item"')
    # A plain form: every choice is a real input, sent with a normal POST.
    assert f'<form class="hazard-form" method="post" action="/{locale}/report#problems">' in html
    for item in ("mine", "uxo", "cluster_submunition", "ied", "unknown"):
        assert f'name="item" value="{item}"' in html
        assert f"/static/report/{item}." in html  # its pictogram
    assert html.count('<option value="TP0') == 2  # the pack's areas
    response = send(client, locale, **GOOD)
    assert response.status_code == 303
    assert re.fullmatch(r"H-[A-Z0-9]{4}-[A-Z0-9]{4}", reference_of(client, response))
    (row,) = stored(box)
    assert (row["locale"], row["item"], row["place"]) == (locale, "uxo", "Behind the old mill")


def test_a_child_needs_only_what_and_where(box):
    client = box.test_client()
    response = send(client, "ar", item="unknown", place="قرب المدرسة")
    assert response.status_code == 303
    (row,) = stored(box)
    assert (row["how_many"], row["marked"], row["hurt"]) == ("unknown", "unknown", "unknown")
    assert row["geo_safe"] == 0 and row["latitude"] is None and row["contact_name"] is None
    assert row["seen_on"] is None  # not said: not made up as today


def test_the_form_preselects_no_answer(box):
    html = box.test_client().get("/en/report").get_data(as_text=True)
    assert " checked" not in html


TODAY = datetime.now().date()


@pytest.mark.parametrize(
    ("when", "typed", "stored_day"),
    [
        ("today", "", TODAY),
        ("yesterday", "", TODAY - timedelta(days=1)),
        ("earlier", "2026-01-02", "2026-01-02"),
        ("", "2026-01-02", "2026-01-02"),  # a day typed, no choice made: the day
        ("earlier", "", None),
        ("today", TODAY.isoformat(), TODAY),
    ],
)
def test_the_day_seen_is_what_the_person_said(box, when, typed, stored_day):
    response = send(box.test_client(), **GOOD, when=when, seen_date=typed)
    assert response.status_code == 303
    expected = stored_day.isoformat() if isinstance(stored_day, type(TODAY)) else stored_day
    assert stored(box)[0]["seen_on"] == expected


def test_the_confirmation_gives_the_reference_and_nothing_of_the_report(box):
    client = box.test_client()
    response = send(client, **{**GOOD, "description": "green with fins", "hurt": "yes"})
    page = client.get(response.location)
    html = page.get_data(as_text=True)
    (row,) = stored(box)
    assert row["reference"] in html
    assert "Behind the old mill" not in html and "green with fins" not in html
    assert "Call for help now" in html  # someone hurt: do not wait
    assert page.headers["Cache-Control"] == "no-store"


def test_a_double_submit_stores_one_report(box):
    client = box.test_client()
    form = form_of(client)
    first = send(client, form=form, **GOOD)
    second = send(client, form=form, **GOOD)
    assert first.status_code == second.status_code == 303
    assert first.location == second.location
    assert len(stored(box)) == 1


def test_each_form_shown_is_a_new_report(box):
    client = box.test_client()
    send(client, **GOOD)
    send(client, **GOOD)
    assert len({row["reference"] for row in stored(box)}) == 2


BAD_INPUT = [
    ({"item": "tank"}, "item", "Choose one of the answers on the page."),
    ({"item": ""}, "item", "Choose what you saw."),
    ({"hurt": "maybe"}, "hurt", "Choose one of the answers on the page."),
    ({"nearby": ["school", "palace"]}, "nearby", "Choose one of the answers on the page."),
    ({"admin_area": "ZZ99"}, "admin_area", "Choose one of the answers on the page."),
    ({"place": ""}, "place", "Say where it is"),
    ({"description": "x" * 1001}, "description", "at most 1000 characters (you wrote 1001)"),
    ({"place": "p" * 201}, "place", "at most 200 characters"),
    ({"latitude": "33.5", "longitude": "36.2"}, "latitude", "did not say it is safe"),
    ({"geo_safe": "yes", "latitude": "91", "longitude": "36"}, "latitude", "from -90 to 90"),
    ({"geo_safe": "yes", "latitude": "33", "longitude": "181"}, "latitude", "from -90 to 90"),
    ({"geo_safe": "yes", "latitude": "nan", "longitude": "36"}, "latitude", "two numbers"),
    ({"geo_safe": "yes", "latitude": "1e1", "longitude": "36"}, "latitude", "two numbers"),
    ({"geo_safe": "yes", "latitude": "33.5"}, "latitude", "two numbers"),
    ({"contact_name": "Sami"}, "contact_consent", "did not agree to be contacted"),
    (
        {"contact_consent": "yes", "contact_phone": "call me <b>"},
        "contact_phone",
        "only digits",
    ),
    ({"when": "earlier", "seen_date": "2026-02-30"}, "seen_date", "like 2026-11-28"),
    ({"when": "earlier", "seen_date": "2999-01-01"}, "seen_date", "has not come yet"),
    ({"when": "tomorrow"}, "when", "Choose one of the answers on the page."),
    ({"when": "today", "seen_date": "2026-01-02"}, "seen_date", "but wrote another day"),
    ({"when": "earlier", "seen_date": "1899-12-31"}, "seen_date", "like 2026-11-28"),
]


@pytest.mark.parametrize(("change", "field", "message"), BAD_INPUT)
def test_bad_input_is_refused_clearly_and_nothing_is_stored(box, change, field, message):
    client = box.test_client()
    typed = {**GOOD, "description": "a <script>alert(1)</script> shell", **change}
    response = send(client, **typed)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert stored(box) == []
    assert message in html
    assert f'id="problem-{field}"' in html
    assert "<script>alert(1)</script>" not in html
    # What was typed is on the page again.
    if "description" not in change:
        assert "a &lt;script&gt;alert(1)&lt;/script&gt; shell</textarea>" in html
    if change.get("place"):
        assert f'value="{change["place"]}"' in html


def test_coordinates_in_arabic_digits_or_with_a_comma_are_read(box):
    client = box.test_client()
    send(client, "ar", **GOOD, geo_safe="yes", latitude="٣٣٫٥١٢", longitude="36,2912345")
    (row,) = stored(box)
    assert (row["latitude"], row["longitude"]) == (33.512, 36.291235)


def test_a_form_whose_token_failed_keeps_what_was_typed(box):
    client = box.test_client()
    form = form_of(client, "ar")
    response = send(client, "ar", form={**form, "csrf_token": "stale"}, **GOOD)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="Behind the old mill"' in html
    assert f'value="{form["report_id"]}"' in html  # resending stays one report
    assert stored(box) == []


@pytest.mark.parametrize(
    "report_id",
    [
        "1 OR 1=1",
        "",
        "00000000-0000-0000-0000-000000000000",
        "urn:uuid:3f0c4bd6-8a0b-4c57-9f5e-1a2b3c4d5e6f",
        "3F0C4BD6-8A0B-4C57-9F5E-1A2B3C4D5E6F",
        "{3f0c4bd6-8a0b-4c57-9f5e-1a2b3c4d5e6f}",
    ],
)
def test_a_form_without_an_id_the_box_gave_stores_nothing(box, report_id):
    client = box.test_client()
    form = form_of(client)
    response = send(client, form={**form, "report_id": report_id}, **GOOD)
    assert response.status_code == 422
    assert stored(box) == []


def test_many_reports_from_one_phone_are_held_back(box):
    client = box.test_client()
    codes = [send(client, **GOOD).status_code for _ in range(REPORTS_PER_PHONE + 1)]
    assert codes == [303] * REPORTS_PER_PHONE + [429]
    assert len(stored(box)) == REPORTS_PER_PHONE
    # Held back with what was typed, and the way to call instead.
    held = send(client, **{**GOOD, "place": "kept place"}).get_data(as_text=True)
    assert 'value="kept place"' in held and "use the contacts at the top" in held
    # Another phone (another address) is not held back.
    other = box.test_client()
    other_form = form_of(other)
    response = other.post(
        "/en/report", data={**other_form, **GOOD}, environ_base={"REMOTE_ADDR": "10.42.0.77"}
    )
    assert response.status_code == 303


def test_the_sent_page_answers_only_for_a_stored_report(box):
    client = box.test_client()
    response = send(client, **GOOD)
    (row,) = stored(box)
    assert client.get(f"/en/report/sent/{uuid.uuid4()}").status_code == 404
    assert client.get(response.location).status_code == 200
    # No address of the box takes a reference: there is nothing to enumerate.
    public = [rule for rule in box.url_map.iter_rules() if not rule.rule.startswith("/admin")]
    assert all(
        set(rule.arguments)
        <= {
            "locale",
            "report_id",
            "slug",
            "test_id",
            "code",
            "filename",
            "name",
            "path",
            "kind",
            "audience",
            "step",
        }
        for rule in public
    ), [r.rule for r in public]
    assert [r.rule for r in public if "report_id" in r.arguments] == [
        "/<locale>/report/sent/<uuid:report_id>"
    ]


# --- Who may see reports ----------------------------------------------------


def admin_urls(report_id: str) -> list[str]:
    return [
        "/admin/reports/",
        f"/admin/reports/{report_id}",
        "/admin/reports/export.csv",
        "/admin/reports/export.xlsform.csv",
        "/admin/reports/export.geojson",
        "/admin/reports/export.json",
    ]


def test_nobody_without_an_admin_login_sees_a_report(box):
    participant = box.test_client()
    send(
        participant,
        **{
            **GOOD,
            "place": "Secret place 42",
            "contact_consent": "yes",
            "contact_phone": "+000 999",
        },
    )
    (row,) = stored(box)
    facilitator = signed_in(box, "fay")
    for url in admin_urls(row["id"]):
        anonymous = participant.get(url)
        assert anonymous.status_code == 302 and anonymous.location.startswith("/login"), url
        assert facilitator.get(url).status_code == 403, url
    # Even with a valid token (from the public form), changing a report asks to sign in.
    token = form_of(participant)["csrf_token"]
    post = participant.post(
        f"/admin/reports/{row['id']}",
        data={"csrf_token": token, "to_status": "closed", "from_status": "new"},
    )
    assert post.status_code == 302 and post.location.startswith("/login")
    assert stored(box)[0]["status"] == "new"
    # Facilitators see counts only.
    home = facilitator.get("/facilitate/").get_data(as_text=True)
    assert "Secret place 42" not in home and row["reference"] not in home
    assert re.search(r"New: <strong>1</strong>", home)
    for page in ("/en/", "/en/help", "/en/report", "/en/lessons/"):
        html = participant.get(page).get_data(as_text=True)
        assert "Secret place 42" not in html and row["reference"] not in html


# --- The inbox --------------------------------------------------------------


def test_inbox_puts_urgent_reports_first_and_filters(box):
    client = box.test_client()
    send(client, **{**GOOD, "place": "calm field"})
    send(client, **{**GOOD, "place": "by the school", "nearby": ["school"]})
    send(client, **{**GOOD, "place": "someone hurt here", "hurt": "yes"})
    send(client, **{**GOOD, "place": "newest calm"})
    admin = signed_in(box, "ada")
    html = admin.get("/admin/reports/").get_data(as_text=True)
    order = [
        html.index(p) for p in ("someone hurt here", "by the school", "newest calm", "calm field")
    ]
    assert order == sorted(order)
    assert html.count('class="urgent"') == 2
    ids = {r["place"]: r["id"] for r in stored(box)}
    assert move(admin, ids["calm field"], "closed", box=box).status_code == 303
    closed = admin.get("/admin/reports/?status=closed").get_data(as_text=True)
    assert "calm field" in closed and "newest calm" not in closed
    today = datetime.now(UTC).date()
    future = admin.get(f"/admin/reports/?from={today + timedelta(days=1)}")
    assert "No hazard report here." in future.get_data(as_text=True)
    same_day = admin.get(f"/admin/reports/?from={today}&to={today}").get_data(as_text=True)
    assert all(place in same_day for place in ids)
    yesterday = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    box.test_db.execute(
        "UPDATE hazard_report SET created_utc = ? WHERE place = 'newest calm'", (yesterday,)
    )
    until_yesterday = admin.get(f"/admin/reports/?to={today - timedelta(days=1)}")
    html = until_yesterday.get_data(as_text=True)
    assert "newest calm" in html and "someone hurt here" not in html
    assert admin.get("/admin/reports/?to=9999-12-31&from=0001-01-01").status_code == 200
    assert admin.get("/admin/reports/?to=soon").status_code == 200  # ignored, like no filter


def test_closed_reports_go_below_open_ones_even_when_urgent(box):
    client = box.test_client()
    send(client, **{**GOOD, "place": "hurt but done", "hurt": "yes"})
    send(client, **{**GOOD, "place": "ordinary open"})
    admin = signed_in(box, "ada")
    report_id = next(r["id"] for r in stored(box) if r["place"] == "hurt but done")
    assert move(admin, report_id, "closed", box=box).status_code == 303
    html = admin.get("/admin/reports/").get_data(as_text=True)
    assert html.index("ordinary open") < html.index("hurt but done")


def form_fields(client, report_id: str) -> dict:
    html = client.get(f"/admin/reports/{report_id}").get_data(as_text=True)
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))


def move(client, report_id, to_status=None, note="", from_status=None, box=None, fields=None):
    data = {**(fields or form_fields(client, report_id)), "note": note}
    if to_status:
        data["to_status"] = to_status
    data["from_status"] = from_status or report_by_id(box.test_db, report_id).status
    return client.post(f"/admin/reports/{report_id}", data=data)


def test_status_workflow_keeps_who_and_when(box):
    send(box.test_client(), **{**GOOD, "description": "<b>bold</b>"})
    report_id = stored(box)[0]["id"]
    admin = signed_in(box, "ada")
    assert (
        move(admin, report_id, "forwarded", "Sent to the area office", box=box).status_code == 303
    )
    assert move(admin, report_id, None, "They will visit on Monday", box=box).status_code == 303
    assert move(admin, report_id, "verified", box=box).status_code == 303
    assert move(admin, report_id, "closed", "Cleared", box=box).status_code == 303
    row = stored(box)[0]
    assert row["status"] == "closed" and row["status_utc"]
    assert (
        row["status_by"]
        == box.test_db.execute("SELECT id FROM account WHERE name = 'ada'").fetchone()[0]
    )
    events = box.test_db.execute(
        "SELECT from_status, to_status, note FROM hazard_event ORDER BY created_utc, rowid"
    ).fetchall()
    assert [tuple(e) for e in events] == [
        ("new", "forwarded", "Sent to the area office"),
        (None, None, "They will visit on Monday"),
        ("forwarded", "verified", ""),
        ("verified", "closed", "Cleared"),
    ]
    html = admin.get(f"/admin/reports/{report_id}").get_data(as_text=True)
    assert "Sent to the area office" in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert "<b>bold</b>" not in html


def test_status_changes_outside_the_workflow_are_refused(box):
    send(box.test_client(), **GOOD)
    report_id = stored(box)[0]["id"]
    admin = signed_in(box, "ada")
    move(admin, report_id, "closed", box=box)
    assert NEXT_STATUS["closed"] == ("new",)
    response = move(admin, report_id, "forwarded", box=box)
    assert response.status_code == 422
    assert move(admin, report_id, None, "", box=box).status_code == 422
    assert move(admin, report_id, None, "n" * 2001, box=box).status_code == 422
    # Two admins on the same report: the second sees it changed, nothing is lost.
    stale = move(admin, report_id, "new", "reopen", from_status="new", box=box)
    assert stale.status_code == 409
    assert "reopen</textarea>" in stale.get_data(as_text=True)
    assert stored(box)[0]["status"] == "closed"
    assert admin.get(f"/admin/reports/{uuid.uuid4()}").status_code == 404


# --- Exports ----------------------------------------------------------------


def three_reports(box):
    client = box.test_client()
    send(
        client,
        "ar",
        **{
            **GOOD,
            "item": "mine",
            "admin_area": "TP01",
            "geo_safe": "yes",
            "latitude": "33.5",
            "longitude": "36.25",
            "nearby": ["school", "road"],
            "contact_consent": "yes",
            "contact_name": "Nour",
            "contact_phone": "+000 555",
        },
    )
    send(
        client,
        "en",
        **{
            **GOOD,
            "description": '=HYPERLINK("x")',
            "marked": "informal",
            "latitude": "",
            "when": "yesterday",
        },
    )
    send(client, "en", **{**GOOD, "geo_safe": "yes", "hurt": "yes"})  # safe, but no numbers
    return stored(box)


def export(box, kind):
    response = signed_in(box, "ada").get(f"/admin/reports/export.{kind}")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "attachment" in response.headers["Content-Disposition"]
    return response.get_data(as_text=True)


def test_csv_export_has_hxl_tags_and_every_stored_field(box):
    rows = three_reports(box)
    lines = list(csv.reader(io.StringIO(export(box, "csv"))))
    assert lines[0] == [header for _k, header, _h, _x in COLUMNS]
    assert lines[1] == [hxl for _k, _h, hxl, _x in COLUMNS]
    assert {"#date+seen", "#adm1+code", "#geo+lat", "#geo+lon", "#loc+name"} <= set(lines[1])
    records = [dict(zip(lines[1], line, strict=True)) for line in lines[2:]]
    assert len(records) == 3
    by_id = {record["#meta+id"]: record for record in records}
    for row in rows:
        record = by_id[row["id"]]
        assert record["#meta+ref"] == row["reference"]
        assert record["#date+reported"] == row["created_utc"]
        assert record["#date+seen"] == (row["seen_on"] or "")
        assert record["#item+type"] == row["item"]
        assert record["#item+num"] == row["how_many"]
        assert record["#loc+name"] == row["place"]
        assert record["#adm1+code"] == (row["admin_area"] or "")
        assert record["#status+marked"] == row["marked"]
        assert record["#loc+nearby"] == row["nearby"]
        assert record["#status+injured"] == row["hurt"]
        assert record["#contact+name"] == (row["contact_name"] or "")
        # A checked phone number is written as typed, "+" and all.
        assert record["#contact+phone"] == (row["contact_phone"] or "")
        assert record["#status"] == row["status"]
        assert record["#meta+language"] == row["locale"]
        assert record["#meta+device"] == row["device"]
    first = by_id[rows[0]["id"]]
    assert (first["#geo+lat"], first["#geo+lon"]) == ("33.5", "36.25")
    assert first["#adm1+name"] == "North district"
    assert (first["#priority"], first["#geo+safe"]) == ("yes", "yes")
    second = by_id[rows[1]["id"]]
    assert second["#description"] == '\'=HYPERLINK("x")'  # never run as a formula
    assert second["#geo+lat"] == "" and second["#priority"] == "no"
    assert second["#date+seen"] == (datetime.now().date() - timedelta(days=1)).isoformat()


def test_xlsform_export_uses_field_and_choice_names(box):
    three_reports(box)
    lines = list(csv.reader(io.StringIO(export(box, "xlsform.csv"))))
    assert lines[0] == [name for _k, _h, _x, name in COLUMNS]
    records = [dict(zip(lines[0], line, strict=True)) for line in lines[1:]]
    assert [r["item_type"] for r in records] == ["mine", "uxo", "uxo"]
    assert records[0]["nearby"] == "school road"
    assert records[1]["marked"] == "informal"


def test_geojson_holds_only_safe_locations_without_contacts(box):
    rows = three_reports(box)
    data = json.loads(export(box, "geojson"))
    assert data["type"] == "FeatureCollection"
    (feature,) = data["features"]
    assert feature["type"] == "Feature" and feature["id"] == rows[0]["id"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [36.25, 33.5]}
    properties = feature["properties"]
    assert properties["reference"] == rows[0]["reference"]
    assert not {"contact_name", "contact_phone", "contact_consent"} & set(properties)
    assert "Nour" not in json.dumps(data)


def test_json_export_matches_the_csv(box):
    three_reports(box)
    records = json.loads(export(box, "json"))
    lines = list(csv.reader(io.StringIO(export(box, "xlsform.csv"))))
    assert len(records) == len(lines) - 1 == 3
    assert [r["reference"] for r in records] == [line[1] for line in lines[1:]]
    assert records[0]["latitude"] == 33.5


def test_unknown_export_is_not_found(box):
    assert signed_in(box, "ada").get("/admin/reports/export.xlsx").status_code == 404


# --- Purging contacts -------------------------------------------------------


def test_purge_removes_old_contacts_and_nothing_else(box):
    client = box.test_client()
    for name in ("Old One", "New One"):
        send(
            client,
            **{
                **GOOD,
                "place": name,
                "contact_consent": "yes",
                "contact_name": name,
                "contact_phone": "+000 123",
            },
        )
    db = box.test_db
    long_ago = (datetime.now(UTC) - timedelta(days=31)).strftime("%Y-%m-%dT%H:%M:%SZ")
    db.execute("UPDATE hazard_report SET created_utc = ? WHERE place = 'Old One'", (long_ago,))
    before = {r["place"]: dict(r) for r in stored(box)}
    assert purge_contacts(db, 30) == 1
    after = {r["place"]: dict(r) for r in stored(box)}
    old = after["Old One"]
    assert old["contact_name"] is None and old["contact_phone"] is None
    assert old["contact_purged_utc"]
    kept = {
        k: v
        for k, v in old.items()
        if k not in ("contact_name", "contact_phone", "contact_purged_utc")
    }
    assert kept == {k: v for k, v in before["Old One"].items() if k in kept}
    assert old["contact_consent"] == 1
    assert after["New One"] == before["New One"]
    assert purge_contacts(db, 30) == 0


def test_pages_and_exports_never_show_an_expired_contact(box):
    client = box.test_client()
    send(client, **{**GOOD, "contact_consent": "yes", "contact_name": "Hana"})
    long_ago = (datetime.now(UTC) - timedelta(days=40)).strftime("%Y-%m-%dT%H:%M:%SZ")
    box.test_db.execute("UPDATE hazard_report SET created_utc = ?", (long_ago,))
    assert "Hana" not in export(box, "csv")
    assert stored(box)[0]["contact_name"] is None


def test_purge_command(run_eore, tmp_path):
    from eore import create_app, store

    app = create_app({"TESTING": True, "CONTENT": GOOD_PACK, "DATA": str(tmp_path / "data")})
    app.test_db = store.connect(app.config["DATABASE"])
    client = app.test_client()
    send(client, **{**GOOD, "contact_consent": "yes", "contact_name": "Rami"})
    result = run_eore("reports", "purge-contacts")
    assert result.exit_code == 0, result.output
    assert "Deleted the contact of 0 report(s)" in result.output
    result = run_eore("reports", "purge-contacts", "--days", "0")
    assert "Deleted the contact of 1 report(s) received more than 0 day(s) ago." in result.output
    assert stored(app)[0]["contact_name"] is None
    app.test_db.close()


def test_export_command_writes_each_format(run_eore, tmp_path):
    from eore import create_app, store

    app = create_app({"TESTING": True, "CONTENT": GOOD_PACK, "DATA": str(tmp_path / "data")})
    client = app.test_client()
    send(client, **{**GOOD, "geo_safe": "yes", "latitude": "10", "longitude": "20"})
    env = {"EORE_CONTENT": GOOD_PACK}
    csv_text = run_eore("export", "reports", env=env).output
    assert csv_text.splitlines()[1].startswith("#meta+id,#meta+ref")
    geo = json.loads(run_eore("export", "reports", "--format", "geojson", env=env).output)
    assert geo["features"][0]["geometry"]["coordinates"] == [20.0, 10.0]
    xls = run_eore("export", "reports", "--format", "xlsform", env=env).output
    assert xls.startswith("report_id,reference,")
    out = tmp_path / "reports.json"
    result = run_eore("export", "reports", "--format", "json", "--out", str(out), env=env)
    assert result.exit_code == 0 and json.loads(out.read_text())[0]["place"] == GOOD["place"]
    later = run_eore("export", "reports", "--format", "json", "--since", "2999-01-01", env=env)
    assert json.loads(later.output) == []
    bad = run_eore("export", "reports", "--since", "yesterday", env=env)
    assert bad.exit_code == 1 and "give a date such as" in bad.output
    db = store.connect(app.config["DATABASE"])
    assert db.execute("SELECT COUNT(*) FROM hazard_report").fetchone()[0] == 1
    db.close()


def test_a_phone_number_typed_in_arabic_digits_is_kept_as_dialled(box):
    client = box.test_client()
    send(client, "ar", **GOOD, contact_consent="yes", contact_phone="٠٩٩ ١٢٣ ٤٥٦")
    assert stored(box)[0]["contact_phone"] == "099 123 456"


def test_a_form_sent_twice_records_one_change_or_note(box):
    send(box.test_client(), **GOOD)
    report_id = stored(box)[0]["id"]
    admin = signed_in(box, "ada")
    fields = form_fields(admin, report_id)
    first = move(admin, report_id, None, "Called the office", box=box, fields=fields)
    again = move(admin, report_id, None, "Called the office", box=box, fields=fields)
    assert first.status_code == again.status_code == 303
    fields = form_fields(admin, report_id)
    first = move(admin, report_id, "forwarded", box=box, fields=fields)
    # The double tap finds the report already forwarded: done, not "changed by someone else".
    again = move(admin, report_id, "forwarded", box=box, fields=fields)
    assert first.status_code == again.status_code == 303
    events = box.test_db.execute("SELECT to_status, note FROM hazard_event").fetchall()
    assert [tuple(e) for e in events] == [(None, "Called the office"), ("forwarded", "")]
    expired = move(admin, report_id, None, "x", box=box, fields={**fields, "event_id": "1"})
    assert expired.status_code == 422


def test_json_export_gives_null_for_what_is_not_known(box):
    send(box.test_client(), **GOOD, when="earlier")
    (record,) = json.loads(export(box, "json"))
    assert record["seen_on"] is None and record["latitude"] is None
    assert record["status_utc"] is None and record["place"] == GOOD["place"]


def test_export_refuses_a_since_that_is_not_a_day(box):
    admin = signed_in(box, "ada")
    assert admin.get("/admin/reports/export.csv?since=garbage").status_code == 400
    assert admin.get("/admin/reports/export.csv?since=2026-01-01").status_code == 200


def test_areas_of_another_level_are_tagged_with_it(staffed_app, make_pack):
    pack = make_pack()
    (pack / "pack.yaml").write_text(
        (pack / "pack.yaml").read_text(encoding="utf-8") + "area_level: 2\n", encoding="utf-8"
    )
    app = staffed_app({"ada": "admin"}, CONTENT=str(pack))
    send(app.test_client(), **GOOD, admin_area="TP02")
    lines = list(csv.reader(io.StringIO(export(app, "csv"))))
    record = dict(zip(lines[1], lines[2], strict=True))
    assert (record["#adm2+code"], record["#adm2+name"]) == ("TP02", "South district")
    assert not [tag for tag in lines[1] if tag.startswith("#adm1")]


def test_with_no_days_for_contacts_the_form_asks_for_none(staffed_app):
    app = staffed_app({}, CONTENT=GOOD_PACK, CONTACT_DAYS="0")
    html = app.test_client().get("/en/report").get_data(as_text=True)
    assert 'name="contact_name"' not in html and 'name="contact_consent"' not in html
