"""The deployment files and guides: units systemd can read, real settings, real commands.

Nothing here needs root or a running systemd: the unit files are read as text.
"""

import math
import re
import shlex
from pathlib import Path

import click
import pytest

from eore.cli import cli
from eore.settings import PROJECT_ROOT, SETTINGS, normalize

DEPLOY = PROJECT_ROOT / "deploy"
GUIDES = (
    PROJECT_ROOT / "docs" / "deploy-raspberry-pi.md",
    PROJECT_ROOT / "docs" / "deploy-laptop.md",
)
SERVICE = DEPLOY / "eore.service"
BACKUP_SERVICE = DEPLOY / "eore-backup.service"
BACKUP_TIMER = DEPLOY / "eore-backup.timer"
UNITS = (SERVICE, BACKUP_SERVICE, BACKUP_TIMER)
ENV_FILE = DEPLOY / "eore.env"
DNSMASQ = DEPLOY / "dnsmasq-eore.conf"
EORE = "/opt/eore/.venv/bin/eore"
BOX = "10.42.0.1"
TRUE = ("1", "yes", "true", "on")

# An eore command in a shell line: the program by its path (bin/eore, Scripts\eore), or
# bare at the start of a command. "sudo -u eore", "systemctl status eore" and paths such
# as /var/lib/eore are not commands. The arguments end where the shell command ends.
EORE_CALL = re.compile(
    r"(?:(?:^|&&|;|\bexec)[ \t]*|[^\s'\"]*(?:bin/|Scripts\\))eore(?:\.exe)?[ \t]+([^\n;&|'\"#]*)",
    re.MULTILINE,
)
SETTING_NAME = re.compile(r"\bEORE_[A-Z][A-Z0-9_]*")
FENCED_BLOCK = re.compile(r"^[ \t]*```[^\n]*\n(.*?)^[ \t]*```", re.MULTILINE | re.DOTALL)


def read_unit(path: Path) -> dict[str, dict[str, list[str]]]:
    """Read a systemd unit file: each section's keys, each with every value it was given.

    systemd allows a key more than once (configparser does not), comments starting with
    # or ;, and lines continued with a backslash. A line outside a section, or with no
    "=", is an error, as systemd reports it.
    """
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    text = re.sub(r"\\\n", " ", path.read_text(encoding="utf-8"))
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            current = sections.setdefault(line[1:-1], {})
            continue
        key, equals, value = line.partition("=")
        assert current is not None, f"{path.name}:{number}: a setting before any [section]"
        assert equals and key.strip(), f"{path.name}:{number}: not a KEY=value line: {line}"
        current.setdefault(key.strip(), []).append(value.strip())
    return sections


def one(unit: dict, section: str, key: str) -> str:
    """Return the value of a key set once in a section of a unit."""
    values = unit.get(section, {}).get(key, [])
    assert len(values) == 1, f"[{section}] {key}= is set {len(values)} times, expected once"
    return values[0]


def words(unit: dict, section: str, key: str) -> list[str]:
    """Return every word of every value of a list setting (After=, ReadWritePaths=...)."""
    return [word for value in unit.get(section, {}).get(key, []) for word in value.split()]


def env_settings() -> dict[str, str]:
    """Return the settings that deploy/eore.env sets (its comments left out)."""
    settings = {}
    for line in ENV_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, _, value = line.partition("=")
            settings[name] = value
    return settings


def exec_start(path: Path) -> list[str]:
    return shlex.split(one(read_unit(path), "Service", "ExecStart"))


def option_value(argv: list[str], option: str) -> str | None:
    """Return the value given to ``option`` in ``argv`` (as --opt VALUE or --opt=VALUE)."""
    for index, word in enumerate(argv):
        if word == option and index + 1 < len(argv):
            return argv[index + 1]
        if word.startswith(option + "="):
            return word.split("=", 1)[1]
    return None


def eore_commands() -> list[tuple[str, str]]:
    """Return (where, arguments) of every eore command in the guides' code blocks and units."""
    found = []
    for guide in GUIDES:
        for block in FENCED_BLOCK.findall(guide.read_text(encoding="utf-8")):
            joined = re.sub(r"[ \t]*\\\n[ \t]*", " ", block)
            found += [(guide.name, args.strip()) for args in EORE_CALL.findall(joined)]
    for unit in UNITS:
        for values in read_unit(unit).get("Service", {}).values():
            for value in values:
                found += [(unit.name, args.strip()) for args in EORE_CALL.findall(value)]
    return found


