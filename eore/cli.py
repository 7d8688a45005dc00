"""The ``eore`` command: serve the box, check a content pack, manage translations."""

from __future__ import annotations

import errno
import logging
import socket
import sys
from pathlib import Path

import click

from .bundle import bundle_cli
from .content import PackError, check_pack
from .i18n import i18n_cli
from .narrate import audio_cli, audio_coverage_lines
from .settings import SettingError, from_environment, kept_device_id, normalize
from .store import StoreError


@click.group()
def cli():
    """Explosive ordnance risk education toolkit."""


@cli.command()
@click.option(
    "--host",
    default="0.0.0.0",
    show_default=True,
    help="address to listen on (0.0.0.0: every network of the box)",
)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--threads",
    default=8,
    show_default=True,
    type=click.IntRange(1, 64),
    help="requests served at once",
)
def serve(host, port, threads):
    """Serve the toolkit with the production server (waitress)."""
    from waitress import serve as waitress_serve

    from . import create_app

    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        app = create_app()
    except PackError as error:
        click.echo(str(error), err=True)
        click.echo("Fix these problems (eore check lists them too), then start again.", err=True)
        sys.exit(1)
    except StoreError as error:
        click.echo(f"Cannot use the database: {error}.", err=True)
        sys.exit(1)
    except SettingError as error:
        click.echo(f"{error}.", err=True)
        sys.exit(1)
    except OSError as error:
        click.echo(
            f"Cannot use the data folder: {error}. Set EORE_DATA to a folder the "
            "toolkit may write to.",
            err=True,
        )
        sys.exit(1)
    problem = _cannot_listen(host, port)
    if problem:
        click.echo(problem, err=True)
        sys.exit(1)
    with app.app_context():
        import sqlite3

        from . import store
        from .hazards import purge_expired_contacts

        try:
            purge_expired_contacts(store.get_db())
        except sqlite3.Error as error:
            # Logged for the operator; the lessons are served all the same.
            app.logger.error("could not delete expired contacts at start: %s", error)
    from .operations import OperationError, holding_data_folder

    try:
        # One server per data folder; a restore waits until it is stopped.
        with holding_data_folder(Path(app.config["DATA"])):
            click.echo(f"Serving on http://{host}:{port} (press Ctrl+C to stop)")
            waitress_serve(app, host=host, port=port, threads=threads, ident="eore")
    except OperationError as error:
        click.echo(f"Not started: {error}.", err=True)
        sys.exit(1)
    except OSError as error:
        click.echo(_listen_advice(host, port, error), err=True)
        sys.exit(1)


def _cannot_listen(host: str, port: int) -> str | None:
    """Return why the server could not listen on host:port, or None if it can."""
    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind((host, port))
    except OSError as error:
        return _listen_advice(host, port, error)
    return None


def _listen_advice(host: str, port: int, error: OSError) -> str:
    if error.errno == errno.EACCES and port < 1024:
        return (
            f"Cannot listen on {host}:{port} ({error.strerror}): ports below 1024 need a "
            "permission. Run it as the service in deploy/eore.service (which has that one "
            "permission), or choose a port such as --port 8000."
        )
    return (
        f"Cannot listen on {host}:{port} ({error.strerror or error}). Is the toolkit already "
        "running? Stop it, or choose another port with --port."
    )


@cli.command()
@click.argument("path", required=False, type=click.Path(file_okay=False, path_type=Path))
def check(path):
    """Validate a content pack (default: EORE_CONTENT); exit 1 if unusable."""
    path = path or Path(from_environment()["CONTENT"])
    library, problems = check_pack(path)
    for problem in sorted(problems, key=lambda p: (p.file, p.line or 0)):
        click.echo(str(problem))
    errors = sum(p.severity == "error" for p in problems)
    warnings = len(problems) - errors
    if library is None:
        click.echo(f"{path}: {errors} error(s), {warnings} warning(s): the pack cannot be used.")
        sys.exit(1)
    click.echo(
        f"{library.name} {library.version}: {len(library.lessons)} lesson(s), "
        f"{len(library.quizzes)} with a quiz ({len(library.questions)} questions), "
        f"{len(library.tests)} knowledge test(s)"
    )
    click.echo("Translation coverage:")
    for code, (done, total) in library.coverage().items():
        info = library.locales[code]
        quizzes = library.quiz_coverage()[code]
        guides = sum(code in lesson.guides for lesson in library.lessons.values())
        click.echo(
            f"  {code} {info.name}: {done}/{total} lessons, "
            f"{quizzes}/{len(library.quizzes)} quizzes, {guides}/{total} teacher guides "
            f"({info.review})"
        )
    for line in audio_coverage_lines(library):
        click.echo(line)
    if not from_environment()["BASE_URL"]:
        click.echo(BASE_URL_ADVICE)
    click.echo(f"{path}: 0 errors, {warnings} warning(s): the pack is usable.")


