"""A full or read-only card: a clear page and a log line, and nothing saved is damaged."""

from __future__ import annotations

import errno
import logging
import re
import sqlite3

import pytest
from conftest import PACKS

from eore import store

GOOD_PACK = str(PACKS / "good")
REPORT = {"item": "uxo", "place": "Behind the old mill", "how_many": "one", "hurt": "no"}


@pytest.fixture
def box(staffed_app):
    return staffed_app({}, CONTENT=GOOD_PACK)


def send_report(client, locale="en", **fields):
    html = client.get(f"/{locale}/report").get_data(as_text=True)
    form = {
        name: re.search(rf'name="{name}" value="([^"]+)"', html).group(1)
        for name in ("csrf_token", "report_id")
    }
    return client.post(f"/{locale}/report", data={**form, **REPORT, **fields}), form["report_id"]


def limit_the_database(monkeypatch, pragma: str | None = None, *, read_only: bool = False):
    """Make every connection the app opens from now on hit a full or read-only database."""
    real_connect = store.connect

    def connect(path):
        if read_only:
            db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)
            db.row_factory = sqlite3.Row
            return db
        db = real_connect(path)
        pages = db.execute("PRAGMA page_count").fetchone()[0]
        # SQLite refuses to grow the file past this: a real SQLITE_FULL, as on a full card.
        db.execute(f"PRAGMA max_page_count = {pages}")
        return db

    monkeypatch.setattr(store, "connect", connect)


def fill_the_last_page(db):
    """Use the free room left in the database's pages, so the next report needs a new page."""
    db.execute("CREATE TABLE padding (x TEXT)")
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(sqlite3.OperationalError, match="full"):
        while True:
            db.execute("INSERT INTO padding VALUES (?)", ("x" * 200,))
    db.execute("PRAGMA max_page_count = 1073741823")


@pytest.mark.parametrize("locale", ["en", "ar"])
def test_a_full_card_says_so_and_keeps_what_was_saved(box, monkeypatch, caplog, locale):
    client = box.test_client()
    fill_the_last_page(box.test_db)
    limit_the_database(monkeypatch)
    saved, typed = [], "x" * 980 + " by the well"
    with caplog.at_level(logging.ERROR):
        for _ in range(20):  # each report takes a quarter of a page: the card fills soon
            response, report_id = send_report(client, locale, description=typed)
            if response.status_code != 303:
                break
            saved.append(report_id)
    page = response.get_data(as_text=True)
    assert response.status_code == 503, page
    # The form comes back with what was typed, and says why nothing was saved.
    assert f'lang="{locale}"' in page and "Traceback" not in page
    assert typed in page and f'value="{report_id}"' in page
    if locale == "en":
        assert "storage is full" in page and "Tell your facilitator" in page
    assert any("could not save (full) on POST" in r.getMessage() for r in caplog.records)
    monkeypatch.undo()
    rows = box.test_db.execute("SELECT id, description FROM hazard_report").fetchall()
    assert sorted(row["id"] for row in rows) == sorted(saved)
    assert {row["description"] for row in rows} == ({typed} if saved else set())
    assert store.integrity_problems(box.test_db) == []
    # Once there is room again, the same form is saved once.
    box.test_db.execute("DROP TABLE padding")
    html = client.get(f"/{locale}/report").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)
    again = client.post(
        f"/{locale}/report", data={"csrf_token": token, "report_id": report_id, **REPORT}
    )
    assert again.status_code == 303
    count = "SELECT COUNT(*) FROM hazard_report WHERE id = ?"
    assert box.test_db.execute(count, (report_id,)).fetchone()[0] == 1


def test_a_page_that_failed_to_save_elsewhere_shows_the_storage_page(box, caplog):
    @box.get("/test-full")
    def full():
        raise sqlite3.OperationalError("database or disk is full")

    client = box.test_client()
    with caplog.at_level(logging.ERROR):
        response = client.get("/test-full")
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and response.headers["Retry-After"] == "60"
    assert "storage is full" in page
    assert "still on your phone" not in page  # nothing was typed on a page only read
    assert "Traceback" not in caplog.text


