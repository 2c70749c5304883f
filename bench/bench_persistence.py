"""Figure 9: what persistence costs. The default (SQLite), PostgreSQL and persistence off, side by side.

    .venv/bin/python -m bench.bench_persistence [--quick] [--repeat N] [--no-postgres]

The same app, launched once per configuration (all three at once, idle but for the one measured),
against the same scripted backend (first token after 300 ms, then 50 tokens 20 ms apart):

- `off`: `CHAT_DB_URL=off`, nothing stored;
- `sqlite`: the default configuration (a SQLite file in a temporary directory);
- `postgres`: the Debian PostgreSQL server the tests start (tests/support/postgres.py; note that it
  runs with `fsync=off`, so its figures leave out the disk).

Per configuration: 1 and 50 sessions, connected first, each asking once at the same moment
(`--repeat` rounds, 5 by default, median; the configurations' rounds interleaved: a round's
TTFT p50 varies by ±30–40 ms on this 2-core machine, so three rounds' median moved by more than
the 20 ms target between runs of unchanged code): wall time (first message
sent → last answer finished), TTFT p50 at the clients, `/healthz` p99 polled from a separate
process. Then 200 sessions × 5 turns (each session asks, waits for the answer, asks again), three
rounds, interleaved like the bursts: reply time p50 (message sent → answer finished), its ratio to
off's round just before (median of the rounds' ratios), errors, and, read back from the database
afterwards, every user message and every complete answer. Then
`/v1/chat/completions` under load: 50 streamed requests at once, wall and TTFT p50.

The figures are ratios within the run: a configuration's own 50 ÷ 1 wall, its 50-session wall ÷
`off`'s, its TTFT minus `off`'s. The machine is shared: the load average is kept in the JSON.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._backend import reply  # noqa: E402
from bench._common import Figure, check, make_parser, median, percentile, report  # noqa: E402
from bench._procs import Backend, BenchApp, HealthProbe  # noqa: E402
from bench.bench_concurrency import close_all, connect_all  # noqa: E402
from tests.support.sio_client import ChatClient, Turn  # noqa: E402

COMMAND = ".venv/bin/python -m bench.bench_persistence"
PROMPT = "Explain in a few sentences why local inference is useful."
ANSWERS = 'SELECT "metadata" FROM steps WHERE "type" = \'assistant_message\''
BENCH_ENV = {"CONTEXT_TOKENS": "4096"}
TURN_TIMEOUT_S = 180.0


def load() -> float:
    return os.getloadavg()[0]


async def burst(url: str, n: int, expected: str) -> dict[str, Any]:
    """n sessions ask once at the same moment."""
    clients = await connect_all(url, n, chat_start=True)
    probe = HealthProbe(url + "/healthz").start()
    try:
        started = time.perf_counter()
        turns: list[Turn] = await asyncio.gather(*(c.send(PROMPT, timeout=600) for c in clients))
        wall = max(t.ended_at or 0.0 for t in turns) - started
    finally:
        probed = probe.stop()
        await close_all(clients)
    incomplete = sum(1 for t in turns if not (t.assistant_texts() and t.assistant_texts()[-1].startswith(expected)))
    if incomplete:
        raise RuntimeError(f"{incomplete} of {n} answers incomplete, e.g. {[t.errors() for t in turns][:3]}")
    ttfts = [(t.first_text_at - t.sent_at) * 1000 for t in turns if t.first_text_at is not None]
    return {"wall_s": wall, "ttft_ms_p50": median(ttfts), "healthz_ms": probed["latencies_ms"]}


async def conversations(url: str, sessions: int, turns: int, expected: str, round_: int = 0) -> dict[str, Any]:
    """`sessions` sessions, each asking `turns` times in a row; reply times and errors."""
    clients = await connect_all(url, sessions, chat_start=True)
    replies: list[float] = []
    errors = 0

    async def talk(i: int, client: ChatClient) -> None:
        nonlocal errors
        for k in range(turns):
            try:
                turn = await client.send(f"{PROMPT} (session {i}, turn {k}, round {round_})", timeout=TURN_TIMEOUT_S)
            except TimeoutError:  # e.g. the socket dropped under load: an error, the others go on
                errors += 1
                return
            texts = turn.assistant_texts()
            if turn.errors() or not texts or not texts[-1].startswith(expected) or turn.ended_at is None:
                errors += 1
            else:
                replies.append(turn.ended_at - turn.sent_at)

    started = time.perf_counter()
    try:
        await asyncio.gather(*(talk(i, c) for i, c in enumerate(clients)))
    finally:
        await close_all(clients)
    return {
        "wall_s": time.perf_counter() - started,
        "reply_s_p50": median(replies) if replies else None,
        "reply_s_p99": percentile(replies, 99) if replies else None,
        "errors": errors,
    }


async def gateway_load(url: str, n: int) -> dict[str, Any]:
    """n streamed /v1/chat/completions at once: wall and TTFT (first content chunk) p50."""
    import httpx

    body = {"model": "auto", "stream": True, "messages": [{"role": "user", "content": PROMPT}]}

    async def one(http: httpx.AsyncClient) -> float:
        sent = time.perf_counter()
        first: float | None = None
        async with http.stream("POST", url + "/v1/chat/completions", json=body) as r:
            r.raise_for_status()
            async for line in r.aiter_lines():
                if first is None and '"content"' in line:
                    first = time.perf_counter()
        if first is None:
            raise RuntimeError("a /v1 stream carried no text")
        return (first - sent) * 1000

    async with httpx.AsyncClient(timeout=120, limits=httpx.Limits(max_connections=n + 5)) as http:
        started = time.perf_counter()
        ttfts = await asyncio.gather(*(one(http) for _ in range(n)))
        wall = time.perf_counter() - started
    return {"wall_s": wall, "ttft_ms_p50": median(list(ttfts))}


async def _stored_async(db_url: str, expected: str) -> dict[str, int]:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    from storage._rows import json_out

    """Read back what the conversations stored: user messages, and answers complete and marked done."""
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            users = (
                await conn.execute(
                    text('SELECT COUNT(*) FROM steps WHERE "type" = \'user_message\' AND "output" LIKE :p'),
                    {"p": f"{PROMPT} (session %"},
                )
            ).scalar()
            answers = (await conn.execute(text(ANSWERS))).all()
    finally:
        await engine.dispose()
    done = sum(1 for (m,) in answers if _complete(json_out(m, {}), expected))
    return {"user_messages": int(users or 0), "complete_answers": done}


def _complete(metadata: Any, expected: str) -> bool:
    turn = metadata.get("turn") if isinstance(metadata, dict) else None
    return (
        isinstance(turn, dict)
        and str(turn.get("user", "")).startswith(f"{PROMPT} (session ")
        and turn.get("state") == "done"
        and str(turn.get("reply", "")).startswith(expected)
    )


async def measure(dbs: dict[str, str], base_url: str, plan: dict[str, Any], expected: str) -> dict[str, Any]:
    """All configurations' apps at once (idle ones cost nothing); the burst rounds interleaved
    (off, sqlite, postgres, off, …) so that drifts in the machine's load hit all alike."""
    out: dict[str, dict[str, Any]] = {name: {"db": name, "load_before": load()} for name in dbs}
    with contextlib.ExitStack() as stack:
        apps = {
            name: stack.enter_context(BenchApp({**BENCH_ENV, "BASE_URL": base_url, "CHAT_DB_URL": url}))
            for name, url in dbs.items()
        }
        for app in apps.values():
            await burst(app.url, 1, expected)  # warm-up
        for n in plan["sizes"]:
            rounds: dict[str, list[dict[str, Any]]] = {name: [] for name in dbs}
            for _ in range(plan["repeat"]):
                for name, app in apps.items():
                    rounds[name].append(await burst(app.url, n, expected))
            for name, done in rounds.items():
                latencies = [x for r in done for x in r["healthz_ms"]]
                out[name][str(n)] = {
                    "wall_s_median": median([r["wall_s"] for r in done]),
                    "wall_s": [round(r["wall_s"], 3) for r in done],
                    "ttft_ms_p50": median([r["ttft_ms_p50"] for r in done]),
                    "ttft_ms_p50s": [round(r["ttft_ms_p50"], 1) for r in done],
                    "healthz_ms_p99": percentile(latencies, 99) if latencies else None,
                }
        sessions, turns = plan["conversations"]
        talks: dict[str, list[dict[str, Any]]] = {name: [] for name in dbs}
        for round_ in range(plan["conversation_rounds"]):  # interleaved too: one round of each, then again
            for name, app in apps.items():
                out[name].setdefault("load_conversations", []).append(load())
                talks[name].append(await conversations(app.url, sessions, turns, expected, round_))
        for name, app in apps.items():
            out[name]["conversations"] = _conversation_summary(talks[name], talks["off"])
            out[name]["v1"] = await gateway_load(app.url, plan["v1"])
            if dbs[name] != "off":
                out[name]["conversations"]["stored"] = await _stored_async(dbs[name], expected)
            print(f"bench: {name}: {json.dumps(out[name], default=str)}", file=sys.stderr, flush=True)
    for name in dbs:
        out[name]["load_after"] = load()
    return out


