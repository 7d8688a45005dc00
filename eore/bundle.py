"""Bundles: records carried between boxes, or to headquarters, on a USB stick.

``eore bundle export`` writes one zip file: ``manifest.json`` (the format and
its version, the exporting box, the time, the content pack, the schema
version, and per table its columns, its number of rows and the SHA-256 of its
member) and one member per table, ``<table>.jsonl``, a JSON list of values a
line. It carries group sessions, session reports, referrals, quiz attempts and
answers, hazard reports and their history, with their ids and device ids, and
the accounts they name as id, name and role only (never a password hash).
Reporters' names and phone numbers are left out unless asked for. The
dashboard's totals are not carried: the box's triggers rebuild them as records
are stored. Lesson download counts are not carried either: they are numbers
per box and day, without ids, so they cannot be merged without counting twice.

``eore bundle import`` treats the file as untrusted: it reads only the members
it expects, caps their size and number of rows, checks every checksum and
every value first, and only then writes everything in one transaction, so a
refused or interrupted import writes nothing. Importing a bundle twice, or the
bundles of several boxes in any order, never duplicates or loses a record:
records that never change are added once; for records that change the newer
version wins (an ended session stays ended, a deleted contact stays deleted).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import shutil
import sqlite3
import struct
import sys
import tempfile
import time
import uuid
import zipfile
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import click

from . import hazards, schema, store
from .accounts import ROLES
from .i18n import SESSION_CODE_RE
from .reports import COUNT_FIELDS, SEXES

FORMAT = "eore-bundle"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
# What an import accepts at most: a year of a busy box fits; more is split with --since.
MAX_BYTES = 200 * 1024 * 1024  # all members together, decompressed
MAX_ROWS = 2_000_000
MAX_LINE = 1024 * 1024  # one record
MAX_MANIFEST = 64 * 1024
MAX_MEMBERS = 64  # files in the zip: a bundle has nine
# An imported account cannot sign in: no password hash has this form.
NO_PASSWORD = "!imported: no password"
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
# Whole seconds, as every box writes them: other forms would sort and parse differently.
UTC_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")
TIME_OR_EMPTY_RE = re.compile(r"^(([01]\d|2[0-3]):[0-5]\d)?$")
SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
REPORT_RANK = {"draft": 0, "submitted": 1, "verified": 2}


class BundleError(Exception):
    """A bundle cannot be written or read; the message says why in plain words."""


# --- What each value must be ------------------------------------------------

Check = Callable[[object], str | None]  # returns what is wrong, or None


def _text(limit: int = 200, *, blank: bool = True) -> Check:
    def check(value):
        if not isinstance(value, str) or "\x00" in value:
            return "must be text"
        if not blank and not value.strip():
            return "must not be empty"
        if len(value) > limit:
            return f"must be at most {limit} characters"
        return None

    return check


def _uuid(value) -> str | None:
    if isinstance(value, str) and UUID_RE.match(value):
        return None
    return "must be an id like 3f2a9c1b-5d4e-4f6a-8b7c-0d1e2f3a4b5c"


def _utc(value) -> str | None:
    if isinstance(value, str) and UTC_RE.match(value):
        with contextlib.suppress(ValueError):
            datetime.fromisoformat(value.replace("Z", "+00:00"))
            return None
    return "must be a UTC time like 2026-11-28T14:05:09Z"


def _day(value) -> str | None:
    if isinstance(value, str) and store.day_or_none(value) == value:
        return None
    return "must be a day like 2026-11-28"


def _number(low: int, high: int) -> Check:
    def check(value):
        if isinstance(value, int) and not isinstance(value, bool) and low <= value <= high:
            return None
        return f"must be a whole number from {low} to {high}"

    return check


_flag = _number(0, 1)


def _degrees(limit: int) -> Check:
    def check(value):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            if -limit <= value <= limit:
                return None
        return f"must be a number from -{limit} to {limit}"

    return check


def _choice(choices: Iterable[str]) -> Check:
    choices = tuple(choices)

    def check(value):
        return None if value in choices else f"must be one of: {', '.join(choices)}"

    return check


def _code(value) -> str | None:
    if isinstance(value, str) and SESSION_CODE_RE.match(value):
        return None
    return "must be a join code of 3 to 12 capital letters and digits"


def _nearby(value) -> str | None:
    if isinstance(value, str) and all(word in hazards.NEARBY for word in value.split()):
        return None
    return f"must be words among: {', '.join(hazards.NEARBY)}"


def _plan(value) -> str | None:
    wrong = "must be the session's steps, each a lesson or a knowledge test"
    try:
        steps = json.loads(value) if isinstance(value, str) else None
    except (ValueError, RecursionError):
        return wrong
    if not isinstance(steps, list) or not steps:
        return wrong
    for step in steps:
        if (
            not isinstance(step, dict)
            or not set(step) <= {"kind", "subject", "phase"}
            or step.get("kind") not in ("lesson", "test")
            or _text(blank=False)(step.get("subject"))
            or step.get("phase") not in (None, "pre", "post")
        ):
            return wrong
    return None


def _report_fields(value) -> str | None:
    wrong = "must be the report's fields, with attendance counted by age band and sex"
    try:
        fields = json.loads(value) if isinstance(value, str) else None
    except (ValueError, RecursionError):
        return wrong
    if not isinstance(fields, dict):
        return wrong
    # The fields the box's pages and exports read as such must have their form.
    if _day(fields.get("date") or "2000-01-01") or any(
        not isinstance(fields.get(name, ""), str)
        or not TIME_OR_EMPTY_RE.match(fields.get(name, ""))
        for name in ("start_time", "end_time")
    ):
        return wrong
    if any(not isinstance(fields.get(name, ""), str) for name in ("audience", "locale", "method")):
        return wrong
    lessons = fields.get("lessons", [])
    if not isinstance(lessons, list) or any(not isinstance(slug, str) for slug in lessons):
        return wrong
    count = _number(0, 10_000_000)
    for key, item in fields.items():
        if key == "attendance":
            if not isinstance(item, dict):
                return wrong
            for band, counts in item.items():
                if not isinstance(counts, dict) or _text()(band):
                    return wrong
                if any(sex not in SEXES or count(n) for sex, n in counts.items()):
                    return wrong
        elif key in COUNT_FIELDS:
            if count(item):
                return wrong
        elif isinstance(item, list):
            if any(_text()(each) for each in item):
                return wrong
        elif item is not None and not isinstance(item, (str, int, float)):
            return wrong
    return None


def _maybe(check: Check) -> Check:
    """Return ``check`` that also accepts an empty value (null)."""
    return lambda value: None if value is None else check(value)


@dataclass(frozen=True)
class Table:
    """A table a bundle carries: its columns, each with what its values must be."""

    name: str
    one: str  # one record, in plain words
    many: str
    columns: tuple[tuple[str, Check], ...]

    @property
    def names(self) -> list[str]:
        return [name for name, _check in self.columns]


RECORD = (("id", _uuid), ("device", _text(blank=False)), ("created_utc", _utc))
TABLES = {
    table.name: table
    for table in (
        Table(
            "account",
            "account",
            "accounts",
            (("id", _uuid), ("name", _text(blank=False)), ("role", _choice(ROLES))),
        ),
        Table(
            "group_session",
            "group session",
            "group sessions",
            (
                *RECORD,
                ("code", _code),
                ("facilitator_id", _uuid),
                ("audience", _choice(schema.AUDIENCES)),
                ("locale", _text(20, blank=False)),
                ("place", _text(blank=False)),
                ("admin_area", _maybe(_text())),
                ("plan", _plan),
                ("step", _number(0, 1000)),
                ("version", _number(0, 10**12)),
                ("status", _choice(("running", "ended"))),
                ("ended_utc", _maybe(_utc)),
                ("question", _maybe(_text(blank=False))),
                ("revealed", _flag),
            ),
        ),
        Table(
            "session_report",
            "session report",
            "session reports",
            (
                *RECORD,
                ("updated_utc", _utc),
                ("session_id", _uuid),
                ("status", _choice(REPORT_RANK)),
                ("submitted_utc", _maybe(_utc)),
                ("verified_by", _maybe(_uuid)),
                ("verified_utc", _maybe(_utc)),
                ("fields", _report_fields),
            ),
        ),
        Table(
            "referral",
            "referral",
            "referrals",
            (
                *RECORD,
                ("session_id", _uuid),
                ("service_type", _choice(schema.SERVICE_TYPES)),
                ("day", _day),
            ),
        ),
        Table(
            "quiz_attempt",
            "quiz attempt",
            "quiz attempts",
            (
                *RECORD,
                ("kind", _choice(("lesson", "test"))),
                ("subject", _text(blank=False)),
                ("locale", _text(20, blank=False)),
                ("phase", _maybe(_choice(("pre", "post")))),
                ("session_code", _maybe(_code)),
                ("pack_version", _text()),
                ("correct", _number(0, 10_000)),
                ("total", _number(0, 10_000)),
            ),
        ),
        Table(
            "quiz_answer",
            "quiz answer",
            "quiz answers",
            (
                *RECORD,
                ("attempt_id", _uuid),
                ("question", _text(blank=False)),
                ("choice", _text()),
                ("is_correct", _flag),
            ),
        ),
        Table(
            "hazard_report",
            "hazard report",
            "hazard reports",
            (
                *RECORD,
                ("reference", _text(40, blank=False)),
                ("locale", _text(20, blank=False)),
                ("seen_on", _maybe(_day)),
                ("item", _choice(hazards.ITEMS)),
                ("how_many", _choice(hazards.HOW_MANY)),
                ("description", _text(5000)),
                ("place", _text(1000)),
                ("admin_area", _maybe(_text())),
                ("geo_safe", _flag),
                ("latitude", _maybe(_degrees(90))),
                ("longitude", _maybe(_degrees(180))),
                ("marked", _choice(hazards.MARKED)),
                ("nearby", _nearby),
                ("hurt", _choice(hazards.HURT)),
                ("urgent", _flag),
                ("contact_consent", _flag),
                ("contact_name", _maybe(_text(1000))),
                ("contact_phone", _maybe(_text(1000))),
                ("contact_purged_utc", _maybe(_utc)),
                ("status", _choice(hazards.STATUSES)),
                ("status_by", _maybe(_uuid)),
                ("status_utc", _maybe(_utc)),
            ),
        ),
        Table(
            "hazard_event",
            "note or status change of a hazard report",
            "notes and status changes of hazard reports",
            (
                *RECORD,
                ("report_id", _uuid),
                ("account_id", _uuid),
                ("from_status", _maybe(_choice(hazards.STATUSES))),
                ("to_status", _maybe(_choice(hazards.STATUSES))),
                ("note", _text(10_000)),
            ),
        ),
    )
}
ORDER = tuple(TABLES)  # parents before the records that name them
# (column, table it names): checked before anything is written.
REFERENCES = {
    "group_session": (("facilitator_id", "account"),),
    "session_report": (("session_id", "group_session"), ("verified_by", "account")),
    "referral": (("session_id", "group_session"),),
    "quiz_answer": (("attempt_id", "quiz_attempt"),),
    "hazard_report": (("status_by", "account"),),
    "hazard_event": (("report_id", "hazard_report"), ("account_id", "account")),
}
PARENTS = {parent for named in REFERENCES.values() for _column, parent in named}
CONTACT_COLUMNS = ("contact_name", "contact_phone")


def _row_problem(table: str, row: dict) -> str | None:
    """Return what is wrong with a record as a whole (its values each being right)."""
    if table == "quiz_attempt" and row["correct"] > row["total"]:
        return "has more right answers than answers"
    if table == "quiz_answer":
        # As the store derives it: the same answer has the same id on every box.
        if row["id"] != str(uuid.uuid5(uuid.UUID(row["attempt_id"]), row["question"])):
            return "has an id that does not belong to its attempt and question"
    if table == "group_session":
        if row["step"] >= len(json.loads(row["plan"])):
            return "shows a step its plan does not have"
    if table == "hazard_report":
        if not row["geo_safe"] and (row["latitude"] is not None or row["longitude"] is not None):
            return "has a location although it was not safe to record"
        contact = row["contact_name"] is not None or row["contact_phone"] is not None
        if contact and (not row["contact_consent"] or row["contact_purged_utc"]):
            return "has a contact without consent, or a contact marked deleted"
    return None


# --- Writing a bundle -------------------------------------------------------

# The times at which each kind of record is made or changed: --since picks by them.
CHANGED = {
    "group_session": ("created_utc", "ended_utc"),
    "session_report": ("created_utc", "updated_utc", "verified_utc"),
    "referral": ("created_utc",),
    "quiz_attempt": ("created_utc",),
    "hazard_report": ("created_utc", "status_utc", "contact_purged_utc"),
    "hazard_event": ("created_utc",),
}
# The accounts a bundle carries: those its records name.
NAMED_ACCOUNTS = (
    ("group_session", "facilitator_id"),
    ("session_report", "verified_by"),
    ("hazard_report", "status_by"),
    ("hazard_event", "account_id"),
)


def _changed(table: str) -> str:
    times = " OR ".join(f"{column} >= :since" for column in CHANGED[table])
    return f"(:since IS NULL OR {times})"


def _carried(table: str) -> str:
    """Return the SQL condition on ``table`` that picks the rows a bundle carries.

    Records made or changed since the day asked for, and the records they name,
    so that every bundle can be imported on its own.
    """
    if table == "account":
        return " OR ".join(
            f"id IN (SELECT {column} FROM {named} WHERE {_carried(named)})"
            for named, column in NAMED_ACCOUNTS
        )
    if table == "group_session":
        return (
            f"{_changed(table)}"
            f" OR id IN (SELECT session_id FROM session_report WHERE {_changed('session_report')})"
            f" OR id IN (SELECT session_id FROM referral WHERE {_changed('referral')})"
            # Answers name their session by its join code.
            f" OR code IN (SELECT session_code FROM quiz_attempt WHERE {_changed('quiz_attempt')})"
        )
    if table == "quiz_answer":
        return f"attempt_id IN (SELECT id FROM quiz_attempt WHERE {_changed('quiz_attempt')})"
    if table == "hazard_report":
        return (
            f"{_changed(table)}"
            f" OR id IN (SELECT report_id FROM hazard_event WHERE {_changed('hazard_event')})"
        )
    return _changed(table)


def export_bundle(
    db: sqlite3.Connection,
    out: Path,
    *,
    device: str,
    pack_name: str,
    pack_version: str,
    since: str | None = None,
    include_contacts: bool = False,
) -> dict:
    """Write the records made or changed since ``since`` (a day) to the bundle ``out``.

    Return its manifest. The file appears whole or not at all: it is written
    beside ``out`` under another name, flushed to the stick, then renamed.
    """
    manifest = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "device": device,
        "exported_utc": store.utc_now(),
        "since": since,
        "include_contacts": include_contacts,
        "pack": {"name": pack_name, "version": pack_version},
        "schema_version": store.SCHEMA_VERSION,
        "tables": {},
    }

    def write(handle) -> None:
        budget = _Budget()
        with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            # One read transaction: every table as it was at the same moment.
            db.execute("BEGIN")
            try:
                for table in ORDER:
                    manifest["tables"][table] = _write_table(
                        db, archive, table, since, include_contacts, budget
                    )
            finally:
                db.execute("COMMIT")
            archive.writestr(MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2))

    _write_atomically(Path(out), write)
    return manifest


def _write_table(db, archive, table, since, include_contacts, budget) -> dict:
    names = TABLES[table].names
    selected = [
        "NULL" if name in CONTACT_COLUMNS and not include_contacts else name for name in names
    ]
    rows = db.execute(
        f"SELECT {', '.join(selected)} FROM {table} WHERE {_carried(table)} ORDER BY rowid",
        {"since": since},
    )
    digest, count = hashlib.sha256(), 0
    info = zipfile.ZipInfo(f"{table}.jsonl", date_time=time.gmtime()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    with archive.open(info, "w") as member:
        for row in rows:
            line = (json.dumps(list(row), ensure_ascii=False) + "\n").encode("utf-8")
            budget.take(len(line), table)
            digest.update(line)
            member.write(line)
            count += 1
    return {"columns": names, "rows": count, "sha256": digest.hexdigest()}


@dataclass
class _Budget:
    """What a bundle may still hold: an import refuses more, so an export never writes more."""

    bytes_left: int = field(default_factory=lambda: MAX_BYTES)
    rows_left: int = field(default_factory=lambda: MAX_ROWS)

    def take(self, size: int, table: str) -> None:
        self.bytes_left -= size
        self.rows_left -= 1
        if self.bytes_left < 0 or self.rows_left < 0:
            raise BundleError(
                f"the records are more than one bundle may hold ({MAX_ROWS:,} records, "
                f"{MAX_BYTES // 2**20} MB in all; reached in the {TABLES[table].many}): "
                "export fewer at a time with --since"
            )


def _write_atomically(out: Path, write: Callable) -> None:
    """Call ``write(handle)`` on a new file that takes the name ``out`` only once complete."""
    if out.is_dir():
        raise BundleError(f"{out} is a folder: give the name of the file to write")
    if not out.parent.is_dir():
        raise BundleError(f"the folder {out.parent} does not exist (is the USB stick plugged in?)")
    try:
        descriptor, temporary = tempfile.mkstemp(
            prefix=f".{out.name}.", suffix=".part", dir=out.parent
        )
    except OSError as error:
        raise BundleError(f"cannot write in {out.parent}: {error.strerror or error}") from error
    try:
        with os.fdopen(descriptor, "w+b") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, out)
    except BaseException as error:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        if isinstance(error, OSError):
            raise BundleError(f"cannot write {out}: {error.strerror or error}") from error
        raise
    # The new name itself must reach the stick before it is pulled out.
    with contextlib.suppress(OSError, AttributeError):
        folder = os.open(out.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)


# --- Reading a bundle -------------------------------------------------------

DAMAGED = (
    "the file is damaged or incomplete (was the USB stick pulled out while it was written?): "
    "export it again"
)


@contextlib.contextmanager
def _opened(path: Path):
    """Open the bundle at ``path`` as a zip file, or explain why it cannot be read."""
    try:
        size = path.stat().st_size
    except OSError as error:
        raise BundleError(f"cannot read {path}: {error.strerror or error}") from error
    if path.is_dir():
        raise BundleError(f"{path} is a folder: give the bundle file")
    if size > MAX_BYTES:
        raise BundleError(f"{path} is bigger than a bundle may be ({MAX_BYTES // 2**20} MB)")
    try:
        with path.open("rb") as handle:
            is_zip = handle.read(4) == b"PK\x03\x04"
        if not is_zip:
            raise BundleError(f"{path} is not an EORE bundle (it is not a zip file)")
        if _files_in_zip(path) > MAX_MEMBERS:
            raise BundleError(f"{path} holds far more files than a bundle: it is not one")
        archive = zipfile.ZipFile(path)
    except zipfile.BadZipFile as error:
        raise BundleError(DAMAGED) from error
    except OSError as error:
        raise BundleError(f"cannot read {path}: {error.strerror or error}") from error
    with archive:
        yield archive


def _files_in_zip(path: Path) -> int:
    """Return how many files a zip says it holds, before zipfile lists them all in memory."""
    with path.open("rb") as handle:
        handle.seek(max(0, handle.seek(0, os.SEEK_END) - 22 - 65_535))
        tail = handle.read()
    at = tail.rfind(b"PK\x05\x06")  # the end of the zip's directory
    if at < 0 or len(tail) < at + 22:
        return 0  # not a zip: zipfile says so
    return struct.unpack_from("<H", tail, at + 10)[0]


def _member(archive: zipfile.ZipFile, name: str, limit: int):
    """Open the member ``name``, refusing one that is missing or bigger than ``limit``."""
    try:
        info = archive.getinfo(name)
    except KeyError:
        raise BundleError(f"{name} is missing: this is not an EORE bundle, or {DAMAGED}") from None
    if info.file_size > limit:
        raise BundleError(
            f"{name} is bigger than a bundle may be ({MAX_BYTES // 2**20} MB in all): "
            "export fewer records at a time with --since"
        )
    return archive.open(info)


def read_manifest(archive: zipfile.ZipFile) -> dict:
    """Return the bundle's manifest, once it is known to be one this box can read."""
    try:
        with _member(archive, MANIFEST, MAX_MANIFEST) as member:
            manifest = json.loads(member.read(MAX_MANIFEST + 1).decode("utf-8"))
    except (ValueError, RecursionError, zipfile.BadZipFile, zlib.error, EOFError) as error:
        raise BundleError(DAMAGED) from error
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BundleError("this file is not an EORE bundle (its manifest names another format)")
    version = manifest.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise BundleError(DAMAGED)
    if version > FORMAT_VERSION:
        raise BundleError(
            f"this bundle was written by a newer version of the toolkit (bundle format {version}; "
            f"this box reads format {FORMAT_VERSION}): update the toolkit on this box first"
        )
    if manifest.get("schema_version") != store.SCHEMA_VERSION:
        raise BundleError(
            f"this bundle holds records of database version {manifest.get('schema_version')}, "
            f"and this box keeps version {store.SCHEMA_VERSION}: update the toolkit on the "
            "older box, then export again"
        )
    tables = manifest.get("tables")
    pack = manifest.get("pack")
    if (
        version != FORMAT_VERSION
        or _text(blank=False)(manifest.get("device"))
        or _utc(manifest.get("exported_utc"))
        or not isinstance(pack, dict)
        or any(_text()(pack.get(key)) for key in ("name", "version"))
        or not isinstance(tables, dict)
    ):
        raise BundleError(DAMAGED)
    rows = 0
    for table in ORDER:
        entry = tables.get(table)
        if (
            not isinstance(entry, dict)
            or entry.get("columns") != TABLES[table].names
            or _number(0, 10**12)(entry.get("rows"))
            or not isinstance(entry.get("sha256"), str)
            or not SHA256_RE.match(entry["sha256"])
        ):
            raise BundleError(DAMAGED)
        rows += entry["rows"]
    if rows > MAX_ROWS:
        raise BundleError(
            f"this bundle holds {rows:,} records, more than one import takes ({MAX_ROWS:,}): "
            "export fewer at a time with --since"
        )
    return manifest


