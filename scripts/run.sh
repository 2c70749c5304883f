#!/usr/bin/env bash
# Set up (if needed) and run the app at http://localhost:8080. Extra arguments go to chainlit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec .venv/bin/chainlit run app.py --port "${PORT:-8080}" --headless "$@"