BASE_URL_ADVICE = (
    "warning: EORE_BASE_URL is not set: printed QR codes would point at an address phones "
    "on the box's Wi-Fi cannot reach. Set it to the box's address, e.g. "
    "EORE_BASE_URL=http://10.42.0.1:8000 or EORE_BASE_URL=http://eore.lan"
)


def _app_or_exit():
    """Return the application, or explain in one line why it cannot start and exit."""
    from . import create_app

    try:
        return create_app()
    except PackError as error:
        click.echo(str(error), err=True)
        click.echo("Fix these problems (eore check lists them too), then try again.", err=True)
    except (StoreError, SettingError) as error:
        click.echo(f"{error}.", err=True)
    except OSError as error:
        click.echo(f"Cannot use the data folder: {error}.", err=True)
    sys.exit(1)


def _locales_or_exit(app, chosen) -> list[str]:
    known = list(app.extensions["eore"]["library"].locales)
    unknown = [code for code in chosen if code not in known]
    if unknown:
        click.echo(
            f"Unknown language {', '.join(unknown)}: the pack has {', '.join(known)}.", err=True
        )
        sys.exit(1)
    return list(chosen) or known


@cli.group()
def export():
    """Export material for other channels."""


@export.command("sms")
@click.option("--locale", "locale", required=True, help="language code, e.g. ar")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="CSV file to write (default: print it)",
)
def export_sms(locale, out):
    """Every key message with its SMS encoding and parts, as CSV for an SMS gateway."""
    from .materials import sms_csv, sms_rows

    app = _app_or_exit()
    _locales_or_exit(app, [locale])
    with app.app_context():
        rows = sms_rows(locale)
    text = sms_csv(rows)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text("\ufeff" + text, encoding="utf-8", newline="")
    long_ones = sum(not row["count"].single for row in rows)
    click.echo(f"{len(rows)} messages, {long_ones} longer than one SMS.", err=True)


FORMAT_HELP = "csv has an HXL hashtag row; xlsform uses XLSForm names and choice names"


@export.command("sessions")
@click.option(
    "--format",
    "kind",
    type=click.Choice(["csv", "json", "xlsform"]),
    default="csv",
    show_default=True,
    help=FORMAT_HELP,
)
@click.option("--since", help="only sessions on or after this date, e.g. 2026-11-01")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="file to write")
def export_sessions(kind, since, out):
    """Every session report, for the national database or a humanitarian cluster."""
    from .reports import export_reports

    _export(export_reports, "xlsform.csv" if kind == "xlsform" else kind, since, out)


@export.command("reports")
@click.option(
    "--format",
    "kind",
    type=click.Choice(["csv", "json", "xlsform", "geojson"]),
    default="csv",
    show_default=True,
    help=FORMAT_HELP + "; geojson holds only locations safe to record, without contacts",
)
@click.option("--since", help="only reports received on or after this date, e.g. 2026-11-01")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="file to write")
def export_hazard_reports(kind, since, out):
    """Every community hazard report, for the national database, a cluster or a map."""
    from .hazards import export_reports

    _export(export_reports, "xlsform.csv" if kind == "xlsform" else kind, since, out)


def _export(make, kind: str, since: str | None, out: Path | None) -> None:
    """Write ``make(db, kind, since)``'s text to ``out`` (or print it); exit on a bad date."""
    from datetime import date

    from . import store

    if since:
        try:
            since = date.fromisoformat(since).isoformat()
        except ValueError:
            click.echo(f"--since is '{since}': give a date such as 2026-11-01.", err=True)
            sys.exit(1)
    app = _app_or_exit()
    with app.app_context():
        text, _mimetype, _name = make(store.get_db(), kind, since)
    if out is None:
        click.echo(text, nl=False)
    else:
        out.write_text(text, encoding="utf-8", newline="")
        click.echo(f"Wrote {out}.", err=True)


