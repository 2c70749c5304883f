"""The real Foundry Local engine in-process on models/tiny-chat."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from chat.history import fit_history
from providers.base import ChatMessage, ChatOptions, Chunk, on_request_sent
from providers.foundry import FoundryLocalProvider
from providers.foundry_engine import LoadedModel

pytestmark = pytest.mark.engine

SYSTEM = ChatMessage("system", "You are a helpful assistant.")


async def collect(provider: FoundryLocalProvider, messages: list[ChatMessage], **options: object) -> list[Chunk]:
    return [c async for c in provider.stream(messages, ChatOptions(**options))]  # type: ignore[arg-type]


def test_model_registered_and_loaded(loaded: LoadedModel) -> None:
    assert loaded.source == "model_path"
    assert loaded.model.is_loaded
    assert loaded.context_length and loaded.context_length >= 512
    assert loaded.device == "cpu"


async def test_streams_text_then_finish_with_usage(provider: FoundryLocalProvider) -> None:
    chunks = await collect(provider, [SYSTEM, ChatMessage("user", "Hello")], max_tokens=64, temperature=0)
    text = "".join(c.text for c in chunks)
    assert text.strip()
    final = chunks[-1]
    assert final.finish_reason in ("stop", "length") and final.usage is not None
    assert final.usage.completion_tokens and final.usage.completion_tokens > 0
    assert final.usage.prompt_tokens and final.usage.prompt_tokens > 5


async def test_deterministic_at_temperature_zero(provider: FoundryLocalProvider) -> None:
    messages = [SYSTEM, ChatMessage("user", "Write a haiku about the sea")]
    a = "".join(c.text for c in await collect(provider, messages, max_tokens=40, temperature=0))
    b = "".join(c.text for c in await collect(provider, messages, max_tokens=40, temperature=0))
    assert a == b


async def test_temperature_samples(provider: FoundryLocalProvider) -> None:
    messages = [SYSTEM, ChatMessage("user", "Write a haiku about the sea")]
    texts = {"".join(c.text for c in await collect(provider, messages, max_tokens=30, temperature=1.0, seed=s)) for s in range(6)}
    assert len(texts) > 1


async def test_max_tokens_is_respected(provider: FoundryLocalProvider) -> None:
    chunks = await collect(provider, [SYSTEM, ChatMessage("user", "Tell me everything")], max_tokens=5, temperature=0)
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens <= 5


async def test_multi_turn_history_reaches_the_engine(provider: FoundryLocalProvider) -> None:
    short = [SYSTEM, ChatMessage("user", "Hi")]
    long = [SYSTEM, ChatMessage("user", "Hi"), ChatMessage("assistant", "Hello there, friend."), ChatMessage("user", "Again")]
    a = (await collect(provider, short, max_tokens=4))[-1].usage
    b = (await collect(provider, long, max_tokens=4))[-1].usage
    assert a and b and a.prompt_tokens and b.prompt_tokens and b.prompt_tokens > a.prompt_tokens + 5


async def test_cancel_mid_stream_stops_the_native_request(provider: FoundryLocalProvider) -> None:
    before = provider.cancelled_requests
    threads_before = {t.name for t in threading.enumerate()}
    stream = provider.stream([SYSTEM, ChatMessage("user", "Tell me a very long story")], ChatOptions(max_tokens=1500))
    got = 0
    async for chunk in stream:
        got += len(chunk.text)
        if got:
            break
    await stream.aclose()
    assert provider.cancelled_requests == before + 1
    assert not provider._active
    deadline = time.perf_counter() + 1.0  # the worker has signalled completion; let it return
    while "foundry-stream" in {t.name for t in threading.enumerate()} - threads_before and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    assert "foundry-stream" not in {t.name for t in threading.enumerate()} - threads_before


async def test_several_streams_at_once(provider: FoundryLocalProvider) -> None:
    prompts = [f"Question number {i}" for i in range(4)]
    results = await asyncio.gather(
        *(collect(provider, [SYSTEM, ChatMessage("user", p)], max_tokens=60, temperature=0) for p in prompts)
    )
    for chunks in results:
        assert chunks[-1].finish_reason in ("stop", "length")
    # each equals its own sequential run: no interleaving between concurrent sessions
    solo = await collect(provider, [SYSTEM, ChatMessage("user", prompts[2])], max_tokens=60, temperature=0)
    assert "".join(c.text for c in results[2]) == "".join(c.text for c in solo)


async def test_history_longer_than_context_is_trimmed_by_exact_count(provider: FoundryLocalProvider) -> None:
    window = await provider.context_window(None)
    turns: list[ChatMessage] = []
    for i in range(60):
        turns.append(ChatMessage("user", f"question {i} " + "lorem ipsum dolor sit amet " * 10))
        turns.append(ChatMessage("assistant", f"answer {i} " + "consectetur adipiscing elit " * 10))
    newest = ChatMessage("user", "the newest question")
    fitted = await fit_history(
        SYSTEM, turns, newest, context_window=window, reserve=128,
        exact_count=lambda msgs: provider.count_tokens(msgs, ChatOptions()),
    )
    assert fitted.exact and fitted.dropped > 0
    assert fitted.prompt_tokens <= window - 128
    assert fitted.messages[0] == SYSTEM and fitted.messages[-1] == newest
    chunks = await collect(provider, fitted.messages, max_tokens=16)
    assert chunks[-1].finish_reason in ("stop", "length")


async def test_stop_sequences_cut_the_answer(provider: FoundryLocalProvider) -> None:
    messages = [SYSTEM, ChatMessage("user", "Hello")]
    full = "".join(c.text for c in await collect(provider, messages, max_tokens=60, temperature=0))
    assert len(full) > 6
    stop = full[4:6]
    cut = "".join(c.text for c in await collect(provider, messages, max_tokens=60, temperature=0, stop=(stop,)))
    assert cut == full[: full.find(stop)]


async def test_health_and_models(provider: FoundryLocalProvider) -> None:
    health = await provider.health()
    assert health.ok and "cpu" in health.detail
    models = await provider.list_models()
    assert models[0].id == provider.loaded.display_name == "tiny-chat"


async def test_max_tokens_beyond_the_window_is_capped_not_refused(provider: FoundryLocalProvider) -> None:
    window = await provider.context_window(None)
    chunks = await collect(provider, [SYSTEM, ChatMessage("user", "Hello")], max_tokens=window * 2, temperature=0)
    assert chunks[-1].finish_reason in ("stop", "length")


async def test_says_the_request_is_out_before_the_first_token(provider: FoundryLocalProvider) -> None:
    """The turn stores its question from this signal on: it must come before any text, once per request."""
    events: list[str] = []
    with on_request_sent(lambda: events.append("out")):
        async for chunk in provider.stream([SYSTEM, ChatMessage("user", "Hello")], ChatOptions(max_tokens=8)):
            if chunk.text:
                events.append("text")
    assert events[0] == "out" and events.count("out") == 1 and "text" in events
