"""Community hazard reports: anyone reports what they saw; admins follow each to closure.

``/<locale>/report`` asks a few plain questions, pictures first, and works
with JavaScript off. The form carries a new report id from the moment it is
shown: sending it twice (a double tap, a retry after the Wi-Fi dropped) stores
one report. A report counts as received only once its transaction is
committed; only then does the page show its reference. Nothing of a report is
ever shown to anyone but a signed-in admin: the confirmation page gives the
reference and what happens next, nothing more.

Coordinates are kept only when the person says it is safe to record the
location, and a contact only with their consent; contacts are deleted after
``EORE_CONTACT_DAYS`` (before any page or export reads them, and by
``eore reports purge-contacts``).
"""

from __future__ import annotations

import json
import re
import secrets
import sqlite3
import threading
import time
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError

from . import store
from .accounts import account_by_id, current_account, protect
from .content import current_library, in_locale
from .i18n import localized_blueprint
from .site import storage_failure, storage_message
from .tables import write_csv

# What people may have seen, by the choice names national databases use.
ITEMS = {
    "mine": _l("A mine"),
    "uxo": _l("A bomb, shell, rocket or grenade that did not explode"),
    "cluster_submunition": _l("A small bomb from a cluster bomb"),
    "ied": _l("A home-made bomb or a strange object with wires"),
    "unknown": _l("I do not know what it is"),
}
HOW_MANY = {
    "one": _l("One"),
    "few": _l("A few (2 to 5)"),
    "many": _l("Many (more than 5)"),
    "unknown": _l("I do not know"),
}
WHEN = {
    "today": _l("Today"),
    "yesterday": _l("Yesterday"),
    "earlier": _l("Before that"),
}
MARKED = {
    "no": _l("No"),
    "official": _l("Yes, with signs of the mine action team (red signs, tape)"),
    "informal": _l("Yes, by people (stones, sticks, cloth)"),
    "unknown": _l("I do not know"),
}
NEARBY = {
    "home": _l("Homes"),
    "school": _l("A school"),
    "road": _l("A road or path"),
    "farmland": _l("Fields or farmland"),
    "water": _l("A water point"),
}
HURT = {
    "no": _l("No"),
    "yes": _l("Yes"),
    "unknown": _l("I do not know"),
}
STATUSES = {
    "new": _l("New"),
    "forwarded": _l("Forwarded to the authority"),
    "verified": _l("Verified"),
    "closed": _l("Closed"),
}
# Where a report may go from each status; a closed report can be opened again.
NEXT_STATUS = {
    "new": ("forwarded", "verified", "closed"),
    "forwarded": ("verified", "closed"),
    "verified": ("closed",),
    "closed": ("new",),
}
# What an unanswered question is stored as (what was seen must be answered).
UNANSWERED = {
    "item": "",
    "how_many": "unknown",
    "when": "",  # the day is not known, unless one is typed
    "marked": "unknown",
    "hurt": "unknown",
}
MAX_TEXT = {
    "description": 1000,
    "place": 200,
    "contact_name": 100,
    "contact_phone": 40,
    "note": 2000,
}
EARLIEST_DAY = date(1900, 1, 1)  # a day seen before this is a typing slip
# Decimal degrees, with a point or a comma, at most 8 decimals.
DEGREES_RE = re.compile(r"^[+-]?\d{1,3}(?:[.,]\d{1,8})?$")
PHONE_RE = re.compile(r"^\+?[\d ()./-]{3,40}$")
# Letters and digits that cannot be mistaken for one another when read aloud.
REFERENCE_ALPHABET = "ACDEFHJKMNPRTUVWXY3479"
REPORTS_PER_PHONE = 30  # within REPORT_WINDOW: a class on one phone fits, a flood does not
REPORT_WINDOW = 600
INBOX_LIMIT = 500

bp = localized_blueprint("hazards", __name__)
admin = Blueprint("hazard_admin", __name__, url_prefix="/admin/reports")
protect(admin, role="admin")


