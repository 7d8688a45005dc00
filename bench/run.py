"""Measure the budgets of DESIGN.md against the real server on loopback.

Starts ``eore serve`` as its own process several times and reports, as the
median (with min and max) over the runs:

- the bytes a phone downloads for a lesson page and its CSS (gzip, as a phone
  on the box's plain-HTTP network receives them), before images;
- the time from launching the process to the first 200 on /healthz, with a
  data folder already built (a normal boot) and with an empty one (first boot);
- the resident memory of the server after every page has been served once;
- the bytes of the largest quiz page with its CSS and script (gzip);
- the time to send a quiz and get its result (the attempt committed with
  synchronous=FULL), one phone at a time;
- 200 quiz submissions sent at once by 50 phones: errors, and attempts stored;
- the time to send a hazard report and see its reference (committed, then the
  confirmation page);
- the largest lesson saved to a phone (one self-contained file, uncompressed)
  and the five full languages' pack zips together.

Usage: python bench/run.py [--runs 5] [--json FILE]
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

BUDGETS = {
    "lesson_bytes": 20 * 1024,
    "launch_seconds": 1.0,
    "rss_mb": 60.0,
    "quiz_bytes": 15 * 1024,
    "submit_ms": 20.0,
    "report_ms": 20.0,  # a person's form is committed as fast as a quiz
    "download_bytes": 100 * 1024,
    "zips_bytes": 2 * 1024 * 1024,
}
FULL_LOCALES = ("en", "ar", "uk", "es", "fr")
QUIZ_PATH = "/en/lessons/if-you-find-one/quiz"
REPORT_PATH = "/ar/report"
REPORTS_PER_RUN = 8  # one phone: below the box's limit of reports per phone
EORE = Path(sys.executable).with_name("eore")
# A first boot on a pack a hundred times larger reads 26,000 files: minutes on a Pi.
LAUNCH_LIMIT_SECONDS = 300


def free_port() -> int:
    """Return a free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def fetch(url: str) -> tuple[int, bytes, dict]:
    """GET ``url`` as a phone on plain HTTP would (gzip accepted); return status, body, headers."""
    request = urllib.request.Request(url, headers={"Accept-Encoding": "gzip"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read(), dict(response.headers)


def launch(data: str) -> tuple[subprocess.Popen, str, float]:
    """Start the server and return it, its address and the seconds to the first 200."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "EORE_DATA": data}
    # A box keeps Python's compiled bytecode (pip writes it at install, Python on
    # the first start): measure that, even where the shell turns it off.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    started = time.perf_counter()
    process = subprocess.Popen(
        [str(EORE), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    while True:
        try:
            if fetch(base + "/healthz")[0] == 200:
                return process, base, time.perf_counter() - started
        except OSError:
            if process.poll() is not None:
                raise SystemExit("eore serve exited: run 'eore check' to see why") from None
            if time.perf_counter() - started > LAUNCH_LIMIT_SECONDS:
                process.kill()
                raise SystemExit(
                    f"eore serve did not answer within {LAUNCH_LIMIT_SECONDS} s"
                ) from None
            time.sleep(0.005)


def all_pages(base: str) -> list[str]:
    """Return the address of every page, by following links from the home pages."""
    seen, queue = set(), ["/"]
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        status, body, headers = fetch(base + path)
        if "html" in headers.get("Content-Type", ""):
            text = _decoded(body, headers)
            for link in re.findall(r'(?:href|src)="(/[^"#]*)"', text):
                if link not in seen:
                    queue.append(link.replace("&amp;", "&"))
    return sorted(seen)


def _decoded(body: bytes, headers: dict) -> str:
    import gzip

    if headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return body.decode("utf-8")


def page_bytes(base: str, path: str) -> int:
    """Return the bytes on the wire for a page plus its stylesheets and scripts."""
    status, body, headers = fetch(base + path)
    total = len(body)
    text = _decoded(body, headers)
    for asset in re.findall(r'<(?:link rel="stylesheet" href|script src)="([^"]+)"', text):
        total += len(fetch(base + asset)[1])
    return total


class QuizTaker:
    """A phone taking quizzes: it keeps its cookie, reads the form and sends answers."""

    def __init__(self, base: str):
        self.base = base
        jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))

    def open_form(self, path: str) -> dict[str, str]:
        """GET the quiz and return the fields to send: hidden ones and a first answer each."""
        with self.opener.open(self.base + path, timeout=30) as response:
            html = response.read().decode("utf-8")
        fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
        for name, value in re.findall(r'type="radio" name="([^"]+)" value="([^"]+)"', html):
            fields.setdefault(name, value)
        return fields

    def send(self, path: str, fields: dict[str, str]) -> int:
        """POST the answers and return the HTTP status."""
        data = urllib.parse.urlencode(fields).encode()
        try:
            with self.opener.open(self.base + path, data=data, timeout=30) as response:
                response.read()
                return response.status
        except urllib.error.HTTPError as error:
            return error.code


def concurrent_submissions(base: str, *, clients: int, each: int, path: str = QUIZ_PATH):
    """Let ``clients`` phones each send ``each`` quizzes at the same moment; return outcomes."""
    outcomes: list = []
    barrier = threading.Barrier(clients)

    def phone():
        taker = QuizTaker(base)
        forms = [taker.open_form(path) for _ in range(each)]
        barrier.wait()
        for fields in forms:
            try:
                outcomes.append(taker.send(path, fields))
            except OSError as error:
                outcomes.append(f"{type(error).__name__}: {error}")

    threads = [threading.Thread(target=phone) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return outcomes


def stored_attempts(data: str) -> int:
    """Return how many quiz attempts the box's database holds."""
    with sqlite3.connect(Path(data) / "eore.sqlite3") as db:
        return db.execute("SELECT COUNT(*) FROM quiz_attempt").fetchone()[0]


def submit_milliseconds(base: str, count: int = 40) -> float:
    """Return the median time to send a quiz and receive its result, one phone at a time."""
    taker = QuizTaker(base)
    times = []
    for _ in range(count):
        fields = taker.open_form(QUIZ_PATH)
        started = time.perf_counter()
        status = taker.send(QUIZ_PATH, fields)
        times.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise SystemExit(f"sending a quiz answered {status}")
    return statistics.median(times)


def report_milliseconds(base: str) -> float:
    """Return the median time to send a hazard report and see its reference, one at a time."""
    taker = QuizTaker(base)
    times = []
    for _ in range(REPORTS_PER_RUN):
        fields = {**taker.open_form(REPORT_PATH), "place": "قرب البئر"}
        started = time.perf_counter()
        status = taker.send(REPORT_PATH, fields)  # 303, followed to the confirmation
        times.append((time.perf_counter() - started) * 1000)
        if status != 200:
            raise SystemExit(f"sending a hazard report answered {status}")
    return statistics.median(times)


def resident_mb(pid: int) -> float:
    """Return the resident memory of a process in MB (Linux)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise SystemExit("cannot read resident memory (needs Linux /proc)")


def run_once(warm_data: str) -> dict:
    """Measure one cold launch, one warm launch, the lesson size and the memory."""
    with tempfile.TemporaryDirectory() as cold_data:
        process, base, cold = launch(cold_data)
        process.terminate()
        process.wait()
    process, base, warm = launch(warm_data)
    try:
        pages = all_pages(base)
        lessons = [p for p in pages if re.fullmatch(r"/[a-z]{2}/lessons/[a-z0-9-]+", p)]
        sizes = [page_bytes(base, p) for p in lessons]
        quizzes = [p for p in pages if re.fullmatch(r"/[a-z]{2}/lessons/[a-z0-9-]+/quiz", p)]
        quiz_sizes = [page_bytes(base, p) for p in quizzes]
        downloads = [p for p in pages if re.fullmatch(r"/[a-z]{2}/lessons/[a-z0-9-]+/download", p)]
        download_sizes = [len(_decoded(*fetch(base + p)[1:]).encode()) for p in downloads]
        zips = sum(len(fetch(f"{base}/{code}/download/pack.zip")[1]) for code in FULL_LOCALES)
        rss = resident_mb(process.pid)
        submit = submit_milliseconds(base)
        report = report_milliseconds(base)
        before = stored_attempts(warm_data)
        outcomes = concurrent_submissions(base, clients=50, each=4)
        stored = stored_attempts(warm_data) - before
    finally:
        process.terminate()
        process.wait()
    return {
        "launch_seconds": warm,
        "cold_launch_seconds": cold,
        "lesson_bytes": max(sizes),
        "median_lesson_bytes": statistics.median(sizes),
        "rss_mb": rss,
        "quiz_bytes": max(quiz_sizes),
        "submit_ms": submit,
        "report_ms": report,
        "burst_errors": sum(outcome != 200 for outcome in outcomes),
        "burst_stored": stored,
        "download_bytes": max(download_sizes),
        "zips_bytes": zips,
        "pages": len(pages),
        "lessons": len(lessons),
    }


def main() -> None:
    """Run the benchmark and print medians against the budgets."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--json", help="also write every run's figures to this file")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as warm_data:
        first = launch(warm_data)[0]  # build the data folder once: later boots are warm
        first.terminate()
        first.wait()  # the next server on this folder starts once this one has let it go
        runs = [run_once(warm_data) for _ in range(args.runs)]
    print(
        f"{args.runs} runs; {runs[0]['pages']} addresses served, {runs[0]['lessons']} lesson pages"
    )
    rows = [
        ("largest lesson page + CSS (gzip bytes)", "lesson_bytes", BUDGETS["lesson_bytes"]),
        ("median lesson page + CSS (gzip bytes)", "median_lesson_bytes", None),
        ("launch to first 200, built data (s)", "launch_seconds", BUDGETS["launch_seconds"]),
        ("launch to first 200, first boot (s)", "cold_launch_seconds", None),
        ("resident memory after all pages (MB)", "rss_mb", BUDGETS["rss_mb"]),
        ("largest quiz page + CSS + JS (gzip bytes)", "quiz_bytes", BUDGETS["quiz_bytes"]),
        ("send a quiz, get its result (ms)", "submit_ms", BUDGETS["submit_ms"]),
        ("send a hazard report, see its reference (ms)", "report_ms", BUDGETS["report_ms"]),
        ("200 quizzes from 50 phones: errors", "burst_errors", None),
        ("200 quizzes from 50 phones: stored", "burst_stored", None),
        ("largest lesson saved to a phone (bytes)", "download_bytes", BUDGETS["download_bytes"]),
        ("pack zips of the five languages (bytes)", "zips_bytes", BUDGETS["zips_bytes"]),
    ]
    print(f"{'figure':42} {'median':>9} {'min':>9} {'max':>9} {'budget':>9}")
    for label, key, budget in rows:
        values = [run[key] for run in runs]
        cells = [statistics.median(values), min(values), max(values)]
        shown = " ".join(f"{v:9.3f}" if v < 100 else f"{v:9.0f}" for v in cells)
        budget_text = (
            "" if budget is None else (f"{budget:9.1f}" if budget < 100 else f"{budget:9d}")
        )
        print(f"{label:42} {shown} {budget_text}")
    if args.json:
        Path(args.json).write_text(json.dumps(runs, indent=2))


if __name__ == "__main__":
    main()