def _rows(archive, manifest: dict, table: str, budget: _Budget) -> Iterator[tuple[int, dict]]:
    """Yield (line number, record) of one table, each record checked value by value.

    The whole member is read even after a bad record, so that a damaged file is
    reported as damaged; its checksum and number of records are checked at the end.
    """
    name = f"{table}.jsonl"
    entry = manifest["tables"][table]
    problem = None
    digest, number = hashlib.sha256(), 0
    try:
        with _member(archive, name, budget.bytes_left) as member:
            while line := member.readline(MAX_LINE + 1):
                number += 1
                if len(line) > MAX_LINE:
                    raise BundleError(f"a record of {name} is longer than {MAX_LINE:,} bytes")
                budget.take(len(line), table)
                digest.update(line)
                if problem is None:
                    row, problem = _parse(table, line, number)
                    if problem is None:
                        yield number, row
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as error:
        raise BundleError(DAMAGED) from error
    if digest.hexdigest() != entry["sha256"] or number != entry["rows"]:
        raise BundleError(DAMAGED)
    if problem is not None:
        raise BundleError(problem)


def _parse(table: str, line: bytes, number: int) -> tuple[dict | None, str | None]:
    """Return the record on one line, or what is wrong with it in plain words."""
    spec = TABLES[table]
    where = f"the {spec.one} on line {number} of {table}.jsonl"
    try:
        values = json.loads(line.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, RecursionError):
        return None, f"{where} cannot be read"
    if not isinstance(values, list) or len(values) != len(spec.columns):
        return None, f"{where} does not have the {len(spec.columns)} values it must have"
    row = dict(zip(spec.names, values, strict=True))
    if _uuid(row["id"]):
        return None, f"{where} has a bad id ({str(row['id'])[:60]!r})"
    for name, check in spec.columns:
        wrong = check(row[name])
        if wrong:
            shown = repr(row[name])[:60]
            return None, f"the {spec.one} {row['id']} has a bad {name} ({shown}): it {wrong}"
    wrong = _row_problem(table, row)
    if wrong:
        return None, f"the {spec.one} {row['id']} {wrong}"
    return row, None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number")


