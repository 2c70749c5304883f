"""Bridge a producer thread to an asyncio consumer without blocking the event loop.

The Foundry Local SDK streams synchronously from a native thread. The producer thread `put`s
text; the event loop is woken at most once per batch (one `call_soon_threadsafe` while a wake-up
is pending), so at thousands of tokens per second the loop sees a few hundred wake-ups, each
carrying every piece that arrived since the last one.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

__all__ = ["ThreadBridge"]


class ThreadBridge:
    """Items flow thread → loop in batches; `finish` ends the stream, optionally with an error."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._lock = threading.Lock()
        self._items: list[str] = []
        self._done = False
        self._error: BaseException | None = None
        self._wake_pending = False
        self._wake = asyncio.Event()

    # --- producer side (any thread) ---------------------------------------------------------
    def put(self, item: str) -> None:
        with self._lock:
            self._items.append(item)
            self._schedule_wake()

    def finish(self, error: BaseException | None = None) -> None:
        with self._lock:
            self._done = True
            self._error = error
            self._schedule_wake()

    def _schedule_wake(self) -> None:
        if not self._wake_pending:
            self._wake_pending = True
            try:
                self._loop.call_soon_threadsafe(self._wake.set)
            except RuntimeError:  # loop closed during shutdown: nobody is listening any more
                pass

    # --- consumer side (the event loop) -----------------------------------------------------
    async def batches(self) -> AsyncIterator[list[str]]:
        while True:
            await self._wake.wait()
            with self._lock:
                self._wake.clear()
                self._wake_pending = False
                items, self._items = self._items, []
                done, error = self._done, self._error
            if items:
                yield items
            if done:
                if error is not None:
                    raise error
                return
