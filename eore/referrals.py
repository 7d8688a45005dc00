"""Referrals to services, logged by facilitators during a session.

A referral is anonymous: the kind of service, the day and the session, never
who was referred. Session reports count them from this log; once a report is
submitted its count no longer changes, so referrals are refused from then on.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, redirect, request, url_for

from . import schema, store
from .accounts import protect
from .sessions import own_session_or_404

bp = Blueprint("referrals", __name__, url_prefix="/facilitate/sessions")
protect(bp)


def log_referral(
    db, referral_id: str, session_id: str, service_type: str, day: str, *, device: str
) -> None:
    """Store one referral, committed; the same form sent again stores nothing more."""
    with store.writing(db):
        db.execute(
            "INSERT INTO referral (id, device, created_utc, session_id, service_type, day)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
            (referral_id, device, store.utc_now(), session_id, service_type, day),
        )


def referrals_open(db, session_id: str) -> bool:
    """Return whether referrals may still be logged: the session report is not submitted."""
    row = db.execute(
        "SELECT status FROM session_report WHERE session_id = ?", (session_id,)
    ).fetchone()
    return row is None or row["status"] == "draft"


def referral_counts(db, session_id: str) -> dict[str, int]:
    """Return the session's referrals by kind of service (every kind, 0 when none)."""
    counts = dict.fromkeys(schema.SERVICE_TYPES, 0)
    for row in db.execute(
        "SELECT service_type, COUNT(*) AS n FROM referral WHERE session_id = ?"
        " GROUP BY service_type",
        (session_id,),
    ):
        counts[row["service_type"]] = row["n"]
    return counts


@bp.post("/<code>/referral")
def log(code):
    """Log one referral of the facilitator's session, then go back to the session."""
    session = own_session_or_404(code)
    db = store.get_db()
    kind = request.form.get("service_type", "")
    referral_id = store.record_id_from(request.form.get("referral_id"))
    if not referrals_open(db, session.id):
        outcome = "closed"
    elif kind not in schema.SERVICE_TYPES or referral_id is None:
        outcome = "unknown"
    else:
        outcome = "saved"
    if outcome != "saved":
        return redirect(url_for("sessions.control", code=session.code, referral=outcome), 303)
    log_referral(
        db,
        referral_id,
        session.id,
        kind,
        date.today().isoformat(),
        device=current_app.config["DEVICE_ID"],
    )
    return redirect(url_for("sessions.control", code=session.code, referral="saved"), 303)
