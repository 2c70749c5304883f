"""Figure 6: memory per session, and whether it comes back when sessions leave.

    .venv/bin/python -m bench.bench_memory [--quick] [--sessions N]

The app serves the tiny model in-process (as it does by default offline); its resident set size
is read from /proc/<pid>/status (VmRSS) after the app has settled (no change for ~0.5 s, at most 5 s).

0. Warm-up: 10 sessions connect, chat and leave (first-use imports and caches), then the start
   value is read.
a. RSS per idle session: N sessions connect (the welcome screen and settings are sent) and stay
   idle; (RSS with them − start) ÷ N.
b. Return after leaving: N sessions connect, each sends a message and waits for the answer, then
   leaves through "New chat" (the page sends `clear_session`, Chainlit frees the session at once),
   in batches of 20; RSS afterwards vs. the start value.
c. The same when users just close the tab (no `clear_session`): Chainlit keeps each session for
   `session_timeout` (3600 s in .chainlit/config.toml) in case the page reconnects, so this shows
   what is held until then.
d. b again in a fresh app process started with MALLOC_ARENA_MAX=2: glibc otherwise gives each
   thread that allocates (one per Foundry Local stream, the to_thread pool) its own malloc arena,
   and memory freed in an arena is rarely returned to the system.

RSS rarely shrinks (freed memory stays in the allocators' pools), so "returns" means the growth
after a wave of sessions; later waves reuse that memory (see docs/performance.md).
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import Figure, check, make_parser, report  # noqa: E402
from bench._procs import BUNDLED_MODEL, BenchApp  # noqa: E402
from tests.support.sio_client import ChatClient  # noqa: E402

COMMAND = ".venv/bin/python -m bench.bench_memory"
PROMPT = "Hello! What can you do?"
BATCH = 20


async def settled_rss(app: BenchApp, *, quiet: float = 0.5, limit: float = 5.0) -> int:
    """VmRSS (KiB) once it has stopped changing for `quiet` seconds (or after `limit`)."""
    deadline = time.monotonic() + limit
    last, since = app.rss_kib(), time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        now = app.rss_kib()
        if now != last:
            last, since = now, time.monotonic()
        elif time.monotonic() - since >= quiet:
            break
    return last


async def connect(url: str, n: int) -> list[ChatClient]:
    clients = [ChatClient(url) for _ in range(n)]
    for i in range(0, n, BATCH):
        await asyncio.gather(*(c.connect(timeout=60) for c in clients[i : i + BATCH]))
    return clients


async def leave(clients: list[ChatClient], *, clear: bool) -> None:
    async def one(client: ChatClient) -> None:
        if clear:
            await client.clear_session()
        await client.close()

    await asyncio.gather(*(one(c) for c in clients))


async def chat_and_leave(url: str, n: int, *, clear: bool) -> None:
    """n sessions, BATCH at a time: connect, one message each, leave."""
    for i in range(0, n, BATCH):
        clients = await connect(url, min(BATCH, n - i))
        turns = await asyncio.gather(*(c.send(PROMPT, timeout=120) for c in clients))
        await leave(clients, clear=clear)
        failed = [t.errors() for t in turns if t.errors() or not t.assistant_texts()]
        if failed:
            raise RuntimeError(f"{len(failed)} sessions got no answer, e.g. {failed[0]}")


async def phases(n: int, extra_env: dict[str, str], *, full: bool) -> dict[str, int]:
    """RSS (KiB) at each step; `full=False` runs only warm-up and the chat-and-leave wave."""
    with tempfile.TemporaryDirectory(prefix="foundry-chat-bench-memory-") as cache:
        env = {"MODEL_PATH": str(BUNDLED_MODEL), "FOUNDRY_CACHE_DIR": cache, "MAX_TOKENS": "64", **extra_env}
        with BenchApp(env) as app:
            rss = {"at_launch": await settled_rss(app)}
            await chat_and_leave(app.url, 10, clear=True)
            rss["start_after_warmup"] = await settled_rss(app)
            if full:
                idle = await connect(app.url, n)
                rss["with_idle_sessions"] = await settled_rss(app)
                await leave(idle, clear=True)
                rss["after_idle_left"] = await settled_rss(app)
            await chat_and_leave(app.url, n, clear=True)
            rss["after_chat_and_new_chat"] = await settled_rss(app)
            if full:
                await chat_and_leave(app.url, n, clear=False)
                rss["after_chat_and_tab_closed"] = await settled_rss(app)
    return rss


async def main_async(quick: bool, sessions: int | None) -> tuple[list[Figure], dict[str, Any]]:
    n = sessions or (10 if quick else 200)
    mib = await phases(n, {}, full=True)
    arena = await phases(n, {"MALLOC_ARENA_MAX": "2"}, full=False)
    start, with_idle = mib["start_after_warmup"], mib["with_idle_sessions"]
    after_chat, after_tabs_closed = mib["after_chat_and_new_chat"], mib["after_chat_and_tab_closed"]
    arena_back = (arena["after_chat_and_new_chat"] - arena["start_after_warmup"]) / arena["start_after_warmup"]

    per_session_kb = (with_idle - start) * 1024 / 1000 / n  # KiB → kB (1000 bytes), as "KB" in the target
    back = (after_chat - start) / start
    held = (after_tabs_closed - after_chat) * 1024 / 1000 / n
    figures = [
        Figure(
            "6a", "RSS per idle session", per_session_kb, "KB", "≤ 150 KB", check(per_session_kb <= 150, quick),
            COMMAND, f"{n} sessions: {start / 1024:.1f} → {with_idle / 1024:.1f} MiB",
        ),
        Figure(
            "6b", f"RSS after {n} sessions chat and leave, vs start", back * 100, "%", "within 10 %",
            check(abs(back) <= 0.10, quick), COMMAND,
            f"{start / 1024:.1f} → {after_chat / 1024:.1f} MiB; leaving through New chat (clear_session)",
        ),
        Figure(
            "6c", f"RSS held per session after {n} close the tab", held, "KB", "", None, COMMAND,
            f"{after_chat / 1024:.1f} → {after_tabs_closed / 1024:.1f} MiB; freed after session_timeout",
        ),
        Figure(
            "6d", "6b with MALLOC_ARENA_MAX=2", arena_back * 100, "%", "within 10 %",
            check(abs(arena_back) <= 0.10, quick), COMMAND,
            f"{arena['start_after_warmup'] / 1024:.1f} → {arena['after_chat_and_new_chat'] / 1024:.1f} MiB",
        ),
    ]  # fmt: skip
    details = {
        "sessions": n,
        "rss_kib": mib,
        "rss_kib_malloc_arena_max_2": arena,
        "per_idle_session_kb": per_session_kb,
        "return_ratio": back,
        "return_ratio_malloc_arena_max_2": arena_back,
    }
    return figures, details


def main(argv: list[str] | None = None) -> None:
    parser = make_parser(__doc__)
    parser.add_argument("--sessions", type=int, default=None, help="sessions per phase (default 200, quick 10)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    figures, details = asyncio.run(main_async(args.quick, args.sessions))
    report("memory", figures, details, quick=args.quick, out=args.out, started=started)


if __name__ == "__main__":
    main()
