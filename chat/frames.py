"""Coalesce streamed chunks into frames for the browser.

Chainlit sends one socket.io event per `stream_token`; a 2-core machine tops out near 1,000
events/s while a small local model emits several thousand tokens/s. The first text goes out at
once (time to first token is unchanged); after that text is flushed every `interval` seconds or
when `max_chars` are waiting, and a pending frame is flushed by a timer even if no further token
arrives, so slow streams still flow smoothly.

One pump task per stream reads the source into a queue, and the consumer waits on a plain
future (with a timer only while a frame is pending). Creating a task and an `asyncio.wait` per
chunk instead costs ~40 µs of event-loop time per chunk, which at 50 sessions × 50 tok/s is a
tenth of a core (bench/bench_concurrency.py).
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import AsyncGenerator, AsyncIterator, Callable

from providers.base import Chunk

__all__ = ["DEFAULT_INTERVAL", "frames"]

DEFAULT_INTERVAL = 0.025
DEFAULT_MAX_CHARS = 2048


async def frames(
    chunks: AsyncIterator[Chunk],
    interval: float = DEFAULT_INTERVAL,
    max_chars: int = DEFAULT_MAX_CHARS,
    clock: Callable[[], float] = time.perf_counter,
) -> AsyncGenerator[Chunk, None]:
    """Yield chunks with text merged into frames; chunks carrying a route, finish or notice pass through.

    An error from the source is raised after the text that arrived before it has been yielded.
    Closing this generator (Stop, disconnect) cancels the pump and closes the source.
    """
    loop = asyncio.get_running_loop()
    iterator = chunks.__aiter__()
    queue: deque[Chunk] = deque()
    state: dict[str, object] = {"done": False, "error": None}
    waiter: list[asyncio.Future[None]] = []  # the consumer's current wait, if any

    def wake() -> None:
        if waiter and not waiter[0].done():
            waiter[0].set_result(None)

    async def pump() -> None:
        try:
            async for chunk in iterator:
                queue.append(chunk)
                wake()
        except asyncio.CancelledError as exc:
            current = asyncio.current_task()
            if current is None or current.cancelling():  # we are being stopped (see finally below)
                raise
            state["error"] = exc  # the source itself was cancelled: the consumer sees it, as before
        except Exception as exc:  # handed to the consumer, which raises it after the text before it
            state["error"] = exc
        finally:
            state["done"] = True
            wake()

    task = loop.create_task(pump(), name="frames-pump")
    buffer: list[str] = []
    size = 0
    last_flush = 0.0
    sent_text = False
    try:
        while True:
            if not queue:
                if state["done"]:
                    break
                timeout: float | None = None
                if buffer:
                    timeout = last_flush + interval - clock()
                    if timeout <= 0:
                        yield Chunk("".join(buffer))
                        buffer, size, last_flush = [], 0, clock()
                        continue
                future: asyncio.Future[None] = loop.create_future()
                waiter[:] = [future]
                timer = loop.call_later(timeout, wake) if timeout is not None else None
                try:
                    await future
                finally:
                    waiter.clear()
                    if timer is not None:
                        timer.cancel()
                if not queue and not state["done"]:  # woken by the timer: the stream paused
                    yield Chunk("".join(buffer))
                    buffer, size, last_flush = [], 0, clock()
                continue
            chunk = queue.popleft()
            if chunk.route is not None or chunk.finish_reason is not None or chunk.usage is not None or chunk.notice:
                # A notice (the seam of a continuation) keeps its place between the texts around it.
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
            buffer = []
        error = state["error"]
        if isinstance(error, BaseException):
            raise error
    finally:
        if not task.done():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                pass
        aclose = getattr(iterator, "aclose", None)
        if aclose is not None:
            await aclose()
