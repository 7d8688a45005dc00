"""Measure a class on one box: 60 phones for two minutes, doing what a class does.

Starts ``eore serve`` on loopback (its own process, a fresh data folder, as in
production), signs a facilitator in, starts a session on the farming lesson
and asks a question (as bench/sessions.py does). Then each of N phones (60 by
default), for the given time (120 seconds by default), with its own cookies
and gzip accepted:

- joins the session and follows it: polls its state every 2 seconds with the
  last ETag, as the page's script does;
- opens lesson pages: the session's lesson when it joins, then another lesson
  every 20 to 40 seconds;
- answers the live question once, at a random moment in the first 10 seconds;
- sends the lesson's quiz once (reads the form, answers, sends it);
- a few phones (5 by default) also send a hazard report. The box accepts 30
  reports per address in 10 minutes, and every phone here comes from
  127.0.0.1: the reports of a run stay below that (at most 29; each run starts
  a new server, which starts counting afresh).

Reports requests, errors (a status other than 200, 304 or a redirect, or no
answer), the median and 99th percentile latency, overall and by kind of
request (a form sent counts once, with the redirect it follows), and checks
the database: every live answer, quiz and report sent is stored exactly once.

Usage: python bench/class_load.py [--runs 1] [--phones 60] [--seconds 120] [--reports 5]
Budget: zero errors, every record stored exactly once; 99th percentile at most
300 ms (the sessions benchmark's budget).
"""

from __future__ import annotations

import argparse
import math
import random
import re
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import QuizTaker, launch  # noqa: E402  (the launcher and the quiz phone)
from sessions import HIDDEN_RE, Browser, set_up, stored_answers  # noqa: E402

SESSION_LESSON = "farming"  # the lesson of the session set_up() starts
OTHER_LESSONS = ("if-you-find-one", "danger-signs", "how-to-report", "safe-paths")
QUIZ = f"/en/lessons/{SESSION_LESSON}/quiz"
REPORT = "/en/report"
GZIP = {"Accept-Encoding": "gzip"}
POLL_SECONDS = 2
OK = (200, 302, 303, 304)  # a page, a redirect, or "nothing new" to a poll
MAX_REPORTS = 29  # the box takes 30 reports per address in 10 minutes
P99_BUDGET_MS = 300.0
KINDS = (
    "join",
    "poll",
    "lesson",
    "answer",
    "quiz form",
    "quiz sent",
    "report form",
    "report sent",
)


