"""Bundles: records carried between boxes on a USB stick, merged without loss or duplicates."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import struct
import uuid
import zipfile
from pathlib import Path

import pytest
from conftest import PACKS, csrf_token, signed_in

from eore import bundle, create_app, store
from eore.accounts import add_account, authenticate, find_account
from eore.bundle import BundleError, export_bundle, import_bundle
from eore.content import load_pack
from eore.hazards import change_status, purge_contacts, report_by_id
from eore.hazards import save_report as save_hazard
from eore.referrals import log_referral
from eore.reports import prefilled
from eore.reports import save_report as save_session_report
from eore.sessions import Step, create_session, end_session, move_to, session_by_code
from eore.settings import PROJECT_ROOT

STARTER = load_pack(PROJECT_ROOT / "content")
TEST = STARTER.tests["general"]
CARRIED = (
    "group_session",
    "session_report",
    "referral",
    "quiz_attempt",
    "quiz_answer",
    "hazard_report",
    "hazard_event",
)
# What the dashboard reads, kept by the database's triggers.
TOTALS = (
    "answer_tally",
    "attempt_tally",
    "answer_day_tally",
    "attempt_day_tally",
    "report_band",
    "report_reach",
    "session_lesson",
    "lesson_download",
)
CHARTS = ("reach", "bands", "learning", "lessons", "hazards")


@pytest.fixture
def box(staffed_app, tmp_path):
    """Return a factory: a box of its own (database and device id) with accounts {name: role}."""

    def make(device: str, accounts: dict[str, str] | None = None):
        return staffed_app(
            accounts or {}, DATABASE=str(tmp_path / f"{device}.sqlite3"), DEVICE_ID=device
        )

    return make


def account_id(app, name: str) -> str:
    return find_account(app.test_db, name).id


def start_session(app, facilitator: str, *, lessons=("farming",), test=True):
    plan = [Step("lesson", slug) for slug in lessons]
    if test:
        plan = [Step("test", "general", "pre"), *plan, Step("test", "general", "post")]
    return create_session(
        app.test_db,
        facilitator_id=account_id(app, facilitator),
        audience="adults",
        locale="en",
        place="Camp 3",
        admin_area="North",
        plan=plan,
        device=app.config["DEVICE_ID"],
    )


def take_test(app, code: str | None, phase: str, wrong=()) -> None:
    answers = tuple(
        store.Answer(q.id, "x" if q.id in wrong else q.correct, q.id not in wrong)
        for q in TEST.questions
    )
    attempt = store.Attempt(
        id=str(uuid.uuid4()),
        kind="test",
        subject="general",
        locale="en",
        answers=answers,
        pack_version=STARTER.version,
        phase=phase,
        session_code=code,
    )
    store.save_attempt(app.test_db, attempt, device=app.config["DEVICE_ID"])


def take_lesson_quiz(app, session_code: str | None = None) -> None:
    """Store one answer to the farming quiz (with a session's code: a live question)."""
    question = STARTER.quizzes["farming"].questions[0]
    attempt = store.Attempt(
        id=str(uuid.uuid4()),
        kind="lesson",
        subject="farming",
        locale="en",
        answers=(store.Answer(question.id, question.correct, True),),
        pack_version=STARTER.version,
        session_code=session_code,
    )
    store.save_attempt(app.test_db, attempt, device=app.config["DEVICE_ID"])


def file_report(app, session, status: str = "submitted", female: int = 4) -> None:
    fields = {
        **prefilled(session),
        "start_time": "09:00",
        "end_time": "10:30",
        "organisation": "Safe Steps",
        "place_type": "camp",
        "attendance": {"18-59": {"female": female, "male": 5}, "13-17": {"female": 2}},
        "disabled": 1,
        "first_time": 3,
    }
    save_session_report(app.test_db, session, fields, status, device=app.config["DEVICE_ID"])


def verify_report(app, admin: str, code: str) -> None:
    client = signed_in(app, admin)
    token = csrf_token(client, "/admin/sessions/")
    response = client.post(f"/admin/sessions/{code}/verify", data={"csrf_token": token})
    assert response.status_code == 302


def report_hazard(app, *, contact: str | None = None, place: str = "Behind the mill") -> str:
    fields = {
        "seen_on": "2026-11-20",
        "item": "uxo",
        "how_many": "one",
        "description": "A rusty shell by the wall",
        "place": place,
        "admin_area": "",
        "geo_safe": True,
        "latitude": 33.512345,
        "longitude": 36.291234,
        "marked": "no",
        "nearby": ["road", "farmland"],
        "hurt": "no",
        "contact_consent": contact is not None,
        "contact_name": contact or "",
        "contact_phone": "+000 123 456" if contact else "",
    }
    report_id = store.new_record_id()
    save_hazard(app.test_db, report_id, fields, "en", device=app.config["DEVICE_ID"])
    return report_id


def move_hazard(app, report_id: str, to_status: str | None, admin: str, note: str = "") -> None:
    changed = change_status(
        app.test_db,
        report_by_id(app.test_db, report_id),
        to_status,
        note,
        account_id(app, admin),
        event_id=store.new_record_id(),
        device=app.config["DEVICE_ID"],
    )
    assert changed


def fill(app, facilitator: str, admin: str) -> dict:
    """Give a box a bit of everything: sessions with tests, reports, referrals, hazards."""
    first = start_session(app, facilitator, lessons=("farming", "danger-signs"))
    take_test(app, first.code, "pre")
    take_test(app, first.code, "pre", wrong={TEST.questions[0].id})
    take_test(app, first.code, "post")
    take_lesson_quiz(app, first.code)
    move_to(app.test_db, first, 2)
    log_referral(
        app.test_db,
        store.new_record_id(),
        first.id,
        "medical",
        "2026-11-28",
        device=app.config["DEVICE_ID"],
    )
    end_session(app.test_db, first)
    file_report(app, first)
    verify_report(app, admin, first.code)
    second = start_session(app, facilitator, lessons=("farming",), test=False)
    file_report(app, second, "draft", female=9)
    take_lesson_quiz(app)  # outside any session
    hazard = report_hazard(app, contact="Hana")
    move_hazard(app, hazard, "forwarded", admin, "Sent to the area office")
    move_hazard(app, hazard, None, admin, "They will visit on Monday")
    report_hazard(app, place="Near the school")
    return {"first": first, "second": second, "hazard": hazard}


def at(monkeypatch, moment: str) -> None:
    """Make the store's clock say ``moment`` (a UTC time)."""
    monkeypatch.setattr(store, "utc_now", lambda: moment)


def export(app, path, **options):
    """Write ``app``'s bundle to ``path``; return the path."""
    export_bundle(
        app.test_db,
        path,
        device=app.config["DEVICE_ID"],
        pack_name=STARTER.name,
        pack_version=STARTER.version,
        **options,
    )
    return path


def rows(db, table: str, leave_out=()) -> dict:
    """Return the table's rows by id (the values of every column but ``leave_out``)."""
    return {
        row["id"]: {key: row[key] for key in row.keys() if key not in leave_out}
        for row in db.execute(f"SELECT * FROM {table}")
    }


def totals(db, table: str) -> list:
    """Return the table's rows in a fixed order, sums of shares rounded."""
    found = [
        tuple(round(v, 9) if isinstance(v, float) else v for v in row)
        for row in db.execute(f"SELECT * FROM {table}")
    ]
    return sorted(found, key=repr)


def everything(db) -> dict:
    """Return every carried record and every total of a box, and its accounts."""
    found = {table: rows(db, table) for table in CARRIED}
    found.update({table: totals(db, table) for table in TOTALS})
    # Accounts travel as id, name and role; the rest is this box's own.
    found["account"] = rows(
        db, "account", leave_out=("device", "created_utc", "password_changed_utc")
    )
    return found


def counts(summary, table: str) -> tuple[int, int, int]:
    entry = summary.counts[table]
    return entry.new, entry.present, entry.updated


def dashboard_csvs(app, admin: str) -> dict[str, str]:
    client = signed_in(app, admin)
    return {
        chart: client.get(f"/admin/dashboard-{chart}.csv").get_data(as_text=True)
        for chart in CHARTS
    }


# --- Carrying records --------------------------------------------------------


def test_a_bundle_gives_an_empty_box_the_same_records_and_dashboard(box, tmp_path):
    source = box("box-a", {"amina": "facilitator", "omar": "admin"})
    made = fill(source, "amina", "omar")
    target = box("hq", {"hq": "admin"})
    summary = import_bundle(
        target.test_db, export(source, tmp_path / "a.zip", include_contacts=True)
    )
    for table in CARRIED:
        assert rows(target.test_db, table) == rows(source.test_db, table), table
        assert counts(summary, table)[0] == len(rows(source.test_db, table)) > 0
    for table in TOTALS:
        assert totals(target.test_db, table) == totals(source.test_db, table), table
    # The accounts the records name, as id, name and role, and unable to sign in here.
    carried = target.test_db.execute(
        "SELECT id, name, role, active FROM account WHERE name != 'hq' ORDER BY name"
    ).fetchall()
    assert [tuple(row) for row in carried] == [
        (account_id(source, "amina"), "amina", "facilitator", 0),
        (account_id(source, "omar"), "omar", "admin", 0),
    ]
    charts = dashboard_csvs(target, "hq")
    assert charts == dashboard_csvs(source, "omar")
    # The verified report counts (4 + 2 women and girls, 5 men); the draft does not.
    assert f"\r\n{made['first'].created_utc[:7]},6,5,11\r\n" in charts["reach"]


def test_imported_accounts_cannot_sign_in_and_a_taken_name_is_told(box, tmp_path):
    source = box("box-a", {"amina": "facilitator", "omar": "admin"})
    fill(source, "amina", "omar")
    target = box("hq", {"amina": "admin"})  # another person of the same name
    summary = import_bundle(target.test_db, export(source, tmp_path / "a.zip"))
    renamed = target.test_db.execute(
        "SELECT * FROM account WHERE id = ?", (account_id(source, "amina"),)
    ).fetchone()
    assert renamed["name"] == "amina (box-a)" and not renamed["active"]
    assert any("already has an account named amina" in note for note in summary.notes)
    assert "amina (box-a)" in " ".join(summary.notes)
    for name in ("amina (box-a)", "omar"):
        assert authenticate(target.test_db, name, "correct horse battery") is None
        assert authenticate(target.test_db, name, "") is None
    # Signing in with it is refused like any wrong password, not with an error.
    client = target.test_client()
    response = client.post(
        "/login",
        data={"csrf_token": csrf_token(client, "/login"), "name": "omar", "password": "x" * 12},
    )
    assert response.status_code == 200
    assert "do not match an active account" in response.get_data(as_text=True)
    # The box's own amina is untouched; importing again renames nothing more.
    assert find_account(target.test_db, "amina").role == "admin"
    again = import_bundle(target.test_db, tmp_path / "a.zip")
    assert counts(again, "account") == (0, 2, 0) and again.notes == []


def test_no_password_hash_leaves_the_box(box, tmp_path):
    source = box("box-a", {"amina": "facilitator", "omar": "admin"})
    fill(source, "amina", "omar")
    path = export(source, tmp_path / "a.zip", include_contacts=True)
    with zipfile.ZipFile(path) as archive:
        assert sorted(archive.namelist()) == sorted(
            ["manifest.json", *(f"{table}.jsonl" for table in bundle.ORDER)]
        )
        manifest = json.loads(archive.read("manifest.json"))
        everything_written = b"".join(archive.read(name) for name in archive.namelist())
    assert manifest["tables"]["account"]["columns"] == ["id", "name", "role"]
    hashes = [row[0] for row in source.test_db.execute("SELECT password_hash FROM account")]
    assert all(h.encode() not in everything_written for h in hashes)
    assert b"scrypt" not in everything_written and b"lesson_download" not in everything_written
    assert manifest["format"] == "eore-bundle" and manifest["version"] == 1
    assert manifest["device"] == "box-a" and manifest["schema_version"] == store.SCHEMA_VERSION
    assert manifest["pack"] == {"name": STARTER.name, "version": STARTER.version}
    assert manifest["tables"]["hazard_report"]["rows"] == 2


def test_importing_a_bundle_twice_changes_nothing_the_second_time(box, tmp_path):
    source = box("box-a", {"amina": "facilitator", "omar": "admin"})
    fill(source, "amina", "omar")
    target = box("hq")
    path = export(source, tmp_path / "a.zip", include_contacts=True)
    import_bundle(target.test_db, path)
    before = everything(target.test_db)
    again = import_bundle(target.test_db, path)
    assert everything(target.test_db) == before
    for table in CARRIED:
        assert counts(again, table) == (0, len(rows(source.test_db, table)), 0), table
    assert counts(again, "account") == (0, 2, 0)
    assert again.notes == []


def test_bundles_of_two_boxes_merge_to_the_same_records_in_either_order(box, tmp_path, monkeypatch):
    a = box("box-a", {"amina": "facilitator", "omar": "admin"})
    b = box("box-b", {"bilal": "facilitator", "dana": "admin"})
    made = fill(a, "amina", "omar")
    # Box B had an early bundle of box A, then went on with records of its own.
    early = export(a, tmp_path / "a-early.zip", include_contacts=True)
    import_bundle(b.test_db, early)
    # Meanwhile box A moved on: a new report, a new answer, a new note on a hazard.
    file_report(a, made["second"], "submitted", female=11)
    take_lesson_quiz(a)
    move_hazard(a, made["hazard"], None, "omar", "Marked with tape by the team")
    fill(b, "bilal", "dana")
    at(monkeypatch, "2030-01-01T09:00:00Z")  # later than anything box A did
    move_hazard(b, made["hazard"], "closed", "dana", "Cleared by the team")
    bundle_a = export(a, tmp_path / "a.zip", include_contacts=True)
    bundle_b = export(b, tmp_path / "b.zip", include_contacts=True)
    first, second = box("hq-1"), box("hq-2")
    import_bundle(first.test_db, bundle_a)
    import_bundle(first.test_db, bundle_b)
    import_bundle(second.test_db, bundle_b)
    import_bundle(second.test_db, bundle_a)
    assert everything(first.test_db) == everything(second.test_db)
    merged = everything(first.test_db)
    assert set(merged["group_session"]) == set(rows(a.test_db, "group_session")) | set(
        rows(b.test_db, "group_session")
    )
    assert len(merged["group_session"]) == 4 and len(merged["hazard_report"]) == 4
    assert len(merged["hazard_event"]) == 2 + 1 + 2 + 1
    # The newest of each: A's report submitted after B's copy, B's status after A's.
    report = first.test_db.execute(
        "SELECT status FROM session_report WHERE session_id = ?", (made["second"].id,)
    ).fetchone()
    assert report["status"] == "submitted"
    assert report_by_id(first.test_db, made["hazard"]).status == "closed"
    for table in CARRIED:
        assert set(merged[table]) == set(rows(a.test_db, table)) | set(rows(b.test_db, table))


def test_a_join_code_used_on_two_boxes_gets_a_new_code_and_its_answers_follow(
    box, tmp_path, monkeypatch
):
    a = box("box-a", {"amina": "facilitator"})
    b = box("box-b", {"bilal": "facilitator"})
    with monkeypatch.context() as same_draw:
        same_draw.setattr("eore.sessions.new_code", lambda: "ACDEF")
        on_a = start_session(a, "amina")
        on_b = start_session(b, "bilal")
    assert on_a.code == on_b.code == "ACDEF"
    take_test(a, "ACDEF", "pre")
    for wrong in ((), (TEST.questions[0].id,), ()):
        take_test(b, "ACDEF", "pre", wrong=wrong)
    take_lesson_quiz(b, "ACDEF")
    hq = box("hq")
    import_bundle(hq.test_db, export(a, tmp_path / "a.zip"))
    summary = import_bundle(hq.test_db, export(b, tmp_path / "b.zip"))
    new_code = hq.test_db.execute(
        "SELECT code FROM group_session WHERE id = ?", (on_b.id,)
    ).fetchone()["code"]
    assert new_code != "ACDEF" and len(new_code) == 5
    assert set(new_code) <= set("ACDEFHJKMNPRTUVWXY3479")
    assert [note for note in summary.notes if "ACDEF" in note and new_code in note]
    assert session_by_code(hq.test_db, "ACDEF").id == on_a.id
    # Each session's answers stay its own, in the statistics and in the dashboard's totals.
    for source, code in ((a, "ACDEF"), (b, new_code)):
        assert store.phase_scores(hq.test_db, session_code=code) == store.phase_scores(
            source.test_db, session_code="ACDEF"
        )
        assert store.question_stats(hq.test_db, session_code=code) == store.question_stats(
            source.test_db, session_code="ACDEF"
        )
    tally = "SELECT attempts, share_sum FROM attempt_tally WHERE session_code = ? ORDER BY 1, 2"
    assert [tuple(r) for r in hq.test_db.execute(tally, (new_code,))] == [
        tuple(r) for r in b.test_db.execute(tally, ("ACDEF",))
    ]
    # The same bundle again, and a later one of box B: the same session, no new name.
    again = import_bundle(hq.test_db, tmp_path / "b.zip")
    assert again.notes == [] and counts(again, "group_session") == (0, 1, 0)
    take_test(b, "ACDEF", "post")
    later = import_bundle(hq.test_db, export(b, tmp_path / "b-later.zip"))
    assert later.notes == [] and counts(later, "quiz_attempt") == (1, 4, 0)
    assert hq.test_db.execute("SELECT COUNT(*) FROM group_session").fetchone()[0] == 2
    assert store.phase_scores(hq.test_db, session_code=new_code) == store.phase_scores(
        b.test_db, session_code="ACDEF"
    )
    assert store.phase_scores(hq.test_db, session_code="ACDEF") == store.phase_scores(
        a.test_db, session_code="ACDEF"
    )


# --- The newer version wins ---------------------------------------------------


def test_a_newer_hazard_status_wins_and_an_older_one_never_overwrites(box, tmp_path, monkeypatch):
    a = box("box-a", {"omar": "admin"})
    hq = box("hq", {"hq": "admin"})
    at(monkeypatch, "2026-11-28T08:00:00Z")
    hazard = report_hazard(a)
    received = export(a, tmp_path / "0-new.zip")
    at(monkeypatch, "2026-11-28T09:00:00Z")
    move_hazard(a, hazard, "forwarded", "omar")
    forwarded = export(a, tmp_path / "1-forwarded.zip")
    import_bundle(hq.test_db, received)
    at(monkeypatch, "2026-11-28T10:00:00Z")
    move_hazard(hq, hazard, "verified", "hq", "Seen by the police")
    # Box A's change is older than the one made here: it is kept in the history only.
    older = import_bundle(hq.test_db, forwarded)
    assert counts(older, "hazard_report") == (0, 1, 0)
    assert report_by_id(hq.test_db, hazard).status == "verified"
    at(monkeypatch, "2026-11-28T11:00:00Z")
    move_hazard(a, hazard, "closed", "omar", "Cleared")
    newer = import_bundle(hq.test_db, export(a, tmp_path / "2-closed.zip"))
    assert counts(newer, "hazard_report") == (0, 0, 1)
    found = report_by_id(hq.test_db, hazard)
    assert (found.status, found.status_utc, found.status_by) == (
        "closed",
        "2026-11-28T11:00:00Z",
        account_id(a, "omar"),
    )
    for old in (received, forwarded):
        assert counts(import_bundle(hq.test_db, old), "hazard_report") == (0, 1, 0)
        assert report_by_id(hq.test_db, hazard).status == "closed"
    history = hq.test_db.execute(
        "SELECT to_status FROM hazard_event ORDER BY created_utc"
    ).fetchall()
    assert [row[0] for row in history] == ["forwarded", "verified", "closed"]


def test_an_ended_session_and_a_later_report_are_never_undone(box, tmp_path):
    a = box("box-a", {"amina": "facilitator", "omar": "admin"})
    session = start_session(a, "amina")
    file_report(a, session, "draft", female=1)
    running = export(a, tmp_path / "running.zip")
    move_to(a.test_db, session, 1)
    end_session(a.test_db, session)
    file_report(a, session, "submitted", female=6)
    ended = export(a, tmp_path / "ended.zip")
    late, early = box("hq-1", {"hq": "admin"}), box("hq-2")
    # The newer bundle first, then the older one: nothing goes back.
    import_bundle(late.test_db, ended)
    stale = import_bundle(late.test_db, running)
    assert counts(stale, "group_session") == (0, 1, 0)
    assert counts(stale, "session_report") == (0, 1, 0)
    # The older first, then the newer: both are brought forward.
    import_bundle(early.test_db, running)
    fresh = import_bundle(early.test_db, ended)
    assert counts(fresh, "group_session") == (0, 0, 1)
    assert counts(fresh, "session_report") == (0, 0, 1)
    for target in (late, early):
        assert rows(target.test_db, "group_session") == rows(a.test_db, "group_session")
        assert rows(target.test_db, "session_report") == rows(a.test_db, "session_report")
        assert totals(target.test_db, "report_reach") == totals(a.test_db, "report_reach")
        assert session_by_code(target.test_db, session.code).status == "ended"
    # A running copy that claims more changes, with a draft saved later, reopens neither.
    claims = repack(
        running,
        tmp_path / "claims.zip",
        member=("group_session", first_row("group_session", version=99)),
    )
    claims = repack(
        claims,
        tmp_path / "claims-later.zip",
        member=("session_report", first_row("session_report", updated_utc="2099-01-01T00:00:00Z")),
    )
    stale = import_bundle(early.test_db, claims)
    assert counts(stale, "group_session") == counts(stale, "session_report") == (0, 1, 0)
    assert rows(early.test_db, "group_session") == rows(a.test_db, "group_session")
    assert rows(early.test_db, "session_report") == rows(a.test_db, "session_report")
    # Verified at headquarters: the box's submitted copy does not undo it.
    verify_report(late, "hq", session.code)
    import_bundle(late.test_db, ended)
    status = late.test_db.execute("SELECT status FROM session_report").fetchone()[0]
    assert status == "verified"
    assert late.test_db.execute("SELECT status FROM report_reach").fetchone()[0] == "verified"


# --- Contacts -----------------------------------------------------------------


def contact_of(app, report_id: str) -> tuple:
    found = report_by_id(app.test_db, report_id)
    return found.contact_name, found.contact_phone, found.contact_purged_utc


def test_contacts_are_left_out_unless_asked_for(box, tmp_path):
    a = box("box-a")
    hazard = report_hazard(a, contact="Hana Haddad")
    without = export(a, tmp_path / "without.zip")
    with zipfile.ZipFile(without) as archive:
        written = b"".join(archive.read(name) for name in archive.namelist())
    assert b"Hana" not in written and b"123 456" not in written
    hq = box("hq")
    import_bundle(hq.test_db, without)
    assert contact_of(hq, hazard) == (None, None, None)
    assert report_by_id(hq.test_db, hazard).contact_consent
    # A later bundle with contacts brings the contact the first one left out.
    added = import_bundle(hq.test_db, export(a, tmp_path / "with.zip", include_contacts=True))
    assert counts(added, "hazard_report") == (0, 0, 1)
    assert contact_of(hq, hazard) == ("Hana Haddad", "+000 123 456", None)
    # A bundle without contacts never deletes one.
    import_bundle(hq.test_db, without)
    assert contact_of(hq, hazard)[0] == "Hana Haddad"


def test_a_deleted_contact_is_never_brought_back(box, tmp_path):
    a = box("box-a")
    hazard = report_hazard(a, contact="Hana")
    with_contact = export(a, tmp_path / "with.zip", include_contacts=True)
    hq, other = box("hq"), box("other")
    import_bundle(hq.test_db, with_contact)
    import_bundle(other.test_db, with_contact)
    # Deleted here: the same bundle again does not bring it back.
    assert purge_contacts(hq.test_db, 0) == 1
    import_bundle(hq.test_db, with_contact)
    assert contact_of(hq, hazard)[:2] == (None, None)
    # Deleted on the box that took it: its next bundle deletes it wherever it went.
    assert purge_contacts(a.test_db, 0) == 1
    purged = import_bundle(other.test_db, export(a, tmp_path / "purged.zip", include_contacts=True))
    assert counts(purged, "hazard_report") == (0, 0, 1)
    assert contact_of(other, hazard) == contact_of(a, hazard)
    assert contact_of(other, hazard)[2] is not None
    import_bundle(other.test_db, with_contact)
    assert contact_of(other, hazard)[:2] == (None, None)
    # A contact older than the box keeps contacts is deleted as it arrives.
    fresh = box("fresh")
    import_bundle(fresh.test_db, with_contact, contact_days=0)
    assert contact_of(fresh, hazard)[:2] == (None, None)


def test_since_carries_what_changed_and_the_records_it_names(box, tmp_path, monkeypatch):
    a = box("box-a", {"amina": "facilitator", "zara": "facilitator", "omar": "admin"})
    at(monkeypatch, "2026-01-10T09:00:00Z")
    quiet = start_session(a, "zara")
    busy = start_session(a, "amina")
    reported = start_session(a, "amina", test=False)
    old_hazard = report_hazard(a, place="Old bridge")
    moved_hazard = report_hazard(a, place="New road")
    take_test(a, busy.code, "pre")
    at(monkeypatch, "2026-06-02T09:00:00Z")
    take_test(a, busy.code, "post")
    file_report(a, reported, "draft")
    move_hazard(a, moved_hazard, "forwarded", "omar")
    path = export(a, tmp_path / "june.zip", since="2026-06-01")
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
    assert manifest["since"] == "2026-06-01"
    hq = box("hq")
    import_bundle(hq.test_db, path)
    # What changed since June, the sessions it belongs to, and who made them or acted.
    assert set(rows(hq.test_db, "group_session")) == {busy.id, reported.id}
    assert quiet.id not in rows(hq.test_db, "group_session")
    assert len(rows(hq.test_db, "quiz_attempt")) == 1
    assert len(rows(hq.test_db, "session_report")) == 1
    assert set(rows(hq.test_db, "hazard_report")) == {moved_hazard}
    assert old_hazard not in rows(hq.test_db, "hazard_report")
    names = {row["name"] for row in hq.test_db.execute("SELECT name FROM account")}
    assert names == {"amina", "omar"}, "zara ran no session carried"
    # Everything since a day before all of it is everything.
    full = box("full")
    import_bundle(full.test_db, export(a, tmp_path / "all.zip", since="2026-01-01"))
    for table in CARRIED:
        assert rows(full.test_db, table) == rows(a.test_db, table), table


# --- Refused bundles -----------------------------------------------------------


def repack(path, out, *, manifest=None, member=None, checksum=True):
    """Write ``path`` again as ``out``, with a changed manifest and/or member."""
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    described = json.loads(files["manifest.json"])
    if member:
        table, change = member
        files[f"{table}.jsonl"] = change(files[f"{table}.jsonl"])
        if checksum:
            described["tables"][table]["sha256"] = hashlib.sha256(
                files[f"{table}.jsonl"]
            ).hexdigest()
    if manifest:
        manifest(described)
    files["manifest.json"] = json.dumps(described).encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out


def first_row(table: str, **values):
    """Return a change of a member: its first record with some values replaced."""
    names = bundle.TABLES[table].names

    def change(data: bytes) -> bytes:
        first, rest = data.split(b"\n", 1)
        row = json.loads(first)
        for name, value in values.items():
            row[names.index(name)] = value
        return json.dumps(row).encode() + b"\n" + rest

    return change


def truncated(path, out):
    out.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    return out


def byte_changed_inside(path, out):
    """Change one byte in the middle of the compressed quiz answers."""
    data = bytearray(path.read_bytes())
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("quiz_answer.jsonl")
    name_length, extra_length = struct.unpack_from("<HH", data, info.header_offset + 26)
    start = info.header_offset + 30 + name_length + extra_length
    data[start + info.compress_size // 2] ^= 0x55
    out.write_bytes(bytes(data))
    return out


def text_file(path, out):
    out.write_text("id,name\n1,Hana\n", encoding="utf-8")
    return out


REFUSED = {
    "truncated": (truncated, "damaged or incomplete"),
    "a byte changed": (byte_changed_inside, "damaged or incomplete"),
    "a record changed, its checksum not": (
        lambda path, out: repack(
            path, out, member=("quiz_attempt", first_row("quiz_attempt", correct=0)), checksum=False
        ),
        "damaged or incomplete",
    ),
    "not a zip": (text_file, "not an EORE bundle"),
    "another format": (
        lambda path, out: repack(path, out, manifest=lambda m: m.update(format="kobo-export")),
        "not an EORE bundle",
    ),
    "a newer format": (
        lambda path, out: repack(path, out, manifest=lambda m: m.update(version=2)),
        "newer version of the toolkit (bundle format 2; this box reads format 1)",
    ),
    "a newer database": (
        lambda path, out: repack(path, out, manifest=lambda m: m.update(schema_version=8)),
        "database version 8",
    ),
    "no manifest": (
        lambda path, out: repack(path, out, manifest=lambda m: m["tables"].pop("hazard_event")),
        "damaged",
    ),
    "a latitude off the earth": (
        lambda path, out: repack(
            path, out, member=("hazard_report", first_row("hazard_report", latitude=500))
        ),
        "has a bad latitude (500): it must be a number from -90 to 90",
    ),
    "an id that is not an id": (
        lambda path, out: repack(
            path, out, member=("hazard_event", first_row("hazard_event", id="../../etc/passwd"))
        ),
        "on line 1 of hazard_event.jsonl has a bad id ('../../etc/passwd')",
    ),
    "a status nobody uses": (
        lambda path, out: repack(
            path, out, member=("hazard_report", first_row("hazard_report", status="lost"))
        ),
        "has a bad status ('lost'): it must be one of: new, forwarded, verified, closed",
    ),
    "not a number": (
        lambda path, out: repack(
            path,
            out,
            member=(
                "hazard_report",
                lambda data: data.replace(b"33.512345", b"NaN", 1),
            ),
        ),
        "the hazard report on line 1 of hazard_report.jsonl cannot be read",
    ),
    "a report of a session nobody has": (
        lambda path, out: repack(
            path,
            out,
            member=("referral", first_row("referral", session_id=str(uuid.uuid4()))),
        ),
        "which is neither in the bundle nor on this box",
    ),
    "a record nested too deep": (
        lambda path, out: repack(
            path,
            out,
            member=(
                "quiz_attempt",
                lambda data: b"[" * 100_000 + b"]" * 100_000 + b"\n" + data.split(b"\n", 1)[1],
            ),
        ),
        "cannot be read",
    ),
    "report fields nested too deep": (
        lambda path, out: repack(
            path,
            out,
            member=(
                "session_report",
                first_row("session_report", fields="[" * 100_000 + "]" * 100_000),
            ),
        ),
        "bad fields",
    ),
    "a report whose date is a number": (
        lambda path, out: repack(
            path,
            out,
            member=(
                "session_report",
                first_row("session_report", fields=json.dumps({"date": 5, "lessons": 7})),
            ),
        ),
        "bad fields",
    ),
    "a time with fractions of a second": (
        lambda path, out: repack(
            path,
            out,
            member=(
                "quiz_attempt",
                first_row("quiz_attempt", created_utc="2026-11-29T23:00:00.5Z"),
            ),
        ),
        "bad created_utc",
    ),
    "a contact without consent": (
        lambda path, out: repack(
            path,
            out,
            member=("hazard_report", first_row("hazard_report", contact_consent=0)),
        ),
        "has a contact without consent",
    ),
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_a_bad_bundle_is_refused_clearly_and_nothing_is_written(box, tmp_path, case):
    a = box("box-a", {"amina": "facilitator", "omar": "admin"})
    fill(a, "amina", "omar")
    good = export(a, tmp_path / "good.zip", include_contacts=True)
    damage, message = REFUSED[case]
    bad = damage(good, tmp_path / "bad.zip")
    hq = box("hq", {"hq": "admin"})
    report_hazard(hq, place="Already here")
    before = everything(hq.test_db)
    with pytest.raises(BundleError) as refused:
        import_bundle(hq.test_db, bad)
    assert message in str(refused.value)
    assert everything(hq.test_db) == before
    # The file it was made from is fine.
    assert counts(import_bundle(hq.test_db, good), "group_session") == (2, 0, 0)


@pytest.mark.parametrize(
    ("limit", "value", "message"),
    [
        ("MAX_BYTES", 6000, "is bigger than a bundle may be"),
        ("MAX_ROWS", 5, "more than one import takes (5)"),
        ("MAX_MEMBERS", 3, "holds far more files than a bundle"),
    ],
)
def test_a_bundle_bigger_than_allowed_is_refused(box, tmp_path, monkeypatch, limit, value, message):
    a = box("box-a", {"amina": "facilitator", "omar": "admin"})
    fill(a, "amina", "omar")
    path = export(a, tmp_path / "big.zip")
    assert (
        path.stat().st_size
        < 6000
        < sum(info.file_size for info in zipfile.ZipFile(path).infolist())
    )
    monkeypatch.setattr(bundle, limit, value)
    hq = box("hq")
    with pytest.raises(BundleError) as refused:
        import_bundle(hq.test_db, path)
    assert message in str(refused.value)
    assert all(not rows(hq.test_db, table) for table in CARRIED)


def test_a_failure_while_writing_writes_nothing(box, tmp_path, monkeypatch):
    a = box("box-a", {"amina": "facilitator", "omar": "admin"})
    fill(a, "amina", "omar")
    path = export(a, tmp_path / "a.zip")

    def broken(db, rows, summary):
        raise sqlite3.IntegrityError("disk said no")

    monkeypatch.setitem(bundle.MERGES, "hazard_event", broken)  # the last table written
    hq = box("hq")
    with pytest.raises(BundleError, match="could not store the records"):
        import_bundle(hq.test_db, path)
    assert all(not rows(hq.test_db, table) for table in ("account", *CARRIED))


def test_an_export_that_fails_leaves_no_half_file(box, tmp_path, monkeypatch):
    a = box("box-a", {"amina": "facilitator", "omar": "admin"})
    fill(a, "amina", "omar")
    stick = tmp_path / "stick"
    stick.mkdir()
    out = export(a, stick / "a.zip")
    kept = out.read_bytes()
    monkeypatch.setattr(bundle, "MAX_ROWS", 5)
    with pytest.raises(BundleError, match="export fewer at a time with --since"):
        export(a, out)
    assert out.read_bytes() == kept, "the earlier bundle stays whole"
    assert sorted(p.name for p in stick.iterdir()) == ["a.zip"], "no temporary file is left"


# --- The commands ------------------------------------------------------------


@pytest.fixture
def data_box(tmp_path):
    """Return the app whose data folder ``eore`` uses in run_eore, with one hazard report."""
    app = create_app({"TESTING": True, "DATA": str(tmp_path / "data")})
    app.test_db = store.connect(app.config["DATABASE"])
    add_account(app.test_db, "omar", "admin", "correct horse battery", device="test")
    move_hazard(app, report_hazard(app, contact="Rami"), "forwarded", "omar")
    yield app
    app.test_db.close()


def test_bundle_commands_carry_records_to_another_box(run_eore, data_box, tmp_path):
    stick = tmp_path / "stick"
    stick.mkdir()
    out = stick / "box.zip"
    result = run_eore("bundle", "export", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert f"Wrote {out}: 1 accounts, 0 group sessions" in result.output
    assert "1 hazard reports" in result.output
    assert "names and phone numbers are left out" in result.output
    assert "Lesson download counts are not carried" in result.output
    # Headquarters serves another content pack: the records are kept as they came.
    other = {"EORE_DATA": str(tmp_path / "other"), "EORE_CONTENT": str(PACKS / "good")}
    result = run_eore("bundle", "import", str(out), env=other)
    assert result.exit_code == 0, result.output
    assert "This box serves the content pack Test pack 1.0" in result.output
    assert f"from box {data_box.config['DEVICE_ID']}" in result.output
    assert "  hazard reports: 1 new, 0 already here, 0 updated" in result.output
    assert "  accounts: 1 new" in result.output and "disabled" in result.output
    result = run_eore("bundle", "import", str(out), env=other)
    assert result.exit_code == 0, result.output
    assert "  hazard reports: 0 new, 1 already here, 0 updated" in result.output
    assert "Rami" not in (tmp_path / "other" / "eore.sqlite3").read_bytes().decode("latin-1")
    result = run_eore("bundle", "export", "--out", str(out), "--include-contacts")
    assert result.exit_code == 0 and "keep the stick safe" in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("export", "--out", "{tmp}/nowhere/box.zip"), "Not exported: the folder"),
        (("export", "--out", "{tmp}"), "is a folder"),
        (("export", "--out", "{tmp}/box.zip", "--since", "last week"), "give a date such as"),
        (("import", "{tmp}/missing.zip"), "Not imported: cannot read"),
        (("import", "{tmp}/damaged.zip"), "Not imported: the file is damaged or incomplete"),
    ],
)
def test_bundle_commands_explain_a_refusal_without_a_traceback(
    run_eore, data_box, tmp_path, args, message
):
    run_eore("bundle", "export", "--out", str(tmp_path / "good.zip"))
    truncated(tmp_path / "good.zip", tmp_path / "damaged.zip")
    result = run_eore("bundle", *(arg.format(tmp=tmp_path) for arg in args))
    assert result.exit_code == 1
    assert message in result.output
    assert isinstance(result.exception, SystemExit), "a clean exit, not a crash"
    assert "Traceback" not in result.output
    if args[0] == "import":
        assert "Nothing was written." in result.output


def test_a_card_turned_read_only_still_gives_its_records_to_a_stick(
    run_eore, data_box, tmp_path, monkeypatch
):
    database = Path(data_box.config["DATABASE"])
    real_connect = store.connect

    def read_only_card(path):
        if Path(path) == database:
            raise sqlite3.OperationalError("attempt to write a readonly database")
        return real_connect(path)

    monkeypatch.setattr(store, "connect", read_only_card)
    monkeypatch.setattr(store, "cannot_write", lambda folder: True)
    stick = tmp_path / "stick"
    stick.mkdir()
    result = run_eore("bundle", "export", "--out", str(stick / "box.zip"))
    assert result.exit_code == 0, result.output
    assert "1 hazard reports" in result.output
    assert [path.name for path in stick.iterdir()] == ["box.zip"]
    refused = run_eore("bundle", "export", "--out", str(stick / "c.zip"), "--include-contacts")
    assert refused.exit_code == 1 and "Not exported" in refused.output
