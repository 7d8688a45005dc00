"""What only admins see: the accounts of the box."""

from __future__ import annotations

from flask import Blueprint, render_template

from . import store
from .accounts import all_accounts, current_account, protect

bp = Blueprint("admin", __name__, url_prefix="/admin")
protect(bp, role="admin")


@bp.get("/accounts")
def accounts():
    """List the accounts (made and changed with 'eore users')."""
    return render_template(
        "admin/home.html", account=current_account(), accounts=all_accounts(store.get_db())
    )