@export.command("static")
@click.option(
    "--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="folder"
)
@click.option(
    "--base-url",
    help="address where the site will be published, e.g. https://eore.example.org "
    "(default: EORE_BASE_URL); printed QR codes point there",
)
@click.option("--locale", "locales", multiple=True, help="only this language (repeatable)")
def export_static(out, base_url, locales):
    """The learner's site as static files, for any web server or CDN."""
    from .export import MARKER, export
    from .sitebuild import empty_folder

    app = _app_or_exit()
    if base_url:
        app.config["BASE_URL"] = base_url
        try:
            normalize(app.config)
        except SettingError as error:
            click.echo(str(error).replace("EORE_BASE_URL", "--base-url") + ".", err=True)
            sys.exit(1)
    if not app.config["BASE_URL"]:
        click.echo(
            "Give --base-url, the address where the site will be published (such as "
            "https://eore.example.org): the QR codes of printed materials open it.",
            err=True,
        )
        sys.exit(1)
    chosen = _locales_or_exit(app, locales)
    if out.exists() and any(out.iterdir()):
        if not (out / MARKER).exists():
            click.echo(
                f"{out} is not empty and holds no earlier export: choose an empty or new folder.",
                err=True,
            )
            sys.exit(1)
        empty_folder(out)

    def progress(done, total, name):
        click.echo(f"[{done}/{total}] {name}", err=True)

    count = export(app, out, chosen, progress)
    click.echo(f"{count} files in {out}: publish the folder, or open {out / 'index.html'}")


@cli.group()
def reports():
    """Community hazard reports kept on the box."""


@reports.command("purge-contacts")
@click.option(
    "--days",
    type=click.IntRange(0, 3650),
    help="delete the contacts of reports received more than this many days ago "
    "(default: EORE_CONTACT_DAYS; 0 deletes them all)",
)
def reports_purge_contacts(days):
    """Delete reporters' names and phone numbers once kept long enough; keep the rest."""
    from . import store
    from .hazards import purge_contacts

    app = _app_or_exit()
    days = app.config["CONTACT_DAYS"] if days is None else days
    with app.app_context():
        count = purge_contacts(store.get_db(), days)
    click.echo(f"Deleted the contact of {count} report(s) received more than {days} day(s) ago.")


@cli.group()
def demo():
    """Demo data, to try or time the dashboard (refused where real records are kept)."""


@demo.command("seed")
@click.option("--sessions", default=200, show_default=True, type=click.IntRange(0, 1_000_000))
@click.option(
    "--attempts",
    default=4000,
    show_default=True,
    type=click.IntRange(0, 10_000_000),
    help="quiz attempts: about 70% knowledge tests in sessions, the rest lesson quizzes",
)
@click.option("--hazards", default=100, show_default=True, type=click.IntRange(0, 1_000_000))
@click.option("--seed", "seed", default=1, show_default=True, help="the same seed, the same data")
@click.option("--force", is_flag=True, help="add demo data even where real records are kept")
def demo_seed(sessions, attempts, hazards, seed, force):
    """Fill the box's database with a year of invented records, all marked device 'demo'."""
    import sqlite3
    import time

    from .demo import DemoRefused, seed_database

    app = _app_or_exit()
    library = app.extensions["eore"]["library"]
    started = time.perf_counter()
    try:
        counts = seed_database(
            app.config["DATABASE"],
            library,
            sessions=sessions,
            attempts=attempts,
            hazards=hazards,
            seed=seed,
            force=force,
            say=lambda line: click.echo(line, err=True),
        )
    except DemoRefused as error:
        click.echo(f"Not done: {error}.", err=True)
        sys.exit(1)
    except sqlite3.Error as error:
        click.echo(
            f"Stopped: the database {app.config['DATABASE']} refused a write ({error}).", err=True
        )
        sys.exit(1)
    click.echo(
        f"Added {counts.sessions} demo sessions ({counts.reports} reports, {counts.referrals} "
        f"referrals), {counts.attempts} quiz attempts ({counts.answers} answers) and "
        f"{counts.hazards} hazard reports to {app.config['DATABASE']} in "
        f"{time.perf_counter() - started:.1f} s (seed {seed})."
    )


