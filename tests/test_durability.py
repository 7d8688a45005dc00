"""Nothing a phone was told is saved is ever lost: the server is killed mid-stream, again and again.

The real server runs in its own process. Phones send hazard reports and quiz
answers as fast as they can; at a random moment the server is killed with
SIGKILL (no clean-up at all). It is started again on the same
data folder, and every form whose sending got no answer is sent again, as a
person would press Send again. Then every form the box answered is in the
database exactly once, with what was typed, and the database passes its
integrity check.

A killed process still leaves its writes in the operating system's cache, which
reaches the card later: what a power cut adds is that the cache is lost too.
That part rests on SQLite's synchronous=FULL (the database syncs to the card
before a commit returns), which the last test checks is set on every connection.
"""

from __future__ import annotations

import http.client
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

from conftest import free_port, start_eore, stop_eore

from eore import store

ROUNDS = 5
PHONES = 4
QUIZ = "/en/lessons/if-you-find-one/quiz"
REPORT = "/ar/report"
EORE = Path(sys.executable).with_name("eore")
# What a phone sees when the server dies: a refused or reset connection, half an answer.
CUT_OFF = (OSError, http.client.HTTPException)


def start(data: Path, port: int) -> subprocess.Popen:
    """Start ``eore serve`` on the starter pack and return it once it answers."""
    return start_eore(data, port)


@dataclass
class Sent:
    """One form: what was sent, and whether the box answered that it was saved."""

    kind: str  # "report" or "quiz"
    record_id: str
    fields: dict
    saved: bool = False


@dataclass
class Phone:
    """A phone with its cookies; each request leaves from another loopback address.

    The box holds back a phone (an address) that sends more than 30 reports in ten
    minutes; this stream sends far more, so each request comes from a new address.
    """

    port: int
    number: int
    cookies: dict = field(default_factory=dict)
    sent_count: int = 0

    def request(self, method: str, path: str, fields: dict | None = None) -> tuple[int, str]:
        self.sent_count += 1
        address = f"127.{self.number}.{self.sent_count // 250 % 250}.{self.sent_count % 250 + 1}"
        connection = http.client.HTTPConnection(
            "127.0.0.1", self.port, timeout=15, source_address=(address, 0)
        )
        try:
            headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
            body = None
            if fields is not None:
                body = urllib.parse.urlencode(fields)
                headers["Content-Type"] = "application/x-www-form-urlencoded"
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8")
            for cookie in response.headers.get_all("Set-Cookie") or []:
                name, value = cookie.split(";", 1)[0].split("=", 1)
                self.cookies[name] = value
            return response.status, text
        finally:
            connection.close()

    def new_form(self, kind: str, rng: random.Random) -> Sent:
        status, html = self.request("GET", QUIZ if kind == "quiz" else REPORT)
        assert status == 200
        hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', html))
        if kind == "quiz":
            fields = dict(hidden)
            for name, value in re.findall(r'type="radio" name="([^"]+)" value="([^"]+)"', html):
                if name not in fields or rng.random() < 0.3:
                    fields[name] = value
            return Sent(kind, fields["attempt"], fields)
        fields = {
            "csrf_token": hidden["csrf_token"],
            "report_id": hidden["report_id"],
            "item": rng.choice(["mine", "uxo", "unknown"]),
            "how_many": "one",
            "hurt": "no",
            "place": f"قرب البئر {rng.randrange(10**6)}",
        }
        return Sent(kind, fields["report_id"], fields)

    def send(self, sent: Sent) -> None:
        """Send the form; mark it saved only when the box says so."""
        status, _page = self.request("POST", QUIZ if sent.kind == "quiz" else REPORT, sent.fields)
        expected = 200 if sent.kind == "quiz" else 303
        assert status == expected, f"{sent.kind} answered {status}"
        sent.saved = True


def stream(phone: Phone, rng: random.Random, sent: list[Sent], stop: threading.Event) -> None:
    """Send forms until the server dies (or ``stop``); keep every form made."""
    while not stop.is_set():
        try:
            form = phone.new_form(rng.choice(["quiz", "report"]), rng)
        except CUT_OFF:
            return
        sent.append(form)
        try:
            phone.send(form)
        except CUT_OFF:
            return  # killed while sending: this form's fate is unknown for now


def test_every_saved_form_survives_a_kill_exactly_once(tmp_path):
    seed = random.randrange(10**6)
    rng = random.Random(seed)
    port = free_port()
    data = tmp_path / "data"
    every: list[Sent] = []
    unanswered_total = 0
    for round_number in range(ROUNDS):
        server = start(data, port)
        phones = [Phone(port, 10 + PHONES * round_number + i) for i in range(PHONES)]
        sent: list[list[Sent]] = [[] for _ in phones]
        stop = threading.Event()
        threads = [
            threading.Thread(target=stream, args=(phone, random.Random(rng.random()), mine, stop))
            for phone, mine in zip(phones, sent, strict=True)
        ]
        for thread in threads:
            thread.start()
        time.sleep(rng.uniform(0.5, 2.5))
        os.kill(server.pid, signal.SIGKILL)  # no clean shutdown
        server.wait()
        server.stderr.close()
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        assert not any(thread.is_alive() for thread in threads)

        server = start(data, port)
        try:
            # Whatever got no answer is sent again with the same form, as a person would.
            for phone, mine in zip(phones, sent, strict=True):
                for form in mine:
                    if not form.saved:
                        unanswered_total += 1
                        phone.send(form)
        finally:
            stop_eore(server)
        every.extend(form for mine in sent for form in mine)

    db = store.connect(data / "eore.sqlite3")
    try:
        assert store.integrity_problems(db) == []
        reports = {row["id"]: row for row in db.execute("SELECT * FROM hazard_report")}
        attempts = {row["id"]: row for row in db.execute("SELECT * FROM quiz_attempt")}
        answers = dict(
            db.execute("SELECT attempt_id, COUNT(*) FROM quiz_answer GROUP BY attempt_id")
        )
    finally:
        db.close()
    wanted_reports = {form.record_id: form for form in every if form.kind == "report"}
    wanted_quizzes = {form.record_id: form for form in every if form.kind == "quiz"}
    assert all(form.saved for form in every), f"seed {seed}"
    # Exactly once: as many rows as forms, each with what was typed.
    assert set(reports) == set(wanted_reports), f"seed {seed}"
    assert set(attempts) == set(wanted_quizzes), f"seed {seed}"
    for record_id, form in wanted_reports.items():
        assert reports[record_id]["place"] == form.fields["place"]
        assert reports[record_id]["item"] == form.fields["item"]
    for record_id, form in wanted_quizzes.items():
        questions = [name for name in form.fields if name.startswith("q-")]
        assert answers[record_id] == len(questions) == attempts[record_id]["total"]
    assert len(every) > ROUNDS * PHONES  # the stream really ran
    print(f"seed {seed}: {len(every)} forms, {unanswered_total} sent again after a kill")


def test_every_connection_commits_to_the_disk_before_answering(tmp_path):
    db = store.connect(tmp_path / "eore.sqlite3")
    try:
        assert db.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    finally:
        db.close()
    store.init_db(tmp_path / "eore.sqlite3")
    raw = sqlite3.connect(tmp_path / "eore.sqlite3")
    assert raw.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    raw.close()