@dataclass(frozen=True)
class HazardReport:
    """One community hazard report as stored."""

    id: str
    reference: str
    device: str
    created_utc: str
    locale: str
    seen_on: str | None
    item: str
    how_many: str
    description: str
    place: str
    admin_area: str | None
    geo_safe: bool
    latitude: float | None
    longitude: float | None
    marked: str
    nearby: tuple[str, ...]
    hurt: str
    urgent: bool
    contact_consent: bool
    contact_name: str | None
    contact_phone: str | None
    contact_purged_utc: str | None
    status: str
    status_by: str | None
    status_utc: str | None

    @property
    def has_location(self) -> bool:
        """Return whether the report has coordinates that are safe to use."""
        return self.geo_safe and self.latitude is not None and self.longitude is not None


@dataclass(frozen=True)
class HazardEvent:
    """A change of status or a note, with who and when."""

    created_utc: str
    account: str
    from_status: str | None
    to_status: str | None
    note: str


def _hazard(row) -> HazardReport | None:
    if row is None:
        return None
    return HazardReport(
        id=row["id"],
        reference=row["reference"],
        device=row["device"],
        created_utc=row["created_utc"],
        locale=row["locale"],
        seen_on=row["seen_on"],
        item=row["item"],
        how_many=row["how_many"],
        description=row["description"],
        place=row["place"],
        admin_area=row["admin_area"],
        geo_safe=bool(row["geo_safe"]),
        latitude=row["latitude"],
        longitude=row["longitude"],
        marked=row["marked"],
        nearby=tuple(row["nearby"].split()),
        hurt=row["hurt"],
        urgent=bool(row["urgent"]),
        contact_consent=bool(row["contact_consent"]),
        contact_name=row["contact_name"],
        contact_phone=row["contact_phone"],
        contact_purged_utc=row["contact_purged_utc"],
        status=row["status"],
        status_by=row["status_by"],
        status_utc=row["status_utc"],
    )


# --- Reading the form -------------------------------------------------------


def clean_text(value: str | None) -> str:
    """Return typed text without control characters (new lines kept) or outer spaces."""
    text = (value or "").replace("\r\n", "\n")
    return "".join(c for c in text if c in "\n\t" or unicodedata.category(c)[0] != "C").strip()


def ascii_digits(value: str) -> str:
    """Return ``value`` with decimal digits of any script (Arabic-Indic too) as 0-9."""
    return "".join(str(unicodedata.decimal(c)) if c.isdecimal() else c for c in value)


def _degrees(value: str, limit: int) -> float | None:
    """Return decimal degrees within +-``limit``, or None when the text is not one."""
    # Arabic script writes the decimal point as U+066B.
    text = ascii_digits(value.replace(" ", "").replace("\u066b", "."))
    if not DEGREES_RE.match(text):
        return None
    number = float(text.replace(",", "."))
    return round(number, 6) if -limit <= number <= limit else None


def read_form(form, library, today: date) -> tuple[dict, dict[str, str]]:
    """Return the report's fields as typed, and a message per field that cannot be kept.

    The fields keep the text exactly as typed (trimmed), so that a refused
    form shows it again; parsed values are added under their own keys.
    """
    fields: dict = {}
    problems: dict[str, str] = {}
    for name, choices in (
        ("item", ITEMS),
        ("how_many", HOW_MANY),
        ("when", WHEN),
        ("marked", MARKED),
        ("hurt", HURT),
    ):
        value = form.get(name) or ""
        if value and value not in choices:
            problems[name] = _("Choose one of the answers on the page.")
            value = ""
        fields[name] = value or UNANSWERED[name]
    if not fields["item"] and "item" not in problems:
        problems["item"] = _("Choose what you saw.")
    nearby = form.getlist("nearby")
    if any(value not in NEARBY for value in nearby):
        problems["nearby"] = _("Choose one of the answers on the page.")
    fields["nearby"] = [value for value in NEARBY if value in nearby]
    for name in ("description", "place", "contact_name", "contact_phone"):
        fields[name] = clean_text(form.get(name))
        if len(fields[name]) > MAX_TEXT[name]:
            problems[name] = _(
                "This is too long: at most %(max)d characters (you wrote %(num)d).",
                max=MAX_TEXT[name],
                num=len(fields[name]),
            )
    fields["seen_date"] = clean_text(form.get("seen_date"))[:40]
    fields["seen_on"] = _seen_on(fields, today, problems)
    area = form.get("admin_area") or ""
    if area and area not in {a.code for a in library.areas}:
        problems["admin_area"] = _("Choose one of the answers on the page.")
        area = ""
    fields["admin_area"] = area
    if not fields["place"] and not area and "place" not in problems:
        problems["place"] = _("Say where it is: the name of the place, or a road or landmark.")
    _read_location(form, fields, problems)
    _read_contact(form, fields, problems)
    return fields, problems


