"""Interface catalogues: complete, consistent with the code, honest about review."""

import pytest
from babel.messages.frontend import CommandLineInterface
from babel.messages.pofile import read_po

from eore.content import load_pack
from eore.i18n import DRAFT_MARKER, TEMPLATE, TRANSLATIONS, lint_catalogues
from eore.locales import INTERFACE_LOCALES, PARTIAL_INTERFACE_LOCALES
from eore.settings import PROJECT_ROOT

TRANSLATED = [code for code in INTERFACE_LOCALES if code != "en"]


def msgids(path):
    """Return the message ids of a .po or .pot file."""
    with path.open("rb") as handle:
        return {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(handle) if m.id}


@pytest.mark.parametrize("code", [c for c in TRANSLATED if c not in PARTIAL_INTERFACE_LOCALES])
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


def test_init_starts_a_draft_catalogue(monkeypatch, tmp_path, runner):
    import shutil

    from eore import i18n
    from eore.cli import cli

    shutil.copy(TEMPLATE, tmp_path / "messages.pot")
    monkeypatch.setattr(i18n, "TRANSLATIONS", tmp_path)
    monkeypatch.setattr(i18n, "TEMPLATE", tmp_path / "messages.pot")
    result = runner.invoke(cli, ["i18n", "init", "lo"])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "lo" / "LC_MESSAGES" / "messages.po").read_text(encoding="utf-8")
    assert text.startswith(DRAFT_MARKER)
    assert msgids(tmp_path / "lo" / "LC_MESSAGES" / "messages.po") == msgids(TEMPLATE)
    again = runner.invoke(cli, ["i18n", "init", "lo"])
    assert again.exit_code == 1 and "exists already" in again.output
    assert runner.invoke(cli, ["i18n", "init", "xx-nonsense"]).exit_code == 1


@pytest.mark.parametrize("code", PARTIAL_INTERFACE_LOCALES)
def test_partial_catalogue_is_correct_and_translates_what_participants_see(code):
    found = lint_catalogues()[code]
    assert found["errors"] == [] and found["fuzzy"] == 0
    with (TRANSLATIONS / code / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalogue = read_po(handle)
    for msgid in ("Stay safe", "How to report", "Send my answers", "Right!"):
        assert catalogue[msgid].string, msgid
