"""Session reports: attendance and the fields national databases ask for, then exports.

A facilitator fills the report of their session, pre-filled from it: date,
times, organisation, team, place, method, audience, language and lessons, and
the people reached by sex and age band (the pack's bands), persons with
disabilities and first-time attendees, hazards reported, and the referrals
logged from the session page.
Every save is committed before the page says so; a draft can be saved with
gaps, a submitted report must be complete, and an admin verifies it. Admins
export all reports as CSV with an HXL hashtag row, as JSON, and as an
XLSForm-style CSV with choice names, for national databases and clusters.
"""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import dataclass
from datetime import date

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from . import schema, store
from .accounts import account_by_id, current_account, protect
from .content import current_library
from .referrals import referral_counts
from .sessions import GroupSession, own_session_or_404, session_by_code, step_title
from .tables import write_csv

PLACE_TYPES = {
    "school": _l("School"),
    "camp": _l("Camp"),
    "shelter": _l("Shelter"),
    "farm": _l("Farm"),
    "market": _l("Market"),
    "community": _l("Community place"),
    "other": _l("Other"),
}
METHODS = {
    "group": _l("Group session"),
    "house_to_house": _l("House to house"),
    "peer": _l("Peer to peer"),
    "digital": _l("Digital"),
}
SEXES = ("female", "male")
TEXT_FIELDS = ("organisation", "team", "place", "admin_area", "comments")
COUNT_FIELDS = ("disabled", "first_time", "hazards_reported")
MAX_COUNT = 100_000
MAX_TEXT = {"comments": 2000}
TIME_RE = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

bp = Blueprint("reports", __name__, url_prefix="/facilitate/sessions")
protect(bp)
admin = Blueprint("session_reports", __name__, url_prefix="/admin/sessions")
protect(admin, role="admin")


@dataclass(frozen=True)
class Report:
    id: str
    session_id: str
    status: str
    fields: dict
    updated_utc: str
    submitted_utc: str | None
    verified_by: str | None
    verified_utc: str | None
    device: str

    def reached(self, sex: str | None = None, band: str | None = None) -> int:
        """Return the people counted, for one sex and/or one band, or all."""
        total = 0
        for each_band, counts in (self.fields.get("attendance") or {}).items():
            if band is None or band == each_band:
                total += sum(n for s, n in counts.items() if sex is None or s == sex)
        return total


def _report(row) -> Report | None:
    if row is None:
        return None
    return Report(
        id=row["id"],
        session_id=row["session_id"],
        status=row["status"],
        fields=json.loads(row["fields"]),
        updated_utc=row["updated_utc"],
        submitted_utc=row["submitted_utc"],
        verified_by=row["verified_by"],
        verified_utc=row["verified_utc"],
        device=row["device"],
    )


def report_of(db, session: GroupSession) -> Report | None:
    row = db.execute("SELECT * FROM session_report WHERE session_id = ?", (session.id,)).fetchone()
    return _report(row)


def prefilled(session: GroupSession) -> dict:
    """Return a new report's fields, taken from the session where it can."""
    return {
        "date": session.created_utc[:10],
        "start_time": "",  # the box keeps UTC: the facilitator writes the local time
        "end_time": "",
        "organisation": "",
        "team": "",
        "place": session.place,
        "admin_area": session.admin_area or "",
        "place_type": "",
        "method": "group",
        "audience": session.audience,
        "locale": session.locale,
        "lessons": [step.subject for step in session.plan if step.kind == "lesson"],
        "attendance": {},
        **{name: 0 for name in COUNT_FIELDS},
        "comments": "",
    }


