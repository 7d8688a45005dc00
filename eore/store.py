"""All SQL of the toolkit: what people typed, kept safe in SQLite.

The store's interface is kept narrow (plain functions taking a connection and
returning dataclasses) so that a PostgreSQL backend for a central server can
be added behind it. A record counts as saved only once its transaction is
committed with ``synchronous=FULL``: after that, a power cut cannot lose it.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import tempfile
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

from flask import current_app, g

SCHEMA_VERSION = 7
# Forward-only migrations: the SQL that brings the database to each version.
MIGRATIONS = {
    1: Path(__file__).with_name("schema.sql"),
    2: Path(__file__).with_name("schema2.sql"),
    3: Path(__file__).with_name("schema3.sql"),
    4: Path(__file__).with_name("schema4.sql"),
    5: Path(__file__).with_name("schema5.sql"),
    6: Path(__file__).with_name("schema6.sql"),
    7: Path(__file__).with_name("schema7.sql"),
}
BUSY_TIMEOUT_SECONDS = 10
# Less free space than this, and a failed write is the card being full.
NEARLY_FULL_BYTES = 1024 * 1024
# The id of a new record, given to a form when it is shown so that sending the
# form twice stores the record once: a random UUID, written the one way uuid4() does.
RECORD_ID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")


class StoreError(Exception):
    """The database cannot be used; the message says why in plain words."""


@dataclass(frozen=True)
class Answer:
    """One answer of a quiz attempt, by language-neutral ids."""

    question: str
    choice: str
    is_correct: bool


@dataclass(frozen=True)
class Attempt:
    """One person's anonymous answers to a lesson quiz or a knowledge test."""

    id: str
    kind: str  # "lesson" or "test"
    subject: str  # lesson slug or test id
    locale: str
    answers: tuple[Answer, ...]
    pack_version: str
    phase: str | None = None  # "pre" or "post" for knowledge tests
    session_code: str | None = None
    device: str = ""
    created_utc: str = ""

    def same_answers_as(self, other: Attempt) -> bool:
        """Return whether ``other`` is this attempt sent again (same quiz, same answers)."""
        fields = ("id", "kind", "subject", "locale", "phase", "session_code", "answers")
        return all(getattr(self, name) == getattr(other, name) for name in fields)

    @property
    def correct(self) -> int:
        """Return how many answers were right."""
        return sum(answer.is_correct for answer in self.answers)

    @property
    def total(self) -> int:
        """Return how many questions were answered."""
        return len(self.answers)


@dataclass(frozen=True)
class Tally:
    """How many answered and how many of them were right."""

    answered: int = 0
    correct: int = 0

    @property
    def share(self) -> float | None:
        """Return the share of right answers (0 to 1), or None when nobody answered."""
        return self.correct / self.answered if self.answered else None

    def __add__(self, other: Tally) -> Tally:
        return Tally(self.answered + other.answered, self.correct + other.correct)


@dataclass(frozen=True)
class QuestionStats:
    """How one question was answered: in lesson quizzes, before and after sessions."""

    question: str
    by_phase: dict = field(default_factory=dict)  # None (lesson quiz), "pre", "post" -> Tally

    @property
    def quiz(self) -> Tally:
        """Return the tally of answers given in lesson quizzes."""
        return self.by_phase.get(None, Tally())

    @property
    def pre(self) -> Tally:
        """Return the tally of answers given before a session."""
        return self.by_phase.get("pre", Tally())

    @property
    def post(self) -> Tally:
        """Return the tally of answers given after a session."""
        return self.by_phase.get("post", Tally())

    @property
    def overall(self) -> Tally:
        """Return the tally of every answer, whatever the phase."""
        return sum(self.by_phase.values(), Tally())


@dataclass(frozen=True)
class PhaseScore:
    """Attempts in one phase and their average share of right answers."""

    attempts: int
    average: float


