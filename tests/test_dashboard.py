"""The dashboard: numbers checked against a small fixture computed by hand."""

from __future__ import annotations

import csv
import io
import json
import re
import uuid
import xml.etree.ElementTree as ET

import pytest
from conftest import STAFF_PASSWORD, add_server_account, signed_in

from eore import store
from eore.content import load_pack
from eore.hazards import save_report as save_hazard
from eore.reports import prefilled
from eore.reports import save_report as save_session_report
from eore.sessions import Step, create_session, session_by_code
from eore.settings import PROJECT_ROOT

STARTER = load_pack(PROJECT_ROOT / "content")
TEST = STARTER.tests["general"]
QUESTIONS = [q.id for q in TEST.questions]
SVG_RE = re.compile(r"<svg class=\"chart\".*?</svg>", re.DOTALL)


def account_id(db, name):
    return db.execute("SELECT id FROM account WHERE name = ?", (name,)).fetchone()[0]


def session(db, facilitator, *, audience, locale, place, area, lessons, day, test=False):
    plan = [Step("lesson", slug) for slug in lessons]
    if test:
        plan = [Step("test", "general", "pre"), *plan, Step("test", "general", "post")]
    made = create_session(
        db,
        facilitator_id=account_id(db, facilitator),
        audience=audience,
        locale=locale,
        place=place,
        admin_area=area,
        plan=plan,
        device="test",
    )
    db.execute(
        "UPDATE group_session SET created_utc = ? WHERE id = ?", (f"{day}T10:00:00Z", made.id)
    )
    return session_by_code(db, made.code)  # its report is dated that day


def report(db, made, status, attendance, disabled=0, first_time=0):
    fields = {
        **prefilled(made),
        "attendance": attendance,
        "disabled": disabled,
        "first_time": first_time,
    }
    save_session_report(
        db, made, fields, "draft" if status == "draft" else "submitted", device="test"
    )
    if status == "verified":
        db.execute("UPDATE session_report SET status = 'verified' WHERE session_id = ?", (made.id,))


def attempt(db, code, phase, wrong=()):
    answers = tuple(
        store.Answer(q.id, "x" if q.id in wrong else q.correct, q.id not in wrong)
        for q in TEST.questions
    )
    store.save_attempt(
        db,
        store.Attempt(
            id=str(uuid.uuid4()),
            kind="test",
            subject="general",
            locale="en",
            answers=answers,
            pack_version="1",
            phase=phase,
            session_code=code,
        ),
        device="test",
    )


def lesson_quiz(db, session_code=None):
    """Store one answer to the farming quiz (with a session code: a live question)."""
    store.save_attempt(
        db,
        store.Attempt(
            id=str(uuid.uuid4()),
            kind="lesson",
            subject="farming",
            locale="en",
            answers=(store.Answer("q", "a", True),),
            pack_version="1",
            session_code=session_code,
        ),
        device="test",
    )


def hazard(db, item, status, hurt="no", place="somewhere"):
    fields = {
        "seen_on": None,
        "item": item,
        "how_many": "one",
        "description": "",
        "place": place,
        "admin_area": "",
        "geo_safe": False,
        "latitude": None,
        "longitude": None,
        "marked": "no",
        "nearby": [],
        "hurt": hurt,
        "contact_consent": False,
        "contact_name": "",
        "contact_phone": "",
    }
    report_id = str(uuid.uuid4())
    save_hazard(db, report_id, fields, "en", device="test")
    db.execute("UPDATE hazard_report SET status = ? WHERE id = ?", (status, report_id))
    return db.execute("SELECT reference FROM hazard_report WHERE id = ?", (report_id,)).fetchone()[
        0
    ]


def fill(db) -> str:
    """Three sessions (one still a draft report), four tests taken, three hazard reports.

    Returns the reference of the one urgent report still open.
    """
    a = session(
        db,
        "fay",
        audience="children",
        locale="en",
        place="Al Noor school",
        area="North",
        lessons=["danger-signs", "if-you-find-one"],
        day="2026-10-05",
        test=True,
    )
    report(
        db,
        a,
        "submitted",
        {"5-12": {"female": 7, "male": 6}, "13-17": {"female": 3}},
        disabled=2,
        first_time=12,
    )
    b = session(
        db,
        "gus",
        audience="adults",
        locale="ar",
        place="Camp 3",
        area="South",
        lessons=["farming"],
        day="2026-11-10",
    )
    report(db, b, "verified", {"18-59": {"female": 4, "male": 5}}, disabled=1)
    c = session(
        db,
        "fay",
        audience="children",
        locale="en",
        place="Al Noor school",
        area="North",
        lessons=["farming"],
        day="2026-11-12",
    )
    report(db, c, "draft", {"5-12": {"female": 10}})
    attempt(db, a.code, "pre")
    attempt(db, a.code, "pre", wrong={QUESTIONS[0]})
    attempt(db, a.code, "post")
    attempt(db, a.code, "post", wrong={QUESTIONS[1]})
    lesson_quiz(db)
    urgent = hazard(db, "mine", "new", hurt="yes", place="North field")
    hazard(db, "uxo", "closed")
    hazard(db, "uxo", "forwarded")
    return urgent


