"""Session reports: a whole session through the test client, down to the exports' numbers."""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import uuid

import pytest
from conftest import STAFF_PASSWORD, signed_in

from eore import create_app
from eore.content import load_pack
from eore.settings import PROJECT_ROOT

STARTER = load_pack(PROJECT_ROOT / "content")


def make(shared_data, database):
    return create_app(
        {
            "TESTING": True,
            "DATA": str(shared_data),
            "DATABASE": str(database),
            "BASE_URL": "http://eore.lan",
        }
    )


@pytest.fixture
def box(staffed_app):
    return staffed_app({"bo": "facilitator", "amina": "admin"}, BASE_URL="http://eore.lan")


def hidden(html: str) -> dict:
    return dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))


def post_form(client, url, data):
    fields = hidden(client.get(url).get_data(as_text=True))
    return client.post(url, data={**fields, **data})


COMPLETE = {
    "date": "2026-11-28",
    "start_time": "09:30",
    "end_time": "11:00",
    "organisation": "Safe Steps",
    "team": "Team 2",
    "place_type": "school",
    "method": "group",
    "female-5-12": "7",
    "male-5-12": "6",
    "female-13-17": "3",
    "male-13-17": "0",
    "female-18-59": "1",
    "disabled": "2",
    "first_time": "12",
    "hazards_reported": "1",
    "comments": "Children asked about red stones.",
}


def run_session(box) -> tuple[object, str]:
    """Start a session with the general test before and after; two phones take both."""
    facilitator = signed_in(box, "bo")
    started = post_form(
        facilitator,
        "/facilitate/sessions/new",
        {
            "audience": "children",
            "locale": "en",
            "place": "Al Noor school",
            "admin_area": "North",
            "lesson": ["children-stop-dont-touch", "danger-signs"],
            "test": "general",
        },
    )
    code = started.location.rsplit("/", 1)[1]
    test = STARTER.tests["general"]
    for phase, right in (("pre", 1), ("pre", 0), ("post", 1), ("post", 1)):
        phone = box.test_client()
        url = f"/en/test/general?phase={phase}&session={code}"
        answers = {f"q-{q.id}": q.correct for q in test.questions}
        if not right:
            first = test.questions[0]
            answers[f"q-{first.id}"] = next(o.id for o in first.options if o.id != first.correct)
        assert post_form(phone, url, answers).status_code == 200
    return facilitator, code


def test_report_is_prefilled_saved_as_draft_and_survives_a_restart(box, shared_data):
    facilitator, code = run_session(box)
    url = f"/facilitate/sessions/{code}/report"
    page = facilitator.get(url).get_data(as_text=True)
    assert 'value="Al Noor school"' in page and 'value="North"' in page
    # The pack's age bands, each for women and girls, men and boys.
    for band in STARTER.age_bands:
        assert f'name="female-{band}"' in page and f'name="male-{band}"' in page
    saved = post_form(
        facilitator, url, {"action": "save", "organisation": "Safe Steps", "female-5-12": "4"}
    )
    assert saved.status_code == 302
    assert "Saved as a draft" in facilitator.get(saved.location).get_data(as_text=True)
    # The server restarts: what was saved is still there.
    again = make(shared_data, box.config["DATABASE"])
    later = signed_in(again, "bo").get(url).get_data(as_text=True)
    assert 'value="Safe Steps"' in later and 'name="female-5-12" ' in later
    assert re.search(r'name="female-5-12"[^>]*value="4"', later)


