"""Figure 1: delivered rate, the share of the engine's token rate that reaches the browser.

    .venv/bin/python -m bench.bench_rate [--quick] [--repeat N]

Definitions (both sides count the same completion tokens, so the ratio is a ratio of durations):

- engine rate = completion tokens ÷ generation time, where generation time runs from the first
  text chunk to the finish chunk, measured at `FoundryLocalProvider.stream` in this process (the
  engine's own in-process rate) or, for the HTTP backend, at a direct OpenAI-SDK client;
- delivered rate = the same completion tokens ÷ (arrival of the last answer frame − arrival of the
  first) at a socket.io client talking to the app the way the page does.

Engine and app runs alternate (engine, app, engine, app, …), so that slow drifts in the load
from other processes on this shared machine hit both sides alike; the figure is the ratio of the
two sides' median rates. (Single ~0.3 s runs vary by ±20 % here, so per-pair ratios, kept in the
JSON, scatter widely.) The note also gives the delivered rate ÷ the rate the app's own router
measured for the same answer (its route line), which has no cross-run noise at all. Time to first
token is excluded here on purpose (it is figure 2).

Part a, the tiny model: the bundled model stops after ~19 tokens (~3 ms), far too short to time,
so the benchmark serves a copy whose end-of-sequence token never comes (see
`bench._procs.make_long_model`): every answer runs to MAX_TOKENS at temperature 0, deterministic,
so the app's answer and the in-process answer are the same text, which is checked.

Part b, a backend streaming 50 tok/s: the scripted OpenAI-compatible server, 100 tokens 20 ms apart.
"""

from __future__ import annotations

import asyncio
import re
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import Figure, check, make_parser, median, report  # noqa: E402
from bench._procs import Backend, BenchApp, make_long_model  # noqa: E402
from tests.support.sio_client import ChatClient, Turn  # noqa: E402

COMMAND = ".venv/bin/python -m bench.bench_rate"
PROMPT = "Tell me a long story about the sea."


@dataclass
class Run:
    """One streamed answer, timed at one observer."""

    ttft_s: float
    gen_s: float
    """First text → last text (client) or first text → finish (engine)."""
    chars: int
    frames: int = 0
    tokens: int | None = None
    route_rate: float | None = None
    """The tok/s the app's route line shows (the engine's rate as the app's router saw it)."""


# --- observers -------------------------------------------------------------------------------------
async def app_run(url: str, prompt: str, limit_s: float = 120.0) -> tuple[Run, str]:
    """One answer through the app, on a fresh session (no history: every run sends the same prompt).

    Returns the final answer as shown (the streamed text, and in older versions the route line after it)."""
    client = ChatClient(url)
    await client.connect()
    try:
        turn: Turn = await client.send(prompt, timeout=limit_s)
        await client.clear_session()
    finally:
        await client.close()
    if turn.first_text_at is None or turn.last_text_at is None or turn.errors():
        raise RuntimeError(f"the app streamed no answer: {turn.errors() or turn.all_texts()}")
    final = turn.assistant_texts()[-1]
    rate = route_rate(turn)
    run = Run(
        ttft_s=turn.first_text_at - turn.sent_at,
        gen_s=turn.last_text_at - turn.first_text_at,
        chars=sum(n for _, n in turn.frames),
        frames=len(turn.frames),
        route_rate=rate,
    )
    return run, final


def route_rate(turn: Turn) -> float | None:
    """The tok/s of the answer's route line (a step under the answer, or older: its last line)."""
    for message in turn.messages.values():
        for key in ("name", "output"):
            value = message.get(key)
            if isinstance(value, str) and (m := re.search(r"(\d+(?:\.\d+)?) tok/s", value)):
                return float(m.group(1))
    return None


async def engine_run(provider: Any, messages: list[Any], options: Any) -> tuple[Run, str]:
    """One answer straight from `FoundryLocalProvider.stream`, in this process."""
    started = time.perf_counter()
    first: float | None = None
    parts: list[str] = []
    tokens: int | None = None
    end = started
    async for chunk in provider.stream(messages, options):
        if chunk.text:
            if first is None:
                first = time.perf_counter()
            parts.append(chunk.text)
        if chunk.finish_reason is not None:
            end = time.perf_counter()
            tokens = chunk.usage.completion_tokens if chunk.usage else None
    if first is None:
        raise RuntimeError("the engine produced no text")
    text = "".join(parts)
    return Run(ttft_s=first - started, gen_s=end - first, chars=len(text), tokens=tokens), text


