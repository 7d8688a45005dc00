"""For HTTPS deployments only: a web app manifest and a small network-first service worker.

On the box's plain ``http://`` network browsers refuse service workers, so no
page depends on them: ``static/offline.js`` registers ``/sw.js`` only in a
secure context (an HTTPS deployment, or localhost) and otherwise does nothing.
There the worker keeps a copy of the lessons a visitor opens, and the lessons
they keep for offline, and shows ``/offline.html`` when nothing else is there.
"""

from __future__ import annotations

import hashlib
import json

from flask import Blueprint, current_app, g, render_template
from flask_babel import gettext as _

from .assets import STATIC_ROOT, static_url
from .content import current_library
from .i18n import localized_blueprint, preferred_locale

bp = Blueprint("pwa", __name__)
saved = localized_blueprint("pwa_saved", __name__)

SERVICE_WORKER = STATIC_ROOT / "sw.js"
# The one string of sw.js the server fills in: the version that names its caches.
VERSION_PLACEHOLDER = '"__CACHE_VERSION__"'
THEME_COLOUR = "#b3261e"  # the header of static/eore.css


@bp.get("/manifest.webmanifest")
def manifest():
    """Describe the toolkit as an installable app, in the visitor's language."""
    g.locale = preferred_locale()
    locale = current_library().locales[g.locale]
    document = {
        "name": _("Stay safe"),
        "short_name": _("Stay safe"),
        "description": _("Stay safe from explosive ordnance"),
        "lang": locale.code,
        "dir": locale.direction,
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": THEME_COLOUR,
        "icons": [
            {
                "src": static_url("icon.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
                "purpose": "any",
            }
        ],
    }
    response = current_app.response_class(
        json.dumps(document, ensure_ascii=False), mimetype="application/manifest+json"
    )
    response.vary.update(("Cookie", "Accept-Language"))
    return response


def cache_version(script: bytes) -> str:
    """Return the name of this pack's caches: the pack version and a hash of the worker."""
    digest = hashlib.sha256(script).hexdigest()[:10]
    return f"{current_library().version}-{digest}"


@bp.get("/sw.js")
def service_worker():
    """Send the service worker from the root, so that it may serve every page of the box."""
    script = SERVICE_WORKER.read_bytes()
    text = script.decode("utf-8").replace(VERSION_PLACEHOLDER, json.dumps(cache_version(script)), 1)
    response = current_app.response_class(text, mimetype="text/javascript")
    # Browsers check for a new worker on each visit; it must never be kept stale.
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/offline.html")
def offline():
    """Show what is left without the network (the worker keeps this page at install)."""
    g.locale = preferred_locale()
    response = current_app.make_response(render_template("pwa/offline.html"))
    response.headers["Cache-Control"] = "no-cache"
    response.vary.update(("Cookie", "Accept-Language"))
    return response


@saved.get("/saved")
def saved_lessons():
    """List the lessons kept on this phone for offline (the page script fills the list)."""
    return render_template("pwa/saved.html")
