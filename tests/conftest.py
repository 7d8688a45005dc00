"""Fixtures: an app on the starter pack or a sample pack, its client and CLI runner."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from eore import create_app
from eore.cli import cli
from eore.settings import PROJECT_ROOT

PACKS = Path(__file__).parent / "packs"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
STARTER_PACK = PROJECT_ROOT / "content"


@pytest.fixture(scope="session")
def shared_data(tmp_path_factory):
    """Return a data folder shared by apps that only read (built files are reused)."""
    return tmp_path_factory.mktemp("data")


@pytest.fixture
def app(shared_data):
    """Return the app serving the starter pack."""
    return create_app({"TESTING": True, "CONTENT": str(STARTER_PACK), "DATA": str(shared_data)})


STAFF_PASSWORD = "correct horse battery"


@pytest.fixture
def staffed_app(shared_data, tmp_path):
    """Return a factory: an app with its own database and accounts {name: role}.

    The app's ``test_db`` is an open connection to that database, closed afterwards.
    """
    from eore import store
    from eore.accounts import add_account

    opened = []

    def make(accounts: dict[str, str], **config):
        app = create_app(
            {
                "TESTING": True,
                "DATA": str(shared_data),
                "DATABASE": str(tmp_path / "eore.sqlite3"),
                **config,
            }
        )
        db = store.connect(app.config["DATABASE"])
        opened.append(db)
        for name, role in accounts.items():
            add_account(db, name, role, STAFF_PASSWORD, device="test")
        app.test_db = db
        return app

    yield make
    for db in opened:
        db.close()


def csrf_token(client, url: str) -> str:
    """Return the CSRF token of the form on the page at ``url``."""
    html = client.get(url).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def signed_in(app, name: str, password: str = STAFF_PASSWORD):
    """Return a test client of ``app`` signed in as ``name``."""
    client = app.test_client()
    response = client.post(
        "/login",
        data={"csrf_token": csrf_token(client, "/login"), "name": name, "password": password},
    )
    assert response.status_code == 302, f"{name} could not sign in"
    return client


@pytest.fixture
def client(app):
    """Return a test client of the starter-pack app."""
    return app.test_client()


@pytest.fixture
def sample_app(shared_data):
    """Return the app serving the small sample pack in tests/packs/good."""
    return create_app(
        {"TESTING": True, "CONTENT": str(PACKS / "good"), "DATA": str(shared_data / "sample")}
    )


@pytest.fixture
def runner():
    """Return a runner for the ``eore`` command."""
    return CliRunner()


@pytest.fixture
def run_eore(runner, tmp_path):
    """Return a function running ``eore ARGS`` with its data in a temporary folder."""

    def run(*args, env=None, input=None):
        return runner.invoke(
            cli,
            list(args),
            env={"EORE_DATA": str(tmp_path / "data"), **(env or {})},
            input=input,
        )

    return run


@pytest.fixture
def make_pack(tmp_path):
    """Return a factory: a copy of the good sample pack, with files replaced or removed."""

    def make(files: dict[str, str | None] | None = None, *, base: str = "good") -> Path:
        root = tmp_path / "pack"
        shutil.rmtree(root, ignore_errors=True)
        shutil.copytree(PACKS / base, root)
        for name, text in (files or {}).items():
            path = root / name
            if text is None:
                path.unlink()
            else:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
        return root

    return make


@dataclass(frozen=True)
class Server:
    """A running ``eore serve``: its address and its data folder."""

    base: str
    data: Path


def free_port() -> int:
    """Return a TCP port on loopback that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_eore(data: Path, port: int, **settings: str) -> subprocess.Popen:
    """Start ``eore serve`` on loopback with its data in ``data``; return it once it answers.

    ``settings`` are EORE_* variables (e.g. EORE_CONTENT="..."); EORE_CONTENT and
    EORE_BASE_URL are otherwise left at their defaults, whatever the shell has.
    """
    env = {**os.environ, "EORE_DATA": str(data)}
    env.pop("EORE_CONTENT", None)
    env.pop("EORE_BASE_URL", None)
    env.update(settings)
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("eore")), "serve", "--host", "127.0.0.1"]
        + ["--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return process
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("eore serve did not start: " + process.stderr.read().decode())
            time.sleep(0.05)


def stop_eore(process: subprocess.Popen) -> None:
    """Stop a server started by start_eore, cleanly, and wait for it."""
    process.terminate()
    process.wait(timeout=10)
    process.stderr.close()


@pytest.fixture(scope="module")
def eore_server(tmp_path_factory):
    """Start the real server (waitress) on loopback on the starter pack; stop it afterwards."""
    data = tmp_path_factory.mktemp("server-data")
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    # Phones reach the box at this address: printed QR codes carry it.
    process = start_eore(data, port, EORE_BASE_URL=base)
    yield Server(base, data)
    stop_eore(process)


def serious_violations(page) -> list[str]:
    """Return axe's serious and critical accessibility violations on ``page``, described."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def add_server_account(server: Server, name: str, role: str) -> str:
    """Add an account (password STAFF_PASSWORD) to a running server's database."""
    from eore import store
    from eore.accounts import add_account

    db = store.connect(server.data / "eore.sqlite3")
    try:
        add_account(db, name, role, STAFF_PASSWORD, device="test")
    finally:
        db.close()
    return name


@pytest.fixture(scope="module")
def browser():
    """Launch Debian's Chromium headless (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("EORE_CHROMIUM") or shutil.which("chromium")
    if not executable:
        pytest.fail("Chromium is not installed: run the README's test command, which installs it")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()


# The box's usual address on its own Wi-Fi: plain http:// on a private IP, never secure.
BOX_ADDRESS = "10.42.0.1"


@pytest.fixture(scope="module")
def plain_http_browser(browser):
    """Launch a second Chromium that reaches the loopback server at the box's address.

    An IP address rather than a made-up name: the hotspot sends any other name to
    the welcome page.
    """
    executable = os.environ.get("EORE_CHROMIUM") or shutil.which("chromium")
    other = browser.browser_type.launch(
        executable_path=executable,
        headless=True,
        args=[*CHROMIUM_FLAGS, f"--host-resolver-rules=MAP {BOX_ADDRESS} 127.0.0.1"],
    )
    yield other
    other.close()
