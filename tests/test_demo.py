"""eore demo seed: demo records shaped like real ones, marked, reproducible, never mixed in."""

from __future__ import annotations

import json
import re
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from eore import create_app, schema, store
from eore.reports import COUNT_FIELDS, TEXT_FIELDS
from eore.sessions import CODE_ALPHABET
from eore.settings import PROJECT_ROOT

SMALL = ("--sessions", "30", "--attempts", "300", "--hazards", "20")
PACKS = Path(__file__).parent / "packs"
DEVICE_TABLES = (
    "account",
    "group_session",
    "session_report",
    "referral",
    "quiz_attempt",
    "quiz_answer",
    "hazard_report",
    "hazard_event",
)
REPORT_KEYS = {
    *TEXT_FIELDS,
    *COUNT_FIELDS,
    "date",
    "start_time",
    "end_time",
    "place_type",
    "method",
    "audience",
    "locale",
    "lessons",
    "attendance",
}


def open_db(folder: Path) -> sqlite3.Connection:
    db = sqlite3.connect(folder / "eore.sqlite3")
    db.row_factory = sqlite3.Row
    return db


def count(db, sql: str, *values) -> int:
    return db.execute(sql, values).fetchone()[0]


@dataclass
class Seeded:
    db: sqlite3.Connection
    result: object  # click's Result of the seed command


@pytest.fixture
def seeded(run_eore, tmp_path):
    """Seed the small demo set into the run_eore data folder; return an open connection."""
    result = run_eore("demo", "seed", *SMALL, "--seed", "3")
    assert result.exit_code == 0, result.output
    db = open_db(tmp_path / "data")
    yield Seeded(db, result)
    db.close()


def library_of(folder: Path, content: Path = PROJECT_ROOT / "content"):
    app = create_app({"DATA": str(folder), "CONTENT": str(content)})
    return app.extensions["eore"]["library"]


def test_seed_writes_the_asked_numbers_and_tells_its_progress(seeded):
    db = seeded.db
    assert count(db, "SELECT COUNT(*) FROM group_session") == 30
    assert count(db, "SELECT COUNT(*) FROM quiz_attempt") == 300
    assert count(db, "SELECT COUNT(*) FROM hazard_report") == 20
    reports = count(db, "SELECT COUNT(*) FROM session_report")
    assert 20 <= reports < 30  # about nine in ten sessions
    answers = count(db, "SELECT COUNT(*) FROM quiz_answer")
    assert answers == count(db, "SELECT SUM(total) FROM quiz_attempt") > 300
    assert count(db, "SELECT COUNT(*) FROM referral") > 0
    result = seeded.result
    progress = [line for line in result.stderr.splitlines() if line.startswith("demo seed: ")]
    assert [line.split()[2] for line in progress] == [f"{n}%" for n in range(10, 101, 10)]
    summary = result.stdout.strip().splitlines()
    assert len(summary) == 1
    assert summary[0].startswith(f"Added 30 demo sessions ({reports} reports,")
    assert f"300 quiz attempts ({answers} answers) and 20 hazard reports" in summary[0]


def test_every_record_is_marked_demo_and_holds_no_personal_data(seeded):
    db = seeded.db
    for table in DEVICE_TABLES:
        assert count(db, f"SELECT COUNT(*) FROM {table}") > 0, table
        assert count(db, f"SELECT COUNT(*) FROM {table} WHERE device != 'demo'") == 0, table
    assert (
        count(
            db,
            "SELECT COUNT(*) FROM hazard_report WHERE contact_consent != 0"
            " OR contact_name IS NOT NULL OR contact_phone IS NOT NULL",
        )
        == 0
    )
    for account in db.execute("SELECT * FROM account"):
        assert re.fullmatch(r"demo-(facilitator|admin)-\d+", account["name"])
        assert account["name"].startswith(f"demo-{account['role']}-")
        assert account["password_hash"] == "!demo"
        assert account["active"] == 1
    assert count(db, "SELECT COUNT(*) FROM account WHERE role = 'facilitator'") >= 3
    assert count(db, "SELECT COUNT(*) FROM group_session WHERE place NOT LIKE 'Demo %'") == 0


def test_nobody_can_sign_in_as_a_demo_account(seeded, tmp_path):
    app = create_app({"DATA": str(tmp_path / "data"), "TESTING": True})
    db = store.connect(app.config["DATABASE"])
    try:
        from eore.accounts import authenticate

        for guess in ("!demo", "", "demo", "demo-facilitator-1"):
            assert authenticate(db, "demo-facilitator-1", guess) is None
            assert authenticate(db, "demo-admin-1", guess) is None
    finally:
        db.close()


