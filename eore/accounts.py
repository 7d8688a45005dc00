"""Accounts of facilitators and admins: signing in, staying signed in, being refused.

Participants never sign in. Facilitators and admins do, at ``/login``, with a
password kept only as a slow scrypt hash. After five failed attempts for one
name, or from one address, within fifteen minutes, the box stops checking
passwords for that name or address until the quarter hour has passed. A
signed-in session lasts a working day; disabling an account or changing its
password signs it out everywhere at once.

Every page of the ``facilitate`` and ``admin`` blueprints is protected by
their ``before_request``, so a new page there cannot be left open by mistake.
"""

from __future__ import annotations

import functools
import secrets
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session
from flask import url_for as flask_url_for
from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash

from . import store
from .i18n import preferred_locale
from .security import local_page

ROLES = ("facilitator", "admin")
MIN_PASSWORD = 10
MAX_FIELD = 200  # longer names or passwords are refused before any work is done
FAILURES_ALLOWED = 5  # for one name from one address
FAILURES_ALLOWED_ANYWHERE = 20  # for one name, or from one address
FAILURE_WINDOW = timedelta(minutes=15)


@functools.cache
def _dummy_hash() -> str:
    """Return a hash checked when the name is unknown, so a wrong name takes as long.

    Made on first use rather than at import: scrypt takes a tenth of a second,
    which every launch of the box would otherwise pay.
    """
    return generate_password_hash(secrets.token_urlsafe(16))


bp = Blueprint("accounts", __name__)


class AccountError(ValueError):
    """An account cannot be made or changed as asked; the message says why."""


@dataclass(frozen=True)
class Account:
    """A facilitator or an admin (never a participant)."""

    id: str
    name: str
    role: str
    active: bool
    created_utc: str
    password_changed_utc: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _account(row) -> Account | None:
    if row is None:
        return None
    return Account(
        id=row["id"],
        name=row["name"],
        role=row["role"],
        active=bool(row["active"]),
        created_utc=row["created_utc"],
        password_changed_utc=row["password_changed_utc"],
    )


def check_password_rules(password: str) -> None:
    """Refuse a password that is too short or too long to be kept."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"the password must have at least {MIN_PASSWORD} characters")
    if len(password) > MAX_FIELD:
        raise AccountError(f"the password must have at most {MAX_FIELD} characters")


def add_account(db: sqlite3.Connection, name: str, role: str, password: str, *, device: str):
    """Create an account and return it; the name must be new."""
    name = name.strip()
    if not name or len(name) > 60 or any(c.isspace() for c in name):
        raise AccountError("the name must be one word of at most 60 characters, e.g. amina")
    if role not in ROLES:
        raise AccountError(f"the role must be one of {', '.join(ROLES)}")
    check_password_rules(password)
    try:
        with store.writing(db):
            db.execute(
                "INSERT INTO account (id, device, created_utc, name, role, password_hash,"
                " password_changed_utc) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    str(uuid.uuid4()),
                    device,
                    store.utc_now(),
                    name,
                    role,
                    generate_password_hash(password),
                    _now_precise(),
                ),
            )
    except sqlite3.IntegrityError as error:
        raise AccountError(f"there is already an account named {name}") from error
    return find_account(db, name)


def find_account(db: sqlite3.Connection, name: str) -> Account | None:
    """Return the account of that name (any case), or None."""
    row = db.execute("SELECT * FROM account WHERE name = ?", (name.strip(),)).fetchone()
    return _account(row)


def account_by_id(db: sqlite3.Connection, account_id: str) -> Account | None:
    return _account(db.execute("SELECT * FROM account WHERE id = ?", (account_id,)).fetchone())


def all_accounts(db: sqlite3.Connection) -> list[Account]:
    return [_account(row) for row in db.execute("SELECT * FROM account ORDER BY name")]


def set_active(db: sqlite3.Connection, name: str, active: bool) -> Account:
    """Enable or disable an account; a disabled account is signed out at its next click."""
    with store.writing(db):
        changed = db.execute(
            "UPDATE account SET active = ? WHERE name = ?", (int(active), name.strip())
        ).rowcount
    if not changed:
        raise AccountError(f"there is no account named {name}")
    return find_account(db, name)


def set_password(db: sqlite3.Connection, name: str, password: str) -> Account:
    """Change an account's password; its open sessions end."""
    check_password_rules(password)
    with store.writing(db):
        changed = db.execute(
            "UPDATE account SET password_hash = ?, password_changed_utc = ? WHERE name = ?",
            (generate_password_hash(password), _now_precise(), name.strip()),
        ).rowcount
    if not changed:
        raise AccountError(f"there is no account named {name}")
    return find_account(db, name)


