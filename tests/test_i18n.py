"""Interface catalogues: complete, consistent with the code, honest about review."""

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from eore.content import load_pack
from eore.i18n import TEMPLATE, TRANSLATIONS, lint_catalogues
from eore.locales import INTERFACE_LOCALES
from eore.settings import PROJECT_ROOT

TRANSLATED = [code for code in INTERFACE_LOCALES if code != "en"]
DRAFT_MARKER = "# Draft translation: not yet reviewed by a native speaker."


def msgids(path):
    """Return the message ids of a .po or .pot file."""
    with path.open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


@pytest.mark.parametrize("code", TRANSLATED)
def test_catalogue_is_complete_and_correct(code):
    found = lint_catalogues()[code]
    assert found["untranslated"] == 0
    assert found["fuzzy"] == 0
    assert found["errors"] == []


def test_template_matches_the_code(tmp_path):
    fresh = tmp_path / "messages.pot"
    CommandLineInterface().run(
        [
            "pybabel",
            "-q",
            "extract",
            "-F",
            str(PROJECT_ROOT / "babel.cfg"),
            "-k",
            "_l",
            "-o",
            str(fresh),
            str(PROJECT_ROOT / "eore"),
        ]
    )
    assert msgids(fresh) == msgids(TEMPLATE), "run 'eore i18n extract' and 'eore i18n update'"


@pytest.mark.parametrize("code", INTERFACE_LOCALES)
def test_catalogue_has_every_message_of_the_template(code):
    catalogue = TRANSLATIONS / code / "LC_MESSAGES" / "messages.po"
    assert msgids(catalogue) == msgids(TEMPLATE)


@pytest.mark.parametrize("code", TRANSLATED)
def test_draft_marker_agrees_with_the_starter_pack(code):
    review = load_pack(PROJECT_ROOT / "content").locales[code].review
    text = (TRANSLATIONS / code / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    assert text.startswith(DRAFT_MARKER) == (review == "draft")