def test_the_tallies_kept_by_triggers_match_the_answers(seeded):
    db = seeded.db
    direct = db.execute(
        "SELECT coalesce(t.session_code, ''), t.kind, t.subject, t.locale,"
        " coalesce(t.phase, ''), substr(a.created_utc, 1, 10), a.question,"
        " COUNT(*), SUM(a.is_correct)"
        " FROM quiz_answer a JOIN quiz_attempt t ON t.id = a.attempt_id"
        " GROUP BY 1, 2, 3, 4, 5, 6, 7 ORDER BY 1, 2, 3, 4, 5, 6, 7"
    ).fetchall()
    kept = db.execute("SELECT * FROM answer_tally ORDER BY 1, 2, 3, 4, 5, 6, 7").fetchall()
    assert [tuple(row) for row in kept] == [tuple(row) for row in direct]
    assert len(kept) > 100
    direct = db.execute(
        "SELECT coalesce(session_code, ''), kind, subject, locale, coalesce(phase, ''),"
        " substr(created_utc, 1, 10), COUNT(*), SUM(CAST(correct AS REAL) / total)"
        " FROM quiz_attempt GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 1, 2, 3, 4, 5, 6"
    ).fetchall()
    kept = db.execute("SELECT * FROM attempt_tally ORDER BY 1, 2, 3, 4, 5, 6").fetchall()
    assert [tuple(row)[:-1] for row in kept] == [tuple(row)[:-1] for row in direct]
    for mine, theirs in zip(kept, direct, strict=True):
        assert mine[-1] == pytest.approx(theirs[-1])


def test_attempts_are_shaped_like_real_ones(seeded, tmp_path):
    db = seeded.db
    library = library_of(tmp_path / "data")
    sessions = {row["code"]: row for row in db.execute("SELECT * FROM group_session")}
    by_kind = {"test": 0, "lesson": 0}
    for attempt in db.execute("SELECT * FROM quiz_attempt"):
        by_kind[attempt["kind"]] += 1
        assert attempt["pack_version"] == library.version
        assert attempt["locale"] in library.locales
        if attempt["kind"] == "test":
            session = sessions[attempt["session_code"]]
            plan = json.loads(session["plan"])
            assert plan[0] == {"kind": "test", "subject": attempt["subject"], "phase": "pre"}
            assert plan[-1] == {"kind": "test", "subject": attempt["subject"], "phase": "post"}
            assert attempt["phase"] in ("pre", "post")
            assert attempt["locale"] == session["locale"]
            assert attempt["created_utc"][:10] == session["created_utc"][:10]
            assert session["created_utc"] <= attempt["created_utc"] <= session["ended_utc"]
            questions = library.tests[attempt["subject"]].questions
        else:
            assert attempt["phase"] is None and attempt["session_code"] is None
            questions = library.quizzes[attempt["subject"]].questions
        answers = db.execute(
            "SELECT * FROM quiz_answer WHERE attempt_id = ? ORDER BY rowid", (attempt["id"],)
        ).fetchall()
        assert [a["question"] for a in answers] == [q.id for q in questions]
        assert attempt["total"] == len(answers)
        assert attempt["correct"] == sum(a["is_correct"] for a in answers)
        assert store.RECORD_ID_RE.match(attempt["id"])
        for answer, question in zip(answers, questions, strict=True):
            assert answer["id"] == str(uuid.uuid5(uuid.UUID(attempt["id"]), question.id))
            assert answer["choice"] in {option.id for option in question.options}
            assert answer["is_correct"] == (answer["choice"] == question.correct)
            assert answer["created_utc"] == attempt["created_utc"]
    assert 0.6 <= by_kind["test"] / 300 <= 0.8
    pre, post = (
        count(db, "SELECT AVG(CAST(correct AS REAL) / total) FROM quiz_attempt WHERE phase = ?", p)
        for p in ("pre", "post")
    )
    assert post > pre + 0.05
    # As many or fewer answer after the session than before it, in every session.
    for code in sessions:
        before, after = (
            count(
                db,
                "SELECT COUNT(*) FROM quiz_attempt WHERE session_code = ? AND phase = ?",
                code,
                p,
            )
            for p in ("pre", "post")
        )
        assert after <= before