def new_record_id() -> str:
    """Return the id of a record a form will create (see RECORD_ID_RE)."""
    return str(uuid.uuid4())


def record_id_from(value: str | None) -> str | None:
    """Return the record id a form sent back, or None when it is not one this box gives."""
    return value if value and RECORD_ID_RE.match(value) else None


def where(*conditions: tuple[str, object]) -> tuple[str, list]:
    """Return the SQL conditions whose value is set, joined by AND ("1" when none), and
    their values: each "?" of a condition takes its value once.

    ``where(("status = ?", status), ("day >= ?", since))`` leaves out a filter left empty.
    """
    kept = [(sql, value) for sql, value in conditions if value]
    values = [value for sql, value in kept for _ in range(sql.count("?"))]
    return " AND ".join(sql for sql, _value in kept) or "1", values


def day_or_none(value: str | None) -> str | None:
    """Return ``value`` as a day (YYYY-MM-DD) when it is one, else None."""
    try:
        return date.fromisoformat(value).isoformat() if value else None
    except ValueError:
        return None


def utc_now() -> str:
    """Return the current UTC time as ISO 8601 with a Z, to the second."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def connect(path: Path | str) -> sqlite3.Connection:
    """Open the database with the settings that make a commit survive a power cut."""
    db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None)
    db.row_factory = sqlite3.Row
    db.execute("PRAGMA synchronous = FULL")
    db.execute("PRAGMA foreign_keys = ON")
    return db


def connect_read_only(path: Path | str, timeout: float = 5) -> sqlite3.Connection:
    """Open a database only to read it: a backup, or a box's database being checked."""
    return sqlite3.connect(f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=timeout)


def init_db(path: Path | str) -> None:
    """Create the database or bring it to the current schema version."""
    try:
        db = connect(path)
        try:
            db.execute("PRAGMA journal_mode = WAL")
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise StoreError(
                    f"the database {path} was made by a newer version of the toolkit "
                    f"(schema {version}; this version knows {SCHEMA_VERSION}): "
                    "update the toolkit, or point EORE_DATA at another folder"
                )
            for target in range(version + 1, SCHEMA_VERSION + 1):
                _migrate(db, target)
        finally:
            db.close()
    except sqlite3.DatabaseError as error:
        raise StoreError(f"the database {path} cannot be opened: {error}") from error


def _migrate(db: sqlite3.Connection, target: int) -> None:
    sql = MIGRATIONS[target].read_text(encoding="utf-8")
    try:
        db.executescript(f"BEGIN IMMEDIATE;\n{sql}\nPRAGMA user_version = {target};\nCOMMIT;")
    except sqlite3.Error:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise


@contextmanager
def writing(db: sqlite3.Connection):
    """Run the caller's writes in one transaction, committed only if all succeed."""
    # IMMEDIATE takes the write lock at once, so concurrent writers queue
    # (up to the busy timeout) instead of failing halfway through.
    db.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        # SQLite has already rolled back after some errors (a full disk, an I/O
        # error): rolling back again would hide the real error behind another.
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def save_attempt(db: sqlite3.Connection, attempt: Attempt, *, device: str) -> tuple[Attempt, bool]:
    """Store ``attempt`` once; return the stored attempt and whether it is new.

    A second save with the same id (a double tap, a retry after a timeout)
    stores nothing and returns the attempt saved the first time.
    """
    created = utc_now()
    with writing(db):
        inserted = db.execute(
            # Only a repeated id is ignored; any other broken rule raises and rolls back.
            "INSERT INTO quiz_attempt (id, device, created_utc, kind, subject, locale,"
            " phase, session_code, pack_version, correct, total)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            (
                attempt.id,
                device,
                created,
                attempt.kind,
                attempt.subject,
                attempt.locale,
                attempt.phase,
                attempt.session_code,
                attempt.pack_version,
                attempt.correct,
                attempt.total,
            ),
        ).rowcount
        if inserted:
            db.executemany(
                "INSERT INTO quiz_answer (id, device, created_utc, attempt_id, question, choice,"
                " is_correct) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        _answer_id(attempt.id, answer.question),
                        device,
                        created,
                        attempt.id,
                        answer.question,
                        answer.choice,
                        int(answer.is_correct),
                    )
                    for answer in attempt.answers
                ],
            )
    if inserted:
        return replace(attempt, device=device, created_utc=created), True
    return get_attempt(db, attempt.id), False