def problems_with(arguments: str) -> list[str]:
    """Say what is wrong with ``eore ARGUMENTS`` for the click group ``eore.cli.cli``."""
    rest = shlex.split(arguments)
    command: click.Command = cli
    name = "eore"
    while isinstance(command, click.Group):
        if not rest:
            return [f"'{name}' needs a command: one of {', '.join(sorted(command.commands))}"]
        word = rest.pop(0)
        if word not in command.commands:
            return [f"'{name}' has no command '{word}'"]
        command, name = command.commands[word], f"{name} {word}"
    options = {
        flag: param
        for param in command.params
        if isinstance(param, click.Option)
        for flag in (*param.opts, *param.secondary_opts)
    }
    problems, given, positional = [], set(), []
    while rest:
        word = rest.pop(0)
        if not word.startswith("-") or word == "-":
            positional.append(word)
            continue
        flag, equals, _ = word.partition("=")
        if flag == "--help":
            continue
        if flag not in options:
            problems.append(f"'{name}' has no option {flag}")
            continue
        param = options[flag]
        given.add(param.name)
        if not (param.is_flag or param.count or equals):
            if not rest:
                problems.append(f"'{name} {flag}' needs a value")
            else:
                rest.pop(0)
    for param in command.params:
        if isinstance(param, click.Option) and param.required and param.name not in given:
            problems.append(f"'{name}' needs {param.opts[-1]}")
    arguments_ = [p for p in command.params if isinstance(p, click.Argument)]
    most = math.inf if any(a.nargs == -1 for a in arguments_) else sum(a.nargs for a in arguments_)
    least = sum(a.nargs for a in arguments_ if a.required and a.nargs > 0)
    if not least <= len(positional) <= most:
        problems.append(f"'{name}' takes {least} to {most} arguments, given {positional}")
    return problems


@pytest.mark.parametrize("path", UNITS, ids=lambda p: p.name)
def test_unit_files_parse(path):
    unit = read_unit(path)
    assert one(unit, "Unit", "Description")
    assert set(unit) <= {"Unit", "Service", "Timer", "Install"}


def test_service_serves_on_port_80_at_boot():
    argv = exec_start(SERVICE)
    assert argv[:2] == [EORE, "serve"]
    assert option_value(argv, "--port") == "80"
    unit = read_unit(SERVICE)
    assert "multi-user.target" in words(unit, "Install", "WantedBy")
    assert {"network.target", "network-online.target"} & set(words(unit, "Unit", "After"))


def test_service_runs_as_eore_with_its_settings_and_restarts():
    unit = read_unit(SERVICE)
    assert one(unit, "Service", "User") == "eore"
    assert one(unit, "Service", "EnvironmentFile") == "/etc/eore/eore.env"
    assert one(unit, "Service", "Restart") in ("always", "on-failure")
    assert float(one(unit, "Service", "RestartSec").rstrip("s")) > 0


def test_service_binds_port_80_without_root():
    unit = read_unit(SERVICE)
    assert "CAP_NET_BIND_SERVICE" in words(unit, "Service", "AmbientCapabilities")
    # An ambient capability outside the bounding set is silently dropped.
    bounding = words(unit, "Service", "CapabilityBoundingSet")
    assert not bounding or "CAP_NET_BIND_SERVICE" in bounding


@pytest.mark.parametrize("path", (SERVICE, BACKUP_SERVICE), ids=lambda p: p.name)
def test_services_are_hardened_and_may_write_their_data(path):
    unit = read_unit(path)
    assert one(unit, "Service", "NoNewPrivileges").lower() in TRUE
    assert one(unit, "Service", "ProtectSystem") == "strict"
    assert one(unit, "Service", "ProtectHome").lower() in (*TRUE, "read-only", "tmpfs")
    assert one(unit, "Service", "PrivateTmp").lower() in TRUE
    writable = [Path(p.lstrip("-")) for p in words(unit, "Service", "ReadWritePaths")]
    writable += [Path("/var/lib", d) for d in words(unit, "Service", "StateDirectory")]
    data = Path(env_settings()["EORE_DATA"])
    assert any(data == w or w in data.parents for w in writable), (
        f"EORE_DATA={data} is read-only under ProtectSystem=strict"
    )