def read_form(form, bands, base: dict) -> tuple[dict, list[str]]:
    """Return the report fields from a form, and what cannot be kept as typed."""
    fields = dict(base)
    problems = []
    for name in TEXT_FIELDS:
        if name not in form:
            continue  # not on the form that was sent: keep what is stored
        value = (form.get(name) or "").strip()
        if len(value) > MAX_TEXT.get(name, 200):
            problems.append(
                _("A text is too long: at most %(num)d characters.", num=MAX_TEXT.get(name, 200))
            )
            value = value[: MAX_TEXT.get(name, 200)]
        fields[name] = value
    day = (form.get("date") or "").strip()
    try:
        fields["date"] = date.fromisoformat(day).isoformat() if day else ""
    except ValueError:
        problems.append(_("The date must look like 2026-11-28."))
        fields["date"] = day[:10]
    for name in ("start_time", "end_time"):
        value = (form.get(name) or "").strip()
        if value and not TIME_RE.match(value):
            problems.append(_("Times must look like 09:30."))
        fields[name] = value[:5]
    for name, choices in (("place_type", PLACE_TYPES), ("method", METHODS)):
        value = form.get(name) or ""
        fields[name] = value if value in choices else ""
    stored = base.get("attendance") or {}
    attendance = {}
    for band in bands:
        attendance[band] = {}
        for sex in SEXES:
            key = f"{sex}-{band}"
            kept = (stored.get(band) or {}).get(sex, 0)
            attendance[band][sex] = _count(form.get(key), problems) if key in form else kept
    fields["attendance"] = attendance
    for name in COUNT_FIELDS:
        if name in form:
            fields[name] = _count(form.get(name), problems)
    return fields, problems


def _count(value, problems) -> int:
    value = (value or "").strip()
    if not value:
        return 0
    # Decimal digits of any script (Arabic-Indic too), never "²" or a thousand digits.
    if not value.isdecimal() or len(value) > 6 or int(value) > MAX_COUNT:
        problems.append(_("Counts must be whole numbers from 0 to 100000."))
        return 0
    return int(value)


def missing_for_submit(fields: dict) -> list[str]:
    """Return what a report needs before it can be submitted."""
    missing = []
    if not fields.get("date"):
        missing.append(_("the date"))
    if not fields.get("start_time") or not fields.get("end_time"):
        missing.append(_("the start and end times"))
    if not fields.get("organisation"):
        missing.append(_("the organisation"))
    if not fields.get("place_type"):
        missing.append(_("the type of place"))
    if not fields.get("method"):
        missing.append(_("the method"))
    people = sum(sum(c.values()) for c in (fields.get("attendance") or {}).values())
    if people == 0:
        missing.append(_("the people reached"))
    elif fields.get("disabled", 0) > people or fields.get("first_time", 0) > people:
        missing.append(
            _("no more persons with disabilities or first-time attendees than people reached")
        )
    return missing


def save_report(db, session: GroupSession, fields: dict, status: str, *, device: str) -> Report:
    """Store the report (create or update) in one committed transaction."""
    now = store.utc_now()
    text = json.dumps(fields, ensure_ascii=False, sort_keys=True)
    with store.writing(db):
        db.execute(
            "INSERT INTO session_report (id, device, created_utc, updated_utc, session_id,"
            " status, submitted_utc, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (session_id) DO UPDATE SET fields = excluded.fields,"
            " updated_utc = excluded.updated_utc, status = excluded.status,"
            " submitted_utc = excluded.submitted_utc WHERE session_report.status = 'draft'",
            (
                str(uuid.uuid4()),
                device,
                now,
                now,
                session.id,
                status,
                now if status == "submitted" else None,
                text,
            ),
        )
    return report_of(db, session)


