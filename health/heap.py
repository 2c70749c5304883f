"""Keep what the app loaded at start-up out of the garbage collector's full passes (`gc.freeze`).

Measured (docs/performance.md, figure 9): after start-up the process holds ~300,000 objects that
live as long as it does (Chainlit, FastAPI, the providers, the privacy detectors' tables), and every
full ("generation 2") collection walked them all: 240–360 ms with the event loop stopped, once in
every 50-session burst, which showed as a `/healthz` p99 of 140–160 ms and a late answer for every
session at that moment. `settle()` collects once and moves every object alive to the permanent
generation, so later full passes only walk what was allocated since. Objects frozen are never
collected as cyclic garbage; what is frozen is the start-up state, meant to live until exit.
"""

from __future__ import annotations

import gc
import logging
import time

__all__ = ["settle"]

log = logging.getLogger("foundry_chat.runtime")


def settle(after: str, *, collect: bool = True) -> int:
    """Freeze every object alive now (after a full collection unless `collect=False`); how many are frozen."""
    started = time.perf_counter()
    if collect:
        gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("heap: %d objects frozen after %s in %.0f ms", frozen, after, (time.perf_counter() - started) * 1000)
    return frozen
