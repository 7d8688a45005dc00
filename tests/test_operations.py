"""Looking after the box: eore doctor, eore backup and eore restore."""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import PACKS

from eore import create_app, operations, store
from eore.store import Answer, Attempt

GOOD_PACK = str(PACKS / "good")


@pytest.fixture
def box(tmp_path):
    """An app whose data folder is the one ``run_eore`` uses."""
    return create_app({"TESTING": True, "CONTENT": GOOD_PACK, "DATA": str(tmp_path / "data")})


def database(box) -> Path:
    return Path(box.config["DATABASE"])


def add_attempts(path: Path, count: int) -> list[str]:
    """Store ``count`` quiz attempts as phones would; return their ids."""
    db = store.connect(path)
    ids = []
    try:
        for _ in range(count):
            attempt = Attempt(
                id=store.new_record_id(),
                kind="lesson",
                subject="first-steps",
                locale="en",
                answers=(Answer("q1", "a", True), Answer("q2", "b", False)),
                pack_version="1.0",
            )
            store.save_attempt(db, attempt, device="box-a")
            ids.append(attempt.id)
    finally:
        db.close()
    return ids


def ids_in(path: Path, table: str = "quiz_attempt") -> set[str]:
    db = sqlite3.connect(path)
    try:
        return {row[0] for row in db.execute(f"SELECT id FROM {table}")}
    finally:
        db.close()


def send_report(box) -> str:
    client = box.test_client()
    html = client.get("/en/report").get_data(as_text=True)
    form = {
        name: re.search(rf'name="{name}" value="([^"]+)"', html).group(1)
        for name in ("csrf_token", "report_id")
    }
    fields = {"item": "uxo", "place": "By the well", "how_many": "one", "hurt": "no"}
    assert client.post("/en/report", data={**form, **fields}).status_code == 303
    return form["report_id"]


# --- backup and restore -------------------------------------------------------


def test_a_backup_taken_while_phones_send_restores_exactly(box, run_eore, tmp_path):
    report = send_report(box)
    before = set(add_attempts(database(box), 20))
    stop, during = threading.Event(), []

    def phones():
        while not stop.is_set():
            during.extend(add_attempts(database(box), 1))

    writer = threading.Thread(target=phones)
    writer.start()
    try:
        result = run_eore(
            "backup",
            "--out",
            str(tmp_path / "usb" / "box.sqlite3"),
            env={"EORE_CONTENT": GOOD_PACK},
        )
    finally:
        stop.set()
        writer.join()
    assert result.exit_code == 0, result.output
    copy = tmp_path / "usb" / "box.sqlite3"
    assert "Backup written" in result.output and copy.exists()
    assert not [p for p in copy.parent.iterdir() if p.name != copy.name], "no temporary file left"
    in_backup = ids_in(copy)
    # A consistent snapshot: everything from before, and a prefix of what came during.
    assert before <= in_backup <= before | set(during)
    assert in_backup - before == set(during[: len(in_backup - before)])
    after = set(add_attempts(database(box), 5))

    restored = run_eore("restore", str(copy), "--yes")
    assert restored.exit_code == 0, restored.output
    assert "from box" in restored.output and "content pack Test pack 1.0" in restored.output
    assert ids_in(database(box)) == in_backup
    assert ids_in(database(box), "hazard_report") == {report}
    db = store.connect(database(box))
    try:
        assert store.integrity_problems(db) == []
        assert db.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
        assert operations.BACKUP_TABLE not in tables
        # The dashboard's running totals came back with the records they count.
        tallied = db.execute("SELECT SUM(answered) FROM answer_tally").fetchone()[0]
        assert tallied == db.execute("SELECT COUNT(*) FROM quiz_answer").fetchone()[0]
    finally:
        db.close()
    # What the box held before the restore is kept aside, not lost.
    safety = re.search(r"kept in (\S+\.sqlite3)", restored.output).group(1)
    assert after <= ids_in(Path(safety))
    # The app serves the restored records.
    assert box.test_client().get(f"/en/report/sent/{report}").status_code == 200


def test_nightly_backups_go_into_a_folder_and_only_the_newest_are_kept(box, tmp_path):
    add_attempts(database(box), 1)
    folder = tmp_path / "backups"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a backup")
    made = [
        operations.backup(database(box), f"{folder}/", {}, now=datetime(2026, 11, day, tzinfo=UTC))
        for day in (1, 2, 3, 4)
    ]
    assert [path.name for path in made][0] == "eore-backup-20261101-000000.sqlite3"
    assert operations.prune_backups(folder, 2) == made[:2]
    assert sorted(path.name for path in folder.iterdir()) == [
        made[2].name,
        made[3].name,
        "notes.txt",
    ]