@bp.route("/<code>/report", methods=["GET", "POST"])
def edit(code):
    """Fill the session report: save a draft at any time, submit it when complete."""
    session = own_session_or_404(code)
    db = store.get_db()
    library = current_library()
    report = report_of(db, session)
    fields = report.fields if report else prefilled(session)
    problems, missing, saved = [], [], request.args.get("saved")
    locked = report is not None and report.status != "draft"
    status = 200
    if request.method == "POST" and not locked:
        fields, problems = read_form(request.form, library.age_bands, fields)
        wants_submit = request.form.get("action") == "submit"
        missing = missing_for_submit(fields) if wants_submit else []
        if problems or missing:
            status = 422
        else:
            save_report(
                db,
                session,
                fields,
                "submitted" if wants_submit else "draft",
                device=current_app.config["DEVICE_ID"],
            )
            return redirect(url_for("reports.edit", code=session.code, saved="1"))
    report = report_of(db, session)
    scores = store.phase_scores(db, session_code=session.code)
    return (
        render_template(
            "reports/edit.html",
            referrals=referral_counts(db, session.id),
            service_types=schema.SERVICE_TYPES,
            session=session,
            report=report,
            fields=fields,
            bands=library.age_bands,
            sexes=SEXES,
            place_types=PLACE_TYPES,
            methods=METHODS,
            audiences=schema.AUDIENCES,
            locales=library.locales,
            step_title=step_title,
            problems=problems,
            missing=missing,
            saved=saved and report is not None,
            locked=locked,
            scores=scores,
        ),
        status,
    )


def all_reports(db, since: str | None = None) -> list[tuple[Report, GroupSession, str]]:
    """Return every report with its session and facilitator's name, oldest first."""
    rows = db.execute(
        "SELECT r.*, s.code AS session_code FROM session_report r"
        " JOIN group_session s ON s.id = r.session_id ORDER BY r.created_utc"
    ).fetchall()
    found = []
    for row in rows:
        report = _report(row)
        if since and report.fields.get("date", "") < since:
            continue
        session = session_by_code(db, row["session_code"])
        facilitator = account_by_id(db, session.facilitator_id)
        found.append((report, session, facilitator.name if facilitator else ""))
    return found


@admin.get("/")
def index():
    """List the session reports, with their status and people reached."""
    reports = all_reports(store.get_db())
    return render_template("reports/index.html", reports=reports)


@admin.post("/<code>/verify")
def verify(code):
    """Mark a submitted report verified, with who and when."""
    db = store.get_db()
    session = session_by_code(db, code) or abort(404)
    report = report_of(db, session)
    if report is None or report.status != "submitted":
        abort(409)
    with store.writing(db):
        db.execute(
            "UPDATE session_report SET status = 'verified', verified_by = ?, verified_utc = ?"
            " WHERE id = ?",
            (current_account().id, store.utc_now(), report.id),
        )
    return redirect(url_for("session_reports.index"))


