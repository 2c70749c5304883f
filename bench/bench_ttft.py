"""Figure 2: time to first token that the app adds over its backend.

    .venv/bin/python -m bench.bench_ttft [--quick] [--repeat N]

added TTFT = (message sent → first answer text at a socket.io client, through the app)
           − (request → first answer text, straight from the backend).

Runs alternate (backend, app, backend, app, …); each figure is the median of the per-pair
differences. Each app run uses a fresh chat session (connected before the clock starts) so that
the app and the backend see the same two-message prompt.

a. HTTP: the scripted OpenAI-compatible server answering after a fixed 100 ms first-token delay;
   the backend's own TTFT is measured by a direct OpenAI-SDK client (the SDK the app uses), with a
   kept-alive connection like the app's.
b. In-process engine: the bundled tiny model; the engine's own TTFT is measured at
   `FoundryLocalProvider.stream` in this process (same prompt, same settings). The app's TTFT also
   includes what it does before generating: the exact prompt-token count (an engine preflight
   call) that fits the history into the context window, and the routing decision.
c. As a, but in one conversation: the added TTFT at turns 31–40 (what history costs per message).
d. Chainlit's floor: the same measurement through bench/baseline/echo.py, a Chainlit app that
   answers at once with no backend. No app on Chainlit can add less than this.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import Figure, check, make_parser, median, percentile, report  # noqa: E402
from bench._procs import BUNDLED_MODEL, Backend, BenchApp  # noqa: E402
from tests.support.sio_client import ChatClient  # noqa: E402

COMMAND = ".venv/bin/python -m bench.bench_ttft"
PROMPT = "Write a haiku about the sea."
FIRST_TOKEN_DELAY = 0.1
CONVERSATION_TURNS = 40


async def app_ttft(client: ChatClient, prompt: str) -> float:
    turn = await client.send(prompt, timeout=60)
    if turn.first_text_at is None or turn.errors():
        raise RuntimeError(f"the app streamed no answer: {turn.errors() or turn.all_texts()}")
    return turn.first_text_at - turn.sent_at


async def fresh_session_ttft(url: str, prompt: str, *, chat_start: bool = True) -> float:
    """TTFT of the first message of a new chat (connecting is not timed)."""
    client = ChatClient(url)
    await client.connect(chat_start=chat_start)
    try:
        ttft = await app_ttft(client, prompt)
        await client.clear_session()
    finally:
        await client.close()
    return ttft


async def paired(
    backend: Callable[[], Awaitable[float]], app: Callable[[], Awaitable[float]], repeat: int
) -> tuple[list[float], list[float]]:
    await backend()  # warm-up: connections, first-use imports, caches
    await app()
    backend_runs, app_runs = [], []
    for _ in range(repeat):
        backend_runs.append(await backend())
        app_runs.append(await app())
    return backend_runs, app_runs


def summarize(backend: list[float], app: list[float]) -> dict[str, Any]:
    added = [(a - b) * 1000 for a, b in zip(app, backend, strict=True)]
    return {
        "added_ms_median": median(added),
        "added_ms_p90": percentile(added, 90),
        "backend_ttft_ms_median": median(backend) * 1000,
        "app_ttft_ms_median": median(app) * 1000,
        "added_ms": [round(x, 2) for x in added],
    }


def direct_ttft(client: Any) -> Callable[[], Awaitable[float]]:
    async def measure() -> float:
        started = time.perf_counter()
        stream = await client.chat.completions.create(
            model="test-model", messages=[{"role": "user", "content": PROMPT}], stream=True
        )
        first: float | None = None
        async for chunk in stream:
            if first is None and any(c.delta and c.delta.content for c in chunk.choices):
                first = time.perf_counter()
        if first is None:
            raise RuntimeError("the backend streamed no text")
        return first - started

    return measure


async def part_http(repeat: int, turns: int) -> tuple[dict[str, Any], dict[str, Any]]:
    import openai

    with Backend(tokens=5, first_token_delay=FIRST_TOKEN_DELAY) as backend:
        with BenchApp({"BASE_URL": backend.base_url, "CONTEXT_TOKENS": "32000"}) as app:
            async with openai.AsyncOpenAI(base_url=backend.base_url, api_key="not-needed", max_retries=0) as direct:
                measure = direct_ttft(direct)
                fresh = summarize(*await paired(measure, lambda: fresh_session_ttft(app.url, PROMPT), repeat))
                # One conversation: the backend's TTFT does not depend on history, the app's work might.
                client = ChatClient(app.url)
                await client.connect()
                try:
                    backend_runs, app_runs = await paired(measure, lambda: app_ttft(client, PROMPT), turns - 1)
                finally:
                    await client.close()
                late = max(1, min(10, turns // 4))
                conversation = summarize(backend_runs[-late:], app_runs[-late:])
                conversation["turns"] = turns
                conversation["all_added_ms"] = summarize(backend_runs, app_runs)["added_ms"]
    return fresh, conversation


async def part_engine(repeat: int) -> dict[str, Any]:
    from config import load_settings
    from providers.base import ChatMessage, ChatOptions
    from providers.foundry import FoundryLocalProvider
    from providers.foundry_engine import open_engine

    with tempfile.TemporaryDirectory(prefix="foundry-chat-bench-ttft-") as tmp:
        env = {"MODEL_PATH": str(BUNDLED_MODEL), "TEMPERATURE": "0", "MAX_TOKENS": "64"}
        settings = load_settings({**env, "FOUNDRY_CACHE_DIR": str(Path(tmp) / "engine-cache")})
        loaded = await asyncio.to_thread(open_engine, settings, lambda *_: None)
        provider = FoundryLocalProvider(loaded, settings)
        messages = [ChatMessage("system", settings.system_prompt), ChatMessage("user", PROMPT)]
        options = ChatOptions(temperature=0.0, max_tokens=64)

        async def engine_ttft() -> float:
            started = time.perf_counter()
            first: float | None = None
            async for chunk in provider.stream(messages, options):
                if first is None and chunk.text:
                    first = time.perf_counter()
            if first is None:
                raise RuntimeError("the engine produced no text")
            return first - started

        try:
            with BenchApp({**env, "FOUNDRY_CACHE_DIR": str(Path(tmp) / "app-cache")}) as app:
                result = summarize(*await paired(engine_ttft, lambda: fresh_session_ttft(app.url, PROMPT), repeat))
        finally:
            await provider.aclose()
            from foundry_local_sdk import FoundryLocalManager

            if FoundryLocalManager.instance is not None:
                FoundryLocalManager.instance.close()
    return result


async def part_floor(repeat: int) -> dict[str, Any]:
    with BenchApp({}, target="bench/baseline/echo.py") as app:
        await fresh_session_ttft(app.url, PROMPT, chat_start=False)
        runs = [await fresh_session_ttft(app.url, PROMPT, chat_start=False) for _ in range(repeat)]
    return {"ttft_ms_median": median(runs) * 1000, "ttft_ms": [round(x * 1000, 2) for x in runs]}


async def main_async(quick: bool, repeat: int | None) -> tuple[list[Figure], dict[str, Any]]:
    repeat = repeat or (2 if quick else 30)
    turns = 3 if quick else CONVERSATION_TURNS
    floor = await part_floor(repeat)
    http, conversation = await part_http(repeat, turns)
    engine = await part_engine(repeat)
    a, b, c, d = (
        http["added_ms_median"],
        engine["added_ms_median"],
        conversation["added_ms_median"],
        floor["ttft_ms_median"],
    )
    late = len(conversation["added_ms"])
    figures = [
        Figure(
            "2a", "TTFT added by the app, HTTP backend", a, "ms", "≤ 5 ms median", check(a <= 5, quick), COMMAND,
            f"app {http['app_ttft_ms_median']:.1f} vs backend {http['backend_ttft_ms_median']:.1f} ms; "
            f"{a - d:+.1f} ms over Chainlit's floor; p90 {http['added_ms_p90']:.1f} ms; median of {repeat}",
        ),
        Figure(
            "2b", "TTFT added by the app, tiny model in-process", b, "ms", "≤ 5 ms median", check(b <= 5, quick),
            COMMAND,
            f"app {engine['app_ttft_ms_median']:.1f} vs engine {engine['backend_ttft_ms_median']:.1f} ms; "
            f"{b - d:+.1f} ms over Chainlit's floor; p90 {engine['added_ms_p90']:.1f} ms; median of {repeat}",
        ),
        Figure(
            "2c", f"TTFT added at turns {turns - late + 1}–{turns} of one conversation, HTTP"
            if late > 1 else f"TTFT added at turn {turns} of one conversation, HTTP", c, "ms", "", None,
            COMMAND, f"{c - a:+.1f} ms over a new chat's first message",
        ),
        Figure(
            "2d", "Chainlit's floor: TTFT of an app that answers at once", d, "ms", "", None, COMMAND,
            f"bench/baseline/echo.py; median of {repeat}",
        ),
    ]  # fmt: skip
    details = {
        "http": http,
        "engine": engine,
        "conversation": conversation,
        "chainlit_floor": floor,
        "repeat": repeat,
        "first_token_delay_s": FIRST_TOKEN_DELAY,
    }
    return figures, details


def main(argv: list[str] | None = None) -> None:
    parser = make_parser(__doc__)
    parser.add_argument("--repeat", type=int, default=None, help="pairs of runs (default 30, quick 2)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    figures, details = asyncio.run(main_async(args.quick, args.repeat))
    report("ttft", figures, details, quick=args.quick, out=args.out, started=started)


if __name__ == "__main__":
    main()