def _check(db: sqlite3.Connection, archive, manifest: dict) -> None:
    """Read the whole bundle and refuse it if any record is bad or names a missing record."""
    budget = _Budget()
    known: dict[str, set] = {table: set() for table in PARENTS}
    for table in ORDER:
        problem = None
        for _line, row in _rows(archive, manifest, table, budget):
            if table in PARENTS:
                known[table].add(row["id"])
            for column, parent in REFERENCES.get(table, ()):
                if problem is None and not _exists(db, known, parent, row[column]):
                    problem = (
                        f"the {TABLES[table].one} {row['id']} names the {TABLES[parent].one} "
                        f"{row[column]}, which is neither in the bundle nor on this box"
                    )
        if problem:
            raise BundleError(problem)


def _exists(db, known: dict[str, set], table: str, record_id: str | None) -> bool:
    if record_id is None or record_id in known[table]:
        return True
    if db.execute(f"SELECT 1 FROM {table} WHERE id = ?", (record_id,)).fetchone():
        known[table].add(record_id)
        return True
    return False


# --- Merging a bundle into the box ------------------------------------------


@dataclass
class Counts:
    """What became of one table's records: added, already here, or made newer."""

    new: int = 0
    present: int = 0
    updated: int = 0


@dataclass
class ImportSummary:
    """What an import did, per table, and what an operator should know about it."""

    manifest: dict
    counts: dict[str, Counts] = field(default_factory=lambda: {t: Counts() for t in ORDER})
    notes: list[str] = field(default_factory=list)
    # (device, join code in the bundle) -> join code of that session on this box
    codes: dict[tuple[str, str], str] = field(default_factory=dict)


