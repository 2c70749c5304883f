"""Figure 3: many users at once, against our app and against a tutorial-style baseline.

    .venv/bin/python -m bench.bench_concurrency [--quick] [--repeat N]

1, 10 and 50 chat sessions, connected first, then each sends one message at the same moment. The
backend (the scripted OpenAI-compatible server, in its own process) waits 300 ms before the first
token, then streams 50 tokens 20 ms apart: one answer takes ~1.3 s however many are in flight.

- wall time: first message sent → last answer finished (task_end), at the clients;
- scaling: wall time at 50 sessions ÷ wall time at 1 (ideal 1.0);
- `/healthz` latency: polled every 20 ms from a separate process during the runs, p99;
- baseline ÷ ours: wall time at 50 sessions of bench/baseline/app.py (a sync `openai.OpenAI`
  client iterated inside the async handler, no history) over ours.

Ours runs `--repeat` times per size (median reported); the baseline once per size, since it is slow.
"""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._backend import reply  # noqa: E402
from bench._common import Figure, check, make_parser, median, percentile, report  # noqa: E402
from bench._procs import Backend, BenchApp, HealthProbe  # noqa: E402
from tests.support.sio_client import ChatClient, Turn  # noqa: E402

COMMAND = ".venv/bin/python -m bench.bench_concurrency"
PROMPT = "Explain in a few sentences why local inference is useful."
BASELINE = "bench/baseline/app.py"


async def connect_all(url: str, n: int, *, chat_start: bool) -> list[ChatClient]:
    clients = [ChatClient(url) for _ in range(n)]
    for i in range(0, n, 10):  # a few at a time: connecting is not what is measured
        await asyncio.gather(*(c.connect(timeout=60, chat_start=chat_start) for c in clients[i : i + 10]))
    return clients


async def close_all(clients: list[ChatClient]) -> None:
    async def leave(client: ChatClient) -> None:
        try:
            await client.clear_session()
        finally:
            await client.close()

    await asyncio.gather(*(leave(c) for c in clients), return_exceptions=True)


async def one_round(url: str, n: int, expected: str, *, chat_start: bool) -> dict[str, Any]:
    """n sessions send at once; returns wall time, per-session TTFT and the /healthz latencies."""
    clients = await connect_all(url, n, chat_start=chat_start)
    probe = HealthProbe(url + "/healthz").start()
    try:
        started = time.perf_counter()
        turns: list[Turn] = await asyncio.gather(*(c.send(PROMPT, timeout=600) for c in clients))
        wall = max(t.ended_at or 0.0 for t in turns) - started
    finally:
        probed = probe.stop()
        await close_all(clients)
    complete = sum(1 for t in turns if t.assistant_texts() and t.assistant_texts()[-1].startswith(expected))
    if complete != n:
        errors = [t.errors() or t.assistant_texts()[-1:] for t in turns][:3]
        raise RuntimeError(f"{n - complete} of {n} answers incomplete, e.g. {errors}")
    ttfts = [(t.first_text_at - t.sent_at) * 1000 for t in turns if t.first_text_at is not None]
    latencies = probed["latencies_ms"]
    return {
        "wall_s": wall,
        "ttft_ms_median": median(ttfts),
        "ttft_ms_max": max(ttfts),
        "healthz_ms": latencies,
        "healthz_failures": probed["failures"],
    }


async def measure_app(base_url: str, target: str, sizes: tuple[int, ...], repeat: int, expected: str) -> dict[str, Any]:
    ours = target == "app.py"
    env = {"BASE_URL": base_url, "CONTEXT_TOKENS": "4096"}
    results: dict[str, Any] = {}
    with BenchApp(env, target=target) as app:
        await one_round(app.url, 1, expected, chat_start=ours)  # warm-up
        for n in sizes:
            rounds = [await one_round(app.url, n, expected, chat_start=ours) for _ in range(repeat)]
            latencies = [x for r in rounds for x in r["healthz_ms"]]
            results[str(n)] = {
                "wall_s_median": median([r["wall_s"] for r in rounds]),
                "wall_s": [round(r["wall_s"], 3) for r in rounds],
                "ttft_ms_median": median([r["ttft_ms_median"] for r in rounds]),
                "ttft_ms_max": max(r["ttft_ms_max"] for r in rounds),
                "healthz_samples": len(latencies),
                "healthz_failures": sum(r["healthz_failures"] for r in rounds),
                "healthz_ms_p50": percentile(latencies, 50) if latencies else None,
                "healthz_ms_p99": percentile(latencies, 99) if latencies else None,
                "healthz_ms_max": max(latencies) if latencies else None,
            }
    return results


async def main_async(quick: bool, repeat: int | None) -> tuple[list[Figure], dict[str, Any]]:
    repeat = repeat or (1 if quick else 3)
    sizes = (1, 3) if quick else (1, 10, 50)
    tokens, first_token_delay, token_delay = (5, 0.05, 0.005) if quick else (50, 0.3, 0.02)
    backend_shape = {"tokens": tokens, "first_token_delay": first_token_delay, "token_delay": token_delay}
    expected = reply(tokens)
    with Backend(tokens=tokens, first_token_delay=first_token_delay, token_delay=token_delay) as backend:
        ours = await measure_app(backend.base_url, "app.py", sizes, repeat, expected)
        baseline = await measure_app(backend.base_url, BASELINE, sizes, 1, expected)
    top, one = str(sizes[-1]), str(sizes[0])
    scaling = ours[top]["wall_s_median"] / ours[one]["wall_s_median"]
    p99 = ours[top]["healthz_ms_p99"] or 0.0
    versus = baseline[top]["wall_s_median"] / ours[top]["wall_s_median"]
    walls = ", ".join(f"{n}: {ours[str(n)]['wall_s_median']:.2f} s" for n in sizes)
    base_walls = ", ".join(f"{n}: {baseline[str(n)]['wall_s_median']:.2f} s" for n in sizes)
    figures = [
        Figure(
            "3a", f"Wall time at {top} sessions ÷ at {one}", scaling, "", "≤ 1.3", check(scaling <= 1.3, quick),
            COMMAND, f"{walls}; median of {repeat}",
        ),
        Figure(
            "3b", f"`/healthz` p99 during {top} sessions", p99, "ms", "< 50 ms",
            check(p99 is not None and p99 < 50, quick), COMMAND,
            f"p50 {ours[top]['healthz_ms_p50']:.1f} ms, max {ours[top]['healthz_ms_max']:.1f} ms, "
            f"{ours[top]['healthz_samples']} probes; baseline p99 {baseline[top]['healthz_ms_p99']:.0f} ms",
        ),
        Figure(
            "3c", f"Baseline ÷ ours, wall time at {top} sessions", versus, "×", "≥ 5", check(versus >= 5, quick),
            COMMAND, f"baseline {base_walls}",
        ),
    ]  # fmt: skip
    return figures, {"ours": ours, "baseline": baseline, "backend": backend_shape, "repeat": repeat}


def main(argv: list[str] | None = None) -> None:
    parser = make_parser(__doc__)
    parser.add_argument("--repeat", type=int, default=None, help="rounds per size for our app (default 3)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    figures, details = asyncio.run(main_async(args.quick, args.repeat))
    report("concurrency", figures, details, quick=args.quick, out=args.out, started=started)


if __name__ == "__main__":
    main()