def test_submit_needs_a_complete_report_and_keeps_what_was_typed(box):
    facilitator, code = run_session(box)
    url = f"/facilitate/sessions/{code}/report"
    refused = post_form(facilitator, url, {"action": "submit", "team": "Team 2"})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "the organisation" in html and "the people reached" in html
    assert 'value="Team 2"' in html
    wrong = post_form(facilitator, url, {**COMPLETE, "action": "save", "male-5-12": "six"})
    assert wrong.status_code == 422
    assert "whole numbers" in wrong.get_data(as_text=True)
    too_many = post_form(facilitator, url, {**COMPLETE, "action": "submit", "disabled": "99"})
    assert too_many.status_code == 422
    done = post_form(facilitator, url, {**COMPLETE, "action": "submit"})
    assert done.status_code == 302
    page = facilitator.get(url).get_data(as_text=True)
    assert "Submitted" in page and "<fieldset disabled>" in page
    # A submitted report is not changed by another post.
    fields = hidden(page)
    facilitator.post(url, data={**fields, **COMPLETE, "action": "save", "team": "Other"})
    assert 'value="Team 2"' in facilitator.get(url).get_data(as_text=True)


def exported_csv(client, kind) -> list[list[str]]:
    response = client.get(f"/admin/sessions/export.{kind}")
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


def test_admin_verifies_and_exports_with_exact_counts(box, run_eore):
    facilitator, code = run_session(box)
    post_form(facilitator, f"/facilitate/sessions/{code}/report", {**COMPLETE, "action": "submit"})
    assert facilitator.get("/admin/sessions/").status_code == 403
    assert facilitator.get("/admin/sessions/export.csv").status_code == 403
    admin = signed_in(box, "amina")
    listing = admin.get("/admin/sessions/").get_data(as_text=True)
    assert "Al Noor school" in listing and "<td>17</td>" in listing
    verify = post_form(admin, "/admin/sessions/", {})  # token only
    assert verify.status_code == 405
    fields = hidden(listing)
    assert admin.post(f"/admin/sessions/{code}/verify", data=fields).status_code == 302
    header, hxl, row = exported_csv(admin, "csv")
    record = dict(zip(hxl, row, strict=True))
    assert record["#reached+f+age5_12"] == "7" and record["#reached+m+age5_12"] == "6"
    assert record["#reached+f+age13_17"] == "3" and record["#reached+f+age18_59"] == "1"
    assert record["#reached+m+age60plus"] == "0"
    assert (record["#reached+f"], record["#reached+m"], record["#reached+total"]) == (
        "11",
        "6",
        "17",
    )
    assert record["#reached+disabled"] == "2" and record["#reached+new"] == "12"
    assert record["#status"] == "verified" and record["#loc+type"] == "school"
    assert record["#adm1+name"] == "North" and record["#activity+code"] == code
    assert record["#activity+lessons"] == "children-stop-dont-touch danger-signs"
    # Two phones before (one missed a question), two after (all right).
    questions = len(STARTER.tests["general"].questions)
    assert float(record["#indicator+score+pre"]) == pytest.approx(
        round((1 + (questions - 1) / questions) / 2, 3)
    )
    assert float(record["#indicator+score+post"]) == 1.0
    assert header[0] == "report id" and len(header) == len(hxl) == len(row)
    names, xls_row = exported_csv(admin, "xlsform.csv")
    xls = dict(zip(names, xls_row, strict=True))
    assert xls["female_5_12"] == "7" and xls["method"] == "group" and xls["total_reached"] == "17"
    (entry,) = admin.get("/admin/sessions/export.json").get_json()
    assert entry["attendance"]["5-12"] == {"female": 7, "male": 6}
    assert entry["reached_total"] == 17 and entry["facilitator"] == "bo"


def test_export_command_filters_by_date(box, run_eore, tmp_path):
    facilitator, code = run_session(box)
    post_form(facilitator, f"/facilitate/sessions/{code}/report", {**COMPLETE, "action": "submit"})
    env = {"EORE_DATA": str(tmp_path / "cli")}
    # The command reads the box's database in its data folder: give it a copy.
    data = tmp_path / "cli"
    data.mkdir()
    source = sqlite3.connect(box.config["DATABASE"])
    copy = sqlite3.connect(data / "eore.sqlite3")
    source.backup(copy)
    source.close()
    copy.close()
    result = run_eore("export", "sessions", "--format", "json", env=env)
    assert result.exit_code == 0, result.output
    assert json.loads(result.output[: result.output.rindex("]") + 1])[0]["reached_total"] == 17
    later = run_eore("export", "sessions", "--since", "2026-12-01", env=env)
    assert later.exit_code == 0 and len(list(csv.reader(io.StringIO(later.output)))) == 2
    bad = run_eore("export", "sessions", "--since", "yesterday", env=env)
    assert bad.exit_code == 1 and "2026-11-01" in bad.output