def _now_precise() -> str:
    # To the microsecond: a change right after signing in must still end that session.
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def too_many_failures(db: sqlite3.Connection, name: str, address: str) -> bool:
    """Say whether logins for this name from this address must wait.

    Five failures of one name from one address stop it; twenty for a name from
    anywhere, or from an address for any name, stop those too, so that guessing
    is slow but a participant cannot lock an admin out with five tries.
    """
    since = (datetime.now(UTC) - FAILURE_WINDOW).strftime("%Y-%m-%dT%H:%M:%S.%fZ")

    def count(where: str, *values) -> int:
        return db.execute(
            f"SELECT COUNT(*) FROM login_failure WHERE {where} AND at_utc >= ?", (*values, since)
        ).fetchone()[0]

    return (
        count("name = ? AND address = ?", name, address) >= FAILURES_ALLOWED
        or count("name = ?", name) >= FAILURES_ALLOWED_ANYWHERE
        or count("address = ?", address) >= FAILURES_ALLOWED_ANYWHERE
    )


def record_attempt(db: sqlite3.Connection, name: str, address: str) -> int:
    """Count a login as failed before its password is checked; return its row to forget.

    Counted first, so that many guesses sent at once cannot all be checked.
    """
    now = _now_precise()
    day_ago = (datetime.now(UTC) - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    with store.writing(db):
        row = db.execute(
            "INSERT INTO login_failure (name, address, at_utc) VALUES (?, ?, ?)",
            (name, address, now),
        ).lastrowid
        db.execute("DELETE FROM login_failure WHERE at_utc < ?", (day_ago,))
    return row


def forget_attempt(db: sqlite3.Connection, row: int) -> None:
    with store.writing(db):
        db.execute("DELETE FROM login_failure WHERE id = ?", (row,))


def authenticate(db: sqlite3.Connection, name: str, password: str) -> Account | None:
    """Return the active account whose password this is, or None (taking the same time)."""
    row = db.execute("SELECT * FROM account WHERE name = ?", (name,)).fetchone()
    if row is None:
        check_password_hash(_dummy_hash(), password)
        return None
    if not check_password_hash(row["password_hash"], password) or not row["active"]:
        return None
    return _account(row)


def current_account() -> Account | None:
    """Return who is signed in on this request, or None (participants, expired sessions)."""
    if "account" in g:
        return g.account
    account = None
    account_id = session.get("account")
    if account_id:
        found = account_by_id(store.get_db(), account_id)
        # Disabled, or the password changed since signing in: the session is over.
        if (
            found is not None
            and found.active
            and session.get("signed_in_after", "") >= found.password_changed_utc
        ):
            account = found
        else:
            session.clear()
    g.account = account
    return account


def protect(blueprint: Blueprint, role: str | None = None) -> None:
    """Refuse every page of ``blueprint`` to anyone not signed in (or without ``role``).

    Its pages are not under a locale: they speak the visitor's preferred language.
    """

    @blueprint.before_request
    def require_login():
        # These pages speak the signed-in person's language (cookie, then the browser's).
        g.locale = preferred_locale()
        account = current_account()
        if account is None:
            # Back to the page asked for after signing in (a form sent is not sent again).
            target = request.full_path.rstrip("?") if request.method == "GET" else None
            return redirect(flask_url_for("accounts.login", next=target))
        if role is not None and account.role != role:
            abort(403)
        return None

    @blueprint.after_request
    def never_keep(response):
        """On a shared laptop, Back after signing out must not show these pages again."""
        response.headers["Cache-Control"] = "no-store"
        return response


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Sign a facilitator or an admin in; refuse politely after too many failures."""
    g.locale = preferred_locale()
    target = local_page(request.values.get("next"))
    if request.method == "GET":
        return _login_form(target)
    name = (request.form.get("name") or "").strip()
    password = request.form.get("password") or ""
    if len(name) > MAX_FIELD or len(password) > MAX_FIELD:
        return _login_form(target, _("The name or password is too long."), name="", status=400)
    db = store.get_db()
    address = request.remote_addr or "unknown"
    if too_many_failures(db, name, address):
        message = _("Too many failed attempts. Wait a quarter of an hour, then try again.")
        response = _login_form(target, message, name=name, status=429)
        response.headers["Retry-After"] = str(int(FAILURE_WINDOW.total_seconds()))
        return response
    attempt = record_attempt(db, name, address)
    account = authenticate(db, name, password)
    if account is None:
        return _login_form(
            target, _("This name and password do not match an active account."), name=name
        )
    forget_attempt(db, attempt)
    session.clear()
    session.permanent = True
    session["account"] = account.id
    session["signed_in_after"] = _now_precise()
    home = "dashboard.home" if account.is_admin else "facilitate.home"
    return redirect(target or flask_url_for(home))


def _login_form(target, message=None, *, name="", status=200):
    response = current_app.make_response(
        (
            render_template("accounts/login.html", next=target, message=message, name=name),
            status if message else 200,
        )
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/logout")
def logout():
    """Sign out (a form with its token, so another site cannot sign anyone out)."""
    session.clear()
    return redirect(flask_url_for("site.index"))


def init_app(app) -> None:
    """Let templates ask who is signed in."""
    app.jinja_env.globals["current_account"] = current_account