async def direct_run(base_url: str, prompt: str) -> Run:
    """One answer straight from the HTTP backend through the OpenAI SDK (as the app's provider reads it)."""
    import openai

    async with openai.AsyncOpenAI(base_url=base_url, api_key="not-needed", max_retries=0) as client:
        started = time.perf_counter()
        stream = await client.chat.completions.create(
            model="test-model", messages=[{"role": "user", "content": prompt}], stream=True
        )
        first: float | None = None
        last = started
        chars = tokens = 0
        async for chunk in stream:
            for choice in chunk.choices:
                if choice.delta is not None and choice.delta.content:
                    last = time.perf_counter()
                    first = first or last
                    chars += len(choice.delta.content)
                    tokens += 1
    if first is None:
        raise RuntimeError("the backend streamed no text")
    return Run(ttft_s=first - started, gen_s=last - first, chars=chars, tokens=tokens)


# --- the two parts ---------------------------------------------------------------------------------
async def part_engine(max_tokens: int, repeat: int) -> dict[str, Any]:
    from config import load_settings
    from providers.base import ChatMessage, ChatOptions
    from providers.foundry import FoundryLocalProvider
    from providers.foundry_engine import open_engine

    with tempfile.TemporaryDirectory(prefix="foundry-chat-bench-rate-") as tmp:
        model = make_long_model(Path(tmp))
        env = {"MODEL_PATH": str(model), "MAX_TOKENS": str(max_tokens), "TEMPERATURE": "0"}
        # The app and this process each run their own engine, with their own cache (registration) dir.
        settings = load_settings({**env, "FOUNDRY_CACHE_DIR": str(Path(tmp) / "engine-cache")})
        loaded = await asyncio.to_thread(open_engine, settings, lambda *_: None)
        provider = FoundryLocalProvider(loaded, settings)
        messages = [ChatMessage("system", settings.system_prompt), ChatMessage("user", PROMPT)]
        options = ChatOptions(temperature=0.0, max_tokens=max_tokens)
        pairs: list[tuple[Run, Run]] = []
        same_text = True
        try:
            with BenchApp({**env, "FOUNDRY_CACHE_DIR": str(Path(tmp) / "app-cache")}) as app:
                await engine_run(provider, messages, options)  # warm-up: first-use allocations on both sides
                await app_run(app.url, PROMPT)
                for _ in range(repeat):
                    engine, engine_text = await engine_run(provider, messages, options)
                    delivered, app_text = await app_run(app.url, PROMPT)
                    # the shown message is the streamed answer, then the route line
                    same_text = same_text and app_text.startswith(engine_text) and delivered.chars == len(engine_text)
                    delivered.tokens = engine.tokens
                    pairs.append((engine, delivered))
        finally:
            await provider.aclose()
            from foundry_local_sdk import FoundryLocalManager

            if FoundryLocalManager.instance is not None:
                FoundryLocalManager.instance.close()
    return summarize(pairs, same_text=same_text)


async def part_http(tokens: int, token_delay: float, repeat: int) -> dict[str, Any]:
    with Backend(tokens=tokens, token_delay=token_delay) as backend:
        with BenchApp({"BASE_URL": backend.base_url, "CONTEXT_TOKENS": "4096"}) as app:
            await direct_run(backend.base_url, PROMPT)
            await app_run(app.url, PROMPT)
            pairs: list[tuple[Run, Run]] = []
            for _ in range(repeat):
                direct = await direct_run(backend.base_url, PROMPT)
                delivered, _ = await app_run(app.url, PROMPT)
                delivered.tokens = direct.tokens
                pairs.append((direct, delivered))
    return summarize(pairs, same_text=all(d.chars == e.chars for e, d in pairs))


