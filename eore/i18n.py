"""Interface languages: choosing the locale, and building the catalogues.

The ``.po`` catalogues in ``translations/`` are compiled into the data folder
when the app starts (only those that changed), so a fresh clone needs no
manual compile step and no generated file is kept in the repository.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import click
from flask import Blueprint, abort, current_app, g, request
from flask_babel import Babel

from .schema import AUDIENCES
from .settings import PROJECT_ROOT

TRANSLATIONS = PROJECT_ROOT / "translations"
BABEL_CFG = PROJECT_ROOT / "babel.cfg"
TEMPLATE = TRANSLATIONS / "messages.pot"
LANGUAGE_COOKIE = "eore_lang"
DRAFT_MARKER = "# Draft translation: not yet reviewed by a native speaker."
ONE_YEAR = 365 * 24 * 3600

babel = Babel()


def init_app(app) -> None:
    """Compile changed catalogues and wire flask-babel to the URL's locale."""
    built = Path(app.config["DATA"]) / "build" / "translations"
    compile_catalogues(TRANSLATIONS, built)
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(built)
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    babel.init_app(app, locale_selector=_babel_locale)
    app.context_processor(_locale_context)


def preferred_locale() -> str:
    """Return the visitor's language: cookie, then Accept-Language, then the pack's."""
    library = current_app.extensions["eore"]["library"]
    chosen = request.cookies.get(LANGUAGE_COOKIE)
    if chosen in library.locales:
        return chosen
    return request.accept_languages.best_match(list(library.locales)) or library.source_locale


def selected_locale() -> str:
    """Return the locale of this request (the URL's, else the preferred one)."""
    if "locale" in g:
        return g.locale
    if request:
        return preferred_locale()
    return current_app.extensions["eore"]["library"].source_locale


def _babel_locale() -> str:
    # URLs use BCP 47 codes (pt-BR); Babel wants pt_BR.
    return selected_locale().replace("-", "_")


def _locale_context() -> dict:
    library = current_app.extensions["eore"]["library"]
    code = selected_locale() if request else library.source_locale
    return {"locale": library.locales[code], "language_links": _language_links(library)}


def _language_links(library) -> list[tuple]:
    """Return (locale, address) pairs for this page in every language of the pack."""
    from flask import url_for

    endpoint = request.endpoint or ""
    if endpoint.startswith(LOCALIZED_BLUEPRINTS) and request.view_args is not None:
        arguments = {**request.view_args, **kept_query()}
    else:
        endpoint, arguments = "learning.home", {}
    return [
        (info, url_for(endpoint, **arguments, locale=code))
        for code, info in library.locales.items()
    ]


def kept_query() -> dict[str, str]:
    """Return the request's known, valid query values; anything else is dropped.

    Links to the same page in another form (another language, another text size)
    carry these over, and nothing a stranger may have put in the address.
    """
    kept = {}
    for key, normalize in _KEPT_QUERY.items():
        value = normalize(request.args.get(key) or "")
        if value:
            kept[key] = value
    return kept


LOCALIZED_BLUEPRINTS = ("learning.", "quizzes.", "pwa_saved.", "hotspot_welcome.")
SESSION_CODE_RE = re.compile(r"^[A-Z0-9]{3,12}$")
_KEPT_QUERY = {
    "audience": lambda value: value if value in AUDIENCES else None,
    "scores": lambda value: value if value == "hidden" else None,
    "phase": lambda value: value if value in ("pre", "post") else None,
    "session": lambda value: session_code(value),
}


def session_code(value: str | None) -> str | None:
    """Return a session code as stored (upper case), or None if it is not one."""
    code = (value or "").strip().upper()
    return code if SESSION_CODE_RE.match(code) else None


def localized_blueprint(name: str, import_name: str) -> Blueprint:
    """Return a blueprint whose pages live under ``/<locale>/`` in each pack locale."""
    bp = Blueprint(name, import_name, url_prefix="/<locale>")

    @bp.url_value_preprocessor
    def take_locale(endpoint, values):
        """Take the locale from the URL; an unknown one is a 404."""
        locale = values.pop("locale")
        if locale not in current_app.extensions["eore"]["library"].locales:
            abort(404)
        g.locale = locale

    @bp.url_defaults
    def add_locale(endpoint, values):
        """Keep links in the locale of the page they are on."""
        if "locale" in g:
            values.setdefault("locale", g.locale)

    @bp.after_request
    def remember_locale(response):
        """Remember the chosen language for the next visit to ``/``."""
        if request.cookies.get(LANGUAGE_COOKIE) != g.get("locale"):
            response.set_cookie(
                LANGUAGE_COOKIE, g.locale, max_age=ONE_YEAR, samesite="Lax", httponly=True
            )
        return response

    return bp


