"""Chainlit's `Message` and `Step` constructors without their 1 ms sleep on the event loop.

Chainlit 2.12 starts both constructors with `time.sleep(0.001)` so that steps made one after the
other get different `createdAt` stamps (the data layer orders a thread's steps by them). That sleep
blocks the event loop: a turn makes three to five of them (the user's message, the `on_message`
run step, the answer, the route line), so fifty sessions asking at once queued ~200 ms of stopped
loop in front of their first tokens, and every other session's tokens and `/healthz` waited with
them (measured: docs/performance.md, section 9).

`install()` takes the sleep out and gives the same guarantee without it: the stamps those modules
take come from `stamp()`, which never returns the same or an earlier value twice in a process
(a microsecond later than the last one if the wall clock has not moved on, or went back). The
format stays Chainlit's (ISO 8601, UTC, `Z`), always with microseconds, so stamps sort as text.
"""

from __future__ import annotations

import importlib
import threading
import time
from datetime import datetime, timedelta, timezone
from types import ModuleType
from typing import Any

__all__ = ["install", "stamp"]

_TICK = timedelta(microseconds=1)
_lock = threading.Lock()
_last = datetime.min


def stamp() -> str:
    """Now, as Chainlit writes it, strictly later than every stamp this process gave before."""
    global _last
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    with _lock:
        _last = now if now > _last else _last + _TICK
        return _last.isoformat(timespec="microseconds") + "Z"


class _NoSleep(ModuleType):
    """The `time` module as Chainlit's constructors see it: everything but `sleep`, which returns at once."""

    def __init__(self) -> None:
        super().__init__("time")

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)

    @staticmethod
    def sleep(_seconds: float) -> None:
        return None


def install() -> None:
    """Swap the sleep for `stamp()` in the modules that make steps and messages (idempotent)."""
    emitter, message, step = (importlib.import_module(f"chainlit.{name}") for name in ("emitter", "message", "step"))
    for module in (message, step):
        if not isinstance(module.time, _NoSleep):
            module.time = _NoSleep()  # type: ignore[attr-defined]
    for module in (emitter, message, step):
        module.utc_now = stamp  # type: ignore[attr-defined]
