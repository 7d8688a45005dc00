"""Hotspot welcome: answer phones' connectivity checks so the lessons open by themselves.

When a phone joins the box's Wi-Fi it asks a well-known address (such as
connectivitycheck.gstatic.com/generate_204) whether the internet is there. The
box's DNS sends every name to the box, so the check reaches this app: answering
it with a redirect makes the phone open its "sign in to network" window on the
welcome page, as hotel Wi-Fi does. With ``BASE_URL`` set, a visit to any other
name (a phone opening a news site out of habit) is sent to the welcome page too.
``HOTSPOT`` (EORE_HOTSPOT=off) turns all of this off.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)

from .content import current_library
from .i18n import localized_blueprint, preferred_locale

bp = Blueprint("hotspot", __name__)
welcome = localized_blueprint("hotspot_welcome", __name__)

# The addresses phones and computers ask to find out whether they are online.
CHECK_PATHS = (
    "/generate_204",  # Android, ChromeOS
    "/gen_204",  # Android
    "/hotspot-detect.html",  # Apple
    "/library/test/success.html",  # Apple (older systems)
    "/connecttest.txt",  # Windows 10 and later
    "/ncsi.txt",  # older Windows
    "/redirect",  # Windows, after a failed check
    "/canonical.html",  # Firefox
    "/success.txt",  # Firefox
)

# The most urgent lessons, shown first in the sign-in window when the pack has them.
URGENT_LESSONS = ("if-you-find-one", "children-stop-dont-touch", "danger-signs", "how-to-report")

# Pages that must answer on any address: the health check is asked by monitoring scripts.
ANY_HOST_PATHS = ("/healthz",)

DEFAULT_PORTS = {"http": 80, "https": 443}


def hotspot_on() -> bool:
    """Say whether the box answers connectivity checks (the HOTSPOT setting)."""
    return bool(current_app.config.get("HOTSPOT", True))


def welcome_address() -> str:
    """Return where connectivity checks and foreign addresses are sent."""
    base = current_app.config.get("BASE_URL") or ""
    return base + "/welcome" if base else url_for("hotspot.start")


def no_store(response: Response) -> Response:
    """Forbid keeping a response: phones must ask again on their next connection."""
    response.headers["Cache-Control"] = "no-store"
    return response


def _host_and_port(netloc: str, scheme: str) -> tuple[str, int | None] | None:
    """Return the lower-case host name and port of ``netloc``; None if it is not valid.

    The port is None when it is the scheme's usual one, so that ``eore.lan`` and
    ``eore.lan:80`` are the same address over http.
    """
    try:
        parts = urlsplit("//" + netloc)
        port = parts.port
    except ValueError:
        return None
    name = (parts.hostname or "").rstrip(".")
    if not name:
        return None
    if port == DEFAULT_PORTS.get(scheme):
        port = None
    return name, port


def _is_ip_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def is_own_host(host: str, base_url: str, scheme: str) -> bool:
    """Say whether a request for ``host`` is meant for the box itself.

    IP addresses and localhost always are (a facilitator's laptop, the test
    client, ``eore serve`` on 127.0.0.1), and so is the host of ``base_url``,
    port included.
    """
    found = _host_and_port(host, scheme)
    if found is None:
        return False
    if found[0] == "localhost" or _is_ip_address(found[0]):
        return True
    base = urlsplit(base_url)
    return found == _host_and_port(base.netloc, base.scheme)


@bp.app_url_value_preprocessor
def send_foreign_hosts_to_welcome(endpoint: str | None, values: dict | None) -> None:
    """Send a request for any other site's address to the welcome page (with BASE_URL set).

    This runs before the pages read their locale from the URL, so that an address
    such as http://example.com/news/ reaches the welcome page too, rather than
    "page not found" for an unknown language "news".
    """
    base = current_app.config.get("BASE_URL") or ""
    host = request.headers.get("Host")
    if not base or not host or not hotspot_on() or request.path in ANY_HOST_PATHS:
        return
    if is_own_host(host, base, request.scheme):
        return
    # The redirect still passes through the page's after-request steps, which
    # remember the visitor's language: give them one, as the error pages do.
    g.setdefault("locale", preferred_locale())
    abort(no_store(redirect(welcome_address(), 302)))


def answer_check() -> Response:
    """Answer a connectivity check with the welcome page, so the sign-in window opens."""
    if not hotspot_on():
        abort(404)
    return no_store(redirect(welcome_address(), 302))


for _path in CHECK_PATHS:
    bp.add_url_rule(_path, "check", answer_check)


@bp.get("/welcome")
def start():
    """Send the visitor to the welcome page in their language."""
    response = redirect(url_for("hotspot_welcome.page", locale=preferred_locale()), 302)
    response.vary.update(("Cookie", "Accept-Language"))
    return no_store(response)


@welcome.get("/welcome")
def page():
    """Show the most urgent lessons and how to open the box in the phone's real browser."""
    library = current_library()
    lessons = [
        (lesson, library.text_of(lesson, g.locale)[0])
        for slug in URGENT_LESSONS
        if (lesson := library.lessons.get(slug)) is not None
    ]
    address = current_app.config.get("BASE_URL") or request.host_url.rstrip("/")
    return render_template("hotspot/welcome.html", lessons=lessons, address=address)
