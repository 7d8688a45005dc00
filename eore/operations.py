"""Looking after the box: check it (``eore doctor``), back it up and restore it.

An operator who is not an engineer runs these on a Raspberry Pi whose SD card
can fill up or go bad and whose clock is wrong after a long power cut. Every
check says what is wrong and what to do, in plain words. A backup is a
consistent copy taken while the server runs (SQLite's backup API), written to
a temporary name and renamed only once complete, so a stick pulled out or a
power cut never leaves half a backup under a backup's name.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import urlsplit

from . import store
from .settings import kept_device_id

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

BACKUP_PREFIX = "eore-backup-"
BACKUP_SUFFIX = ".sqlite3"
BACKUP_TABLE = "eore_backup"  # what the backup is: when, which box, which pack
# The records an operator recognises, counted to say what a backup holds.
RECORD_TABLES = (
    ("group_session", "sessions"),
    ("session_report", "session reports"),
    ("quiz_attempt", "quiz attempts"),
    ("hazard_report", "hazard reports"),
    ("account", "accounts"),
)
# Tables whose records carry the time they were made: the clock cannot be before the newest.
TIMED_TABLES = ("quiz_attempt", "group_session", "session_report", "hazard_report", "account")
# No record of this toolkit can be older: a clock before this has been reset.
EARLIEST_PLAUSIBLE = datetime(2026, 1, 1, tzinfo=UTC)
FREE_MB_FAIL = 100
FREE_MB_WARN = 500
BACKUP_AGE_WARN = timedelta(days=2)


class OperationError(Exception):
    """A backup or restore cannot be done; the message says why and what to do."""


LOCK_FILE = "server.lock"


@contextlib.contextmanager
def holding_data_folder(data: Path):
    """Hold the data folder for one program: the server, or a restore.

    The lock is the operating system's, on a file in the data folder: it goes
    with the process, even when the process is killed or the power goes.
    Raise OperationError when another program holds it.
    """
    if fcntl is None:  # Windows: nothing to lock with; the guide says to stop the server
        yield
        return
    data.mkdir(parents=True, exist_ok=True)
    with open(data / LOCK_FILE, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            raise OperationError(
                f"the toolkit's server is running on {data}: stop it first "
                "(on a Pi: sudo systemctl stop eore), then try again"
            ) from error
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def pack_identity(content: Path) -> dict[str, str]:
    """Return the pack's name and version from its pack.yaml, even when the pack is broken."""
    import yaml

    try:
        data = yaml.safe_load((content / "pack.yaml").read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        data = None
    data = data if isinstance(data, dict) else {}
    return {
        "pack_name": str(data.get("name", "unknown")),
        "pack_version": str(data.get("version", "unknown")),
    }


def toolkit_version() -> str:
    """Return the installed toolkit's version."""
    try:
        return version("eore")
    except PackageNotFoundError:
        return "unknown"


# --- Backups ------------------------------------------------------------------


def backup_target(out: str | Path, now: datetime) -> tuple[Path, bool]:
    """Return the file to write and whether ``out`` names a folder of dated backups.

    ``out`` is a folder when it exists as one or ends with a slash (a path
    object has lost its slash: pass the text as typed).
    """
    folder = Path(out)
    if folder.is_dir() or str(out).endswith(("/", os.sep)):
        return folder / f"{BACKUP_PREFIX}{now:%Y%m%d-%H%M%S}{BACKUP_SUFFIX}", True
    return folder, False


def backup(
    database: Path, out: str | Path, info: dict[str, str], *, now: datetime | None = None
) -> Path:
    """Copy ``database`` into ``out`` while the server may be writing; return the file written.

    ``info`` (the pack's name and version, the box's id) is stored in the copy,
    so a restore can say what it holds before anything is replaced.
    """
    now = now or datetime.now(UTC)
    if not database.exists():
        raise OperationError(f"there is no database at {database} yet: nothing to back up")
    target = backup_target(out, now)[0]
    if target.resolve() in {database.resolve(), *_companions(database.resolve())}:
        raise OperationError("a backup cannot replace the database it copies: choose another file")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
        os.close(handle)
    except OSError as error:
        raise OperationError(f"cannot write to {target.parent}: {error.strerror}") from error
    try:
        source, scratch = open_for_copy(database, target.parent)
        copy = sqlite3.connect(temporary, isolation_level=None)
        try:
            source.backup(copy)  # one consistent snapshot, even while phones are sending
            copy.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            copy.execute(f"DROP TABLE IF EXISTS {BACKUP_TABLE}")
            copy.execute(f"CREATE TABLE {BACKUP_TABLE} (key TEXT PRIMARY KEY, value TEXT)")
            rows = {**info, "made_utc": now.strftime("%Y-%m-%dT%H:%M:%SZ")}
            copy.executemany(f"INSERT INTO {BACKUP_TABLE} VALUES (?, ?)", rows.items())
            problems = store.integrity_problems(copy)
        finally:
            copy.close()
            source.close()
            if scratch is not None:
                shutil.rmtree(scratch, ignore_errors=True)
        if problems:
            raise OperationError(
                "the copy failed its integrity check: the database may be damaged; "
                "run 'eore doctor'"
            )
        _fsync(Path(temporary))
        os.replace(temporary, target)
        _fsync(target.parent)
    except sqlite3.Error as error:
        raise OperationError(f"the backup failed: {error}") from error
    except OSError as error:
        raise OperationError(f"cannot write {target}: {error.strerror}") from error
    finally:
        Path(temporary).unlink(missing_ok=True)
    return target


def _companions(database: Path) -> list[Path]:
    return [database.with_name(database.name + suffix) for suffix in ("-wal", "-shm")]


def open_for_copy(database: Path, beside: Path) -> tuple[sqlite3.Connection, Path | None]:
    """Open the database to copy it, even from a full or read-only card.

    SQLite needs to write its shared-memory file to read a database in WAL mode.
    When it cannot (the card is full or has turned read-only), the database and
    its journal are first copied to the backup's disk and read there: what the
    box still holds is saved all the same. Returns the connection and the
    scratch folder to delete afterwards (or None).
    """
    try:
        db = store.connect(database)
        db.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
        return db, None
    except sqlite3.OperationalError as error:
        if store.storage_problem(error) not in ("full", "read_only", "damaged"):
            raise
    scratch = Path(tempfile.mkdtemp(prefix=".eore-backup-", dir=beside))
    shutil.copy2(database, scratch / database.name)
    wal = database.with_name(database.name + "-wal")
    if wal.exists():
        shutil.copy2(wal, scratch / wal.name)
    return sqlite3.connect(scratch / database.name, isolation_level=None), scratch


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    except OSError:
        pass  # some file systems (a FAT stick on some systems) cannot sync a folder
    finally:
        os.close(descriptor)


def prune_backups(folder: Path, keep: int, *, just_written: Path | None = None) -> list[Path]:
    """Delete all but the ``keep`` newest dated backups in ``folder``; return those deleted.

    Newest by when each file was written, not by its name: a name comes from the
    clock, which may have been wrong. The backup ``just_written`` is never deleted.
    """
    dated = _by_age(folder)
    old = [path for path in (dated[:-keep] if keep > 0 else dated) if path != just_written]
    for path in old:
        path.unlink()
    return old


def _by_age(folder: Path) -> list[Path]:
    paths = folder.glob(f"{BACKUP_PREFIX}*{BACKUP_SUFFIX}")
    return sorted(paths, key=lambda path: (path.stat().st_mtime_ns, path.name))


def newest_backup(folder: Path) -> Path | None:
    """Return the dated backup in ``folder`` written last, or None."""
    dated = _by_age(folder)
    return dated[-1] if dated else None


@dataclass(frozen=True)
class BackupInfo:
    """What a backup file holds."""

    info: dict[str, str]
    schema: int
    counts: dict[str, int]


def read_backup(path: Path) -> BackupInfo:
    """Open a backup read-only, check it, and say what it holds."""
    if not path.is_file():
        raise OperationError(f"there is no file {path}")
    try:
        db = store.connect_read_only(path)
        try:
            problems = store.integrity_problems(db)
            if problems:
                raise OperationError(f"{path} is damaged ({problems[0]}): use another backup")
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            if BACKUP_TABLE not in tables:
                raise OperationError(f"{path} is not a backup made by 'eore backup'")
            info = dict(db.execute(f"SELECT key, value FROM {BACKUP_TABLE}"))
            schema = db.execute("PRAGMA user_version").fetchone()[0]
            counts = _counts(db, tables)
        finally:
            db.close()
    except sqlite3.DatabaseError as error:
        raise OperationError(f"{path} is not a backup made by 'eore backup' ({error})") from error
    if schema > store.SCHEMA_VERSION:
        raise OperationError(
            f"{path} was made by a newer version of the toolkit (schema {schema}; this "
            f"version knows {store.SCHEMA_VERSION}): update the toolkit first"
        )
    return BackupInfo(info, schema, counts)


def _counts(db: sqlite3.Connection, tables: set[str]) -> dict[str, int]:
    return {
        label: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] if table in tables else 0
        for table, label in RECORD_TABLES
    }