def _seen_on(fields: dict, today: date, problems: dict) -> str | None:
    """Return the day the item was seen (YYYY-MM-DD), or None when the person does not say."""
    typed = ascii_digits(fields["seen_date"])
    day = None
    if typed:
        try:
            day = date.fromisoformat(typed)
        except ValueError:
            day = EARLIEST_DAY - timedelta(days=1)  # refused just below
        if day > today:
            problems["seen_date"] = _("This day has not come yet: check the date.")
            return None
        if day < EARLIEST_DAY:
            problems["seen_date"] = _("Write the day like 2026-11-28, or leave it empty.")
            return None
    if fields["when"] in ("today", "yesterday"):
        chosen = today if fields["when"] == "today" else today - timedelta(days=1)
        if day is not None and day != chosen:
            problems["seen_date"] = _(
                "You chose today or yesterday but wrote another day: choose "
                "\u201cBefore that\u201d, or clear the day."
            )
            return None
        return chosen.isoformat()
    return day.isoformat() if day else None


def _read_location(form, fields: dict, problems: dict) -> None:
    fields["geo_safe"] = form.get("geo_safe") == "yes"
    fields["latitude_text"] = clean_text(form.get("latitude"))[:40]
    fields["longitude_text"] = clean_text(form.get("longitude"))[:40]
    fields["latitude"] = fields["longitude"] = None
    typed = fields["latitude_text"] or fields["longitude_text"]
    if not typed:
        return
    if not fields["geo_safe"]:
        problems["latitude"] = _(
            "You wrote a location but did not say it is safe to record it. "
            "Tick the box if it is safe, or clear the numbers."
        )
        return
    latitude = _degrees(fields["latitude_text"], 90)
    longitude = _degrees(fields["longitude_text"], 180)
    if latitude is None or longitude is None:
        problems["latitude"] = _(
            "The location must be two numbers in degrees: latitude from -90 to 90 "
            "and longitude from -180 to 180, like 33.51 and 36.29."
        )
        return
    fields["latitude"], fields["longitude"] = latitude, longitude


def _read_contact(form, fields: dict, problems: dict) -> None:
    fields["contact_consent"] = form.get("contact_consent") == "yes"
    if fields["contact_phone"] and "contact_phone" not in problems:
        if not PHONE_RE.match(ascii_digits(fields["contact_phone"])):
            problems["contact_phone"] = _("A phone number has only digits, spaces and +.")
    if (fields["contact_name"] or fields["contact_phone"]) and not fields["contact_consent"]:
        problems["contact_consent"] = _(
            "You wrote how to reach you but did not agree to be contacted. "
            "Tick the box, or clear your name and number."
        )


def is_urgent(fields: dict) -> bool:
    """Return whether a report goes to the top of the inbox: someone hurt, or near a school."""
    return fields["hurt"] == "yes" or "school" in fields["nearby"]


# --- Storing ----------------------------------------------------------------