@cli.group()
def users():
    """Accounts of facilitators and admins (participants never need one)."""


def _accounts_or_exit(action):
    """Run ``action(db, device)`` on the box's database; explain a refusal in one line."""
    from . import store
    from .accounts import AccountError

    app = _app_or_exit()
    db = store.connect(app.config["DATABASE"])
    try:
        return action(db, app.config["DEVICE_ID"])
    except AccountError as error:
        click.echo(f"Not done: {error}.", err=True)
        sys.exit(1)
    finally:
        db.close()


def _new_password(generate: bool) -> tuple[str, bool]:
    import secrets

    if generate:
        return secrets.token_urlsafe(12), True
    password = click.prompt(
        "Password (at least 10 characters)", hide_input=True, confirmation_prompt=True
    )
    return password, False


@users.command("add")
@click.argument("name")
@click.option("--role", type=click.Choice(["facilitator", "admin"]), required=True)
@click.option("--generate", is_flag=True, help="make up a password and print it once")
def users_add(name, role, generate):
    """Add an account; the password is asked for, or generated and printed once."""
    from .accounts import add_account

    password, generated = _new_password(generate)
    account = _accounts_or_exit(
        lambda db, device: add_account(db, name, role, password, device=device)
    )
    click.echo(f"Added {account.name} ({account.role}).")
    if generated:
        click.echo(f"Password: {password}")
        click.echo("It is shown only this once: give it to the person, who signs in at /login.")


@users.command("list")
def users_list():
    """List the accounts."""
    from .accounts import all_accounts

    accounts = _accounts_or_exit(lambda db, device: all_accounts(db))
    if not accounts:
        click.echo("No account yet: add one with 'eore users add NAME --role admin'.")
    for account in accounts:
        state = "active" if account.active else "disabled"
        click.echo(f"{account.name}\t{account.role}\t{state}\tsince {account.created_utc}")


@users.command("disable")
@click.argument("name")
def users_disable(name):
    """Disable an account: it is signed out at once and cannot sign in (nothing is deleted)."""
    from .accounts import set_active

    account = _accounts_or_exit(lambda db, device: set_active(db, name, False))
    click.echo(f"Disabled {account.name}; 'eore users enable {account.name}' undoes it.")


@users.command("enable")
@click.argument("name")
def users_enable(name):
    """Enable a disabled account again."""
    from .accounts import set_active

    account = _accounts_or_exit(lambda db, device: set_active(db, name, True))
    click.echo(f"Enabled {account.name}.")


@users.command("passwd")
@click.argument("name")
@click.option("--generate", is_flag=True, help="make up a password and print it once")
def users_passwd(name, generate):
    """Give an account a new password; its open sessions end."""
    from .accounts import set_password

    password, generated = _new_password(generate)
    account = _accounts_or_exit(lambda db, device: set_password(db, name, password))
    click.echo(f"New password set for {account.name}; their open sessions have ended.")
    if generated:
        click.echo(f"Password: {password}")


@cli.group()
def materials():
    """Printable materials."""


@materials.command("build")
@click.option(
    "--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="folder"
)
@click.option("--locale", "locales", multiple=True, help="only this language (repeatable)")
def materials_build(out, locales):
    """Write every printable page (posters, leaflets, cards, stickers, SMS kit) as files."""
    from .materials_build import build

    app = _app_or_exit()
    if not app.config["BASE_URL"]:
        click.echo(BASE_URL_ADVICE.replace("warning: ", ""), err=True)
        sys.exit(1)
    chosen = _locales_or_exit(app, locales)

    def progress(done, total, name):
        click.echo(f"[{done}/{total}] {name}", err=True)

    count = build(app, out, chosen, progress)
    click.echo(f"{count} files in {out}: open {out / chosen[0] / 'materials' / 'index.html'}")