def _answer_id(attempt_id: str, question: str) -> str:
    # Derived, not random: the same answer gets the same id on every box.
    return str(uuid.uuid5(uuid.UUID(attempt_id), question))


def get_attempt(db: sqlite3.Connection, attempt_id: str) -> Attempt | None:
    """Return the stored attempt with this id, or None."""
    row = db.execute("SELECT * FROM quiz_attempt WHERE id = ?", (attempt_id,)).fetchone()
    if row is None:
        return None
    answers = db.execute(
        "SELECT question, choice, is_correct FROM quiz_answer WHERE attempt_id = ? ORDER BY rowid",
        (attempt_id,),
    ).fetchall()
    return Attempt(
        id=row["id"],
        kind=row["kind"],
        subject=row["subject"],
        locale=row["locale"],
        answers=tuple(Answer(a["question"], a["choice"], bool(a["is_correct"])) for a in answers),
        pack_version=row["pack_version"],
        phase=row["phase"],
        session_code=row["session_code"],
        device=row["device"],
        created_utc=row["created_utc"],
    )


def _filters(subject, session_code) -> tuple[str, tuple]:
    conditions, values = [], []
    if subject is not None:
        conditions.append("t.subject = ?")
        values.append(subject)
    if session_code is not None:
        conditions.append("t.session_code = ?")
        values.append(session_code)
    return (" WHERE " + " AND ".join(conditions) if conditions else ""), tuple(values)


def question_stats(
    db: sqlite3.Connection, *, subject: str | None = None, session_code: str | None = None
) -> dict[str, QuestionStats]:
    """Return, per question id, how many answered and how many were right, by phase."""
    where, values = _filters(subject, session_code)
    rows = db.execute(
        "SELECT a.question, t.phase, COUNT(*) AS answered, SUM(a.is_correct) AS correct"
        " FROM quiz_answer a JOIN quiz_attempt t ON t.id = a.attempt_id"
        f"{where} GROUP BY a.question, t.phase ORDER BY a.question",
        values,
    ).fetchall()
    stats: dict[str, QuestionStats] = {}
    for row in rows:
        entry = stats.setdefault(row["question"], QuestionStats(row["question"]))
        entry.by_phase[row["phase"]] = Tally(row["answered"], row["correct"])
    return stats


def phase_scores(
    db: sqlite3.Connection, *, subject: str | None = None, session_code: str | None = None
) -> dict[str | None, PhaseScore]:
    """Return, per phase, the number of attempts and their average share right."""
    where, values = _filters(subject, session_code)
    rows = db.execute(
        "SELECT t.phase, COUNT(*) AS attempts,"
        " AVG(CAST(t.correct AS REAL) / t.total) AS average"
        f" FROM quiz_attempt t{where} GROUP BY t.phase",
        values,
    ).fetchall()
    return {row["phase"]: PhaseScore(row["attempts"], row["average"]) for row in rows}


def count_lesson_download(db: sqlite3.Connection, lesson: str, locale: str) -> None:
    """Count one lesson saved to a phone: a number per day and language, nothing about who."""
    with writing(db):
        db.execute(
            "INSERT INTO lesson_download (day, subject, locale, downloads) VALUES (?, ?, ?, 1)"
            " ON CONFLICT DO UPDATE SET downloads = downloads + 1",
            (utc_now()[:10], lesson, locale),
        )


