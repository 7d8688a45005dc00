"""The README and content/README.md document every setting, command and field."""

import re

import click
import pytest

from eore.cli import cli
from eore.schema import AUDIENCES, SCHEMAS, THREATS
from eore.settings import PROJECT_ROOT, SETTINGS

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
CONTENT_README = (PROJECT_ROOT / "content" / "README.md").read_text(encoding="utf-8")


def command_names(group: click.Group, prefix: str = "eore"):
    """Yield the full name of every command under ``group``."""
    for name, command in group.commands.items():
        full = f"{prefix} {name}"
        if isinstance(command, click.Group):
            yield from command_names(command, full)
        else:
            yield full


@pytest.mark.parametrize("setting", SETTINGS, ids=lambda s: s.env)
def test_every_setting_is_in_the_readme(setting):
    assert f"`{setting.env}`" in README


@pytest.mark.parametrize("name", list(command_names(cli)))
def test_every_command_is_in_the_readme(name):
    assert f"`{name}" in README


def test_serve_options_are_in_the_readme():
    serve = cli.commands["serve"]
    for option in serve.params:
        assert f"--{option.name}" in README


@pytest.mark.parametrize(
    "field",
    [(schema_name, field.name) for schema_name, fields in SCHEMAS.items() for field in fields],
    ids=lambda f: f"{f[0]}:{f[1]}",
)
def test_every_content_field_is_documented(field):
    assert f"| `{field[1]}` |" in CONTENT_README


@pytest.mark.parametrize(
    "field", [sub.name for fields in SCHEMAS.values() for field in fields for sub in field.fields]
)
def test_nested_fields_are_documented(field):
    assert f"| `{field}` |" in CONTENT_README


@pytest.mark.parametrize("code", [*AUDIENCES, *THREATS])
def test_every_audience_and_threat_is_documented(code):
    assert f"`{code}`" in CONTENT_README


def test_readme_has_exactly_two_setup_commands():
    section = README.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^    (\S.*)$", section, flags=re.MULTILINE)
    assert commands == [
        "python3 -m venv .venv && .venv/bin/pip install -e . && .venv/bin/eore serve",
        "sh scripts/test.sh",
    ]


def test_ci_runs_the_readme_test_command():
    ci = (PROJECT_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "sh scripts/test.sh" in ci
