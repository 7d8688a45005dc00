"""Measure the operator dashboard against a year of demo data, on the real server over loopback.

Seeds a fresh data folder with ``eore demo seed`` (10,000 sessions, 200,000
quiz attempts and 5,000 hazard reports by default) and adds an admin account
with ``eore users add``. Then, for each run, starts ``eore serve`` as its own
process, signs in over HTTP like a browser (the form's CSRF token and the
cookie), requests the dashboard ``/admin/`` REQUESTS times and once narrowed to
three months, and reports the median, min and max milliseconds; last, the
median over the runs against the budget.

Usage: python bench/dashboard.py [--runs 3] [--requests 20] [--sessions 10000]
       [--attempts 200000] [--hazards 5000] [--seed 1] [--data DIR]
Budget (the dashboard issue): the page answers within 500 ms (median).
Exits 1, saying so, when /admin/ answers without the dashboard (no element with data-dashboard).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import launch  # noqa: E402  (the same launcher as the page benchmark)
from sessions import Browser  # noqa: E402  (the same browser as the class benchmark)

EORE = Path(sys.executable).with_name("eore")
BUDGET_MS = 500.0
DASHBOARD = "/admin/"
MARKER = "data-dashboard"
ADMIN = "bench-admin"
GZIP = {"Accept-Encoding": "gzip"}


def eore(data: str, *args: str, quiet: bool = True) -> str:
    """Run ``eore ARGS`` on the data folder; return what it printed, or stop on failure."""
    result = subprocess.run(
        [str(EORE), *args],
        env={**os.environ, "EORE_DATA": data},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE if quiet else None,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise SystemExit(f"eore {' '.join(args)} failed:\n{result.stdout}{result.stderr or ''}")
    return result.stdout


def prepare(data: str, args) -> str:
    """Seed the folder (unless it holds a database already) and return the admin's password."""
    if (Path(data) / "eore.sqlite3").exists():
        print(f"using the data already in {data} (not seeded again)")
    else:
        print(
            f"seeding {args.sessions} sessions, {args.attempts} quiz attempts, "
            f"{args.hazards} hazard reports (seed {args.seed})...",
            flush=True,
        )
        started = time.perf_counter()
        printed = eore(
            data,
            "demo",
            "seed",
            "--sessions",
            str(args.sessions),
            "--attempts",
            str(args.attempts),
            "--hazards",
            str(args.hazards),
            "--seed",
            str(args.seed),
            quiet=False,  # its progress lines go to stderr as they come
        )
        print(printed.strip())
        print(f"seeded in {time.perf_counter() - started:.1f} s")
    names = eore(data, "users", "list")
    if re.search(rf"^{ADMIN}\t", names, flags=re.MULTILINE):
        printed = eore(data, "users", "passwd", ADMIN, "--generate")
    else:
        printed = eore(data, "users", "add", ADMIN, "--role", "admin", "--generate")
    return re.search(r"Password: (\S+)", printed).group(1)


def sign_in(base: str, password: str) -> Browser:
    """Return a browser signed in as the bench's admin, or stop when sign-in fails."""
    browser = Browser(base)
    fields = browser.form("/login")
    if "csrf_token" not in fields:
        raise SystemExit("GET /login answered without a form to sign in")
    status = browser.post("/login", {**fields, "name": ADMIN, "password": password})
    if status >= 400 or 'name="password"' in browser.get(DASHBOARD)[1]:  # asked again
        raise SystemExit(f"signing in as {ADMIN} failed (answered {status})")
    return browser


def timed(browser: Browser, path: str) -> tuple[float, int, str]:
    """GET ``path`` as a browser does (gzip); return the milliseconds, status and text."""
    started = time.perf_counter()
    status, text, _headers = browser.get(path, GZIP, timeout=120)
    return (time.perf_counter() - started) * 1000, status, text


def period() -> str:
    """Return the query of a three-month period inside the seeded year."""
    today = date.today()
    since, until = today - timedelta(days=180), today - timedelta(days=90)
    return f"?from={since.isoformat()}&to={until.isoformat()}"