def test_the_keep_option_prunes_through_the_command(box, run_eore, tmp_path):
    add_attempts(database(box), 1)
    folder = tmp_path / "nightly"
    for name in ("eore-backup-20200101-000000.sqlite3", "eore-backup-20200102-000000.sqlite3"):
        operations.backup(database(box), folder / name, {})
    result = run_eore("backup", "--out", f"{folder}/", "--keep", "2")
    assert result.exit_code == 0, result.output
    assert "Deleted an older backup: eore-backup-20200101-000000.sqlite3" in result.output
    assert len(list(folder.iterdir())) == 2
    refused = run_eore("backup", "--out", str(tmp_path / "one.sqlite3"), "--keep", "2")
    assert refused.exit_code == 1 and "--keep needs --out to be a folder" in refused.output


def test_a_failed_backup_leaves_no_file_under_a_backups_name(box, tmp_path, monkeypatch):
    add_attempts(database(box), 1)

    def pulled_out(*args):
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(operations.os, "replace", pulled_out)
    with pytest.raises(operations.OperationError, match="Input/output error"):
        operations.backup(database(box), tmp_path / "usb" / "box.sqlite3", {})
    assert list((tmp_path / "usb").iterdir()) == []


def test_a_backup_with_no_database_says_so(run_eore, tmp_path):
    result = run_eore("backup", "--out", str(tmp_path / "x.sqlite3"))
    assert result.exit_code == 1
    assert "No backup made: there is no database" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def make_backup(box, tmp_path) -> Path:
    add_attempts(database(box), 3)
    return operations.backup(database(box), tmp_path / "backup.sqlite3", {"device": "box-a"})


def test_restore_asks_first_and_changes_nothing_on_no(box, run_eore, tmp_path):
    backup = make_backup(box, tmp_path)
    later = add_attempts(database(box), 2)
    result = run_eore("restore", str(backup), input="n\n")
    assert result.exit_code == 1
    assert "quiz attempts: 3 in the backup, 5 on the box now" in result.output
    assert "Nothing restored." in result.output
    assert set(later) <= ids_in(database(box))


@pytest.mark.parametrize("damage", ["not a database", "damaged", "newer", "plain copy"])
def test_restore_refuses_a_file_it_cannot_trust(box, run_eore, tmp_path, damage):
    backup = make_backup(box, tmp_path)
    if damage == "not a database":
        backup.write_text("hello")
    elif damage == "damaged":
        data = bytearray(backup.read_bytes())
        page = 4096
        data[page * 2 : page * 4] = os.urandom(page * 2)
        backup.write_bytes(bytes(data))
    elif damage == "newer":
        db = sqlite3.connect(backup)
        db.execute("PRAGMA user_version = 99")
        db.close()
    else:
        db = sqlite3.connect(backup)
        db.execute(f"DROP TABLE {operations.BACKUP_TABLE}")
        db.close()
    kept = ids_in(database(box))
    result = run_eore("restore", str(backup), "--yes")
    assert result.exit_code == 1
    assert result.output.startswith("Nothing restored: ")
    assert "Traceback" not in result.output
    assert ids_in(database(box)) == kept


def test_an_older_backup_is_brought_to_this_schema(box, tmp_path):
    old = tmp_path / "old.sqlite3"
    db = store.connect(old)
    for version in range(1, 7):
        store._migrate(db, version)
    db.execute(
        "INSERT INTO quiz_attempt (id, device, created_utc, kind, subject, locale, pack_version,"
        " correct, total) VALUES (?, 'box-a', '2026-05-01T10:00:00Z', 'lesson', 'first-steps',"
        " 'en', '1.0', 1, 1)",
        (str(uuid.uuid4()),),
    )
    db.close()
    backup = operations.backup(old, tmp_path / "backup.sqlite3", {})
    operations.restore(backup, database(box), tmp_path / "aside")
    db = store.connect(database(box))
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
        assert db.execute("SELECT COUNT(*) FROM quiz_attempt").fetchone()[0] == 1
    finally:
        db.close()


# --- doctor -------------------------------------------------------------------


def levels(findings) -> dict[str, str]:
    return {finding.what: finding.level for finding in findings}


def config_of(box, **changes) -> dict:
    return {
        "CONTENT": GOOD_PACK,
        "DATA": box.config["DATA"],
        "BASE_URL": "http://10.42.0.1",
        "DEVICE_ID": "box-a",  # the box add_attempts stores as
        **changes,
    }