def summarize(pairs: list[tuple[Run, Run]], *, same_text: bool) -> dict[str, Any]:
    ratios = [engine.gen_s / delivered.gen_s for engine, delivered in pairs if delivered.gen_s > 0]
    engine_rates = [e.tokens / e.gen_s for e, _ in pairs if e.tokens and e.gen_s > 0]
    delivered_rates = [d.tokens / d.gen_s for _, d in pairs if d.tokens and d.gen_s > 0]
    route_rates = [d.route_rate for _, d in pairs if d.route_rate]
    # The same answer's rate as the app's own router saw it (route line), per run: no cross-run noise.
    vs_route = [d.tokens / d.gen_s / d.route_rate for _, d in pairs if d.tokens and d.gen_s > 0 and d.route_rate]
    engine_rate = median(engine_rates) if engine_rates else None
    delivered_rate = median(delivered_rates) if delivered_rates else None
    return {
        "ratio": delivered_rate / engine_rate if engine_rate and delivered_rate else None,
        "ratio_per_pair_median": median(ratios) if ratios else None,
        "ratios": [round(r, 4) for r in ratios],
        "engine_tok_s_median": engine_rate,
        "delivered_tok_s_median": delivered_rate,
        "app_route_line_tok_s_median": median(route_rates) if route_rates else None,
        "ratio_vs_route_line_median": median(vs_route) if vs_route else None,
        "tokens": pairs[0][0].tokens if pairs else None,
        "chars": pairs[0][0].chars if pairs else None,
        "frames_median": median([d.frames for _, d in pairs]) if pairs else None,
        "engine_ttft_ms_median": median([e.ttft_s * 1000 for e, _ in pairs]) if pairs else None,
        "delivered_ttft_ms_median": median([d.ttft_s * 1000 for _, d in pairs]) if pairs else None,
        "engine_gen_ms": [round(e.gen_s * 1000, 2) for e, _ in pairs],
        "delivered_gen_ms": [round(d.gen_s * 1000, 2) for _, d in pairs],
        "same_text": same_text,
    }


async def main_async(quick: bool, repeat: int | None) -> tuple[list[Figure], dict[str, Any]]:
    repeat = repeat or (1 if quick else 11)
    engine = await part_engine(max_tokens=200 if quick else 1900, repeat=repeat)
    token_delay = 0.005 if quick else 0.02
    http = await part_http(tokens=10 if quick else 100, token_delay=token_delay, repeat=repeat)
    for name, part in (("tiny model", engine), ("HTTP backend", http)):
        if part["ratio"] is None or not part["same_text"]:
            raise RuntimeError(f"{name}: the app did not deliver the engine's answer: {part}")
    a, b = engine["ratio"], http["ratio"]
    vs_route = engine["ratio_vs_route_line_median"]
    route_share = "n/a" if vs_route is None else f"{vs_route:.3f}"  # None if the route line shows no tok/s
    figures = [
        Figure(
            "1a", "Delivered rate ÷ engine rate, tiny model in-process", a, "", "≥ 0.90", check(a >= 0.90, quick),
            COMMAND,
            f"median {engine['delivered_tok_s_median']:,.0f} of {engine['engine_tok_s_median']:,.0f} tok/s, "
            f"{engine['tokens']} tokens in ~{engine['frames_median']:.0f} frames; "
            f"{route_share} of the app's own route-line rate; {repeat} runs each",
        ),
        Figure(
            "1b", f"Delivered rate ÷ backend rate, {1 / token_delay:.0f} tok/s backend", b, "", "≥ 0.99",
            check(b >= 0.99, quick),
            COMMAND,
            f"median {http['delivered_tok_s_median']:.1f} of {http['engine_tok_s_median']:.1f} tok/s, "
            f"{repeat} runs each",
        ),
    ]  # fmt: skip
    return figures, {"tiny_model": engine, "http_50_tok_s": http, "repeat": repeat}


def main(argv: list[str] | None = None) -> None:
    parser = make_parser(__doc__)
    parser.add_argument("--repeat", type=int, default=None, help="runs per side (default 11, quick 1)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    figures, details = asyncio.run(main_async(args.quick, args.repeat))
    report("rate", figures, details, quick=args.quick, out=args.out, started=started)


if __name__ == "__main__":
    main()