def run_once(data: str, password: str, requests: int) -> dict:
    """Start the server, sign in, time the dashboard; return the figures in milliseconds."""
    process, base, _launch = launch(data)
    try:
        browser = sign_in(base, password)
        times, size = [], 0
        for number in range(requests):
            ms, status, text = timed(browser, DASHBOARD)
            if number == 0 and (status == 404 or MARKER not in text):
                raise SystemExit(
                    f"No dashboard to measure: GET {DASHBOARD} answered {status}"
                    + ("" if status == 404 else f" without an element with {MARKER}")
                    + "; nothing was measured."
                )
            if status != 200:
                raise SystemExit(f"GET {DASHBOARD} answered {status} (request {number + 1})")
            times.append(ms)
            size = len(text.encode())
        filtered, status, text = timed(browser, DASHBOARD + period())
        if status != 200 or MARKER not in text:
            raise SystemExit(f"GET {DASHBOARD}{period()} answered {status}")
    finally:
        process.terminate()
        process.wait()
    return {
        "median_ms": statistics.median(times),
        "min_ms": min(times),
        "max_ms": max(times),
        "first_ms": times[0],
        "filtered_ms": filtered,
        "page_bytes": size,
    }


def main() -> None:
    """Seed, run the measurements and print them against the budget."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=20, help="dashboard requests per run")
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--attempts", type=int, default=200_000)
    parser.add_argument("--hazards", type=int, default=5_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--data",
        help="data folder to use and keep (seeded only if it holds no database yet); "
        "default: a temporary folder, deleted afterwards",
    )
    args = parser.parse_args()
    if args.runs < 1 or args.requests < 1:
        parser.error("--runs and --requests must be at least 1")
    with tempfile.TemporaryDirectory() as temporary:
        data = args.data or temporary
        Path(data).mkdir(parents=True, exist_ok=True)
        password = prepare(data, args)
        runs = []
        for number in range(1, args.runs + 1):
            result = run_once(data, password, args.requests)
            runs.append(result)
            print(
                f"run {number}: {DASHBOARD} x{args.requests}: median {result['median_ms']:.1f} ms, "
                f"min {result['min_ms']:.1f}, max {result['max_ms']:.1f} "
                f"(first {result['first_ms']:.1f}); {period()}: {result['filtered_ms']:.1f} ms; "
                f"{result['page_bytes']} bytes",
                flush=True,
            )
    print(
        f"{args.runs} runs of {args.requests} requests; data: {args.sessions} sessions, "
        f"{args.attempts} quiz attempts, {args.hazards} hazard reports"
        if not args.data
        else f"{args.runs} runs of {args.requests} requests; data in {args.data}"
    )
    rows = [
        ("dashboard, median of a run (ms)", "median_ms", BUDGET_MS),
        ("dashboard, fastest of a run (ms)", "min_ms", None),
        ("dashboard, slowest of a run (ms)", "max_ms", None),
        ("dashboard, first after start (ms)", "first_ms", None),
        ("dashboard, three months (ms)", "filtered_ms", BUDGET_MS),
        ("dashboard page (bytes, uncompressed)", "page_bytes", None),
    ]
    print(f"{'figure':42} {'median':>9} {'min':>9} {'max':>9} {'budget':>9}")
    for label, key, budget in rows:
        values = [run[key] for run in runs]
        cells = [statistics.median(values), min(values), max(values)]
        shown = " ".join(f"{v:9.0f}" if key == "page_bytes" else f"{v:9.1f}" for v in cells)
        print(f"{label:42} {shown} {'' if budget is None else f'{budget:9.0f}'}")
    median = statistics.median(run["median_ms"] for run in runs)
    verdict = "within" if median <= BUDGET_MS else "OVER"
    print(
        f"median over {args.runs} runs: {median:.1f} ms, {verdict} the budget of {BUDGET_MS:.0f} ms"
    )


if __name__ == "__main__":
    main()
