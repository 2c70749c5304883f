"""Chainlit's own writes, held off the path of the first token and committed with the app's.

Measured (docs/performance.md, section 9, fifth round): the moment a message arrives, Chainlit
writes the user's message, the thread's name, owner and tags, and the `on_message` run step, each
from a task of its own, in the same loop turns that send the model request. Fifty sessions asking
at once meant ~150 such writes in front of their requests: the request went out 20–40 ms later
(p50), which was all of the first-token time persistence added. With those writes left out, none.

So the data layer does not write what Chainlit asks (`create_step`, `update_step`, `update_thread`)
at once. `Lane` holds it: the latest version of each step, the thread's changes in order, and the
user who asked (the access checks run as them). What is held is written

- with the app's next write to the same thread, in the same commit (`take`): the turn's question,
  its placeholder answer, Chainlit's copy of the question, the thread's name and the run step are
  one transaction, not four;
- `HOLD_S` after it was held, all threads at once (`flush`, one batch in the writer);
- before anything reads threads or steps (`FoundryDataLayer.settle`): a read sees every write made
  before it;
- at shutdown, before the writer stops.

Nothing the durability promises rest on is held: the app writes the question, the checkpoints
and the final answer itself (`storage.turns`). What a `kill -9` within `HOLD_S` of a held write
loses is Chainlit's alone: a route line, a run step, a thread's tags, a refused message's preview.

A held step the app then writes itself is dropped (`supersede`): the app's copy is the newer,
including while a flush of the older one is already under way.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HOLD_S", "Held", "Lane", "merge_changes"]

log = logging.getLogger("foundry_chat.storage")

HOLD_S = 0.25
"""How long a write of Chainlit's waits for the app's next write to the same thread, at most."""


@dataclass(eq=False)
class Held:
    """What Chainlit asked to write to one thread, on behalf of one caller."""

    thread_id: str
    user: Any
    """The caller (`storage.guard.caller_user()`) when it was asked: the write's checks run as them."""
    changes: list[dict[str, Any]] = field(default_factory=list)
    """`update_thread` arguments, oldest first."""
    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    """step id → its latest dict, in the order the steps were first asked for."""

    def step_list(self) -> list[dict[str, Any]]:
        """The steps as they stand now (read at the last moment before writing: see `Lane.supersede`)."""
        return list(self.steps.values())


def merge_changes(changes: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Several `update_thread` argument sets as one, as if applied in order (None: no changes).

    The last `name`, `user_id` and `tags` given win; `name_if_missing` is the first given;
    `metadata` is merged key by key (a later None still removes the key).
    """
    merged: dict[str, Any] = {}
    metadata: dict[str, Any] | None = None
    for change in changes:
        for key in ("name", "user_id", "tags"):
            if change.get(key) is not None:
                merged[key] = change[key]
        if change.get("name_if_missing") is not None:
            merged.setdefault("name_if_missing", change["name_if_missing"])
        if change.get("metadata") is not None:
            metadata = {**(metadata or {}), **change["metadata"]}
    if metadata is not None:
        merged["metadata"] = metadata
    return merged or None


class Lane:
    """Held writes, keyed by (thread id, caller identifier); `write(held)` commits one `Held`."""

    def __init__(self, write: Callable[[Held], Awaitable[None]], *, hold_s: float = HOLD_S) -> None:
        self._write = write
        self.hold_s = hold_s
        self._held: dict[tuple[str, str | None], Held] = {}
        self._flushing: set[Held] = set()
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._inflight: set[asyncio.Future[list[Any]]] = set()

    @property
    def pending(self) -> int:
        """Threads with held writes, including those being written now."""
        return len(self._held) + len(self._flushing)

    def _entry(self, thread_id: str, who: str | None, user: Any) -> Held:
        entry = self._held.get((thread_id, who))
        if entry is None:
            entry = self._held[(thread_id, who)] = Held(thread_id, user)
        self._arm()
        return entry

    def hold_step(self, step: dict[str, Any], who: str | None, user: Any) -> None:
        entry = self._entry(str(step.get("threadId")), who, user)
        entry.steps[str(step.get("id"))] = step

    def hold_thread(self, thread_id: str, changes: dict[str, Any], who: str | None, user: Any) -> None:
        self._entry(thread_id, who, user).changes.append(changes)

    def take(self, thread_id: str, who: str | None) -> Held | None:
        """What is held for this thread and caller, to be written with the app's write (or None)."""
        return self._held.pop((thread_id, who), None)

    def supersede(self, step_ids: set[str]) -> None:
        """The app is writing these steps itself: drop Chainlit's older copies, held or being flushed."""
        for entry in (*self._held.values(), *self._flushing):
            for step_id in step_ids & entry.steps.keys():
                del entry.steps[step_id]

    def forget_thread(self, thread_id: str) -> None:
        """The thread is being deleted: nothing held for it may bring it back."""
        for key in [k for k in self._held if k[0] == thread_id]:
            del self._held[key]
        for entry in self._flushing:
            if entry.thread_id == thread_id:
                entry.steps.clear()
                entry.changes.clear()

    def _arm(self) -> None:
        if self._timer is None:
            loop = asyncio.get_running_loop()
            # in a context of its own: not that of the session whose write armed it
            self._timer = loop.call_later(self.hold_s, self._fire, context=contextvars.Context())

    def _fire(self) -> None:
        self._timer = None
        task = asyncio.ensure_future(self.flush())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def flush(self) -> None:
        """Write everything held now (every thread in the same writer batch) and wait for it, and for
        the flushes already under way. Cancelling the caller does not cancel the writes."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        waits = list(self._inflight)
        entries = list(self._held.values())
        self._held.clear()
        if entries:
            self._flushing.update(entries)
            batch = asyncio.gather(*(self._write(entry) for entry in entries), return_exceptions=True)
            self._inflight.add(batch)
            batch.add_done_callback(lambda done: self._settled(done, entries))
            waits.append(batch)
        for wait in waits:
            await asyncio.shield(wait)

    def _settled(self, batch: asyncio.Future[list[Any]], entries: list[Held]) -> None:
        self._inflight.discard(batch)
        self._flushing.difference_update(entries)
        if not batch.cancelled():
            for result in batch.result():
                if isinstance(result, Exception):  # the data layer counts and logs its own failures
                    log.debug("storage: a held write failed: %r", result)
