"""Shared plumbing for the benchmarks: paths, the hardware line, statistics, and result files.

Every benchmark reports `Figure`s. `report` prints them as markdown table rows (the format of the
table in docs/performance.md) and writes them, with the hardware line and the raw details, to
`<out>/<name>.json`. Targets are evaluated for the reader only: nothing here asserts them, since
timings on a shared 2-core machine are noisy.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable

# Running as `python bench/<name>.py` puts bench/ on sys.path, not the repository root.
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

__all__ = [
    "PYTHON",
    "RESULTS",
    "ROOT",
    "TABLE_HEADER",
    "Figure",
    "hardware",
    "hardware_line",
    "make_parser",
    "median",
    "percentile",
    "report",
]

TABLE_HEADER = "| # | figure | result | target | met | command |\n|---|---|---|---|---|---|"


def hardware() -> dict[str, Any]:
    """What the numbers were measured on."""
    cpu = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gib: float | None = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    try:
        load = os.getloadavg()[0]
    except OSError:
        load = None
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": ram_gib,
        "python": platform.python_version(),
        "os": f"{platform.system()} {platform.release()} {platform.machine()}",
        "loadavg_1m_at_start": None if load is None else round(load, 2),
    }


def hardware_line(hw: dict[str, Any] | None = None) -> str:
    hw = hw or hardware()
    return f"{hw['nproc']} CPUs ({hw['cpu']}), {hw['ram_gib']} GiB RAM, Python {hw['python']}, {hw['os']}"


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0–100), linearly interpolated between closest ranks (numpy's default)."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    if len(ordered) == 1:
        return float(ordered[0])
    pos = (len(ordered) - 1) * q / 100
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return float(ordered[low] + (ordered[high] - ordered[low]) * (pos - low))


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values))


@dataclass
class Figure:
    """One number in the results table."""

    id: str
    """Row label, e.g. "1a"."""
    name: str
    value: float | None
    unit: str
    target: str
    """Human-readable, e.g. "≥ 0.90"."""
    met: bool | None
    """None where there is no target or the run was --quick."""
    command: str
    note: str = ""

    def row(self) -> str:
        if self.value is None:
            shown = "–"
        elif abs(self.value) >= 100:
            shown = f"{self.value:,.0f}"
        elif abs(self.value) >= 10:
            shown = f"{self.value:.1f}"
        else:
            shown = f"{self.value:.3g}" if abs(self.value) < 1 else f"{self.value:.2f}"
        result = f"{shown} {self.unit}".strip()
        if self.note:
            result += f" ({self.note})"
        met = {True: "yes", False: "**no**", None: "–"}[self.met]
        return f"| {self.id} | {self.name} | {result} | {self.target or '–'} | {met} | `{self.command}` |"


def make_parser(doc: str | None) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--quick", action="store_true", help="check that the harness works: tiny sizes, numbers are meaningless"
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="where <name>.json goes (default: bench/results)")
    return parser


def check(condition: bool, quick: bool) -> bool | None:
    """Whether a target is met, or None in quick mode (quick numbers say nothing about targets)."""
    return None if quick else bool(condition)


def report(
    name: str, figures: Sequence[Figure], details: dict[str, Any], *, quick: bool, out: Path, started: float
) -> Path:
    """Print the figures as table rows and write `<out>/<name>.json`."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.json"
    payload = {
        "name": name,
        "quick": quick,
        "hardware": hardware(),
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "runtime_s": round(time.perf_counter() - started, 1),
        "figures": [asdict(f) for f in figures],
        "markdown": [f.row() for f in figures],
        "details": details,
    }
    path.write_text(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    for figure in figures:
        print(figure.row(), flush=True)
    return path