def import_bundle(
    db: sqlite3.Connection, path: Path, *, contact_days: int | None = None
) -> ImportSummary:
    """Check the bundle at ``path`` whole, then merge it into the box in one transaction.

    Nothing is written unless every record is right. Contacts of reports received
    more than ``contact_days`` ago are then deleted, as on the box itself.
    """
    with _opened(Path(path)) as archive:
        manifest = read_manifest(archive)
        _check(db, archive, manifest)
        summary = ImportSummary(manifest)
        budget = _Budget()
        try:
            with store.writing(db):
                for table in ORDER:
                    # Read again, checksums included: the file may have changed since.
                    rows = (row for _line, row in _rows(archive, manifest, table, budget))
                    MERGES[table](db, rows, summary)
        except sqlite3.Error as error:
            raise BundleError(f"the database could not store the records ({error})") from error
    if contact_days is not None:
        # Left for later when the database is busy: every page deletes them before reading.
        with contextlib.suppress(sqlite3.Error):
            hazards.purge_contacts(db, contact_days)
    return summary


def _insert(db, table: str, row: dict) -> None:
    names = TABLES[table].names
    db.execute(
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
        [row[name] for name in names],
    )


def _merge_accounts(db, rows, summary: ImportSummary) -> None:
    """Add the accounts the records name, disabled and without a password."""
    counts, box = summary.counts["account"], summary.manifest["device"]
    for row in rows:
        if db.execute("SELECT 1 FROM account WHERE id = ?", (row["id"],)).fetchone():
            counts.present += 1
            continue
        name = _free_name(db, row["name"], box)
        db.execute(
            "INSERT INTO account (id, device, created_utc, name, role, password_hash,"
            " password_changed_utc, active) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
            (row["id"], box, store.utc_now(), name, row["role"], NO_PASSWORD, store.utc_now()),
        )
        counts.new += 1
        if name != row["name"]:
            summary.notes.append(
                f"This box already has an account named {row['name']}: the one from box {box} "
                f"is named '{name}' here."
            )