@pytest.fixture
def box(staffed_app):
    """The fixture above on a box of its own, and one lesson saved twice to a phone."""
    app = staffed_app({"ada": "admin", "fay": "facilitator", "gus": "facilitator"})
    app.urgent_reference = fill(app.test_db)
    phone = app.test_client()
    for _ in range(2):
        assert phone.get("/en/lessons/farming/download").status_code == 200
    return app


LABELS = {
    "people reached": "People reached:",
    "sessions held": "Sessions held:",
    "sessions reported": "Sessions reported:",
    "persons with disabilities": "Persons with disabilities:",
    "first-time attendees": "First-time attendees:",
    "urgent reports still open": "Urgent reports still open:",
}


def session_with_report(db, status: str):
    """Return the fixture's session whose report has ``status``."""
    code = db.execute(
        "SELECT s.code FROM group_session s JOIN session_report r ON r.session_id = s.id"
        " WHERE r.status = ?",
        (status,),
    ).fetchone()[0]
    return session_by_code(db, code)


def numbers(html: str, label: str) -> int:
    return int(re.search(rf"{LABELS[label]} <strong>(\d+)</strong>", html).group(1))


def table_csv(client, chart, query=""):
    response = client.get(f"/admin/dashboard-{chart}.csv{query}")
    assert response.status_code == 200
    lines = list(csv.reader(io.StringIO(response.get_data(as_text=True))))
    return [dict(zip(lines[1], line, strict=True)) for line in lines[2:]]


def test_reach_by_sex_band_and_month_matches_the_reports(box):
    admin = signed_in(box, "ada")
    html = admin.get("/admin/").get_data(as_text=True)
    assert numbers(html, "people reached") == 7 + 6 + 3 + 4 + 5
    assert numbers(html, "sessions held") == 3  # the draft's session was held too
    assert numbers(html, "sessions reported") == 2
    assert numbers(html, "persons with disabilities") == 3
    assert numbers(html, "first-time attendees") == 12
    assert "1 session report is still a draft and is not counted." in html
    months = table_csv(admin, "reach")
    assert months == [
        {"#date+month": "2026-10", "#reached+f": "10", "#reached+m": "6", "#reached+total": "16"},
        {"#date+month": "2026-11", "#reached+f": "4", "#reached+m": "5", "#reached+total": "9"},
    ]
    bands = {
        row["#group+age"]: (row["#reached+f"], row["#reached+m"])
        for row in table_csv(admin, "bands")
    }
    assert bands["5-12"] == ("7", "6") and bands["13-17"] == ("3", "0")
    assert bands["18-59"] == ("4", "5") and bands["0-4"] == ("0", "0")


@pytest.mark.parametrize(
    ("query", "reached"),
    [
        ("?from=2026-11-01", 9),
        ("?to=2026-10-31", 16),
        ("?place=noor", 16),
        ("?place=SOUTH", 9),
        ("?audience=adults", 9),
        ("?locale=ar", 9),
        ("?from=2026-12-01", 0),
        ("?from=not-a-day&audience=pilots", 25),  # ignored, not an error
    ],
)
def test_filters_narrow_the_reach(box, query, reached):
    admin = signed_in(box, "ada")
    html = admin.get("/admin/" + query).get_data(as_text=True)
    assert numbers(html, "people reached") == reached


def test_filter_by_facilitator(box):
    admin = signed_in(box, "ada")
    gus = account_id(box.test_db, "gus")
    html = admin.get(f"/admin/?facilitator={gus}").get_data(as_text=True)
    assert numbers(html, "people reached") == 9


def test_learning_per_question_weakest_first(box):
    admin = signed_in(box, "ada")
    html = admin.get("/admin/").get_data(as_text=True)
    total = len(QUESTIONS)
    before = round(100 * (1 + (total - 1) / total) / 2)
    assert f"before <strong>{before}%</strong> (2)" in html
    assert f"after <strong>{before}%</strong> (2)" in html
    rows = table_csv(admin, "learning")
    # The question still missed after the session stands first.
    assert rows[0]["#indicator+code"] == QUESTIONS[1]
    assert (rows[0]["#indicator+score+pre"], rows[0]["#indicator+score+post"]) == ("1.0", "0.5")
    first = next(row for row in rows if row["#indicator+code"] == QUESTIONS[0])
    assert (first["#indicator+score+pre"], first["#indicator+score+post"]) == ("0.5", "1.0")
    assert first["#indicator+answers+pre"] == "2"
    assert len(rows) == total
    assert rows[0]["#indicator+text"] == TEST.questions[1].texts["en"].question
    # Gains only from the sessions chosen: none at Camp 3.
    assert "No knowledge test was taken" in admin.get("/admin/?place=Camp").get_data(as_text=True)