def integrity_problems(db: sqlite3.Connection) -> list[str]:
    """Return what SQLite's integrity check finds wrong (an empty list when all is well)."""
    rows = [row[0] for row in db.execute("PRAGMA integrity_check")]
    return [] if rows == ["ok"] else rows


# What SQLite says when the storage fails: (kind, error names, words of its message).
STORAGE_PROBLEMS = (
    ("full", ("SQLITE_FULL",), ("disk is full",)),
    ("read_only", ("SQLITE_READONLY", "SQLITE_CANTOPEN"), ("readonly database",)),
    ("busy", ("SQLITE_BUSY", "SQLITE_LOCKED"), ("database is locked",)),
    (
        "damaged",
        ("SQLITE_CORRUPT", "SQLITE_NOTADB", "SQLITE_IOERR"),
        ("database disk image is malformed", "disk i/o error", "file is not a database"),
    ),
)


def storage_problem(error: sqlite3.DatabaseError) -> str | None:
    """Return what kind of storage failure ``error`` is, or None when it is a program's fault.

    "full" (no space left on the card), "read_only" (the card or file cannot be
    written, as happens when a damaged SD card is remounted read-only), "busy"
    (another writer held the database longer than the busy timeout) or "damaged".
    """
    # The error's name (Python 3.11 and later), e.g. SQLITE_READONLY_DBMOVED, says it best.
    name = getattr(error, "sqlite_errorname", None)
    if name:  # SQLite said which error it was: trust that, not the words of its message
        return next(
            (kind for kind, names, _words in STORAGE_PROBLEMS if name.startswith(names)), None
        )
    text = str(error).lower()
    for kind, _names, words in STORAGE_PROBLEMS:
        if any(word in text for word in words):
            return kind
    return None


def get_db() -> sqlite3.Connection:
    """Return this request's database connection, opening it on first use."""
    if "db" not in g:
        if current_app.extensions["eore"].get("database_pending"):
            _finish_init(current_app.config["DATABASE"])
        g.db = connect(current_app.config["DATABASE"])
    return g.db


def _finish_init(path) -> None:
    """Create or migrate the database that could not be at start (the card was full)."""
    try:
        init_db(path)
    except StoreError as error:
        raise error.__cause__ or error from None  # the storage page explains it
    current_app.extensions["eore"]["database_pending"] = False


def close_db(exception=None) -> None:
    """Close this request's connection, if one was opened."""
    db = g.pop("db", None)
    if db is not None:
        db.close()


def nearly_full(folder: Path) -> bool:
    """Return whether the storage holding ``folder`` has (almost) no room left."""
    try:
        return shutil.disk_usage(folder).free < NEARLY_FULL_BYTES
    except OSError:
        return False


def write_problem(folder: Path) -> OSError | None:
    """Return why no file can be written to the card in ``folder``, or None when one can."""
    try:
        with tempfile.TemporaryFile(dir=folder) as probe:
            probe.write(b"ok")
            probe.flush()
            os.fsync(probe.fileno())
    except OSError as error:
        return error
    return None


def cannot_write(folder: Path) -> bool:
    """Return whether no file can be made in ``folder`` (a read-only or failing card)."""
    return write_problem(folder) is not None


def init_app(app) -> None:
    """Create or migrate the database and close connections after each request.

    On a full card the database may not even open; the lessons are still served
    then, and every page that saves says the storage is full.
    """
    try:
        init_db(app.config["DATABASE"])
    except StoreError as error:
        folder = Path(app.config["DATABASE"]).parent
        if nearly_full(folder):
            why = "the storage is full"
        elif cannot_write(folder):
            why = "the storage cannot be written (a failing card turns read-only)"
        else:
            raise
        app.logger.error(
            "%s: %s. Lessons are served, but nothing can be saved until it is fixed "
            "(run 'eore doctor').",
            error,
            why,
        )
        app.extensions.setdefault("eore", {})["database_pending"] = True
    app.teardown_appcontext(close_db)
