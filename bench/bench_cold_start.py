"""Figure 5: cold start, from launching the app to `/readyz` answering 200, with the tiny model.

    .venv/bin/python -m bench.bench_cold_start [--quick] [--launches N]

Launches `chainlit run app.py` with MODEL_PATH=models/tiny-chat several times (one
Foundry Local cache directory for all: the first launch registers the model, the others reuse the
registration, as a restarted app does) and polls `/readyz` every 10 ms from the moment of launch,
as an orchestrator would. The median over launches is the figure.

Where the time goes, per launch, from the app's own log lines (timestamped) and the clock here:

- launch → "app: starting" (Chainlit's startup hook): interpreter, imports, Chainlit setup;
- "app: starting" → "runtime: ready": Foundry Local initialisation and model load (the log's
  "engine: loaded … in X s" is the load alone);
- "runtime: ready" → `/readyz` 200: how long readiness takes to show (poll interval, and any
  caching of an earlier "starting" answer);

and, from one extra launch under `python -X importtime` (PYTHONPROFILEIMPORTTIME=1, which itself
slows imports somewhat), the cumulative import time of chainlit, openai, foundry_local_sdk and of
our own modules, each counted where it is first imported.
"""

from __future__ import annotations

import datetime
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import PYTHON, Figure, check, make_parser, median, report  # noqa: E402
from bench._procs import BUNDLED_MODEL, BenchApp  # noqa: E402

COMMAND = ".venv/bin/python -m bench.bench_cold_start"
TARGET_S = 2.5
MARKS = {"app: starting": "startup_hook", "runtime: ready": "runtime_ready", "engine: loaded": "model_loaded"}
OURS = ("config", "logs", "server", "app", "chat", "providers", "routing", "health", "storage", "webgpu")


def launch(env: dict[str, str], *, timeout: float = 120.0) -> tuple[dict[str, Any], str]:
    """Start the app, poll /readyz until 200, stop it; returns the timings (seconds) and the log."""
    app = BenchApp(env, wait_ready=False)
    wall_at_launch = time.time()
    app.start()
    first_answer: float | None = None
    try:
        with httpx.Client(timeout=2.0) as http:
            while True:
                if time.perf_counter() - app.launched_at > timeout:
                    raise RuntimeError(f"not ready after {timeout}s:\n{app.log()[-3000:]}")
                assert app.proc is not None
                if app.proc.poll() is not None:
                    raise RuntimeError(f"the app exited with {app.proc.returncode}:\n{app.log()[-3000:]}")
                try:
                    status = http.get(app.url + "/readyz").status_code
                    now = time.perf_counter()
                    first_answer = first_answer or now
                    if status == 200:
                        break
                except httpx.HTTPError:
                    pass
                time.sleep(0.01)
        ready = now - app.launched_at
        log = app.log()
    finally:
        app.stop()
        app.log_path.unlink(missing_ok=True)
    timings: dict[str, Any] = {"readyz_200_s": ready, "first_http_answer_s": (first_answer or now) - app.launched_at}
    for at, message in log_records(log):
        for prefix, key in MARKS.items():
            if message.startswith(prefix) and key not in timings:
                timings[key] = at - wall_at_launch  # log timestamps have ms resolution
        if message.startswith("engine: loaded") and (load := re.search(r" in (\d+\.\d+)s", message)):
            timings["model_load_s"] = float(load.group(1))
    return timings, log


