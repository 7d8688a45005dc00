"""Measure a class on the box: phones following a session and answering a live question.

Starts ``eore serve`` on loopback (its own process, a fresh data folder), signs
a facilitator in, starts a session and asks a question. Then each of N phones
(60 by default) joins, polls the session's state every 2 seconds with its
ETag for the given time (60 seconds by default), and answers the live question
once at a random moment in the first 10 seconds. Reports, per run and as the
median over runs: requests sent, errors, the median and 99th percentile
latency, and whether every answer was stored exactly once.

Usage: python bench/sessions.py [--runs 3] [--phones 60] [--seconds 60]
Budget (the sessions issue): zero errors, 99th percentile at most 300 ms,
every answer stored once.
"""

from __future__ import annotations

import argparse
import gzip
import http.cookiejar
import os
import random
import re
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import launch  # noqa: E402  (the same launcher as the page benchmark)

EORE = Path(sys.executable).with_name("eore")
P99_BUDGET_MS = 300.0
HIDDEN_RE = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


class Browser:
    """A phone or a laptop: its own cookies, forms read from the page like a browser."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str, headers=None, timeout: float = 10) -> tuple[int, str, dict]:
        """GET ``path`` (gzip if ``headers`` accept it); return status, text and headers."""
        request = urllib.request.Request(self.base + path, headers=headers or {})
        try:
            with self.opener.open(request, timeout=timeout) as response:
                body = response.read()
                if response.headers.get("Content-Encoding") == "gzip":
                    body = gzip.decompress(body)
                return response.status, body.decode(), dict(response.headers)
        except urllib.error.HTTPError as error:
            return error.code, "", dict(error.headers)

    def post(self, path: str, fields: dict) -> int:
        data = urllib.parse.urlencode(fields, doseq=True).encode()
        try:
            with self.opener.open(self.base + path, data=data, timeout=10) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def form(self, path: str) -> dict:
        return dict(HIDDEN_RE.findall(self.get(path)[1]))


def set_up(base: str, data: str) -> str:
    """Create a facilitator, start a session on the farming lesson, ask a question."""
    added = subprocess.run(
        [str(EORE), "users", "add", "bench", "--role", "facilitator", "--generate"],
        env={**os.environ, "EORE_DATA": data},
        capture_output=True,
        text=True,
        check=True,
    )
    password = re.search(r"Password: (\S+)", added.stdout).group(1)
    laptop = Browser(base)
    laptop.post("/login", {**laptop.form("/login"), "name": "bench", "password": password})
    fields = laptop.form("/facilitate/sessions/new")
    laptop.post(
        "/facilitate/sessions/new",
        {**fields, "audience": "farmers", "locale": "en", "place": "Bench", "lesson": "farming"},
    )
    status, html, _headers = laptop.get("/facilitate/sessions/")
    code = re.search(r"/facilitate/sessions/([A-Z0-9]+)\"", html).group(1)
    control = f"/facilitate/sessions/{code}"
    question = re.search(r'name="question" value="([^"]+)"', laptop.get(control)[1]).group(1)
    laptop.post(
        f"{control}/question", {**laptop.form(control), "action": "ask", "question": question}
    )
    return code


def phone(base: str, code: str, seconds: float, latencies: list, errors: list, lock) -> None:
    browser = Browser(base)
    mine, failures = [], 0

    def timed(call):
        nonlocal failures
        start = time.perf_counter()
        try:
            status = call()
        except OSError:
            status = 0
        mine.append((time.perf_counter() - start) * 1000)
        if status not in (200, 302, 304):
            failures += 1

    page: dict = {}
    timed(lambda: page.update(html=browser.get(f"/join/{code}")[1]) or 200)
    fields = dict(HIDDEN_RE.findall(page.get("html", "")))
    choice = re.search(r'name="choice" value="([^"]+)"', page.get("html", ""))
    answer_at = time.monotonic() + random.uniform(0, min(10, seconds / 2))
    end = time.monotonic() + seconds
    tag, answered = None, False
    while time.monotonic() < end:
        if not answered and time.monotonic() >= answer_at and choice:
            timed(
                lambda: browser.post(f"/join/{code}/answer", {**fields, "choice": choice.group(1)})
            )
            answered = True
        headers = {"If-None-Match": tag} if tag else {}

        def poll(headers=headers):
            nonlocal tag
            status, _body, response_headers = browser.get(f"/join/{code}/state", headers)
            tag = response_headers.get("ETag", tag)
            return status

        timed(poll)
        time.sleep(2)
    with lock:
        latencies.extend(mine)
        errors.append(failures)


def stored_answers(data: str, code: str) -> tuple[int, int]:
    """Return the live answers stored for the session, and the distinct attempts."""
    db = sqlite3.connect(Path(data) / "eore.sqlite3")
    try:
        rows = db.execute(
            "SELECT COUNT(*), COUNT(DISTINCT a.attempt_id) FROM quiz_answer a"
            " JOIN quiz_attempt t ON t.id = a.attempt_id WHERE t.session_code = ?",
            (code,),
        ).fetchone()
    finally:
        db.close()
    return rows[0], rows[1]


def run_once(phones: int, seconds: float) -> dict:
    with tempfile.TemporaryDirectory() as data:
        process, base, _launch = launch(data)
        try:
            code = set_up(base, data)
            latencies: list[float] = []
            errors: list[int] = []
            lock = threading.Lock()
            threads = [
                threading.Thread(target=phone, args=(base, code, seconds, latencies, errors, lock))
                for _ in range(phones)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            answers, attempts = stored_answers(data, code)
        finally:
            process.terminate()
            process.wait()
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": sum(errors),
        "median_ms": statistics.median(latencies),
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1],
        "answers": answers,
        "attempts": attempts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--phones", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    runs = []
    for number in range(1, args.runs + 1):
        result = run_once(args.phones, args.seconds)
        runs.append(result)
        print(
            f"run {number}: {result['requests']} requests, {result['errors']} errors, "
            f"median {result['median_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms, "
            f"{result['answers']} answers stored ({result['attempts']} distinct) "
            f"for {args.phones} phones"
        )
    p99 = statistics.median(run["p99_ms"] for run in runs)
    median = statistics.median(run["median_ms"] for run in runs)
    errors = sum(run["errors"] for run in runs)
    once = all(run["answers"] == run["attempts"] == args.phones for run in runs)
    print(
        f"median of {args.runs} runs: latency median {median:.1f} ms, p99 {p99:.1f} ms "
        f"(budget {P99_BUDGET_MS:.0f}); errors {errors} (budget 0); "
        f"every answer stored once: {'yes' if once else 'NO'}"
    )


if __name__ == "__main__":
    main()