def test_doctor_on_a_healthy_box_exits_zero(box, run_eore, tmp_path):
    add_attempts(database(box), 1)
    assert run_eore("backup", "--out", f"{box.config['DATA']}/backups/").exit_code == 0
    result = run_eore("doctor", env={"EORE_CONTENT": GOOD_PACK, "EORE_BASE_URL": "http://eore.lan"})
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output
    # The sample pack lacks two translations: the only warning.
    assert re.findall(r"^WARN  (.*)$", result.output, re.M) == [
        "Content pack Test pack 1.0: usable, with 2 warning(s) (missing translations and the like)."
    ]
    assert "integrity check" in result.output and "Newest backup: eore-backup-" in result.output
    assert result.output.rstrip().endswith("The box is ready (1 warning(s)).")


def test_doctor_names_an_unusable_pack_and_the_fix(run_eore):
    result = run_eore("doctor", env={"EORE_CONTENT": str(PACKS / "broken-header")})
    assert result.exit_code == 1
    assert "FAIL  The content pack in" in result.output
    assert "-> Run 'eore check" in result.output


def test_doctor_finds_a_damaged_database(box):
    add_attempts(database(box), 300)
    path = database(box)
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = bytearray(path.read_bytes())
    data[4096 * 3 : 4096 * 6] = b"\xff" * (4096 * 3)
    path.write_bytes(bytes(data))
    findings = operations.doctor(config_of(box))
    failed = [f for f in findings if f.level == "fail"]
    assert failed and "database" in failed[0].what
    assert "eore restore" in failed[0].fix


def test_doctor_catches_a_clock_that_went_back(box):
    add_attempts(database(box), 1)
    too_early = operations.doctor(config_of(box), now=datetime(2024, 6, 1, tzinfo=UTC))
    assert any(f.level == "fail" and "too early" in f.what for f in too_early)
    before_newest = operations.doctor(config_of(box), now=datetime(2026, 1, 2, tzinfo=UTC))
    assert any(f.level == "fail" and "went back" in f.what for f in before_newest)
    assert any("sudo date" in f.fix for f in before_newest)
    right = operations.doctor(config_of(box))
    clock = [f for f in right if f.what.startswith(("The clock", "The box's clock"))]
    assert [f.level for f in clock] == ["ok"]


@pytest.mark.parametrize(
    "base_url, level",
    [("", "warn"), ("http://127.0.0.1:8000", "warn"), ("http://10.42.0.1", "ok")],
)
def test_doctor_checks_the_address_phones_open(box, base_url, level):
    findings = operations.doctor(config_of(box, BASE_URL=base_url))
    address = [f for f in findings if "EORE_BASE_URL" in f.what or "Phones open" in f.what]
    assert [f.level for f in address] == [level]


def test_doctor_rejects_a_malformed_base_url(run_eore):
    result = run_eore("doctor", env={"EORE_BASE_URL": "10.42.0.1"})
    assert result.exit_code == 1
    assert "FAIL  EORE_BASE_URL is '10.42.0.1'" in result.output


def test_doctor_warns_then_fails_as_the_card_fills(box, monkeypatch):
    class Usage:
        def __init__(self, free_mb):
            self.free = free_mb * 1024 * 1024

    monkeypatch.setattr(operations.shutil, "disk_usage", lambda path: Usage(300))
    assert "300 MB free on the card." in levels(operations.doctor(config_of(box)))
    monkeypatch.setattr(operations.shutil, "disk_usage", lambda path: Usage(40))
    findings = levels(operations.doctor(config_of(box)))
    assert findings["Only 40 MB free: the box will soon refuse to save."] == "fail"


def test_doctor_fails_when_the_data_folder_cannot_be_written(box, monkeypatch):
    def read_only(**kwargs):
        raise OSError(30, "Read-only file system")

    monkeypatch.setattr(store.tempfile, "TemporaryFile", read_only)
    findings = operations.doctor(config_of(box))
    failed = [f for f in findings if f.level == "fail"]
    assert len(failed) == 1 and "cannot be written (Read-only file system)" in failed[0].what


def test_doctor_warns_about_an_old_backup(box, tmp_path):
    add_attempts(database(box), 1)
    folder = Path(box.config["DATA"]) / "backups"
    made = operations.backup(database(box), f"{folder}/", {})
    week_ago = datetime.now(UTC).timestamp() - 7 * 86400
    os.utime(made, (week_ago, week_ago))
    findings = levels(operations.doctor(config_of(box)))
    assert findings[f"The newest backup, {made.name}, is 7 day(s) old."] == "warn"


# --- what the review of the first version found -------------------------------