def test_backup_service_keeps_dated_backups_in_the_data_folder():
    unit = read_unit(BACKUP_SERVICE)
    assert one(unit, "Service", "Type") == "oneshot"
    assert one(unit, "Service", "User") == "eore"
    assert one(unit, "Service", "EnvironmentFile") == "/etc/eore/eore.env"
    argv = exec_start(BACKUP_SERVICE)
    assert argv[:2] == [EORE, "backup"]
    out = option_value(argv, "--out")
    assert out and out.endswith("/"), "--out must name a folder (ending in /)"
    assert Path(env_settings()["EORE_DATA"]) in Path(out).parents
    assert int(option_value(argv, "--keep") or 0) >= 1


def test_timer_backs_up_nightly_even_after_a_night_switched_off():
    unit = read_unit(BACKUP_TIMER)
    assert one(unit, "Timer", "OnCalendar")
    assert one(unit, "Timer", "Persistent").lower() in TRUE
    started = unit["Timer"].get("Unit", [BACKUP_TIMER.stem + ".service"])[0]
    assert started == BACKUP_SERVICE.name
    assert "timers.target" in words(unit, "Install", "WantedBy")


def test_env_file_is_read_alike_by_systemd_and_sh():
    for line in ENV_FILE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            # No quotes, spaces or $: systemd and "set -a; . eore.env" read it the same.
            assert re.fullmatch(r"EORE_[A-Z_]+=[^\s'\"$`\\]+", line), line


def test_env_file_sets_data_content_and_an_address_phones_open():
    settings = env_settings()
    assert {"EORE_DATA", "EORE_CONTENT", "EORE_BASE_URL"} <= set(settings)
    assert Path(settings["EORE_DATA"]).is_absolute()
    assert Path(settings["EORE_CONTENT"]).is_absolute()
    known = {s.env: s.key for s in SETTINGS}
    config = {known[name]: value for name, value in settings.items()}
    normalize(config)  # raises SettingError on a value the toolkit refuses
    # The printed address is the box on the service's port (80: none in the address).
    assert config["BASE_URL"] == f"http://{BOX}"
    assert option_value(exec_start(SERVICE), "--port") == "80"


@pytest.mark.parametrize("path", (ENV_FILE, *GUIDES), ids=lambda p: p.name)
def test_every_setting_named_is_a_real_setting(path):
    named = set(SETTING_NAME.findall(path.read_text(encoding="utf-8")))
    assert named, f"{path.name} names no setting"
    assert named <= {s.env for s in SETTINGS}


COMMANDS = eore_commands()


def test_the_guides_show_eore_commands():
    assert len(COMMANDS) >= 10
    assert {args.split()[0] for _, args in COMMANDS} >= {"serve", "check"}


@pytest.mark.parametrize(
    "where, arguments", COMMANDS, ids=[f"{where}: eore {args}" for where, args in COMMANDS]
)
def test_every_eore_command_shown_is_real(where, arguments):
    assert problems_with(arguments) == [], f"{where}: eore {arguments}"


def test_dnsmasq_sends_every_name_to_the_box():
    lines = [
        line.strip()
        for line in DNSMASQ.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert f"address=/#/{BOX}" in lines
    assert f"address=/eore.lan/{BOX}" in lines
    for line in lines:
        assert re.fullmatch(r"[a-z-]+(=\S+)?", line), line
        if line.startswith("address="):
            assert line.endswith("/" + BOX), line


@pytest.mark.parametrize("path", GUIDES, ids=lambda p: p.name)
def test_guides_name_the_files_they_install(path):
    text = path.read_text(encoding="utf-8")
    shipped = sorted(DEPLOY.iterdir()) if path.name == "deploy-raspberry-pi.md" else ()
    for file in shipped:
        assert f"deploy/{file.name}" in text
    assert "eore serve" in text