def _free_name(db, name: str, box: str) -> str:
    """Return ``name``, or a variant naming the box it came from when it is taken here."""

    def taken(candidate: str) -> bool:
        found = db.execute("SELECT 1 FROM account WHERE name = ?", (candidate,)).fetchone()
        return found is not None

    if not taken(name):
        return name
    base = f"{name} ({box[:12]})"
    candidate, number = base, 1
    while taken(candidate):
        number += 1
        candidate = f"{base} {number}"
    return candidate


SESSION_STATE = ("step", "version", "status", "ended_utc", "question", "revealed")


def _session_key(row) -> tuple:
    """Order the versions of one session: ended after running, then by its changes."""
    state = [row[name] for name in SESSION_STATE]
    return (row["status"] == "ended", row["version"], json.dumps(state))


def _merge_sessions(db, rows, summary: ImportSummary) -> None:
    """Add new sessions (with a free join code) and take the newer state of known ones."""
    from .sessions import new_code  # the sessions' pages need not load for every command

    counts = summary.counts["group_session"]
    for row in rows:
        here = db.execute("SELECT * FROM group_session WHERE id = ?", (row["id"],)).fetchone()
        if here is None:
            code = row["code"]
            for _attempt in range(1000):
                if not db.execute("SELECT 1 FROM group_session WHERE code = ?", (code,)).fetchone():
                    break
                code = new_code()
            else:
                raise BundleError("could not find a free join code")
            _insert(db, "group_session", {**row, "code": code})
            counts.new += 1
            if code != row["code"]:
                summary.notes.append(
                    f"Join code {row['code']} of a session from box {row['device']} was already "
                    f"used here: that session has the code {code} here, and its quiz answers "
                    "follow it."
                )
        else:
            code = here["code"]  # renamed by an earlier import: keep that name
            if _session_key(row) > _session_key(here):
                db.execute(
                    f"UPDATE group_session SET {', '.join(f'{n} = ?' for n in SESSION_STATE)}"
                    " WHERE id = ?",
                    [*(row[n] for n in SESSION_STATE), row["id"]],
                )
                counts.updated += 1
            else:
                counts.present += 1
        if code != row["code"]:
            summary.codes[(row["device"], row["code"])] = code


