"""Run every benchmark and print the results table (docs/performance.md has the same table).

    .venv/bin/python -m bench                 # everything, ~4 minutes on 2 cores; writes bench/results/
    .venv/bin/python -m bench --quick         # check that the harness works (~40 s); numbers mean nothing
    .venv/bin/python -m bench --only rate ttft

Each benchmark runs as its own process (`python -m bench.bench_<name>`), one after the other in a
full run so that they do not disturb each other's timings; `--quick` runs three at a time, since
its numbers are not looked at. The table goes to stdout and, with the hardware line, to
`<out>/summary.md`.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import PYTHON, RESULTS, ROOT, TABLE_HEADER, hardware, hardware_line  # noqa: E402

#: name → the JSON file it writes. Order: cheap first, then the ones that launch apps.
BENCHMARKS = {
    "routing": "routing.json",
    "search": "search.json",
    "route_quality": "route_quality.json",
    "privacy": "privacy.json",
    "rate": "rate.json",
    "ttft": "ttft.json",
    "concurrency": "concurrency.json",
    "persistence": "persistence.json",
    "cold_start": "cold_start.json",
    "memory": "memory.json",
}
TIMEOUT_S = 600


def run_one(name: str, quick: bool, out: Path) -> tuple[str, int, str, float]:
    """Run `bench.bench_<name>`; returns (name, exit status, output, seconds)."""
    command = [PYTHON, "-m", f"bench.bench_{name}", "--out", str(out)] + (["--quick"] if quick else [])
    started = time.perf_counter()
    try:
        done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=TIMEOUT_S)
        return name, done.returncode, done.stdout + done.stderr, time.perf_counter() - started
    except subprocess.TimeoutExpired as exc:  # subprocess.run kills the child on timeout
        parts = [p.decode(errors="replace") if isinstance(p, bytes) else p for p in (exc.stdout, exc.stderr) if p]
        return name, 124, "".join(parts) + f"\n(timed out after {TIMEOUT_S}s)", time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="check the harness: tiny sizes, meaningless numbers")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where the JSON files and summary.md go")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), help="run only these")
    parser.add_argument("--jobs", type=int, default=None, help="benchmarks at a time (default 1, quick 3)")
    args = parser.parse_args(argv)
    names = args.only or list(BENCHMARKS)
    jobs = args.jobs or (3 if args.quick else 1)
    args.out.mkdir(parents=True, exist_ok=True)
    hw = hardware()
    print(f"bench: {hardware_line(hw)}; load average {hw['loadavg_1m_at_start']}", flush=True)

    failed: list[str] = []
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        for name, status, output, seconds in pool.map(lambda n: run_one(n, args.quick, args.out), names):
            print(f"bench: {name}: exit {status} in {seconds:.0f} s", flush=True)
            if status != 0:
                failed.append(name)
                print(output[-4000:], file=sys.stderr, flush=True)

    rows: list[str] = []
    for name in names:
        path = args.out / BENCHMARKS[name]
        if name in failed or not path.is_file():
            continue
        rows += json.loads(path.read_text())["markdown"]
    table = "\n".join([TABLE_HEADER, *rows])
    mode = "quick (harness check; numbers are meaningless)" if args.quick else "full"
    summary = f"Measured {time.strftime('%Y-%m-%d')} on {hardware_line(hw)}; {mode}.\n\n{table}\n"
    (args.out / "summary.md").write_text(summary)
    print(table, flush=True)
    if failed:
        print(f"bench: failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
