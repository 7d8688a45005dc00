#!/bin/sh
# Install everything the tests need, then run every test (browser tests included).
set -eu
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'

# The browser tests drive Debian's Chromium (Playwright never downloads a browser);
# the print tests read the QR codes back with zbarimg, as a phone camera would; the
# benchmarks' tests load the server with wrk; the narration tests speak with
# espeak-ng and encode with lame, as `eore audio build` does.
NEEDED="chromium zbarimg wrk espeak-ng lame"
missing=""
for command in $NEEDED; do
    command -v "$command" >/dev/null 2>&1 || missing="$missing $command"
done
if [ -n "$missing" ]; then
    if command -v apt-get >/dev/null 2>&1; then
        SUDO=""
        [ "$(id -u)" -eq 0 ] || SUDO="sudo"
        $SUDO apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq \
            chromium fonts-dejavu-core zbar-tools wrk espeak-ng lame >/dev/null
    else
        echo "Install these commands to run every test:$missing (Debian packages: chromium, zbar-tools, wrk, espeak-ng, lame)." >&2
        exit 1
    fi
fi

.venv/bin/ruff check eore tests bench
.venv/bin/python -m pytest "$@"