def _report_key(row) -> tuple:
    """Order the versions of a session report: by status, then by when it was saved."""
    names = TABLES["session_report"].names
    return (
        REPORT_RANK[row["status"]],
        row["updated_utc"],
        row["verified_utc"] or "",
        json.dumps([row[name] for name in names]),
    )


def _merge_reports(db, rows, summary: ImportSummary) -> None:
    """Add new session reports; keep the newer of two versions of one session's report."""
    counts, names = summary.counts["session_report"], TABLES["session_report"].names
    for row in rows:
        here = db.execute("SELECT * FROM session_report WHERE id = ?", (row["id"],)).fetchone()
        here = (
            here
            or db.execute(
                "SELECT * FROM session_report WHERE session_id = ?", (row["session_id"],)
            ).fetchone()
        )
        if here is None:
            _insert(db, "session_report", row)
            counts.new += 1
            continue
        newer = _report_key(row) > _report_key(here)
        if newer:
            db.execute(
                f"UPDATE session_report SET {', '.join(f'{n} = ?' for n in names)} WHERE id = ?",
                [*(row[n] for n in names), here["id"]],
            )
            counts.updated += 1
        else:
            counts.present += 1
        if here["id"] != row["id"]:
            kept, other = (row, here) if newer else (here, row)
            summary.notes.append(
                f"Two reports of one session (from boxes {here['device']} and {row['device']}): "
                f"the newer, {kept['id']}, is kept here; {other['id']} stays on its box."
            )