def _conversation_summary(rounds: list[dict[str, Any]], off: list[dict[str, Any]]) -> dict[str, Any]:
    """A configuration's conversation rounds: the median reply p50, every round's, and the median of
    its ratio to off's round run just before it (a pairwise ratio, so a drift of the machine
    between rounds does not count against a configuration)."""
    p50s = [r["reply_s_p50"] for r in rounds if r["reply_s_p50"] is not None]
    ratios = [
        r["reply_s_p50"] / o["reply_s_p50"]
        for r, o in zip(rounds, off, strict=True)
        if r["reply_s_p50"] is not None and o["reply_s_p50"]
    ]
    return {
        "reply_s_p50": median(p50s) if p50s else None,
        "reply_s_p50s": [round(x, 3) for x in p50s],
        "reply_ratio_to_off": median(ratios) if ratios else None,
        "errors": sum(r["errors"] for r in rounds),
        "rounds": rounds,
    }


def figures_for(results: dict[str, dict[str, Any]], plan: dict[str, Any], quick: bool) -> list[Figure]:
    one, top = (str(n) for n in (plan["sizes"][0], plan["sizes"][-1]))
    off = results["off"]
    figures: list[Figure] = []
    for label, (name, tag) in enumerate((("sqlite", "default, SQLite"), ("postgres", "PostgreSQL"), ("off", "off"))):
        if name not in results:
            continue
        r = results[name]
        letter = "abc"[label]
        scaling = r[top]["wall_s_median"] / r[one]["wall_s_median"]
        vs_off = r[top]["wall_s_median"] / off[top]["wall_s_median"]
        added_one = r[one]["ttft_ms_p50"] - off[one]["ttft_ms_p50"]
        added_top = r[top]["ttft_ms_p50"] - off[top]["ttft_ms_p50"]
        conv = r["conversations"]
        reply_ratio = conv["reply_ratio_to_off"] or 0.0
        slack = 1.15 if name == "postgres" else 1.0
        walls = f"{one}: {r[one]['wall_s_median']:.2f} s, {top}: {r[top]['wall_s_median']:.2f} s"
        rows = [
            (f"{tag}: wall at {top} sessions ÷ at {one}", scaling, "", f"≤ {1.3 * slack:.2f}",
             scaling <= 1.3 * slack, walls),
            (f"{tag}: wall at {top} sessions ÷ persistence off", vs_off, "×", f"≤ {1.1 * slack:.2f}",
             vs_off <= 1.1 * slack, f"off {off[top]['wall_s_median']:.2f} s"),
            (f"{tag}: TTFT added at {one} session, p50", added_one, "ms", f"≤ {3 * slack:.3g} ms",
             added_one <= 3 * slack, f"{r[one]['ttft_ms_p50']:.1f} vs off {off[one]['ttft_ms_p50']:.1f} ms"),
            (f"{tag}: TTFT added at {top} sessions, p50", added_top, "ms", f"≤ {20 * slack:.3g} ms",
             added_top <= 20 * slack, f"{r[top]['ttft_ms_p50']:.1f} vs off {off[top]['ttft_ms_p50']:.1f} ms"),
            (f"{tag}: `/healthz` p99 during {top} sessions", r[top]["healthz_ms_p99"] or 0.0, "ms", "< 50 ms",
             (r[top]["healthz_ms_p99"] or 0.0) < 50, ""),
            (f"{tag}: {plan['conversations'][0]}×{plan['conversations'][1]} reply p50 ÷ off", reply_ratio, "×",
             "≤ 1.2", reply_ratio <= 1.2 and conv["errors"] == 0,
             f"{conv['reply_s_p50'] or 0:.2f} s (rounds {conv['reply_s_p50s']}), {conv['errors']} errors, stored "
             f"{conv.get('stored', '–')} of {plan['conversation_rounds'] * plan['conversations'][0] * plan['conversations'][1]}"),
            (f"{tag}: /v1 × {plan['v1']} wall ÷ off", r["v1"]["wall_s"] / off["v1"]["wall_s"], "×", "–", True,
             f"{r['v1']['wall_s']:.2f} s, TTFT p50 {r['v1']['ttft_ms_p50']:.0f} ms"),
        ]  # fmt: skip
        for i, (title, value, unit, target, met, note) in enumerate(rows):
            if name == "off" and i in (1, 2, 3, 5, 6):
                continue  # off against itself
            judged = check(met, quick) if target != "–" else None
            figures.append(Figure(f"9{letter}{i + 1}", title, value, unit, target, judged, COMMAND, note))
    return figures


