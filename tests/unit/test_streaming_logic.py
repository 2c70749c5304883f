"""Frames and the thread bridge."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator

import pytest

from chat.frames import frames
from providers._bridge import ThreadBridge
from providers.base import Chunk


async def chunks_from(items: list[tuple[float, Chunk]]) -> AsyncIterator[Chunk]:
    for delay, chunk in items:
        if delay:
            await asyncio.sleep(delay)
        yield chunk


async def test_frames_first_token_immediately_then_coalesced() -> None:
    items = [(0.0, Chunk("a"))] + [(0.0, Chunk("b")) for _ in range(999)]
    frozen = iter([0.0] + [0.01] * 10_000)  # a clock that never reaches the next flush: no timing in the test
    out = [c async for c in frames(chunks_from(items), interval=0.05, clock=lambda: next(frozen))]
    assert [c.text for c in out] == ["a", "b" * 999]


async def test_frames_flush_by_timer_when_stream_pauses() -> None:
    async def gen() -> AsyncIterator[Chunk]:
        yield Chunk("first")
        yield Chunk("second")
        await asyncio.sleep(1.0)
        yield Chunk("third")

    seen: list[tuple[float, str]] = []
    start = time.perf_counter()
    async for c in frames(gen(), interval=0.02):
        seen.append((time.perf_counter() - start, c.text))
    texts = [t for _, t in seen]
    assert texts == ["first", "second", "third"]
    assert seen[1][0] < seen[2][0] - 0.5  # "second" went out on the timer, well before "third"


async def test_frames_pass_route_and_finish_chunks() -> None:
    items = [(0.0, Chunk("x", route="R")), (0.0, Chunk("y")), (0.0, Chunk(finish_reason="stop"))]
    out = [c async for c in frames(chunks_from(items), interval=10)]
    assert out[0].route == "R" and out[-1].finish_reason == "stop"
    assert "".join(c.text for c in out) == "xy"


async def test_frames_keep_a_notice_in_its_place() -> None:
    seam = "\n\n*⟳ local failed mid-answer; continued on cloud:*\n\n"
    items = [(0.0, Chunk("one ")), (0.0, Chunk("two ")), (0.0, Chunk(notice=seam)), (0.0, Chunk("three"))]
    out = [c async for c in frames(chunks_from(items), interval=10)]
    assert "".join(c.notice + c.text for c in out) == "one two " + seam + "three"


async def test_frames_closes_source_when_consumer_stops() -> None:
    closed = asyncio.Event()

    async def gen() -> AsyncIterator[Chunk]:
        try:
            while True:
                yield Chunk("t")
                await asyncio.sleep(0.001)
        finally:
            closed.set()

    stream = frames(gen(), interval=0.001)
    async for _ in stream:
        break
    await stream.aclose()
    assert closed.is_set()


async def test_bridge_batches_and_never_loses_items() -> None:
    bridge = ThreadBridge(asyncio.get_running_loop())

    def produce() -> None:
        for i in range(20_000):
            bridge.put(str(i % 10))
        bridge.finish()

    thread = threading.Thread(target=produce)
    thread.start()
    batches = [b async for b in bridge.batches()]
    thread.join()
    assert sum(len(b) for b in batches) == 20_000
    assert len(batches) < 20_000  # woken per batch, not per item


async def test_bridge_raises_producer_error_after_items() -> None:
    bridge = ThreadBridge(asyncio.get_running_loop())
    bridge.put("partial")
    bridge.finish(RuntimeError("engine died"))
    got: list[str] = []
    with pytest.raises(RuntimeError, match="engine died"):
        async for batch in bridge.batches():
            got += batch
    assert got == ["partial"]