def current_counts(database: Path) -> dict[str, int] | None:
    """Return how many records of each kind the box holds now (None: it cannot be read)."""
    if not database.exists():
        return {label: 0 for _table, label in RECORD_TABLES}
    try:
        db = store.connect_read_only(database)
        try:
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            return _counts(db, tables)
        finally:
            db.close()
    except sqlite3.DatabaseError:
        return None  # damaged, or on a card that cannot be read


def _readable(database: Path) -> bool:
    try:
        db = store.connect_read_only(database)
        try:
            return not store.integrity_problems(db)
        finally:
            db.close()
    except sqlite3.DatabaseError:
        return False


def restore(path: Path, database: Path, safety_folder: Path) -> Path | None:
    """Replace every record of ``database`` with the backup's; return the safety copy made.

    The records kept before are first backed up into ``safety_folder``, so a
    restore of the wrong file can be undone.
    """
    read_backup(path)
    safety = None
    stamp = f"{datetime.now(UTC):%Y%m%d-%H%M%S}"
    if database.exists() and _readable(database):
        name = f"eore-before-restore-{stamp}{BACKUP_SUFFIX}"
        safety = backup(database, safety_folder / name, {"reason": "before a restore"})
    elif database.exists():
        # A damaged database cannot be copied: it is moved aside whole, for an expert.
        safety_folder.mkdir(parents=True, exist_ok=True)
        safety = safety_folder / f"eore-damaged-{stamp}{BACKUP_SUFFIX}"
        for part in (database, *_companions(database)):
            if part.exists():
                os.replace(part, safety.with_name(safety.name + part.name[len(database.name) :]))
    try:
        source = store.connect_read_only(path)
        target = store.connect(database)
        try:
            source.backup(target)  # page by page, under the database's write lock
            target.execute("PRAGMA journal_mode = WAL")
            target.execute(f"DROP TABLE IF EXISTS {BACKUP_TABLE}")
        finally:
            target.close()
            source.close()
        store.init_db(database)  # an older backup is brought to this version's schema
    except (sqlite3.Error, store.StoreError) as error:
        kept = f"; the records from before are in {safety}" if safety else ""
        raise OperationError(f"the restore failed ({error}){kept}") from error
    return safety


