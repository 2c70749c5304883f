"""The benchmark harness works: `python -m bench --quick` runs every benchmark end to end (~30 s).

Timing targets are deliberately not asserted: they are what the full benchmarks report (see
docs/performance.md), and this test runs on shared machines. It fails when the harness breaks:
a benchmark that exits non-zero, a missing result, or a figure that could not be computed.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from bench.run_all import BENCHMARKS

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]


def test_every_benchmark_runs_in_quick_mode(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, f"{done.stdout[-3000:]}\n{done.stderr[-5000:]}"
    for name, filename in BENCHMARKS.items():
        result = json.loads((tmp_path / filename).read_text())
        assert result["quick"] is True, name
        assert result["figures"], name
        for figure in result["figures"]:
            assert isinstance(figure["value"], int | float) and math.isfinite(figure["value"]), (name, figure)
            assert figure["met"] is None, (name, figure)  # quick numbers are never judged against targets
        assert len(result["markdown"]) == len(result["figures"])
    summary = (tmp_path / "summary.md").read_text()
    assert "| # | figure | result | target | met | command |" in summary
    assert summary.count("\n| ") >= len(BENCHMARKS) + 1