class Phone:
    """One participant's phone: its cookies, its timings and what it sent."""

    def __init__(self, base: str, code: str, seconds: float, reports: bool):
        self.browser = Browser(base)
        self.taker = QuizTaker(base)
        self.taker.opener = self.browser.opener  # one phone, one cookie jar
        self.code, self.seconds, self.reports = code, seconds, reports
        self.timings: list[tuple[str, float, bool]] = []  # kind, ms, failed
        self.quizzes: list[str] = []  # attempt ids sent
        self.hazards: list[str] = []  # report ids sent
        self.answered = False

    def timed(self, kind: str, call) -> object:
        """Run ``call`` (returning a status and a value), time it, count a failure."""
        start = time.perf_counter()
        try:
            status, value = call()
        except OSError:
            status, value = 0, None
        self.timings.append((kind, (time.perf_counter() - start) * 1000, status not in OK))
        return value

    def get(self, kind: str, path: str, headers=None):
        def call():
            status, body, response_headers = self.browser.get(path, headers)
            return status, (body, response_headers)

        return self.timed(kind, call) or ("", {})

    def read_lesson(self, slug: str) -> None:
        self.get("lesson", f"/en/lessons/{slug}", GZIP)

    def answer(self, html: str) -> None:
        fields = dict(HIDDEN_RE.findall(html))
        choice = re.search(r'name="choice" value="([^"]+)"', html)
        self.answered = True  # once, whatever happens: the database check sees a failure
        if not choice:
            self.timings.append(("answer", 0.0, True))  # no live question on the page
            return
        path = f"/join/{self.code}/answer"
        self.timed("answer", lambda: (self.browser.post(path, {**fields, "choice": choice[1]}), 0))

    def send_quiz(self) -> None:
        fields = self.timed("quiz form", lambda: (200, self.taker.open_form(QUIZ)))
        if fields:
            self.quizzes.append(fields["attempt"])
            self.timed("quiz sent", lambda: (self.taker.send(QUIZ, fields), 0))

    def send_report(self) -> None:
        fields = self.timed("report form", lambda: (200, self.taker.open_form(REPORT)))
        if fields:
            self.hazards.append(fields["report_id"])
            sent = {**fields, "place": "Near the well, north of the school"}
            self.timed("report sent", lambda: (self.taker.send(REPORT, sent), 0))

    def run(self) -> None:
        start = time.monotonic()
        end = start + self.seconds
        answer_at = start + random.uniform(0, min(10, self.seconds / 2))
        quiz_at = start + random.uniform(0, self.seconds * 0.8)
        report_at = start + random.uniform(0, self.seconds * 0.8) if self.reports else None
        html, _headers = self.get("join", f"/join/{self.code}", GZIP)
        self.read_lesson(SESSION_LESSON)
        next_lesson = start + random.uniform(20, 40)
        tag = None
        while time.monotonic() < end:
            now = time.monotonic()
            if not self.answered and now >= answer_at:
                self.answer(html)
            if quiz_at is not None and now >= quiz_at:
                self.send_quiz()
                quiz_at = None
            if report_at is not None and now >= report_at:
                self.send_report()
                report_at = None
            if now >= next_lesson:
                self.read_lesson(random.choice(OTHER_LESSONS))
                next_lesson = now + random.uniform(20, 40)
            _body, headers = self.get(
                "poll", f"/join/{self.code}/state", {"If-None-Match": tag} if tag else {}
            )
            tag = headers.get("ETag", tag)
            time.sleep(max(0.0, min(POLL_SECONDS, end - time.monotonic())))
        # A very short run: every phone still answers and sends its quiz.
        if not self.answered:
            self.answer(html)
        if quiz_at is not None:
            self.send_quiz()
        if report_at is not None:
            self.send_report()


def stored_once(data: str, table: str, ids: list[str], where: str = "") -> tuple[int, bool]:
    """Return the rows of ``table`` (``where`` applied), and whether they are ``ids`` once each."""
    db = sqlite3.connect(Path(data) / "eore.sqlite3")
    try:
        rows = [row[0] for row in db.execute(f"SELECT id FROM {table} {where}")]
    finally:
        db.close()
    return len(rows), sorted(rows) == sorted(ids) and len(set(ids)) == len(ids)


