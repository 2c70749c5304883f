#!/usr/bin/env bash
# Set up (if needed) and run the app at http://localhost:8080. Extra arguments go to chainlit.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
# glibc keeps per-thread arenas of freed memory; two arenas keep RSS flat as sessions come and go
# (bench/bench_memory.py: +13% → +6% after 200 sessions).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-2}"
exec .venv/bin/chainlit run app.py --port "${PORT:-8080}" --headless "$@"