def compile_catalogues(source: Path, target: Path, *, force: bool = False) -> list[Path]:
    """Compile every ``.po`` under ``source`` that is newer than its ``.mo``."""
    written = []
    for po_path in sorted(source.glob("*/LC_MESSAGES/messages.po")):
        mo_path = target / po_path.relative_to(source).with_suffix(".mo")
        if not force and mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        # Imported here: only a changed catalogue pays for Babel's parsers.
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = mo_path.with_suffix(".tmp")
        with temporary.open("wb") as handle:
            write_mo(handle, catalog)
        os.replace(temporary, mo_path)
        written.append(mo_path)
    return written


def lint_catalogues(source: Path = TRANSLATIONS) -> dict[str, dict]:
    """Return, per locale, untranslated and fuzzy counts and placeholder errors."""
    from babel.messages.pofile import read_po

    report = {}
    for po_path in sorted(source.glob("*/LC_MESSAGES/messages.po")):
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        messages = [m for m in catalog if m.id]
        errors = [
            f"{po_path.relative_to(source)}:{m.lineno}: {error}"
            for m, errors in catalog.check()
            for error in errors
        ]
        report[po_path.parent.parent.name] = {
            "total": len(messages),
            "untranslated": sum(1 for m in messages if not m.string),
            "fuzzy": sum(1 for m in messages if m.fuzzy),
            "errors": errors,
        }
    return report


def _pybabel(*args: str) -> None:
    from babel.messages.frontend import CommandLineInterface

    CommandLineInterface().run(["pybabel", "-q", *args])


@click.group("i18n")
def i18n_cli():
    """Extract, update and compile the interface translations."""


@i18n_cli.command("extract")
def extract_command():
    """Collect the interface strings into translations/messages.pot."""
    _pybabel(
        "extract",
        "-F",
        str(BABEL_CFG),
        "-k",
        "_l",
        "--no-location",
        "--sort-output",
        "--project",
        "eore",
        "-o",
        str(TEMPLATE),
        str(PROJECT_ROOT / "eore"),
    )
    click.echo(f"wrote {TEMPLATE}")


@i18n_cli.command("update")
def update_command():
    """Merge new strings from messages.pot into every locale's catalogue."""
    _pybabel("update", "-i", str(TEMPLATE), "-d", str(TRANSLATIONS), "--no-fuzzy-matching")
    click.echo(f"updated catalogues in {TRANSLATIONS}")


@i18n_cli.command("init")
@click.argument("code")
def init_command(code):
    """Start the interface catalogue of a new language, marked as a draft."""
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(code, sep="-")
    except (UnknownLocaleError, ValueError):
        raise click.ClickException(
            f"'{code}' is not a language code such as 'fr' or 'ps'"
        ) from None
    target = TRANSLATIONS / code.replace("-", "_") / "LC_MESSAGES" / "messages.po"
    if target.exists():
        raise click.ClickException(f"{target} exists already: use 'eore i18n update'")
    _pybabel("init", "-i", str(TEMPLATE), "-d", str(TRANSLATIONS), "-l", code.replace("-", "_"))
    text = target.read_text(encoding="utf-8")
    target.write_text(f"{DRAFT_MARKER}\n{text}", encoding="utf-8")
    click.echo(f"wrote {target}: translate it, then run 'eore i18n compile'")


@i18n_cli.command("compile")
def compile_command():
    """Check every catalogue and compile it for the app; exit 1 on errors."""
    from .settings import from_environment

    target = Path(from_environment()["DATA"]) / "build" / "translations"
    compile_catalogues(TRANSLATIONS, target, force=True)
    failed = False
    for code, found in lint_catalogues().items():
        click.echo(
            f"{code}: {found['total'] - found['untranslated']}/{found['total']} translated, "
            f"{found['fuzzy']} fuzzy"
        )
        for error in found["errors"]:
            click.echo(f"  {error}", err=True)
            failed = True
    click.echo(f"compiled into {target}")
    if failed:
        raise SystemExit(1)