def _merge_unchanging(table: str) -> Callable:
    """Return the merge of records that never change: each is added once."""
    names = TABLES[table].names
    sql = (
        f"INSERT INTO {table} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"
        " ON CONFLICT (id) DO NOTHING"
    )

    def merge(db, rows, summary: ImportSummary) -> None:
        counts = summary.counts[table]
        batch = []
        for row in rows:
            if table == "quiz_attempt" and row["session_code"]:
                # The answers of a session whose join code changed here follow it.
                key = (row["device"], row["session_code"])
                row = {**row, "session_code": summary.codes.get(key, row["session_code"])}
            batch.append([row[name] for name in names])
            if len(batch) == 500:
                _add_batch(db, sql, batch, counts)
                batch = []
        _add_batch(db, sql, batch, counts)

    return merge


def _add_batch(db, sql: str, batch: list, counts: Counts) -> None:
    if batch:
        added = db.executemany(sql, batch).rowcount  # rows of triggers are not counted
        counts.new += added
        counts.present += len(batch) - added


def _status_key(row) -> tuple:
    return (row["status_utc"] or "", row["status"], row["status_by"] or "")


def _merge_hazards(db, rows, summary: ImportSummary) -> None:
    """Add new hazard reports; keep the newer status and never bring a deleted contact back."""
    counts = summary.counts["hazard_report"]
    for row in rows:
        here = db.execute("SELECT * FROM hazard_report WHERE id = ?", (row["id"],)).fetchone()
        if here is None:
            reference = row["reference"]
            while db.execute(
                "SELECT 1 FROM hazard_report WHERE reference = ?", (reference,)
            ).fetchone():
                reference = hazards.new_reference()
            _insert(db, "hazard_report", {**row, "reference": reference})
            counts.new += 1
            if reference != row["reference"]:
                summary.notes.append(
                    f"Hazard report {row['reference']} from box {row['device']} has the "
                    f"reference {reference} here: this box already had a report {row['reference']}."
                )
            continue
        merged = dict(here)
        if _status_key(row) > _status_key(here):
            merged.update({n: row[n] for n in ("status", "status_by", "status_utc")})
        purged = [t for t in (here["contact_purged_utc"], row["contact_purged_utc"]) if t]
        if purged:
            merged.update(contact_name=None, contact_phone=None, contact_purged_utc=min(purged))
        elif here["contact_consent"] and all(here[n] is None for n in CONTACT_COLUMNS):
            # Left out of an earlier bundle, and not deleted since: this one may carry it.
            merged.update({n: row[n] for n in CONTACT_COLUMNS})
        changed = [name for name in merged if merged[name] != here[name]]
        if changed:
            db.execute(
                f"UPDATE hazard_report SET {', '.join(f'{n} = ?' for n in changed)} WHERE id = ?",
                [*(merged[n] for n in changed), row["id"]],
            )
            counts.updated += 1
        else:
            counts.present += 1