def test_restore_waits_for_the_server_to_stop(box, run_eore, tmp_path):
    backup = make_backup(box, tmp_path)
    later = add_attempts(database(box), 2)
    with operations.holding_data_folder(Path(box.config["DATA"])):  # as `eore serve` does
        result = run_eore("restore", str(backup), "--yes")
        with pytest.raises(operations.OperationError, match="server is running"):
            with operations.holding_data_folder(Path(box.config["DATA"])):
                pass  # a second server on the same data folder is refused too
    assert result.exit_code == 1
    assert "Nothing restored: the toolkit's server is running" in result.output
    assert "sudo systemctl stop eore" in result.output
    assert set(later) <= ids_in(database(box))
    assert run_eore("restore", str(backup), "--yes").exit_code == 0


def test_a_damaged_database_is_moved_aside_and_the_backup_restored(box, run_eore, tmp_path):
    backup = make_backup(box, tmp_path)
    in_backup = ids_in(backup)
    add_attempts(database(box), 300)
    path = database(box)
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    path.write_bytes(b"\xff" * 100 + path.read_bytes()[100:])  # the header is gone
    result = run_eore("restore", str(backup), "--yes")
    assert result.exit_code == 0, result.output
    assert "cannot be read on the box now" in result.output
    assert ids_in(path) == in_backup
    aside = re.search(r"kept in (\S+eore-damaged-\S+\.sqlite3)", result.output).group(1)
    assert Path(aside).read_bytes()[:100] == b"\xff" * 100


def test_a_backup_never_replaces_the_database_it_copies(box):
    add_attempts(database(box), 1)
    with pytest.raises(operations.OperationError, match="cannot replace the database"):
        operations.backup(database(box), database(box), {})


def test_a_database_restored_by_hand_still_backs_up(box, tmp_path):
    backup = make_backup(box, tmp_path)
    again = operations.backup(backup, tmp_path / "again.sqlite3", {"device": "box-b"})
    assert operations.read_backup(again).info["device"] == "box-b"


def test_a_backup_written_under_a_wrong_clock_is_kept(box, tmp_path):
    add_attempts(database(box), 1)
    folder = tmp_path / "nightly"
    for day in (1, 2, 3):  # written while the clock was a month ahead
        operations.backup(database(box), f"{folder}/", {}, now=datetime(2026, 12, day, tzinfo=UTC))
    written = operations.backup(
        database(box), f"{folder}/", {}, now=datetime(2026, 11, 20, tzinfo=UTC)
    )
    deleted = operations.prune_backups(folder, 3, just_written=written)
    assert written.exists() and written not in deleted
    assert operations.newest_backup(folder) == written
    assert [path.name for path in deleted] == ["eore-backup-20261201-000000.sqlite3"]


def test_a_backup_is_made_even_when_the_card_turned_read_only(box, tmp_path, monkeypatch):
    ids = set(add_attempts(database(box), 4))
    real_connect = store.connect

    def read_only_card(path):
        if Path(path) == database(box):
            raise sqlite3.OperationalError("attempt to write a readonly database")
        return real_connect(path)

    monkeypatch.setattr(store, "connect", read_only_card)
    made = operations.backup(database(box), tmp_path / "usb" / "box.sqlite3", {})
    assert ids_in(made) == ids
    assert [p.name for p in (tmp_path / "usb").iterdir()] == ["box.sqlite3"]


def test_doctor_tells_a_full_or_read_only_card_from_damage(box, monkeypatch):
    advice = "restore the latest backup"
    monkeypatch.setattr(store, "nearly_full", lambda folder: True)
    full = operations._unreadable(database(box), sqlite3.OperationalError("disk I/O error"), advice)
    assert "the card is full" in full.what and "Nothing needs restoring" in full.fix
    monkeypatch.setattr(store, "nearly_full", lambda folder: False)
    error = sqlite3.OperationalError("attempt to write a readonly database")
    read_only = operations._unreadable(database(box), error, advice)
    assert "cannot be written" in read_only.what and "eore backup --out" in read_only.fix
    damaged = operations._unreadable(
        database(box), sqlite3.DatabaseError("database disk image is malformed"), advice
    )
    assert damaged.fix == advice


def test_doctor_reads_the_clock_from_this_boxs_records_only(box):
    add_attempts(database(box), 1)
    db = store.connect(database(box))
    db.execute(
        "INSERT INTO quiz_attempt (id, device, created_utc, kind, subject, locale, pack_version,"
        " correct, total) VALUES (?, 'other-box', '2031-01-01T00:00:00.5Z', 'lesson',"
        " 'first-steps', 'en', '1.0', 1, 1)",
        (str(uuid.uuid4()),),
    )
    db.close()
    findings = operations.doctor(config_of(box))
    clock = [f for f in findings if f.what.startswith(("The clock", "The box's clock"))]
    assert [f.level for f in clock] == ["ok"]
