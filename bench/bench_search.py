"""Figure 9: full-text search latency from the sidebar's search box, over a large history.

    .venv/bin/python -m bench.bench_search [--quick] [--postgres]

Builds a SQLite chat database of 10,000 threads × 20 messages (200,000 steps; `--quick`: 200
threads) through the app's schema, so the search index is filled by its triggers as every write
fills it. All threads belong to one user (the local user of local history: the worst case, every
match is theirs). Then times `FoundryDataLayer.list_threads(filters.search=...)` — the exact call
Chainlit makes for the search box, ranking and loading the page of threads included — one query
at a time, over a mix of rare, common and two-word queries and prefixes (as typed). Reports p50
and p95 of wall time; target p95 ≤ 50 ms. The details add the CPU time of the process per query
(all its threads), which a machine shared with other work does not inflate. Messages are synthetic words with a Zipf-like frequency (a few words
in most messages, most words in few), 12–80 words each.

`--postgres` measures the same on a throwaway PostgreSQL (Debian's server, tests/support/postgres.py).
"""

from __future__ import annotations

import asyncio
import itertools
import random
import sqlite3
import sys
import tempfile
import time
import uuid
import warnings
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import Figure, check, make_parser, median, percentile, report  # noqa: E402

COMMAND = ".venv/bin/python -m bench.bench_search"
TARGET_P95_MS = 50.0
THREADS, QUICK_THREADS, MESSAGES = 10_000, 200, 20
QUERIES, QUICK_QUERIES = 300, 30
_SYLLABLES = [a + b for a in "bcdfgklmnprstvz" for b in "aeiou"] + ["é", "ø", "ü"]


def vocabulary(rng: random.Random, size: int = 20_000) -> list[str]:
    words: set[str] = set()
    while len(words) < size:
        words.add("".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))))
    return sorted(words)


def message(rng: random.Random, words: list[str], cumulative: list[float]) -> str:
    return " ".join(rng.choices(words, cum_weights=cumulative, k=rng.randint(12, 80)))


def build(url: str, threads: int, rng: random.Random, words: list[str]) -> tuple[str, float]:
    """Create the database through the app's schema, then write the chats; returns (user id, seconds)."""
    from storage.schema import ensure_schema

    asyncio.run(ensure_schema(url))
    weights = list(itertools.accumulate(1 / (i + 1) for i in range(len(words))))
    user_id = str(uuid.uuid4())
    started = time.perf_counter()
    rows_threads, rows_steps = [], []
    for t in range(threads):
        thread_id = str(uuid.uuid4())
        first = message(rng, words, weights)
        rows_threads.append((thread_id, f"2026-01-01T00:{t // 600 % 60:02d}:{t % 60:02d}Z", first[:60], user_id))
        for m in range(MESSAGES):
            text = first if m == 0 else message(rng, words, weights)
            kind = "user_message" if m % 2 == 0 else "assistant_message"
            rows_steps.append((str(uuid.uuid4()), "x", kind, thread_id, text, f"2026-01-01T01:00:{m:02d}Z"))
    if url.startswith("sqlite"):
        _insert_sqlite(url, user_id, rows_threads, rows_steps)
    else:
        asyncio.run(_insert_pg(url, user_id, rows_threads, rows_steps))
    return user_id, time.perf_counter() - started


def _insert_sqlite(url: str, user_id: str, threads: list[tuple[Any, ...]], steps: list[tuple[Any, ...]]) -> None:
    with sqlite3.connect(url.split("///", 1)[1]) as conn:
        conn.execute('INSERT INTO users ("id", "identifier", "metadata", "createdAt") VALUES (?, ?, ?, ?)',
                     (user_id, "local", "{}", "2026-01-01"))
        conn.executemany(
            'INSERT INTO threads ("id", "createdAt", "name", "userId", "userIdentifier", "metadata")'
            " VALUES (?, ?, ?, ?, 'local', '{}')",
            threads,
        )
        conn.executemany(
            'INSERT INTO steps ("id", "name", "type", "threadId", "output", "createdAt", "streaming")'
            " VALUES (?, ?, ?, ?, ?, ?, FALSE)",
            steps,
        )