def new_reference() -> str:
    """Return a reference such as H-7KQ3-X9MP, easy to read aloud on the phone."""
    letters = "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(8))
    return f"H-{letters[:4]}-{letters[4:]}"


def save_report(db, report_id: str, fields: dict, locale: str, *, device: str) -> bool:
    """Store the report once, committed; return whether it is new (False: sent before)."""
    for _attempt in range(5):
        try:
            with store.writing(db):
                return bool(
                    db.execute(
                        "INSERT INTO hazard_report (id, device, created_utc, reference, locale,"
                        " seen_on, item, how_many, description, place, admin_area, geo_safe,"
                        " latitude, longitude, marked, nearby, hurt, urgent, contact_consent,"
                        " contact_name, contact_phone)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                        " ON CONFLICT (id) DO NOTHING",
                        (
                            report_id,
                            device,
                            store.utc_now(),
                            new_reference(),
                            locale,
                            fields["seen_on"],
                            fields["item"],
                            fields["how_many"],
                            fields["description"],
                            fields["place"],
                            fields["admin_area"] or None,
                            int(fields["geo_safe"]),
                            fields["latitude"],
                            fields["longitude"],
                            fields["marked"],
                            " ".join(fields["nearby"]),
                            fields["hurt"],
                            int(is_urgent(fields)),
                            int(fields["contact_consent"]),
                            fields["contact_name"] or None if fields["contact_consent"] else None,
                            # Digits as the authority dials them, in any script typed.
                            ascii_digits(fields["contact_phone"]) or None
                            if fields["contact_consent"]
                            else None,
                        ),
                    ).rowcount
                )
        except sqlite3.IntegrityError as error:
            if "reference" not in str(error):
                raise
            # The reference was drawn before: draw another.
    raise RuntimeError("could not draw a new report reference")


def report_by_id(db, report_id: str) -> HazardReport | None:
    """Return the report with this id, or None."""
    return _hazard(db.execute("SELECT * FROM hazard_report WHERE id = ?", (report_id,)).fetchone())


def list_reports(
    db,
    *,
    status: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int | None = None,
    oldest_first: bool = False,
) -> list[HazardReport]:
    """Return reports, open and urgent first, then newest (or all oldest first).

    ``since`` and ``until`` are days (YYYY-MM-DD) the reports were received, both included.
    """
    conditions, values = store.where(
        ("status = ?", status),
        ("substr(created_utc, 1, 10) >= ?", since),
        ("substr(created_utc, 1, 10) <= ?", until),
    )
    # The inbox: reports still open first, among them the urgent, then the newest.
    order = (
        "created_utc, rowid"
        if oldest_first
        else "status = 'closed', urgent DESC, created_utc DESC, rowid DESC"
    )
    sql = f"SELECT * FROM hazard_report WHERE {conditions} ORDER BY {order}"
    if limit:
        sql += f" LIMIT {int(limit)}"
    return [_hazard(row) for row in db.execute(sql, values)]


def count_by_status(db) -> dict[str, int]:
    """Return how many reports there are in each status (for facilitators: counts only)."""
    counts = dict.fromkeys(STATUSES, 0)
    for row in db.execute("SELECT status, COUNT(*) AS n FROM hazard_report GROUP BY status"):
        counts[row["status"]] = row["n"]
    return counts


def events_of(db, report_id: str) -> list[HazardEvent]:
    """Return the report's history, oldest first, with the names of who acted."""
    rows = db.execute(
        "SELECT e.*, a.name FROM hazard_event e JOIN account a ON a.id = e.account_id"
        " WHERE e.report_id = ? ORDER BY e.created_utc, e.rowid",
        (report_id,),
    ).fetchall()
    return [
        HazardEvent(r["created_utc"], r["name"], r["from_status"], r["to_status"], r["note"])
        for r in rows
    ]


