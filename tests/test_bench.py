"""The benchmarks run: each starts the real server and prints its figures.

Only that they run and print is checked here: their timings are read by a
person, never asserted in a test.
"""

from __future__ import annotations

import os
import subprocess
import sys

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
