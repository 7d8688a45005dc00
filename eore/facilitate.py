"""What a signed-in facilitator sees: their account, and the teaching material of the box."""

from __future__ import annotations

from flask import Blueprint, g, render_template

from . import store
from .accounts import current_account, protect
from .content import current_library
from .hazards import STATUSES, count_by_status

bp = Blueprint("facilitate", __name__, url_prefix="/facilitate")
protect(bp)


@bp.get("/")
def home():
    """Start here: who is signed in, and where the curriculum, tests and materials are."""
    library = current_library()
    tests = [
        (test_id, test.title_in(g.locale, library.source_locale))
        for test_id, test in library.tests.items()
    ]
    # Facilitators see how many hazard reports there are, never the reports.
    return render_template(
        "facilitate/home.html",
        account=current_account(),
        tests=tests,
        hazard_counts=count_by_status(store.get_db()),
        statuses=STATUSES,
    )