# --- Doctor -------------------------------------------------------------------


@dataclass(frozen=True)
class Finding:
    """One check of ``eore doctor``: its level ("ok", "warn", "fail"), what, and the fix."""

    level: str
    what: str
    fix: str = ""


def doctor(config: dict, *, now: datetime | None = None) -> list[Finding]:
    """Check what can be checked from the box itself; return one finding per check."""
    from .content import check_pack

    now = now or datetime.now(UTC)
    data = Path(config["DATA"])
    database = Path(config.get("DATABASE") or data / "eore.sqlite3")
    findings = [_check_pack(Path(config["CONTENT"]), check_pack)]
    findings.append(_check_folder(data))
    findings.append(_check_space(data if data.exists() else data.parent))
    device = config.get("DEVICE_ID") or kept_device_id(data)
    findings.extend(_check_database(database, now, device))
    findings.append(_check_base_url(config.get("BASE_URL") or ""))
    findings.append(_check_backups(data / "backups", now))
    return findings


def _check_pack(path: Path, check_pack) -> Finding:
    library, problems = check_pack(path)
    if library is None:
        errors = sum(p.severity == "error" for p in problems)
        return Finding(
            "fail",
            f"The content pack in {path} cannot be used ({errors} problem(s)).",
            f"Run 'eore check {path}': it lists each problem by file and line. Fix them, "
            "or set EORE_CONTENT back to a pack that works.",
        )
    if problems:
        return Finding(
            "warn",
            f"Content pack {library.name} {library.version}: usable, with {len(problems)} "
            "warning(s) (missing translations and the like).",
            f"Run 'eore check {path}' to see them.",
        )
    return Finding("ok", f"Content pack {library.name} {library.version}: no problems.")


def _check_folder(data: Path) -> Finding:
    try:
        data.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        problem = error
    else:
        problem = store.write_problem(data)
    if problem is not None:
        return Finding(
            "fail",
            f"The data folder {data} cannot be written ({problem.strerror}).",
            f"Let the toolkit's user write there (on a Pi: sudo chown -R eore: {data}). "
            "If the SD card has become read-only, it is failing: restore the latest backup "
            "on a new card.",
        )
    return Finding("ok", f"The data folder {data} can be written.")


def _check_space(folder: Path) -> Finding:
    try:
        free_mb = shutil.disk_usage(folder).free / (1024 * 1024)
    except OSError as error:
        return Finding("fail", f"Cannot read the free space of {folder} ({error.strerror}).")
    advice = (
        "Make room: copy old backups to a USB stick and delete them from the box, "
        "or move the data folder to a larger card."
    )
    if free_mb < FREE_MB_FAIL:
        return Finding(
            "fail", f"Only {free_mb:.0f} MB free: the box will soon refuse to save.", advice
        )
    if free_mb < FREE_MB_WARN:
        return Finding("warn", f"{free_mb:.0f} MB free on the card.", advice)
    return Finding("ok", f"{free_mb / 1024:.1f} GB free on the card.")