def test_sessions_and_reports_are_shaped_like_real_ones(seeded, tmp_path):
    db = seeded.db
    library = library_of(tmp_path / "data")
    rows = db.execute("SELECT * FROM group_session ORDER BY rowid").fetchall()
    created = [row["created_utc"] for row in rows]
    assert created == sorted(created)
    today = datetime.now(UTC).date()
    assert date.fromisoformat(created[0][:10]) >= today - timedelta(days=366)
    assert date.fromisoformat(created[-1][:10]) < today
    assert len({row["code"] for row in rows}) == len(rows)
    for row in rows:
        assert re.fullmatch(f"[{CODE_ALPHABET}]{{5}}", row["code"])
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", row["created_utc"])
        assert row["status"] == "ended" and row["ended_utc"] > row["created_utc"]
        assert row["audience"] in schema.AUDIENCES
        assert row["locale"] in library.locales
        plan = json.loads(row["plan"])
        assert all(list(step) == ["kind", "subject", "phase"] for step in plan)
        lessons = [step["subject"] for step in plan if step["kind"] == "lesson"]
        assert lessons and all(slug in library.lessons for slug in lessons)
        assert row["step"] == len(plan) - 1
        report = db.execute("SELECT * FROM session_report WHERE session_id = ?", (row["id"],))
        report = report.fetchone()
        if report is None:
            continue
        assert report["status"] in ("submitted", "verified")
        assert (report["status"] == "verified") == (report["verified_by"] is not None)
        fields = json.loads(report["fields"])
        assert set(fields) == REPORT_KEYS
        assert fields["date"] == row["created_utc"][:10]
        assert fields["lessons"] == lessons
        assert (fields["place"], fields["audience"]) == (row["place"], row["audience"])
        assert fields["organisation"] == "Demo organisation"
        assert set(fields["attendance"]) == set(library.age_bands)  # sorted, as save_report
        people = sum(sum(sexes.values()) for sexes in fields["attendance"].values())
        assert all(set(sexes) == {"female", "male"} for sexes in fields["attendance"].values())
        assert people > 0 and fields["disabled"] <= people and fields["first_time"] <= people
    for referral in db.execute(
        "SELECT r.*, s.created_utc AS started FROM referral r JOIN group_session s"
        " ON s.id = r.session_id"
    ):
        assert referral["service_type"] in schema.SERVICE_TYPES
        assert referral["day"] == referral["started"][:10]


def test_hazard_reports_are_shaped_like_real_ones(seeded):
    db = seeded.db
    references = set()
    for row in db.execute("SELECT * FROM hazard_report"):
        assert re.fullmatch(
            r"H-[ACDEFHJKMNPRTUVWXY3479]{4}-[ACDEFHJKMNPRTUVWXY3479]{4}", row["reference"]
        )
        references.add(row["reference"])
        nearby = row["nearby"].split()
        assert row["urgent"] == (row["hurt"] == "yes" or "school" in nearby)
        assert (row["latitude"] is not None) <= bool(row["geo_safe"])
        if row["seen_on"]:
            assert row["seen_on"] <= row["created_utc"][:10]
        events = db.execute(
            "SELECT * FROM hazard_event WHERE report_id = ? ORDER BY created_utc", (row["id"],)
        ).fetchall()
        if row["status"] == "new":
            assert not events and row["status_by"] is None
        else:
            assert events[-1]["to_status"] == row["status"]
            assert row["status_utc"] == events[-1]["created_utc"]
    assert len(references) == 20


def test_refuses_a_database_with_real_records_unless_forced(run_eore, tmp_path):
    app = create_app({"DATA": str(tmp_path / "data")})
    db = store.connect(app.config["DATABASE"])
    try:
        real = store.Attempt(
            id=store.new_record_id(),
            kind="lesson",
            subject="farming",
            locale="en",
            answers=(store.Answer("q", "a", True),),
            pack_version="1",
        )
        store.save_attempt(db, real, device=app.config["DEVICE_ID"])
    finally:
        db.close()
    result = run_eore("demo", "seed", *SMALL)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if "WARNING in content" not in line]
    assert len(lines) == 1 and "real records (in quiz_attempt)" in lines[0]
    assert "--force" in lines[0]
    db = open_db(tmp_path / "data")
    try:
        assert count(db, "SELECT COUNT(*) FROM quiz_attempt") == 1
        assert count(db, "SELECT COUNT(*) FROM group_session") == 0
        assert count(db, "SELECT COUNT(*) FROM account") == 0
    finally:
        db.close()
    result = run_eore("demo", "seed", *SMALL, "--force")
    assert result.exit_code == 0, result.output
    db = open_db(tmp_path / "data")
    try:
        assert count(db, "SELECT COUNT(*) FROM quiz_attempt WHERE device != 'demo'") == 1
        assert count(db, "SELECT COUNT(*) FROM quiz_attempt WHERE device = 'demo'") == 300
        assert count(db, "SELECT COUNT(*) FROM group_session") == 30
    finally:
        db.close()


