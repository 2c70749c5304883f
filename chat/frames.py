"""Coalesce streamed chunks into frames for the browser.

Chainlit sends one socket.io event per `stream_token`; a 2-core machine tops out near 1,000
events/s while a small local model emits several thousand tokens/s. The first text goes out at
once (time to first token is unchanged); after that text is flushed every `interval` seconds or
when `max_chars` are waiting, and a pending frame is flushed by a timer even if no further token
arrives, so slow streams still flow smoothly.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable

from providers.base import Chunk

__all__ = ["DEFAULT_INTERVAL", "frames"]

DEFAULT_INTERVAL = 0.025
DEFAULT_MAX_CHARS = 2048


async def frames(
    chunks: AsyncIterator[Chunk],
    interval: float = DEFAULT_INTERVAL,
    max_chars: int = DEFAULT_MAX_CHARS,
    clock: Callable[[], float] = time.perf_counter,
) -> AsyncIterator[Chunk]:
    """Yield chunks with text merged into frames; chunks carrying a route or finish pass through."""
    iterator = chunks.__aiter__()
    buffer: list[str] = []
    size = 0
    last_flush = 0.0
    sent_text = False
    pending: asyncio.Task[Chunk] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(iterator.__anext__())
            if buffer:
                wait = last_flush + interval - clock()
                if wait > 0:
                    done, _ = await asyncio.wait({pending}, timeout=wait)
                    if not done:
                        yield Chunk("".join(buffer))
                        buffer, size, last_flush = [], 0, clock()
                        continue
            try:
                chunk = await pending
            except StopAsyncIteration:
                pending = None
                break
            finally:
                if pending is not None and pending.done():
                    pending = None
            if chunk.route is not None or chunk.finish_reason is not None or chunk.usage is not None:
                if buffer:
                    yield Chunk("".join(buffer))
                    buffer, size = [], 0
                yield chunk
                last_flush = clock()
                continue
            if not chunk.text:
                continue
            buffer.append(chunk.text)
            size += len(chunk.text)
            now = clock()
            if not sent_text or now - last_flush >= interval or size >= max_chars:
                # The first text goes out at once: coalescing must never delay the first token.
                yield Chunk("".join(buffer))
                buffer, size, last_flush, sent_text = [], 0, now, True
        if buffer:
            yield Chunk("".join(buffer))
    finally:
        if pending is not None and not pending.done():
            pending.cancel()
            try:
                await pending
            except (asyncio.CancelledError, StopAsyncIteration):
                pass
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()
