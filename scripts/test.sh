#!/usr/bin/env bash
# Set up a fresh checkout and run the whole test suite: the README's test command, and what CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian's Chromium drives the browser tests (draft page, audit report); Playwright never downloads a browser.
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    else
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
    fi
fi

[ -x .venv/bin/python ] || python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[service,audit,scale,dev]'
.venv/bin/ruff check .
# The mail-client add-ins (clients/): `npm test`, node's own test runner over the paths its package.json lists; no
# dependencies to install, no network. CI's machine has Node.js 20 and npm; a box without them skips this step and
# says so.
if command -v npm >/dev/null 2>&1; then
    (cd clients && npm test --silent)
else
    echo "scripts/test.sh: npm not found, clients/ tests not run" >&2
fi
exec .venv/bin/python -m pytest -q -p no:cacheprovider "$@"
