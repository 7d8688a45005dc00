"""What only admins see: the accounts of the box."""

from __future__ import annotations

from flask import Blueprint, g, render_template

from . import store
from .accounts import all_accounts, current_account, protect
from .i18n import preferred_locale

bp = Blueprint("admin", __name__, url_prefix="/admin")
protect(bp, role="admin")


@bp.before_request
def choose_locale():
    """Admin pages speak the admin's language (cookie, then the browser's)."""
    g.locale = preferred_locale()


@bp.get("/")
def home():
    """List the accounts (made and changed with 'eore users')."""
    return render_template(
        "admin/home.html", account=current_account(), accounts=all_accounts(store.get_db())
    )