def change_status(
    db,
    report: HazardReport,
    to_status: str | None,
    note: str,
    account_id: str,
    *,
    event_id: str,
    device: str,
) -> bool:
    """Record a new status and/or a note once; return False if the report changed meanwhile.

    ``event_id`` comes with the form: the same form sent again records nothing more.
    """
    now = store.utc_now()
    with store.writing(db):
        if event_recorded(db, event_id):
            return True  # sent before: already recorded
        if to_status is not None:
            changed = db.execute(
                "UPDATE hazard_report SET status = ?, status_by = ?, status_utc = ?"
                " WHERE id = ? AND status = ?",
                (to_status, account_id, now, report.id, report.status),
            ).rowcount
            if not changed:
                return False
        db.execute(
            "INSERT INTO hazard_event (id, device, created_utc, report_id, account_id,"
            " from_status, to_status, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                event_id,
                device,
                now,
                report.id,
                account_id,
                report.status if to_status else None,
                to_status,
                note,
            ),
        )
    return True


def event_recorded(db, event_id: str) -> bool:
    """Return whether the change or note with this id is stored."""
    return db.execute("SELECT 1 FROM hazard_event WHERE id = ?", (event_id,)).fetchone() is not None


def purge_contacts(db, days: int, now: datetime | None = None) -> int:
    """Delete the name and phone of reports older than ``days``; return how many."""
    now = now or datetime.now(UTC)
    cutoff = (now - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    due = db.execute(
        "SELECT 1 FROM hazard_report WHERE created_utc <= ?"
        " AND (contact_name IS NOT NULL OR contact_phone IS NOT NULL) LIMIT 1",
        (cutoff,),
    ).fetchone()
    if due is None:
        return 0  # nothing to delete: no write, no wait for the lock
    with store.writing(db):
        return db.execute(
            "UPDATE hazard_report SET contact_name = NULL, contact_phone = NULL,"
            " contact_purged_utc = ? WHERE created_utc <= ?"
            " AND (contact_name IS NOT NULL OR contact_phone IS NOT NULL)",
            (now.strftime("%Y-%m-%dT%H:%M:%SZ"), cutoff),
        ).rowcount


def purge_expired_contacts(db) -> int:
    """Delete contacts kept longer than EORE_CONTACT_DAYS (called before contacts are read)."""
    return purge_contacts(db, current_app.config["CONTACT_DAYS"])


# --- The form ---------------------------------------------------------------


class RecentReports:
    """How many reports each address sent lately, in memory: a flood is refused."""

    def __init__(self):
        self._lock = threading.Lock()
        self._sent: dict[str, list[float]] = {}

    def allow(self, address: str) -> bool:
        """Return whether ``address`` may send one more report now (and count it)."""
        now = time.monotonic()
        with self._lock:
            recent = [t for t in self._sent.get(address, ()) if now - t < REPORT_WINDOW]
            if len(recent) >= REPORTS_PER_PHONE:
                self._sent[address] = recent
                return False
            self._sent[address] = [*recent, now]
            if len(self._sent) > 10_000:  # forget addresses that went quiet
                self._sent = {a: ts for a, ts in self._sent.items() if now - ts[-1] < REPORT_WINDOW}
            return True

    def forget_last(self, address: str) -> None:
        """Take back the last report counted for ``address``: it could not be saved."""
        with self._lock:
            if self._sent.get(address):
                self._sent[address].pop()


def recent_reports() -> RecentReports:
    return current_app.extensions["eore"].setdefault("recent_reports", RecentReports())


@bp.route("/report", methods=["GET", "POST"])
def report():
    """Ask what was seen, where, and whether someone is hurt; store it once."""
    library = current_library()
    fields, problems, status = {}, {}, 200
    report_id = store.new_record_id()
    if request.method == "POST":
        sent_id = store.record_id_from(request.form.get("report_id"))
        fields, problems = read_form(request.form, library, date.today())
        if g.get("csrf_failed") or sent_id is None:
            problems["form"] = _(
                "This form had expired. Nothing was sent: check your answers and send it again."
            )
        if problems:
            status = 422
            report_id = sent_id or report_id
        else:
            try:
                saved = _save_once(sent_id, fields)
            except sqlite3.DatabaseError as error:
                failure = storage_failure(error)
                if failure is None:
                    raise
                # Not saved: the form is shown again with everything typed in it.
                problems["form"] = storage_message(failure)
                status, report_id = 503, sent_id
            else:
                if saved:
                    return redirect(url_for("hazards.sent", report_id=sent_id), 303)
                problems["form"] = _(
                    "This phone sent many reports in a short time: wait a few minutes and send "
                    "it again. If it is urgent, use the contacts at the top of this page."
                )
                status, report_id = 429, sent_id
    response = current_app.make_response(
        (
            render_template(
                "hazards/form.html",
                fields=fields,
                problems=problems,
                report_id=report_id,
                choices=_choices(),
                areas=[
                    (a.code, in_locale(a.name, g.locale, library.source_locale))
                    for a in library.areas
                ],
                contacts=library.contacts,
                source_locale=library.source_locale,
                today=date.today().isoformat(),
            ),
            status,
        )
    )
    # What a person typed must not stay in a shared phone's cache.
    response.headers["Cache-Control"] = "no-store"
    return response


def _save_once(report_id: str, fields: dict) -> bool:
    """Store the report unless it was stored before; return False when the phone is held back."""
    db = store.get_db()
    if report_by_id(db, report_id) is not None:
        return True  # sent twice: already saved
    address = request.remote_addr or ""
    if not recent_reports().allow(address):
        return False
    try:
        save_report(db, report_id, fields, g.locale, device=current_app.config["DEVICE_ID"])
    except sqlite3.Error:
        # Not saved: pressing Send again on a full card must not use up the phone's allowance.
        recent_reports().forget_last(address)
        raise
    # Contacts kept long enough go now, even on a box nobody administers.
    _purge_quietly(db)
    return True


def _purge_quietly(db) -> None:
    """Purge expired contacts after a report is saved; a failure must not hide that it was."""
    try:
        purge_expired_contacts(db)
    except sqlite3.Error as error:
        current_app.logger.error("could not delete expired contacts (%s); they stay for now", error)


def _choices() -> dict:
    return {
        "item": ITEMS,
        "how_many": HOW_MANY,
        "when": WHEN,
        "marked": MARKED,
        "nearby": NEARBY,
        "hurt": HURT,
    }


@bp.errorhandler(CSRFError)
def csrf_failed(error):
    """Show the form again with what was typed when its token no longer holds."""
    if request.method != "POST" or request.endpoint != "hazards.report":
        abort(400)
    g.csrf_failed = True
    return report()


@bp.get("/report/sent/<uuid:report_id>")
def sent(report_id):
    """Give the reference of a committed report and say what happens next."""
    found = report_by_id(store.get_db(), str(report_id))
    if found is None:
        abort(404)
    library = current_library()
    response = current_app.make_response(
        render_template(
            "hazards/sent.html",
            reference=found.reference,
            hurt=found.hurt == "yes",
            contacts=library.contacts,
            source_locale=library.source_locale,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# --- The operator's inbox ---------------------------------------------------


@admin.get("/")
def inbox():
    """List reports, urgent first, filtered by status and by the day they were received."""
    db = store.get_db()
    purge_expired_contacts(db)
    status = request.args.get("status") if request.args.get("status") in STATUSES else None
    since, until = (
        store.day_or_none(request.args.get("from")),
        store.day_or_none(request.args.get("to")),
    )
    reports = list_reports(db, status=status, since=since, until=until, limit=INBOX_LIMIT + 1)
    return render_template(
        "hazards/inbox.html",
        account=current_account(),
        reports=reports[:INBOX_LIMIT],
        more=len(reports) > INBOX_LIMIT,
        counts=count_by_status(db),
        status=status,
        since=since or "",
        until=until or "",
        statuses=STATUSES,
        items=ITEMS,
        area_names=_area_names(),
    )


def _area_names() -> dict[str, str]:
    library = current_library()
    return {a.code: in_locale(a.name, g.locale, library.source_locale) for a in library.areas}


@admin.route("/<uuid:report_id>", methods=["GET", "POST"])
def detail(report_id):
    """Show one report with its history; change its status or add a note."""
    db = store.get_db()
    purge_expired_contacts(db)
    found = report_by_id(db, str(report_id)) or abort(404)
    problem, status = None, 200
    if request.method == "POST":
        to_status = request.form.get("to_status") or None
        note = clean_text(request.form.get("note"))
        event_id = store.record_id_from(request.form.get("event_id"))
        if event_id is not None and event_recorded(db, event_id):
            return redirect(url_for("hazard_admin.detail", report_id=found.id), 303)
        if event_id is None:
            problem = _(
                "This form had expired. Nothing was sent: check your answers and send it again."
            )
            status = 422
        elif to_status is not None and to_status not in NEXT_STATUS[found.status]:
            problem, status = _("Choose one of the next steps shown."), 422
        elif to_status is None and not note:
            problem, status = _("Write a note, or choose the next step."), 422
        elif len(note) > MAX_TEXT["note"]:
            problem, status = (
                _("A note has at most %(num)d characters.", num=MAX_TEXT["note"]),
                422,
            )
        elif request.form.get("from_status") != found.status or not change_status(
            db,
            found,
            to_status,
            note,
            current_account().id,
            event_id=event_id,
            device=current_app.config["DEVICE_ID"],
        ):
            problem, status = (
                _("Someone else changed this report meanwhile: here it is as it is now."),
                409,
            )
        else:
            return redirect(url_for("hazard_admin.detail", report_id=found.id), 303)
        found = report_by_id(db, found.id)
    by = account_by_id(db, found.status_by) if found.status_by else None
    return (
        render_template(
            "hazards/detail.html",
            account=current_account(),
            event_id=store.new_record_id(),
            report=found,
            events=events_of(db, found.id),
            by=by.name if by else "",
            next_statuses=NEXT_STATUS[found.status],
            statuses=STATUSES,
            choices=_choices(),
            area_names=_area_names(),
            problem=problem,
            note=request.form.get("note", "") if problem else "",
            contact_days=current_app.config["CONTACT_DAYS"],
        ),
        status,
    )


# --- Exports ----------------------------------------------------------------

# (key, header, HXL hashtag, XLSForm name) of every exported column; the areas'
# tags name their administrative level (#adm1 by default, see columns()).
COLUMNS = [
    ("id", "report id", "#meta+id", "report_id"),
    ("reference", "reference", "#meta+ref", "reference"),
    ("device", "box", "#meta+device", "device_id"),
    ("received_utc", "received (UTC)", "#date+reported", "date_reported"),
    ("seen_on", "date seen", "#date+seen", "date_seen"),
    ("item", "what was seen", "#item+type", "item_type"),
    ("how_many", "how many", "#item+num", "how_many"),
    ("description", "description", "#description", "description"),
    ("place", "place", "#loc+name", "place_name"),
    ("admin_area", "administrative area code", "#adm1+code", "admin_area"),
    ("admin_area_name", "administrative area", "#adm1+name", "admin_area_name"),
    ("geo_safe", "safe to record the location", "#geo+safe", "geo_safe"),
    ("latitude", "latitude", "#geo+lat", "latitude"),
    ("longitude", "longitude", "#geo+lon", "longitude"),
    ("marked", "marked", "#status+marked", "marked"),
    ("nearby", "nearby", "#loc+nearby", "nearby"),
    ("hurt", "someone hurt", "#status+injured", "accident"),
    ("urgent", "urgent", "#priority", "urgent"),
    ("contact_consent", "agreed to be contacted", "#contact+consent", "contact_consent"),
    ("contact_name", "contact name", "#contact+name", "contact_name"),
    ("contact_phone", "contact phone", "#contact+phone", "contact_phone"),
    ("status", "status", "#status", "status"),
    ("status_utc", "status changed (UTC)", "#date+status", "status_date"),
    ("locale", "language", "#meta+language", "language"),
]
EXPORT_KINDS = {
    "csv": ("text/csv", "hazard-reports.csv"),
    "xlsform.csv": ("text/csv", "hazard-reports-xlsform.csv"),
    "json": ("application/json", "hazard-reports.json"),
    "geojson": ("application/geo+json", "hazard-reports.geojson"),
}
# Validated to digits, spaces and + ( ) . / -: written as typed, never as a formula.
AS_TYPED = frozenset({"contact_phone"})
# Left out of GeoJSON: a map is shared more widely than a table.
NOT_ON_MAPS = ("contact_consent", "contact_name", "contact_phone", "latitude", "longitude")


def columns(area_level: int) -> list[tuple[str, str, str, str]]:
    """Return the exported columns, the areas' HXL tags at the pack's administrative level."""
    return [
        (key, header, hxl.replace("#adm1", f"#adm{area_level}"), name)
        for key, header, hxl, name in COLUMNS
    ]


def export_row(report: HazardReport, area_names: dict[str, str]) -> dict:
    """Return one report as a flat record: choice names, yes/no, numbers as numbers.

    What is not known is None: empty in CSV, null in JSON.
    """
    return {
        "id": report.id,
        "reference": report.reference,
        "device": report.device,
        "received_utc": report.created_utc,
        "seen_on": report.seen_on,
        "item": report.item,
        "how_many": report.how_many,
        "description": report.description,
        "place": report.place,
        "admin_area": report.admin_area or "",
        "admin_area_name": area_names.get(report.admin_area or "", ""),
        "geo_safe": "yes" if report.geo_safe else "no",
        "latitude": report.latitude if report.has_location else None,
        "longitude": report.longitude if report.has_location else None,
        "marked": report.marked,
        # XLSForm writes the answers of a select_multiple question this way.
        "nearby": " ".join(report.nearby),
        "hurt": report.hurt,
        "urgent": "yes" if report.urgent else "no",
        "contact_consent": "yes" if report.contact_consent else "no",
        "contact_name": report.contact_name or "",
        "contact_phone": report.contact_phone or "",
        "status": report.status,
        "status_utc": report.status_utc,
        "locale": report.locale,
    }


def export_reports(db, kind: str, since: str | None = None) -> tuple[str, str, str]:
    """Return the export of every report received since ``since``: text, media type, name."""
    purge_expired_contacts(db)
    library = current_library()
    names = {
        a.code: in_locale(a.name, library.source_locale, library.source_locale)
        for a in library.areas
    }
    reports = list_reports(db, since=since, oldest_first=True)
    rows = [export_row(report, names) for report in reports]
    mimetype, name = EXPORT_KINDS[kind]
    if kind == "json":
        text = json.dumps(rows, ensure_ascii=False, indent=2)
    elif kind == "geojson":
        features = [
            {
                "type": "Feature",
                "id": row["id"],
                # RFC 7946: WGS84 longitude first.
                "geometry": {"type": "Point", "coordinates": [r.longitude, r.latitude]},
                "properties": {k: v for k, v in row.items() if k not in NOT_ON_MAPS},
            }
            for r, row in zip(reports, rows, strict=True)
            if r.has_location
        ]
        text = json.dumps(
            {"type": "FeatureCollection", "features": features}, ensure_ascii=False, indent=2
        )
    else:
        text = write_csv(columns(library.area_level), rows, kind, as_typed=AS_TYPED)
    return text, mimetype, name


@admin.get("/export.<kind>")
def export(kind):
    """Download every report (generated for this request, never left in a folder)."""
    if kind not in EXPORT_KINDS:
        abort(404)
    since = request.args.get("since")
    if since and store.day_or_none(since) is None:
        abort(400)
    text, mimetype, name = export_reports(store.get_db(), kind, store.day_or_none(since))
    response = current_app.response_class(text, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response