def test_a_quiz_on_a_read_only_card_says_so(box, monkeypatch, caplog):
    client = box.test_client()
    html = client.get("/en/lessons/first-steps/quiz").get_data(as_text=True)
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
    for name, value in re.findall(r'type="radio" name="([^"]+)" value="([^"]+)"', html):
        fields.setdefault(name, value)
    limit_the_database(monkeypatch, read_only=True)
    with caplog.at_level(logging.ERROR):
        response = client.post("/en/lessons/first-steps/quiz", data=fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 503
    # The quiz comes back with the answers chosen, and says why nothing was saved.
    assert "cannot write to its memory card" in page and page.count("checked") >= 1
    assert any("could not save (read-only)" in r.getMessage() for r in caplog.records)
    monkeypatch.undo()
    assert box.test_db.execute("SELECT COUNT(*) FROM quiz_attempt").fetchone()[0] == 0


def test_a_file_that_cannot_be_written_says_so(box):
    @box.get("/test-enospc")
    def no_space():
        raise OSError(errno.ENOSPC, "No space left on device")

    @box.get("/test-other-oserror")
    def other():
        raise OSError(errno.EPERM, "Operation not permitted")

    client = box.test_client()
    response = client.get("/test-enospc")
    assert response.status_code == 503
    assert "storage is full" in response.get_data(as_text=True)
    # Any other failure is a program's fault, not the card's: it is not dressed up.
    with pytest.raises(OSError):
        client.get("/test-other-oserror")


@pytest.mark.parametrize(
    "message, kind",
    [
        ("database or disk is full", "full"),
        ("attempt to write a readonly database", "read_only"),
        ("database is locked", "busy"),
        ("database disk image is malformed", "damaged"),
        ("disk I/O error", "damaged"),
        ("no such table: quiz_attempt", None),
        ("malformed JSON", None),
        ('near "SELEC": syntax error', None),
    ],
)
def test_storage_failures_are_told_from_program_faults(message, kind):
    assert store.storage_problem(sqlite3.OperationalError(message)) == kind


def test_a_box_whose_card_is_full_at_start_still_serves_the_lessons(tmp_path, monkeypatch):
    from eore import create_app

    real_init = store.init_db

    def full_card(path):
        raise store.StoreError("cannot be opened") from sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(store, "init_db", full_card)
    monkeypatch.setattr(store, "nearly_full", lambda folder: True)
    app = create_app({"TESTING": True, "CONTENT": GOOD_PACK, "DATA": str(tmp_path)})
    client = app.test_client()
    assert client.get("/en/lessons/first-steps").status_code == 200
    refused, report_id = send_report(client)
    assert refused.status_code == 503
    assert "storage is full" in refused.get_data(as_text=True)
    # Room is made: the database is created on the next save, without a restart.
    monkeypatch.setattr(store, "init_db", real_init)
    monkeypatch.setattr(store, "nearly_full", lambda folder: False)
    saved, _report_id = send_report(client)
    assert saved.status_code == 303


def test_a_box_that_cannot_open_its_database_for_another_reason_does_not_start(
    tmp_path, monkeypatch
):
    from eore import create_app

    def newer(path):
        raise store.StoreError("made by a newer version of the toolkit")

    monkeypatch.setattr(store, "init_db", newer)
    with pytest.raises(store.StoreError, match="newer version"):
        create_app({"TESTING": True, "CONTENT": GOOD_PACK, "DATA": str(tmp_path)})


def test_sqlites_own_error_name_decides_over_the_words_of_its_message():
    db = sqlite3.connect(":memory:")
    try:
        db.execute("SELECT json('{malformed')")
    except sqlite3.OperationalError as error:
        assert error.sqlite_errorname == "SQLITE_ERROR" and "malformed" in str(error)
        assert store.storage_problem(error) is None
    else:
        pytest.fail("SQLite accepted broken JSON")
    finally:
        db.close()


def test_failed_saves_do_not_use_up_a_phones_reports(box, monkeypatch):
    from eore import hazards

    client = box.test_client()

    def full(*args, **kwargs):
        raise sqlite3.OperationalError("database or disk is full")

    monkeypatch.setattr(hazards, "save_report", full)
    for _ in range(hazards.REPORTS_PER_PHONE + 5):
        assert send_report(client)[0].status_code == 503
    monkeypatch.undo()
    assert send_report(client)[0].status_code == 303