def _check_database(database: Path, now: datetime, device: str) -> list[Finding]:
    if not database.exists():
        return [Finding("ok", f"No database yet at {database}: it is made at the first start.")]
    restore_advice = (
        "Stop the server (sudo systemctl stop eore), restore the latest backup with "
        "'eore restore FILE', then start it again."
    )
    try:
        db = store.connect_read_only(database, timeout=10)
        try:
            problems = store.integrity_problems(db)
            schema = db.execute("PRAGMA user_version").fetchone()[0]
            tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master")}
            # Only this box's records say what its clock said: other boxes' come in bundles.
            newest = max(
                (
                    db.execute(
                        f"SELECT MAX(created_utc) FROM {table} WHERE device = ?", (device,)
                    ).fetchone()[0]
                    or ""
                    for table in TIMED_TABLES
                    if table in tables
                ),
                default="",
            )
        finally:
            db.close()
    except sqlite3.DatabaseError as error:
        return [_unreadable(database, error, restore_advice)]
    if problems:
        return [
            Finding(
                "fail",
                f"The database failed its integrity check: {problems[0]}",
                restore_advice,
            )
        ]
    findings = [Finding("ok", f"The database passes its integrity check (schema {schema}).")]
    if schema > store.SCHEMA_VERSION:
        findings.append(
            Finding(
                "fail",
                f"The database was made by a newer toolkit (schema {schema}).",
                "Install that newer version of the toolkit again.",
            )
        )
    findings.append(_check_clock(now, newest))
    return findings


def _unreadable(database: Path, error: sqlite3.DatabaseError, restore_advice: str) -> Finding:
    """Say why the database cannot be read: a full card, a read-only card, or damage."""
    problem = store.storage_problem(error)
    if problem in ("full", "damaged") and store.nearly_full(database.parent):
        return Finding(
            "fail",
            f"The database cannot be opened: the card is full ({error}).",
            "Make room: copy old backups to a USB stick and delete them from the box. "
            "Nothing needs restoring.",
        )
    if problem == "read_only" or not os.access(database.parent, os.W_OK):
        return Finding(
            "fail",
            f"The database cannot be opened: the card cannot be written ({error}).",
            "The card may be failing: save what it holds now (eore backup --out /media/USB/ "
            "and eore bundle export), then move the box to a new card and restore there.",
        )
    return Finding("fail", f"The database {database} cannot be read ({error}).", restore_advice)


def _check_clock(now: datetime, newest: str) -> Finding:
    set_it = (
        "Set the date and time (UTC) by hand, e.g. sudo date -u -s '2026-11-29 10:00', "
        "or connect the box to the internet once. Records carry the time they were saved."
    )
    if now < EARLIEST_PLAUSIBLE:
        return Finding("fail", f"The box's clock says {now:%Y-%m-%d %H:%M} UTC: too early.", set_it)
    if newest:
        try:
            saved = datetime.strptime(newest[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=UTC)
        except ValueError:
            return Finding("warn", f"The newest record's time cannot be read ({newest}).")
        if saved - now > timedelta(minutes=5):
            return Finding(
                "fail",
                f"The box's clock says {now:%Y-%m-%d %H:%M} UTC, before the newest record "
                f"({newest}): it went back.",
                set_it,
            )
    return Finding("ok", f"The clock says {now:%Y-%m-%d %H:%M} UTC.")


def _check_base_url(base_url: str) -> Finding:
    advice = (
        "Set EORE_BASE_URL to the address phones open, e.g. EORE_BASE_URL=http://10.42.0.1 "
        "(on a Pi, in /etc/eore/eore.env), then restart the server."
    )
    if not base_url:
        return Finding(
            "warn",
            "EORE_BASE_URL is not set: printed QR codes cannot point at the box.",
            advice,
        )
    host = urlsplit(base_url).hostname or ""
    if host in ("localhost", "127.0.0.1", "::1") or host.startswith("127."):
        return Finding(
            "warn",
            f"EORE_BASE_URL is {base_url}: phones cannot reach this address, only the box can.",
            advice,
        )
    return Finding("ok", f"Phones open the box at {base_url}.")


def _check_backups(folder: Path, now: datetime) -> Finding:
    advice = (
        f"Run 'eore backup --out {folder}/ --keep 14', or turn on the nightly backup "
        "(deploy/eore-backup.timer), and copy backups to a USB stick now and then."
    )
    newest = newest_backup(folder) if folder.is_dir() else None
    if newest is None:
        return Finding("warn", f"No backup in {folder}.", advice)
    made = datetime.fromtimestamp(newest.stat().st_mtime, UTC)
    if now - made > BACKUP_AGE_WARN:
        return Finding(
            "warn", f"The newest backup, {newest.name}, is {(now - made).days} day(s) old.", advice
        )
    return Finding("ok", f"Newest backup: {newest.name}.")