def log_records(log: str) -> list[tuple[float, str]]:
    """(epoch seconds, message) of each LOG_FORMAT=json line of the app's log."""
    records = []
    for line in log.splitlines():
        if not line.startswith("{"):
            continue
        try:
            record = json.loads(line)
            at = datetime.datetime.strptime(record["ts"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=datetime.UTC)
        except (ValueError, KeyError, TypeError):
            continue
        records.append((at.timestamp(), str(record.get("msg", ""))))
    return records


def import_profile(env: dict[str, str]) -> tuple[dict[str, Any], dict[str, float]]:
    """One launch under -X importtime: its timings, and cumulative import times (ms) by first importer."""
    timings, log = launch({**env, "PYTHONPROFILEIMPORTTIME": "1"})
    rows: list[tuple[int, int, str]] = []  # (depth, cumulative µs, module)
    for line in log.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            rows.append(((len(m.group(2)) - 1) // 2, int(m.group(1)), m.group(3)))
    out: dict[str, float] = {}

    def first(name: str) -> float:
        """The cumulative time of the first (outermost) import of `name`: where its cost was paid."""
        hits = [us for depth, us, mod in rows if mod == name]
        return max(hits) / 1000 if hits else 0.0

    for name in ("chainlit", "chainlit.server", "openai", "foundry_local_sdk", "fastapi", "literalai", "mcp"):
        out[name] = round(first(name), 1)
    # Our modules: only top-level entries (depth 0) are our own imports, not nested in a library's.
    out["ours (top-level, incl. what they import first)"] = round(
        sum(us for depth, us, mod in rows if depth == 0 and mod.split(".")[0] in OURS) / 1000, 1
    )
    out["total (top-level)"] = round(sum(us for depth, us, _ in rows if depth == 0) / 1000, 1)
    # Who imports openai first, and does the in-process Foundry path need it at all?
    chain: list[str] = []
    for i, (depth, _, mod) in enumerate(rows):
        if mod == "openai":
            want = depth - 1
            for d2, _, m2 in rows[i + 1 :]:
                if d2 == want:
                    chain.append(m2)
                    want -= 1
                    if want < 0:
                        break
            break
    out["openai first imported via"] = " ← ".join(chain) or "?"  # type: ignore[assignment]
    return timings, out


def interpreter_start() -> float:
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([PYTHON, "-c", "pass"], check=True)
        runs.append(time.perf_counter() - started)
    return median(runs)


def main(argv: list[str] | None = None) -> None:
    parser = make_parser(__doc__)
    parser.add_argument("--launches", type=int, default=None, help="launches to time (default 7, quick 1)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    launches = 1 if args.quick else (args.launches or 7)
    with tempfile.TemporaryDirectory(prefix="foundry-chat-bench-cold-") as cache:
        # JSON log lines carry millisecond timestamps, which the breakdown reads.
        env = {"MODEL_PATH": str(BUNDLED_MODEL), "FOUNDRY_CACHE_DIR": cache, "LOG_FORMAT": "json"}
        if args.quick:  # one launch, under -X importtime: checks every step of the harness
            first, imports = import_profile(env)
            runs = [first]
        else:
            first, _ = launch(env)  # registers the model in this cache; timed, but reported on its own
            runs = [launch(env)[0] for _ in range(launches)]
            _, imports = import_profile(env)
    keys = sorted({k for r in runs for k in r})
    medians = {k: round(median([r[k] for r in runs if k in r]), 3) for k in keys}
    ready = medians["readyz_200_s"]
    hook, runtime = medians.get("startup_hook"), medians.get("runtime_ready")
    parts = []
    if hook is not None:
        parts.append(f"to Chainlit startup {hook:.2f} s")
    if hook is not None and runtime is not None:
        parts.append(f"Foundry init + load {runtime - hook:.2f} s (load {medians.get('model_load_s', 0):.2f})")
    if runtime is not None:
        parts.append(f"ready → /readyz 200 {ready - runtime:.2f} s")
    figures = [
        Figure(
            "5", "Cold start: launch → `/readyz` 200, tiny model", ready, "s", f"≤ {TARGET_S} s",
            check(ready <= TARGET_S, args.quick), COMMAND,
            "; ".join(parts) + f"; median of {launches}, first launch (registers) {first['readyz_200_s']:.2f} s",
        ),
    ]  # fmt: skip
    details = {
        "launches": launches,
        "median_s": medians,
        "runs": [{k: round(v, 3) for k, v in r.items()} for r in runs],
        "first_launch_s": {k: round(v, 3) for k, v in first.items()},
        "interpreter_start_s": round(interpreter_start(), 3),
        "import_profile_ms": imports,
    }
    report("cold_start", figures, details, quick=args.quick, out=args.out, started=started)


if __name__ == "__main__":
    main()
