"""Every setting of the toolkit, declared once with its default and its help.

Settings come from the environment (``EORE_*``); the README lists them all and
a test fails when one is missing there.
"""

from __future__ import annotations

import os
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

# The checkout (or editable install) that holds content/, translations/ and static/.
PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Setting:
    """One setting: its environment variable, config key, default and help."""

    env: str
    key: str
    default: str
    help: str


SETTINGS = (
    Setting(
        "EORE_CONTENT",
        "CONTENT",
        str(PROJECT_ROOT / "content"),
        "folder of the content pack to serve (default: the starter pack in content/)",
    ),
    Setting(
        "EORE_DATA",
        "DATA",
        str(PROJECT_ROOT / "instance"),
        "folder for the database, generated secrets and built files (default: instance/)",
    ),
    Setting(
        "EORE_BASE_URL",
        "BASE_URL",
        "",
        "address phones use to reach the box, e.g. http://10.42.0.1:8000 (used in QR codes)",
    ),
    Setting(
        "EORE_QR_ERROR_CORRECTION",
        "QR_ERROR_CORRECTION",
        "M",
        "how much damage printed QR codes survive: L (7%), M (15%), Q (25%) or H (30%)",
    ),
    Setting(
        "EORE_HOTSPOT",
        "HOTSPOT",
        "on",
        "answer phones' Wi-Fi connectivity checks with the home page, as a sign-in page: on or off",
    ),
    Setting(
        "EORE_CONTACT_DAYS",
        "CONTACT_DAYS",
        "30",
        "days a hazard report keeps the reporter's name and phone before they are deleted",
    ),
    Setting(
        "EORE_SECRET_KEY",
        "SECRET_KEY",
        "",
        "key that signs cookies; generated once and kept in the data folder when unset",
    ),
    Setting(
        "EORE_DEVICE_ID",
        "DEVICE_ID",
        "",
        "name of this box on every record it stores; generated once and kept when unset",
    ),
)


QR_LEVELS = ("L", "M", "Q", "H")
SWITCH = {"on": True, "off": False, "true": True, "false": False, "1": True, "0": False}


class SettingError(ValueError):
    """A setting has a value the toolkit cannot use; the message says how to fix it."""


def from_environment(environ=os.environ) -> dict[str, str]:
    """Return every setting's value: the environment's if set, else the default."""
    return {s.key: environ.get(s.env) or s.default for s in SETTINGS}


def normalize(config) -> None:
    """Check the settings that need a particular form, and tidy them in ``config``."""
    base = (config.get("BASE_URL") or "").strip()
    if base:
        parsed = urlsplit(base)
        if parsed.scheme not in ("http", "https") or not parsed.netloc or parsed.query:
            raise SettingError(
                f"EORE_BASE_URL is '{base}': it must be the address phones open, "
                "such as http://10.42.0.1:8000 or http://eore.lan"
            )
        base = base.rstrip("/")
    config["BASE_URL"] = base
    level = str(config.get("QR_ERROR_CORRECTION") or "M").strip().upper()
    if level not in QR_LEVELS:
        raise SettingError(
            f"EORE_QR_ERROR_CORRECTION is '{level}': it must be one of "
            f"{', '.join(QR_LEVELS)} (M survives a little dirt; H the most)"
        )
    config["QR_ERROR_CORRECTION"] = level
    switch = str(config.get("HOTSPOT", "on")).strip().lower()
    if switch not in SWITCH:
        raise SettingError(f"EORE_HOTSPOT is '{switch}': it must be on or off")
    config["HOTSPOT"] = SWITCH[switch]
    days = str(config.get("CONTACT_DAYS", "30")).strip()
    if not days.isascii() or not days.isdigit() or not 0 <= int(days) <= 3650:
        raise SettingError(
            f"EORE_CONTACT_DAYS is '{days}': it must be a number of days from 0 to 3650"
        )
    config["CONTACT_DAYS"] = int(days)


def ensure_secret_key(data_dir: Path) -> str:
    """Return the secret key kept in ``data_dir``, creating it on first use."""
    return _kept(data_dir / "secret_key", lambda: secrets.token_urlsafe(48))


def ensure_device_id(data_dir: Path) -> str:
    """Return this box's id kept in ``data_dir``, creating it on first use."""
    return _kept(data_dir / "device_id", lambda: str(uuid.uuid4()))


def kept_device_id(data_dir: Path) -> str:
    """Return the box's id kept in ``data_dir`` without making one ("" when there is none)."""
    try:
        return (data_dir / "device_id").read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return ""


def _kept(path: Path, make) -> str:
    """Return the value stored in ``path``; store ``make()`` there on first use."""
    if path.exists():
        value = path.read_text(encoding="ascii").strip()
        if value:
            return value
    value = make()
    temporary = path.with_suffix(".tmp")
    # Written whole, then renamed, so a power cut never leaves half a value.
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(value)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
    return value
