"""Type checking and the error-class lint run with the tests, so they hold in CI too."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = [
    "app.py",
    "config.py",
    "logs.py",
    "server.py",
    "providers",
    "routing",
    "privacy",
    "chat",
    "health",
    "gateway",
    "storage",
    "security",
    "throttle",
    "webgpu",
]


def test_mypy_strict() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--ignore-missing-imports", "--no-incremental", *PACKAGES],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]


def test_ruff_finds_no_bugs() -> None:
    """Pyflakes (unused or undefined names) and bugbear: errors, not style."""
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--select", "F,E9,B", "--exclude", "webgpu/node_modules,bench/baseline", "."],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout[-4000:]


def test_tier_markers_apply() -> None:
    """`-m "not e2e and not engine"` leaves nothing of those tiers (a `pytestmark` in a conftest would)."""
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-m", "not e2e and not engine", "tests/e2e/test_both_doors.py", "tests/engine"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "no tests collected" in proc.stdout and "deselected" in proc.stdout, proc.stdout[-2000:]
