"""Save phone-width screenshots of pages of a running box, for a person to look at.

Usage: python scripts/screenshots.py http://127.0.0.1:8000 OUTDIR [PATH ...]
Uses Debian's Chromium through Playwright (set EORE_CHROMIUM to another binary).
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

DEFAULT_PATHS = [
    "/en/",
    "/ar/",
    "/en/lessons/",
    "/ar/lessons/",
    "/en/lessons/if-you-find-one",
    "/ar/lessons/if-you-find-one",
]
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def main(base: str, out: str, paths: list[str]) -> None:
    """Take a full-page screenshot of each path at 360 px wide."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    executable = os.environ.get("EORE_CHROMIUM") or shutil.which("chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=FLAGS)
        page = browser.new_page(viewport={"width": 360, "height": 640})
        for path in paths:
            page.goto(base.rstrip("/") + path)
            name = path.strip("/").replace("/", "_") or "root"
            page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
            print(folder / f"{name}.png")
        browser.close()


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3:] or DEFAULT_PATHS)
