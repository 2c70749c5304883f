#!/usr/bin/env bash
# Set up (if needed) and run every test: logic, real engine, real app over socket.io/HTTP, browser.
# Extra arguments go to pytest, e.g. scripts/test.sh tests/unit -q
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh --dev
exec .venv/bin/python -m pytest "$@"
