"""The benchmarks run: each starts the real server and prints its figures.

Only that they run and print is checked here (and that the class stores every
record once): their timings are read by a person, never asserted in a test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from eore.settings import PROJECT_ROOT


def test_the_dashboard_benchmark_runs_on_a_little_demo_data(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            str(PROJECT_ROOT / "bench" / "dashboard.py"),
            "--runs",
            "1",
            "--requests",
            "2",
            "--sessions",
            "20",
            "--attempts",
            "100",
            "--hazards",
            "5",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "dashboard, median of a run (ms)" in result.stdout
    assert "median over 1 runs" in result.stdout


def run_bench(script: str, *args: str, tmp_path, timeout: int = 600):
    """Run a benchmark of bench/ with its temporary files under ``tmp_path``."""
    return subprocess.run(
        [sys.executable, str(PROJECT_ROOT / "bench" / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "TMPDIR": str(tmp_path)},
    )


def test_the_synthetic_pack_is_accepted_by_eore_check(tmp_path):
    pack = tmp_path / "pack"
    made = run_bench("genpack.py", "--scale", "3", "--out", str(pack), tmp_path=tmp_path)
    assert made.returncode == 0, made.stdout + made.stderr
    assert "45 lessons" in made.stdout
    assert (pack / "lessons" / "if-you-find-one-copy-2" / "quiz.fr.yaml").is_file()
    checked = subprocess.run(
        [str(Path(sys.executable).with_name("eore")), "check", str(pack)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "45/45 lessons" in checked.stdout


def test_the_load_benchmark_runs_with_a_pack_twice_as_large(tmp_path):
    if shutil.which("wrk") is None:
        pytest.fail("wrk is not installed: run scripts/test.sh, which installs it")
    figures = tmp_path / "load.json"
    result = run_bench(
        "load.py",
        *("--runs", "1", "--seconds", "1", "--scales", "1,2", "--json", str(figures)),
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for row in (
        "lesson page + CSS, gzip (bytes)",
        "lesson page, 32 conn.: requests/s",
        "lesson page, 32 conn.: p99 (ms)",
        "home page,  8 conn.: requests/s",
        "static server, 32 conn.: requests/s",
        "lesson page / static, 32 conn. (ratio)",
        "memory under load, 32 conn. (MB)",
        "launch to first 200, built data (s)",
        "quizzes stored/s, 32 phones at once",
        "quiz errors (not 200, or not stored)",
        "x2 pack: launch to first 200, built data (s)",
        "x2 pack / x1: p99 (ratio)",
        "budgets:",
    ):
        assert row in result.stdout
    assert len(json.loads(figures.read_text())) == 1


def test_the_class_benchmark_runs_with_a_few_phones(tmp_path):
    result = run_bench(
        "class_load.py", "--phones", "4", "--seconds", "3", "--reports", "1", tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for row in (
        "requests a run",
        "errors, all runs",
        "latency p99 (ms)",
        "every answer, quiz and report stored once",
        "report sent",
    ):
        assert row in result.stdout
    stored = next(
        line for line in result.stdout.splitlines() if line.startswith("every answer, quiz")
    )
    assert stored.endswith("PASS"), result.stdout