def test_lessons_taught_quizzed_and_saved(box):
    admin = signed_in(box, "ada")
    rows = {row["#activity+code"]: row for row in table_csv(admin, "lessons")}
    assert rows["farming"]["#activity+sessions"] == "2"  # a draft report still taught it
    assert rows["danger-signs"]["#activity+sessions"] == "1"
    assert rows["farming"]["#indicator+quizzes"] == "1"
    assert rows["farming"]["#indicator+downloads"] == "2"
    assert rows["survivor-help"]["#activity+sessions"] == "0"
    # Saves and quizzes outside sessions belong to no place.
    narrowed = {row["#activity+code"]: row for row in table_csv(admin, "lessons", "?place=Camp")}
    assert narrowed["farming"]["#activity+sessions"] == "1"
    assert narrowed["farming"]["#indicator+downloads"] == "0"


def test_hazards_by_type_and_status_and_open_urgent(box):
    admin = signed_in(box, "ada")
    rows = {row["#item+type"]: row for row in table_csv(admin, "hazards")}
    assert (rows["mine"]["#status+new"], rows["mine"]["#status+closed"]) == ("1", "0")
    assert (rows["uxo"]["#status+forwarded"], rows["uxo"]["#status+closed"]) == ("1", "1")
    assert rows["ied"]["#status+new"] == "0"
    html = admin.get("/admin/").get_data(as_text=True)
    assert numbers(html, "urgent reports still open") == 1
    assert box.urgent_reference in html and "North field" in html


def test_facilitators_see_their_own_sessions_and_only_counts_of_reports(box):
    fay = signed_in(box, "fay")
    gus_id = account_id(box.test_db, "gus")
    html = fay.get(f"/admin/?facilitator={gus_id}").get_data(as_text=True)
    assert numbers(html, "people reached") == 16  # hers only, whatever the address says
    assert 'name="facilitator"' not in html
    assert numbers(html, "urgent reports still open") == 1
    assert box.urgent_reference not in html and "North field" not in html
    assert fay.get("/admin/accounts").status_code == 403
    gus_csv = table_csv(fay, "reach", f"?facilitator={gus_id}")
    assert [row["#reached+total"] for row in gus_csv] == ["16"]


def test_nobody_signed_out_sees_the_dashboard(box):
    client = box.test_client()
    for url in ("/admin/", "/admin/dashboard-reach.csv", "/admin/dashboard-hazards.csv"):
        response = client.get(url)
        assert response.status_code == 302 and response.location.startswith("/login"), url
    assert signed_in(box, "ada").get("/admin/dashboard-secrets.csv").status_code == 404


def test_every_chart_is_svg_with_a_title_a_description_and_its_numbers(box):
    admin = signed_in(box, "ada")
    for locale in ("en", "ar"):
        html = admin.get("/admin/", headers={"Accept-Language": locale}).get_data(as_text=True)
        charts = SVG_RE.findall(html)
        assert len(charts) == 4
        for chart in charts:
            root = ET.fromstring(chart)
            ns = "{http://www.w3.org/2000/svg}"
            assert root.get("role") == "img"
            assert root.find(f"{ns}title").text.strip()
            assert root.find(f"{ns}desc").text.strip()
            assert root.findall(f".//{ns}rect")
        assert html.count("dashboard-") >= 5  # a CSV link per chart and table
        assert "<script" not in html.split("<main", 1)[1]


def test_an_empty_box_shows_an_empty_dashboard(staffed_app):
    app = staffed_app({"ada": "admin"})
    html = signed_in(app, "ada").get("/admin/").get_data(as_text=True)
    assert numbers(html, "people reached") == 0
    assert "No submitted session report" in html and "No hazard report" in html


def test_a_static_export_counts_no_lesson_saved(run_eore, tmp_path):
    out = tmp_path / "site"
    result = run_eore(
        "export", "static", "--out", str(out), "--base-url", "https://x.example", "--locale", "en"
    )
    assert result.exit_code == 0, result.output
    db = store.connect(tmp_path / "data" / "eore.sqlite3")
    assert db.execute("SELECT COUNT(*) FROM lesson_download").fetchone()[0] == 0
    db.close()


