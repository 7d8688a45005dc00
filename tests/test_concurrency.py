"""Many phones sending quizzes at once to the real server: every one stored, exactly once."""

import importlib.util
import sqlite3

from eore.settings import PROJECT_ROOT


def load_bench():
    """Import bench/run.py, whose phones this test reuses (so the benchmark is tested too)."""
    spec = importlib.util.spec_from_file_location("bench_run", PROJECT_ROOT / "bench" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def count_attempts(data):
    with sqlite3.connect(data / "eore.sqlite3") as db:
        return db.execute("SELECT COUNT(*) FROM quiz_attempt").fetchone()[0]


def test_200_submissions_from_50_phones_are_all_stored_once(eore_server):
    bench = load_bench()
    before = count_attempts(eore_server.data)
    outcomes = bench.concurrent_submissions(eore_server.base, clients=50, each=4)
    assert outcomes == [200] * 200
    assert count_attempts(eore_server.data) - before == 200
    with sqlite3.connect(eore_server.data / "eore.sqlite3") as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        answers = db.execute("SELECT COUNT(*) FROM quiz_answer").fetchone()[0]
    assert answers == 200 * 4  # the quiz has four questions


def test_a_resent_form_is_one_attempt_on_the_real_server(eore_server):
    bench = load_bench()
    phone = bench.QuizTaker(eore_server.base)
    fields = phone.open_form(bench.QUIZ_PATH)
    before = count_attempts(eore_server.data)
    assert [phone.send(bench.QUIZ_PATH, fields) for _ in range(3)] == [200, 200, 200]
    assert count_attempts(eore_server.data) - before == 1