def test_pack_age_bands_must_be_readable(make_pack):
    from eore.content import check_pack

    root = make_pack()
    pack = (root / "pack.yaml").read_text()
    (root / "pack.yaml").write_text(pack + "age_bands: ['0-9', 'ten to 17', '18+']\n")
    _library, problems = check_pack(root)
    assert any("age band 'ten to 17'" in str(problem) for problem in problems)
    (root / "pack.yaml").write_text(pack + "age_bands: ['5-12', '13-17', '18+']\n")
    library, problems = check_pack(root)
    assert library.age_bands == ("5-12", "13-17", "18+")


def test_strange_numbers_and_formulas_are_refused_or_kept_as_text(box):
    facilitator, code = run_session(box)
    url = f"/facilitate/sessions/{code}/report"
    for value in ("²", "9" * 5000, "-3", "1e3"):
        response = post_form(facilitator, url, {**COMPLETE, "action": "save", "male-5-12": value})
        assert response.status_code == 422, value
    # Digits of another script are numbers too.
    assert (
        post_form(facilitator, url, {**COMPLETE, "male-5-12": "١٢", "action": "save"}).status_code
        == 302
    )
    formula = {**COMPLETE, "organisation": "=HYPERLINK(1)", "action": "submit"}
    assert post_form(facilitator, url, formula).status_code == 302
    admin = signed_in(box, "amina")
    _header, hxl, row = exported_csv(admin, "csv")
    record = dict(zip(hxl, row, strict=True))
    assert record["#org+name"] == "'=HYPERLINK(1)" and record["#reached+m+age5_12"] == "6"


def log_referral(client, code, kind, fields=None):
    fields = fields or hidden(client.get(f"/facilitate/sessions/{code}").get_data(as_text=True))
    return client.post(
        f"/facilitate/sessions/{code}/referral",
        data={
            "csrf_token": fields["csrf_token"],
            "referral_id": fields["referral_id"],
            "service_type": kind,
        },
    )


def test_referrals_logged_on_the_session_page_are_counted_in_its_report(box):
    facilitator, code = run_session(box)
    for kind in ("medical", "medical", "psychosocial"):
        response = log_referral(facilitator, code, kind)
        assert response.status_code == 303
        assert response.location.endswith(f"/facilitate/sessions/{code}?referral=saved")
    refused = log_referral(facilitator, code, "magic")
    assert refused.location.endswith("?referral=unknown")
    page = facilitator.get(refused.location).get_data(as_text=True)
    assert "Choose a kind of service from the list." in page
    rows = box.test_db.execute("SELECT service_type, day, session_id FROM referral").fetchall()
    assert sorted(row["service_type"] for row in rows) == ["medical", "medical", "psychosocial"]
    assert all(set(row.keys()) == {"service_type", "day", "session_id"} for row in rows)
    # Only the session's own facilitator logs referrals for it.
    from eore.accounts import add_account

    add_account(box.test_db, "other", "facilitator", STAFF_PASSWORD, device="test")
    other = signed_in(box, "other")
    assert log_referral_as(other, facilitator, code).status_code == 404
    report = facilitator.get(f"/facilitate/sessions/{code}/report").get_data(as_text=True)
    assert re.search(r"Referrals logged from the session page: <strong>3</strong>", report)
    post_form(facilitator, f"/facilitate/sessions/{code}/report", {**COMPLETE, "action": "submit"})
    admin = signed_in(box, "amina")
    header, hxl, row = exported_csv(admin, "csv")
    record = dict(zip(hxl, row, strict=True))
    assert record["#indicator+referrals"] == "3"
    assert record["#indicator+referrals+medical"] == "2"
    assert record["#indicator+referrals+psychosocial"] == "1"
    assert record["#indicator+referrals+legal"] == "0"
    (entry,) = admin.get("/admin/sessions/export.json").get_json()
    assert entry["referrals"] == 3 and entry["referrals_by_type"]["medical"] == 2