@admin.get("/export.<kind>")
def export(kind):
    """Download every report: csv (with HXL), json, or xlsform (CSV with choice names)."""
    since = request.args.get("since") or None
    if kind not in ("csv", "json", "xlsform.csv"):
        abort(404)
    text, mimetype, name = export_reports(store.get_db(), kind, since)
    response = current_app.response_class(text, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def export_reports(db, kind: str, since: str | None = None) -> tuple[str, str, str]:
    """Return the export text, its media type and a file name."""
    rows = [
        _row(report, session, facilitator, db)
        for report, session, facilitator in all_reports(db, since)
    ]
    bands = current_library().age_bands
    if kind == "json":
        return (
            json.dumps(rows, ensure_ascii=False, indent=2),
            "application/json",
            "session-reports.json",
        )
    name = "session-reports.csv" if kind == "csv" else "session-reports-xlsform.csv"
    return write_csv(_columns(bands), rows, kind, _cell), "text/csv", name


def _band_name(band: str) -> str:
    return band.replace("-", "_").replace("+", "plus")


def _columns(bands) -> list[tuple[str, str, str, str]]:
    """Return (key, header, HXL hashtag, XLSForm name) for every exported column."""
    columns = [
        ("id", "report id", "#meta+id", "report_id"),
        ("device", "box", "#meta+device", "device_id"),
        ("status", "status", "#status", "status"),
        ("session_code", "session code", "#activity+code", "session_code"),
        ("date", "date", "#date", "session_date"),
        ("start_time", "start", "#date+start", "start_time"),
        ("end_time", "end", "#date+end", "end_time"),
        ("organisation", "organisation", "#org+name", "organisation"),
        ("team", "team", "#org+team", "team"),
        ("facilitator", "facilitator", "#contact+facilitator", "facilitator"),
        ("place", "place", "#loc+name", "place_name"),
        ("admin_area", "administrative area", "#adm1+name", "admin_area"),
        ("place_type", "type of place", "#loc+type", "place_type"),
        ("method", "method", "#activity+method", "method"),
        ("audience", "audience", "#population+type", "audience"),
        ("locale", "language", "#meta+language", "language"),
        ("lessons", "lessons", "#activity+lessons", "lessons"),
    ]
    for band in bands:
        for sex, short in (("female", "f"), ("male", "m")):
            name = _band_name(band)
            columns.append(
                (
                    f"{sex}:{band}",
                    f"{sex} {band}",
                    f"#reached+{short}+age{name}",
                    f"{sex}_{name}",
                )
            )
    columns += [
        ("reached_female", "female reached", "#reached+f", "total_female"),
        ("reached_male", "male reached", "#reached+m", "total_male"),
        ("reached_total", "people reached", "#reached+total", "total_reached"),
        ("disabled", "persons with disabilities", "#reached+disabled", "disabled"),
        ("first_time", "first-time attendees", "#reached+new", "first_time"),
        ("pre_average", "pre-test average", "#indicator+score+pre", "pre_test_average"),
        ("post_average", "post-test average", "#indicator+score+post", "post_test_average"),
        ("hazards_reported", "hazards reported", "#indicator+hazards", "hazards_reported"),
        ("referrals", "referrals", "#indicator+referrals", "referrals"),
        *(
            (
                f"referrals:{kind}",
                f"referrals {kind}",
                f"#indicator+referrals+{kind}",
                f"referrals_{kind}",
            )
            for kind in schema.SERVICE_TYPES
        ),
        ("comments", "comments", "#description", "comments"),
        ("verified_utc", "verified (UTC)", "#date+verified", "verified_utc"),
    ]
    return columns


def _row(report: Report, session: GroupSession, facilitator: str, db) -> dict:
    """Return one report as a flat record (choice names, numbers as numbers)."""
    scores = store.phase_scores(db, session_code=session.code)
    referrals = referral_counts(db, session.id)
    fields = report.fields
    row = {
        "id": report.id,
        "device": report.device,
        "status": report.status,
        "session_code": session.code,
        "facilitator": facilitator,
        **{
            key: fields.get(key, "")
            for key in (
                "date",
                "start_time",
                "end_time",
                "organisation",
                "team",
                "place",
                "admin_area",
                "place_type",
                "method",
                "audience",
                "locale",
                "comments",
            )
        },
        "lessons": " ".join(fields.get("lessons") or []),
        "attendance": fields.get("attendance") or {},
        "reached_female": report.reached("female"),
        "reached_male": report.reached("male"),
        "reached_total": report.reached(),
        **{key: fields.get(key, 0) for key in COUNT_FIELDS},
        "referrals": sum(referrals.values()),
        "referrals_by_type": referrals,
        "pre_average": _rounded(scores.get("pre")),
        "post_average": _rounded(scores.get("post")),
        "verified_utc": report.verified_utc or "",
    }
    return row


def _rounded(score) -> float | str:
    return round(score.average, 3) if score is not None and score.average is not None else ""


def _cell(row: dict, key: str):
    if key.startswith("referrals:"):
        return row["referrals_by_type"][key.split(":", 1)[1]]
    if ":" in key:
        sex, band = key.split(":", 1)
        return (row["attendance"].get(band) or {}).get(sex, 0)
    return row.get(key, "")