@pytest.mark.parametrize("table", ["group_session", "hazard_report"])
def test_refuses_real_sessions_and_hazard_reports_too(run_eore, tmp_path, table):
    result = run_eore("demo", "seed", *SMALL)
    assert result.exit_code == 0, result.output
    db = open_db(tmp_path / "data")
    try:
        with db:
            db.execute(f"UPDATE {table} SET device = 'box-1' WHERE rowid = 1")
    finally:
        db.close()
    result = run_eore("demo", "seed", *SMALL)
    assert result.exit_code == 1
    assert f"real records (in {table})" in result.stderr


def test_seeding_twice_adds_more_demo_records(seeded, run_eore):
    result = run_eore("demo", "seed", *SMALL, "--seed", "3")
    assert result.exit_code == 0, result.output
    db = seeded.db
    assert count(db, "SELECT COUNT(*) FROM group_session") == 60
    assert count(db, "SELECT COUNT(DISTINCT code) FROM group_session") == 60
    assert count(db, "SELECT COUNT(*) FROM quiz_attempt") == 600
    assert count(db, "SELECT COUNT(DISTINCT reference) FROM hazard_report") == 40
    # The accounts of the first run are used again.
    assert count(db, "SELECT COUNT(*) FROM account WHERE name = 'demo-facilitator-1'") == 1


def snapshot(folder: Path) -> dict:
    """Return what a seed decides, without times (which follow the day it runs)."""
    db = open_db(folder)
    try:
        return {
            "sessions": db.execute(
                "SELECT id, code, facilitator_id, audience, locale, place, admin_area, plan"
                " FROM group_session ORDER BY rowid"
            ).fetchall(),
            "attempts": db.execute(
                "SELECT id, kind, subject, locale, phase, session_code, correct, total"
                " FROM quiz_attempt ORDER BY rowid"
            ).fetchall(),
            "answers": db.execute(
                "SELECT id, attempt_id, question, choice FROM quiz_answer ORDER BY rowid"
            ).fetchall(),
            "reports": db.execute(
                "SELECT id, session_id, status, json_extract(fields, '$.attendance')"
                " FROM session_report ORDER BY rowid"
            ).fetchall(),
            "hazards": db.execute(
                "SELECT id, reference, item, place, latitude, status FROM hazard_report"
                " ORDER BY rowid"
            ).fetchall(),
        }
    finally:
        db.close()


def test_the_same_seed_gives_the_same_data(run_eore, tmp_path):
    for folder, seed in (("a", "5"), ("b", "5"), ("c", "6")):
        env = {"EORE_DATA": str(tmp_path / folder)}
        result = run_eore("demo", "seed", *SMALL, "--seed", seed, env=env)
        assert result.exit_code == 0, result.output
    first, again, other = (snapshot(tmp_path / folder) for folder in "abc")
    assert len(first["answers"]) > 300
    for key in first:
        assert [tuple(r) for r in first[key]] == [tuple(r) for r in again[key]], key
        assert [tuple(r) for r in first[key]] != [tuple(r) for r in other[key]], key


def test_seeds_a_pack_with_areas_and_few_lessons(run_eore, tmp_path):
    result = run_eore("demo", "seed", *SMALL, env={"EORE_CONTENT": str(PACKS / "good")})
    assert result.exit_code == 0, result.output
    library = library_of(tmp_path / "data", PACKS / "good")
    db = open_db(tmp_path / "data")
    try:
        areas = {row[0] for row in db.execute("SELECT DISTINCT admin_area FROM hazard_report")}
        assert areas <= {area.code for area in library.areas} and areas
        subjects = {row[0] for row in db.execute("SELECT DISTINCT subject FROM quiz_attempt")}
        assert subjects <= set(library.tests) | set(library.quizzes)
        assert count(db, "SELECT COUNT(*) FROM quiz_attempt") == 300
    finally:
        db.close()


def test_demo_seed_is_never_run_by_starting_the_app(tmp_path):
    app = create_app({"DATA": str(tmp_path / "data")})
    db = open_db(tmp_path / "data")
    try:
        assert app.config["DATABASE"] == str(tmp_path / "data" / "eore.sqlite3")
        for table in DEVICE_TABLES:
            assert count(db, f"SELECT COUNT(*) FROM {table}") == 0
    finally:
        db.close()