@pytest.mark.browser
def test_the_dashboard_of_two_years_prints_on_one_a4_page(eore_server, browser):
    for name, role in (("ada", "admin"), ("fay", "facilitator"), ("gus", "facilitator")):
        add_server_account(eore_server, name, role)
    db = store.connect(eore_server.data / "eore.sqlite3")
    fill(db)
    for month in range(24):  # two years of sessions: a bar a month on the screen
        made = session(
            db,
            "gus",
            audience="adults",
            locale="fr",
            place=f"Village {month}",
            area="East",
            lessons=["farming"],
            day=f"{2025 + month // 12}-{month % 12 + 1:02d}-15",
        )
        report(db, made, "submitted", {"18-59": {"female": month, "male": 2 * month}})
    db.close()
    page = browser.new_context().new_page()
    page.goto(f"{eore_server.base}/admin/")
    page.fill("#name", "ada")
    page.fill("#password", STAFF_PASSWORD)
    page.click("button[type=submit]")
    assert page.locator("[data-dashboard]").count() == 1
    for locale in ("en", "fr", "ar"):  # French runs longest; Arabic reads right to left
        page.goto(f"{eore_server.base}/{locale}/")
        page.goto(f"{eore_server.base}/admin/")
        assert page.evaluate("document.documentElement.lang") == locale
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
        pages = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf))
        boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
        assert pages == 1, locale
        assert [(round(float(w)), round(float(h))) for w, h in boxes] == [(595, 842)]
    # The summary on paper names no report's place.
    page.emulate_media(media="print")
    assert not page.locator(".urgent-list").is_visible()
    page.context.close()


def test_a_report_submitted_later_counts_from_then(box):
    admin = signed_in(box, "ada")
    assert numbers(admin.get("/admin/").get_data(as_text=True), "people reached") == 25
    db = box.test_db
    made = session_with_report(db, "draft")
    report(db, made, "submitted", {"5-12": {"female": 10, "male": 1}})
    html = admin.get("/admin/").get_data(as_text=True)
    assert numbers(html, "people reached") == 25 + 11
    assert "still a draft" not in html


def test_a_facilitator_cannot_probe_hazard_reports_with_filters(box):
    fay = signed_in(box, "fay")
    answers = set()
    for query in ("", "?place=North+field", "?place=Zzz", "?locale=ar", "?place=North&locale=en"):
        html = fay.get("/admin/" + query).get_data(as_text=True)
        rows = tuple(tuple(row.values()) for row in table_csv(fay, "hazards", query))
        answers.add((numbers(html, "urgent reports still open"), rows))
    assert len(answers) == 1  # the same counts whatever is typed
    # An admin's place filter narrows them.
    admin = signed_in(box, "ada")
    html = admin.get("/admin/?place=Zzz").get_data(as_text=True)
    assert "No hazard report for these choices." in html


def test_a_live_question_answered_in_a_session_is_no_quiz_taken(box):
    admin = signed_in(box, "ada")
    code = box.test_db.execute("SELECT code FROM group_session LIMIT 1").fetchone()[0]
    lesson_quiz(box.test_db, session_code=code)
    rows = {row["#activity+code"]: row for row in table_csv(admin, "lessons")}
    assert rows["farming"]["#indicator+quizzes"] == "1"  # the fixture's one quiz, alone
    fay = account_id(box.test_db, "fay")
    rows = {
        row["#activity+code"]: row for row in table_csv(admin, "lessons", f"?facilitator={fay}")
    }
    assert rows["farming"]["#indicator+quizzes"] == "0"


def test_only_a_lesson_really_sent_is_counted_as_saved(box):
    phone = box.test_client()
    assert phone.head("/en/lessons/farming/download").status_code == 200
    admin = signed_in(box, "ada")
    rows = {row["#activity+code"]: row for row in table_csv(admin, "lessons")}
    assert rows["farming"]["#indicator+downloads"] == "2"  # the two GETs of the fixture


def test_months_follow_the_date_the_facilitator_wrote(box):
    db = box.test_db
    made = session_with_report(db, "verified")
    fields = {**prefilled(made), "date": "2026-09-28", "attendance": {"18-59": {"female": 4}}}
    db.execute(
        "UPDATE session_report SET fields = ? WHERE session_id = ?", (json.dumps(fields), made.id)
    )
    admin = signed_in(box, "ada")
    months = {row["#date+month"] for row in table_csv(admin, "reach")}
    assert months == {"2026-09", "2026-10"}
    html = admin.get("/admin/?from=2026-09-01&to=2026-09-30").get_data(as_text=True)
    assert numbers(html, "people reached") == 4
