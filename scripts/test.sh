#!/bin/sh
# Install everything the tests need, then run every test (browser tests included).
set -eu
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'

# The browser tests drive Debian's Chromium (Playwright never downloads a browser);
# the print tests read the QR codes back with zbarimg, as a phone camera would.
if ! command -v chromium >/dev/null 2>&1 || ! command -v zbarimg >/dev/null 2>&1 \
    || ! command -v espeak-ng >/dev/null 2>&1 || ! command -v lame >/dev/null 2>&1; then
    if command -v apt-get >/dev/null 2>&1; then
        SUDO=""
        [ "$(id -u)" -eq 0 ] || SUDO="sudo"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium fonts-dejavu-core zbar-tools espeak-ng lame >/dev/null
    else
        echo "Install Chromium (the 'chromium' command) and zbar-tools (zbarimg) to run the browser tests." >&2
        exit 1
    fi
fi

.venv/bin/ruff check eore tests bench
.venv/bin/python -m pytest "$@"