async def main_async(quick: bool, repeat: int | None, postgres: bool) -> tuple[list[Figure], dict[str, Any]]:
    plan: dict[str, Any] = {
        "sizes": (1, 3) if quick else (1, 50),
        "repeat": repeat or (1 if quick else 5),
        "conversations": (3, 2) if quick else (200, 5),
        "conversation_rounds": 1 if quick else 3,
        "v1": 3 if quick else 50,
    }
    tokens, first, gap = (5, 0.05, 0.005) if quick else (50, 0.3, 0.02)
    expected = reply(tokens)
    results: dict[str, dict[str, Any]] = {}
    with (
        tempfile.TemporaryDirectory(prefix="foundry-chat-bench-db-") as tmp,
        Backend(tokens=tokens, first_token_delay=first, token_delay=gap) as backend,
    ):
        dbs = {"off": "off", "sqlite": f"sqlite+aiosqlite:///{tmp}/chat.db"}
        with contextlib.ExitStack() as stack:
            if postgres:
                from tests.support.postgres import TempPostgres, unavailable_reason

                if (why := unavailable_reason()) is not None:
                    raise RuntimeError(f"PostgreSQL: {why} (or pass --no-postgres)")
                dbs["postgres"] = stack.enter_context(TempPostgres()).url
            results = await measure(dbs, backend.base_url, plan, expected)
    details = {"plan": plan, "backend": {"tokens": tokens, "first_token_delay": first, "token_delay": gap}}
    return figures_for(results, plan, quick), {**details, "results": results}


def main(argv: list[str] | None = None) -> None:
    parser = make_parser(__doc__)
    parser.add_argument("--repeat", type=int, default=None, help="rounds per size (default 5)")
    parser.add_argument("--no-postgres", action="store_true", help="leave PostgreSQL out")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with_postgres = not args.no_postgres and not args.quick
    figures, details = asyncio.run(main_async(args.quick, args.repeat, postgres=with_postgres))
    report("persistence", figures, details, quick=args.quick, out=args.out, started=started)


if __name__ == "__main__":
    main()