def log_referral_as(intruder, owner, code):
    token = hidden(intruder.get("/facilitate/sessions/new").get_data(as_text=True))["csrf_token"]
    return intruder.post(
        f"/facilitate/sessions/{code}/referral",
        data={
            "csrf_token": token,
            "referral_id": "3f0c4bd6-8a0b-4c57-9f5e-1a2b3c4d5e6f",
            "service_type": "medical",
        },
    )


def test_a_referral_form_sent_twice_logs_one_and_none_after_the_report_is_submitted(box):
    facilitator, code = run_session(box)
    fields = hidden(facilitator.get(f"/facilitate/sessions/{code}").get_data(as_text=True))
    log_referral(facilitator, code, "legal", fields)
    log_referral(facilitator, code, "legal", fields)  # a double tap
    assert box.test_db.execute("SELECT COUNT(*) FROM referral").fetchone()[0] == 1
    post_form(facilitator, f"/facilitate/sessions/{code}/report", {**COMPLETE, "action": "submit"})
    page = facilitator.get(f"/facilitate/sessions/{code}").get_data(as_text=True)
    assert "referrals can no longer be added" in page and 'name="referral_id"' not in page
    late = log_referral(facilitator, code, "legal", {**fields, "referral_id": str(uuid.uuid4())})
    assert late.location.endswith("?referral=closed")
    assert box.test_db.execute("SELECT COUNT(*) FROM referral").fetchone()[0] == 1
    admin = signed_in(box, "amina")
    header, hxl, row = exported_csv(admin, "csv")
    assert dict(zip(hxl, row, strict=True))["#indicator+referrals"] == "1"


def test_referrals_counted_by_hand_before_become_logged_referrals(tmp_path):
    from eore import store

    path = tmp_path / "old.sqlite3"
    db = store.connect(path)
    for version in range(1, 6):
        store._migrate(db, version)
    db.execute(
        "INSERT INTO account (id, device, created_utc, name, role, password_hash,"
        " password_changed_utc) VALUES ('a', 'd', 't', 'bo', 'facilitator', 'h', 't')"
    )
    db.execute(
        "INSERT INTO group_session (id, device, created_utc, code, facilitator_id, audience,"
        " locale, place, plan) VALUES ('s', 'd', '2026-11-01T08:00:00Z', 'ACDEF', 'a',"
        " 'adults', 'en', 'x', '[]')"
    )
    db.execute(
        "INSERT INTO session_report (id, device, created_utc, updated_utc, session_id, fields)"
        " VALUES ('r', 'd', 't', 't', 's', ?)",
        ('{"date": "2026-10-30", "referrals": 2, "disabled": 1}',),
    )
    # Never stored by the toolkit, but a hand-edited count as text is not read as a number.
    db.execute(
        "INSERT INTO group_session (id, device, created_utc, code, facilitator_id, audience,"
        " locale, place, plan) VALUES ('s2', 'd', '2026-11-01T08:00:00Z', 'ACDEH', 'a',"
        " 'adults', 'en', 'x', '[]')"
    )
    db.execute(
        "INSERT INTO session_report (id, device, created_utc, updated_utc, session_id, fields)"
        " VALUES ('r2', 'd', 't', 't', 's2', ?)",
        ('{"date": "2026-10-31", "referrals": "4"}',),
    )
    db.close()
    store.init_db(path)
    db = store.connect(path)
    rows = db.execute("SELECT session_id, service_type, day, id FROM referral").fetchall()
    assert [tuple(row)[:3] for row in rows] == [("s", "other", "2026-10-30")] * 2
    assert len({row["id"] for row in rows}) == 2
    fields = db.execute("SELECT fields FROM session_report WHERE id = 'r'").fetchone()[0]
    assert json.loads(fields) == {"date": "2026-10-30", "disabled": 1}
    db.close()