async def _insert_pg(url: str, user_id: str, threads: list[tuple[Any, ...]], steps: list[tuple[Any, ...]]) -> None:
    import asyncpg

    conn = await asyncpg.connect(url.replace("postgresql+asyncpg", "postgresql"))
    try:
        await conn.execute(
            'INSERT INTO users ("id", "identifier", "metadata", "createdAt") VALUES ($1, $2, $3, $4)',
            user_id, "local", "{}", "2026-01-01",
        )
        await conn.executemany(
            'INSERT INTO threads ("id", "createdAt", "name", "userId", "userIdentifier", "metadata")'
            " VALUES ($1, $2, $3, $4, 'local', '{}')",
            threads,
        )
        await conn.executemany(
            'INSERT INTO steps ("id", "name", "type", "threadId", "output", "createdAt", "streaming")'
            " VALUES ($1, $2, $3, $4, $5, $6, FALSE)",
            steps,
        )
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


def queries(rng: random.Random, words: list[str], n: int) -> list[str]:
    """Rare and common single words, two words, and prefixes as typed."""
    out: list[str] = []
    for i in range(n):
        kind = i % 4
        if kind == 0:
            out.append(rng.choice(words[: len(words) // 50]))  # common: in many messages
        elif kind == 1:
            out.append(rng.choice(words[len(words) // 2 :]))  # rare
        elif kind == 2:
            out.append(f"{rng.choice(words[:200])} {rng.choice(words[:2000])}")
        else:
            word = rng.choice(words[:5000])
            out.append(word[: max(2, len(word) - 2)])  # a prefix, mid-typing
    return out


async def measure(url: str, user_id: str, texts: list[str]) -> tuple[list[float], list[float], list[int]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        from chainlit.types import Pagination, ThreadFilter

        from storage.data_layer import FoundryDataLayer
        from storage.guard import acting_as

    layer = FoundryDataLayer(url)
    samples: list[float] = []
    cpu: list[float] = []
    hits: list[int] = []
    try:
        with acting_as("local"):
            await layer.list_threads(Pagination(first=20), ThreadFilter(userId=user_id, search=texts[0]))  # warm
            for search in texts:
                started, cpu_started = time.perf_counter(), time.process_time()
                page = await layer.list_threads(Pagination(first=20), ThreadFilter(userId=user_id, search=search))
                samples.append((time.perf_counter() - started) * 1000)
                cpu.append((time.process_time() - cpu_started) * 1000)
                hits.append(len(page.data))
    finally:
        await layer.close()
    return samples, cpu, hits


def main(argv: list[str] | None = None) -> int:
    parser = make_parser(__doc__)
    parser.add_argument("--postgres", action="store_true", help="measure on a throwaway PostgreSQL instead")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rng = random.Random(17)
    words = vocabulary(rng)
    threads = QUICK_THREADS if args.quick else THREADS
    texts = queries(rng, words, QUICK_QUERIES if args.quick else QUERIES)
    with tempfile.TemporaryDirectory(prefix="bench-search-") as tmp:
        server = None
        if args.postgres:
            from tests.support.postgres import TempPostgres

            server = TempPostgres().start()
            url = server.create_database("bench_search")
        else:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'chat.db'}"
        try:
            user_id, build_s = build(url, threads, rng, words)
            samples, cpu, hits = asyncio.run(measure(url, user_id, texts))
        finally:
            if server is not None:
                server.stop()
    backend = "PostgreSQL" if args.postgres else "SQLite"
    p95 = percentile(samples, 95)
    size = f"{threads:,} threads × {MESSAGES} messages, {backend}"
    figures = [
        Figure("10a", f"search p50 ({size})", round(median(samples), 2), "ms", "", None, COMMAND),
        Figure("10b", f"search p95 ({size})", round(p95, 2), "ms", f"≤ {TARGET_P95_MS:.0f} ms",
               check(p95 <= TARGET_P95_MS, args.quick), COMMAND),
    ]
    details = {
        "threads": threads, "messages_per_thread": MESSAGES, "backend": backend, "queries": len(texts),
        "build_s": round(build_s, 1), "p99_ms": round(percentile(samples, 99), 2), "max_ms": round(max(samples), 2),
        "threads_found_median": median(hits), "queries_with_no_hit": sum(1 for h in hits if h == 0),
        "cpu_p50_ms": round(median(cpu), 2),
        "cpu_p95_ms": round(percentile(cpu, 95), 2),
        "p95_ms_by_kind": {
            kind: round(percentile(samples[i::4], 95), 2)
            for i, kind in enumerate(("common word", "rare word", "two words", "prefix"))
            if samples[i::4]
        },
    }
    report("search" if not args.postgres else "search_postgres", figures, details,
           quick=args.quick, out=args.out, started=started)
    return 0


if __name__ == "__main__":
    sys.exit(main())