def percentile(values: list[float], share: float) -> float:
    """Return the value below which ``share`` of ``values`` fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(len(ordered) * share) - 1)] if ordered else float("nan")


def run_once(phones: int, seconds: float, reports: int) -> dict:
    """Run one class on a fresh server; return its figures."""
    with tempfile.TemporaryDirectory(prefix="eore-class-") as data:
        process, base, _launch = launch(data)
        try:
            code = set_up(base, data)
            crowd = [Phone(base, code, seconds, number < reports) for number in range(phones)]
            threads = [threading.Thread(target=phone.run) for phone in crowd]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            answers, distinct = stored_answers(data, code)
            quizzes = [qid for phone in crowd for qid in phone.quizzes]
            hazards = [rid for phone in crowd for rid in phone.hazards]
            quiz_rows, quizzes_once = stored_once(
                data, "quiz_attempt", quizzes, "WHERE kind = 'lesson' AND session_code IS NULL"
            )
            report_rows, reports_once = stored_once(data, "hazard_report", hazards)
        finally:
            process.terminate()
            process.wait()
    timings = [timing for phone in crowd for timing in phone.timings]
    by_kind = {}
    for kind in KINDS:
        mine = [ms for name, ms, _failed in timings if name == kind]
        if mine:
            by_kind[kind] = {
                "requests": len(mine),
                "errors": sum(failed for name, _ms, failed in timings if name == kind),
                "p50_ms": statistics.median(mine),
                "p99_ms": percentile(mine, 0.99),
            }
    every = [ms for _kind, ms, _failed in timings]
    return {
        "requests": len(timings),
        "errors": sum(failed for _kind, _ms, failed in timings),
        "p50_ms": statistics.median(every),
        "p99_ms": percentile(every, 0.99),
        "by_kind": by_kind,
        "answers": answers,
        "answers_once": answers == distinct == phones,
        "quizzes_sent": len(quizzes),
        "quizzes_stored": quiz_rows,
        "quizzes_once": quizzes_once and len(quizzes) == phones,
        "reports_sent": len(hazards),
        "reports_stored": report_rows,
        "reports_once": reports_once and len(hazards) == reports,
    }


def print_run(number: int, result: dict, phones: int, seconds: float) -> None:
    print(
        f"run {number}: {phones} phones for {seconds:g} s: {result['requests']} requests, "
        f"{result['errors']} errors, p50 {result['p50_ms']:.1f} ms, "
        f"p99 {result['p99_ms']:.1f} ms"
    )
    print(f"  {'request':12} {'requests':>9} {'errors':>7} {'p50 (ms)':>9} {'p99 (ms)':>9}")
    for kind, figures in result["by_kind"].items():
        print(
            f"  {kind:12} {figures['requests']:9d} {figures['errors']:7d} "
            f"{figures['p50_ms']:9.1f} {figures['p99_ms']:9.1f}"
        )
    print(
        f"  stored: {result['answers']} live answers, {result['quizzes_stored']} of "
        f"{result['quizzes_sent']} quizzes, {result['reports_stored']} of "
        f"{result['reports_sent']} hazard reports"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--phones", type=int, default=60)
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument(
        "--reports",
        type=int,
        default=5,
        help=f"phones that send a hazard report (0 to {MAX_REPORTS})",
    )
    args = parser.parse_args()
    if not 0 <= args.reports <= min(MAX_REPORTS, args.phones):
        parser.error(
            f"--reports: 0 to {MAX_REPORTS}, and no more than --phones: the box takes 30 "
            "reports per address in 10 minutes, and every phone here is 127.0.0.1"
        )
    if args.runs < 1 or args.phones < 1 or args.seconds <= 0:
        parser.error("--runs, --phones and --seconds must be above 0")
    runs = []
    for number in range(1, args.runs + 1):
        result = run_once(args.phones, args.seconds, args.reports)
        runs.append(result)
        print_run(number, result, args.phones, args.seconds)
    errors = sum(run["errors"] for run in runs)
    p50 = statistics.median(run["p50_ms"] for run in runs)
    p99 = statistics.median(run["p99_ms"] for run in runs)
    requests = round(statistics.median(run["requests"] for run in runs))
    once = all(run["answers_once"] and run["quizzes_once"] and run["reports_once"] for run in runs)
    print(f"\n{'figure':44} {'median':>9} {'budget':>9}  result")
    checks = [
        ("requests a run", requests, None, None),
        ("errors, all runs", errors, "0", errors == 0),
        ("latency p50 (ms)", p50, None, None),
        ("latency p99 (ms)", p99, f"{P99_BUDGET_MS:.0f}", p99 <= P99_BUDGET_MS),
        ("every answer, quiz and report stored once", "yes" if once else "NO", "yes", once),
    ]
    for label, value, budget, good in checks:
        shown = (
            value if isinstance(value, str) else f"{value:,.1f}" if "ms" in label else f"{value:,}"
        )
        verdict = "" if good is None else ("PASS" if good else "FAIL")
        print(f"{label:44} {shown:>9} {budget or '':>9}  {verdict}")


if __name__ == "__main__":
    main()