@cli.command()
def doctor():
    """Check the box: content, database, disk, clock, address and backups; exit 1 on a fault."""
    from .operations import Finding
    from .operations import doctor as run_checks

    config = from_environment()
    try:
        normalize(config)
    except SettingError as error:
        findings = [Finding("fail", f"{error}.", "Correct the setting, then restart the server.")]
        config["BASE_URL"] = ""
    else:
        findings = []
    findings = run_checks(config) + findings
    marks = {"ok": "ok  ", "warn": "WARN", "fail": "FAIL"}
    for finding in findings:
        click.echo(f"{marks[finding.level]}  {finding.what}")
        if finding.fix and finding.level != "ok":
            click.echo(f"      -> {finding.fix}")
    faults = sum(f.level == "fail" for f in findings)
    warnings = sum(f.level == "warn" for f in findings)
    if faults:
        click.echo(f"{faults} problem(s) to fix, {warnings} warning(s).")
        sys.exit(1)
    click.echo(f"The box is ready ({warnings} warning(s)).")


def _database_path() -> Path:
    return Path(from_environment()["DATA"]) / "eore.sqlite3"


@cli.command("backup")
@click.option(
    "--out",
    required=True,
    type=click.Path(),  # text, not a path object: a final slash means a folder
    help="file to write, or a folder (ending in /) for a dated file",
)
@click.option(
    "--keep",
    type=click.IntRange(1, 10_000),
    help="with a folder: keep only this many newest backups there",
)
def backup_command(out, keep):
    """Copy every record into one file while the server runs."""
    from datetime import UTC, datetime

    from .operations import (
        OperationError,
        backup,
        backup_target,
        pack_identity,
        prune_backups,
        toolkit_version,
    )

    settings = from_environment()
    now = datetime.now(UTC)
    target, dated = backup_target(out, now)
    if keep and not dated:
        click.echo("--keep needs --out to be a folder (end it with /).", err=True)
        sys.exit(1)
    info = {
        **pack_identity(Path(settings["CONTENT"])),
        "device": settings["DEVICE_ID"] or kept_device_id(Path(settings["DATA"])) or "unknown",
        "toolkit_version": toolkit_version(),
    }
    try:
        written = backup(_database_path(), out, info, now=now)
    except OperationError as error:
        click.echo(f"No backup made: {error}.", err=True)
        sys.exit(1)
    click.echo(f"Backup written: {written} ({written.stat().st_size // 1024} KB)")
    if keep:
        for old in prune_backups(target.parent, keep, just_written=written):
            click.echo(f"Deleted an older backup: {old.name}")


@cli.command("restore")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--yes", is_flag=True, help="do not ask for confirmation")
def restore_command(file, yes):
    """Replace every record on this box with a backup's (the records before are kept aside)."""
    from .operations import (
        OperationError,
        current_counts,
        holding_data_folder,
        read_backup,
        restore,
    )

    database = _database_path()
    settings = from_environment()
    this_box = settings["DEVICE_ID"] or kept_device_id(Path(settings["DATA"])) or "unknown"
    try:
        held = read_backup(file)
    except OperationError as error:
        click.echo(f"Nothing restored: {error}.", err=True)
        sys.exit(1)
    info = held.info
    click.echo(
        f"Backup of {info.get('made_utc', '?')} from box {info.get('device', '?')}, "
        f"content pack {info.get('pack_name', '?')} {info.get('pack_version', '?')}."
    )
    if info.get("device") not in (None, "unknown", this_box):
        click.echo(
            f"WARNING: this backup comes from another box ({info.get('device')}); this box is "
            f"{this_box}. Restoring it replaces this box's records with that box's."
        )
    now = current_counts(database)
    for label, count in held.counts.items():
        here = "cannot be read" if now is None else now[label]
        click.echo(f"  {label}: {count} in the backup, {here} on the box now")
    if not yes and not click.confirm(
        "Replace every record on this box with the backup's? Stop the server first "
        "(sudo systemctl stop eore).",
        default=False,
    ):
        click.echo("Nothing restored.")
        sys.exit(1)
    try:
        with holding_data_folder(database.parent):
            safety = restore(file, database, database.parent / "backups")
    except OperationError as error:
        click.echo(f"Nothing restored: {error}.", err=True)
        sys.exit(1)
    click.echo("Restored.")
    if safety:
        click.echo(f"The records from before the restore are kept in {safety}.")


cli.add_command(i18n_cli)
cli.add_command(audio_cli)
cli.add_command(bundle_cli)


def main():
    """Run the ``eore`` command."""
    cli(prog_name="eore")
