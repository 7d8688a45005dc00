"""The store: attempts saved once, durably, with ids for merging; statistics that add up."""

import sqlite3
import uuid

import pytest

from eore import store
from eore.store import Answer, Attempt, Tally


@pytest.fixture
def db(tmp_path):
    """Return a connection to a fresh database."""
    path = tmp_path / "eore.sqlite3"
    store.init_db(path)
    connection = store.connect(path)
    yield connection
    connection.close()


def attempt(answers, *, phase=None, session=None, subject="basics", kind="test", attempt_id=None):
    """Return an attempt with answers given as {question: (choice, right)}."""
    return Attempt(
        id=attempt_id or str(uuid.uuid4()),
        kind=kind,
        subject=subject,
        locale="en",
        answers=tuple(Answer(q, choice, right) for q, (choice, right) in answers.items()),
        pack_version="1.0",
        phase=phase,
        session_code=session,
    )


def test_new_database_has_the_schema_version_and_durable_settings(db):
    assert db.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    assert store.integrity_problems(db) == []


def test_init_is_idempotent(tmp_path):
    path = tmp_path / "eore.sqlite3"
    store.init_db(path)
    store.init_db(path)
    with sqlite3.connect(path) as connection:
        assert connection.execute("PRAGMA user_version").fetchone()[0] == store.SCHEMA_VERSION


def test_database_from_a_newer_version_is_refused_with_a_plain_message(tmp_path):
    path = tmp_path / "eore.sqlite3"
    with sqlite3.connect(path) as connection:
        connection.execute(f"PRAGMA user_version = {store.SCHEMA_VERSION + 1}")
    with pytest.raises(store.StoreError, match="newer version of the toolkit"):
        store.init_db(path)


def test_file_that_is_not_a_database_is_refused_with_a_plain_message(tmp_path):
    path = tmp_path / "eore.sqlite3"
    path.write_bytes(b"this is not a database, it is a text file" * 100)
    with pytest.raises(store.StoreError, match="cannot be opened"):
        store.init_db(path)


def test_attempt_is_saved_with_uuid_device_and_utc_time(db):
    saved, created = store.save_attempt(
        db, attempt({"q1": ("a", True), "q2": ("b", False)}), device="box-1"
    )
    assert created
    assert saved.device == "box-1" and saved.created_utc.endswith("Z")
    assert (saved.correct, saved.total) == (1, 2)
    again = store.get_attempt(db, saved.id)
    assert again == saved
    rows = db.execute("SELECT id, device, created_utc FROM quiz_answer").fetchall()
    assert len(rows) == 2
    for row in rows:
        assert uuid.UUID(row["id"]) and row["device"] == "box-1"
        assert row["created_utc"] == saved.created_utc


def test_saving_the_same_attempt_twice_stores_it_once(db):
    first = attempt({"q1": ("a", True)})
    saved, created = store.save_attempt(db, first, device="box-1")
    resent = attempt({"q1": ("b", False)}, attempt_id=first.id)
    again, created_again = store.save_attempt(db, resent, device="box-1")
    assert created and not created_again
    assert again == saved  # the first answers stand
    assert db.execute("SELECT COUNT(*) FROM quiz_attempt").fetchone()[0] == 1
    assert db.execute("SELECT COUNT(*) FROM quiz_answer").fetchone()[0] == 1


def test_answer_ids_are_the_same_on_every_box(tmp_path):
    """Records merged from two boxes must not duplicate: ids derive from the attempt."""
    shared = attempt({"q1": ("a", True)})
    ids = []
    for name in ("one", "two"):
        path = tmp_path / f"{name}.sqlite3"
        store.init_db(path)
        connection = store.connect(path)
        store.save_attempt(connection, shared, device=name)
        ids.append(connection.execute("SELECT id FROM quiz_answer").fetchone()[0])
        connection.close()
    assert ids[0] == ids[1]


def test_a_failed_save_stores_nothing(db):
    broken = Attempt(
        id=str(uuid.uuid4()),
        kind="test",
        subject="basics",
        locale="en",
        # The same question twice breaks a constraint halfway through the save.
        answers=(Answer("q1", "a", True), Answer("q1", "b", False)),
        pack_version="1.0",
    )
    with pytest.raises(sqlite3.IntegrityError):
        store.save_attempt(db, broken, device="box-1")
    assert db.execute("SELECT COUNT(*) FROM quiz_attempt").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM quiz_answer").fetchone()[0] == 0
    assert not db.in_transaction


@pytest.fixture
def known_attempts(db):
    """Store a known set of attempts: a session S1 before and after, and other attempts."""
    right, wrong = ("x", True), ("y", False)
    fixture = [
        # Session S1, before: q1 right 1 of 4, q2 right 2 of 4.
        attempt({"q1": right, "q2": right}, phase="pre", session="S1"),
        attempt({"q1": wrong, "q2": right}, phase="pre", session="S1"),
        attempt({"q1": wrong, "q2": wrong}, phase="pre", session="S1"),
        attempt({"q1": wrong, "q2": wrong}, phase="pre", session="S1"),
        # Session S1, after: q1 right 3 of 3, q2 right 2 of 3.
        attempt({"q1": right, "q2": right}, phase="post", session="S1"),
        attempt({"q1": right, "q2": right}, phase="post", session="S1"),
        attempt({"q1": right, "q2": wrong}, phase="post", session="S1"),
        # Another session, after: q1 wrong.
        attempt({"q1": wrong, "q2": right}, phase="post", session="S2"),
        # A lesson quiz that shares q1.
        attempt({"q1": right}, kind="lesson", subject="first-steps"),
    ]
    for item in fixture:
        store.save_attempt(db, item, device="box-1")
    return db


def test_question_statistics_on_a_known_set_of_attempts(known_attempts):
    session = store.question_stats(known_attempts, session_code="S1")
    assert set(session) == {"q1", "q2"}
    assert session["q1"].pre == Tally(4, 1) and session["q1"].post == Tally(3, 3)
    assert session["q2"].pre == Tally(4, 2) and session["q2"].post == Tally(3, 2)
    assert session["q1"].pre.share == 0.25 and session["q1"].post.share == 1.0
    assert session["q2"].quiz == Tally(0, 0) and session["q2"].quiz.share is None

    test = store.question_stats(known_attempts, subject="basics")
    assert test["q1"].post == Tally(4, 3)
    assert test["q1"].overall == Tally(8, 4)

    everything = store.question_stats(known_attempts)
    assert everything["q1"].quiz == Tally(1, 1)
    assert everything["q1"].overall == Tally(9, 5)
    assert everything["q2"].overall == Tally(8, 5)


def test_phase_scores_on_a_known_set_of_attempts(known_attempts):
    scores = store.phase_scores(known_attempts, session_code="S1")
    assert set(scores) == {"pre", "post"}
    assert scores["pre"].attempts == 4
    assert scores["pre"].average == pytest.approx((1.0 + 0.5 + 0 + 0) / 4)
    assert scores["post"].attempts == 3
    assert scores["post"].average == pytest.approx((1.0 + 1.0 + 0.5) / 3)
    lesson = store.phase_scores(known_attempts, subject="first-steps")
    assert lesson[None].attempts == 1 and lesson[None].average == 1.0