MERGES = {
    "account": _merge_accounts,
    "group_session": _merge_sessions,
    "session_report": _merge_reports,
    "referral": _merge_unchanging("referral"),
    "quiz_attempt": _merge_unchanging("quiz_attempt"),
    "quiz_answer": _merge_unchanging("quiz_answer"),
    "hazard_report": _merge_hazards,
    "hazard_event": _merge_unchanging("hazard_event"),
}


# --- The commands -----------------------------------------------------------

NOT_CARRIED = (
    "Lesson download counts are not carried: they are counts per box without ids, "
    "which cannot be merged without counting twice."
)


@click.group("bundle")
def bundle_cli():
    """Carry records between boxes, or to headquarters, on a USB stick."""


@bundle_cli.command("export")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="bundle file to write")
@click.option("--since", help="only records made or changed on or after this date, e.g. 2026-11-01")
@click.option(
    "--include-contacts",
    is_flag=True,
    help="add the names and phone numbers of people who reported hazards (left out by default)",
)
def export_command(out, since, include_contacts):
    """Write the box's sessions, reports, quiz answers and hazard reports to one file.

    Lesson download counts are not carried (counts per box, without ids).
    """
    from .cli import _app_or_exit

    if since:
        if store.day_or_none(since) is None:
            click.echo(f"--since is '{since}': give a date such as 2026-11-01.", err=True)
            sys.exit(1)
        since = store.day_or_none(since)
    app = _app_or_exit()
    library = app.extensions["eore"]["library"]
    with app.app_context():
        scratch = None
        try:
            try:
                db = store.get_db()
                # Contacts kept long enough are deleted first: they never leave the box.
                hazards.purge_expired_contacts(db)
            except sqlite3.Error:
                if include_contacts:
                    raise  # expired contacts would leave the box: refuse
                # A full or read-only card cannot delete, nor open its database for
                # writing: read a copy on the stick's side. No contact is carried anyway.
                from .operations import open_for_copy

                db, scratch = open_for_copy(Path(app.config["DATABASE"]), out.resolve().parent)
            manifest = export_bundle(
                db,
                out,
                device=app.config["DEVICE_ID"],
                pack_name=library.name,
                pack_version=library.version,
                since=since,
                include_contacts=include_contacts,
            )
        except BundleError as error:
            click.echo(f"Not exported: {error}. Nothing was written.", err=True)
            sys.exit(1)
        except sqlite3.Error as error:
            click.echo(
                f"Not exported: the database cannot be read ({error}). If the card is full "
                "or read-only, 'eore backup --out /media/USB/' still saves what the box holds.",
                err=True,
            )
            sys.exit(1)
        finally:
            if scratch is not None:
                db.close()
                shutil.rmtree(scratch, ignore_errors=True)
    tables = manifest["tables"]
    counted = ", ".join(f"{tables[t]['rows']} {TABLES[t].many}" for t in ORDER)
    click.echo(f"Wrote {out}: {counted}.")
    if include_contacts:
        click.echo(
            "It holds the names and phone numbers of people who reported hazards: keep the "
            "stick safe and delete the file once it is imported."
        )
    else:
        click.echo(
            "Reporters' names and phone numbers are left out (--include-contacts adds them)."
        )
    click.echo(NOT_CARRIED)


@bundle_cli.command("import")
@click.argument("file", type=click.Path(path_type=Path))
def import_command(file):
    """Check a bundle, then add its records to this box (nothing is written if one is bad).

    Run it between sessions: a large bundle keeps the database busy for a while.
    """
    from .cli import _app_or_exit

    app = _app_or_exit()
    with app.app_context():
        try:
            summary = import_bundle(store.get_db(), file, contact_days=app.config["CONTACT_DAYS"])
        except BundleError as error:
            click.echo(f"Not imported: {error}. Nothing was written.", err=True)
            sys.exit(1)
        except sqlite3.Error as error:
            click.echo(
                f"Not imported: the database cannot be used ({error}). Nothing was written.",
                err=True,
            )
            sys.exit(1)
    manifest = summary.manifest
    click.echo(
        f"Imported {file}, from box {manifest['device']} (exported {manifest['exported_utc']}, "
        f"content pack {manifest['pack']['name']} {manifest['pack']['version']}):"
    )
    for table in ORDER:
        counts = summary.counts[table]
        click.echo(
            f"  {TABLES[table].many}: {counts.new} new, {counts.present} already here, "
            f"{counts.updated} updated"
        )
    library = app.extensions["eore"]["library"]
    if (manifest["pack"]["name"], manifest["pack"]["version"]) != (library.name, library.version):
        click.echo(
            f"This box serves the content pack {library.name} {library.version}: the records "
            "are kept as they came, with lessons and questions by their names."
        )
    if summary.counts["account"].new:
        click.echo(
            "New accounts are disabled and have no password here: 'eore users passwd NAME' "
            "and 'eore users enable NAME' let one sign in on this box."
        )
    for note in summary.notes:
        click.echo(note)
