"""Keep what the app loaded at start-up out of the garbage collector's full passes (`gc.freeze`).

Measured (docs/performance.md, figure 9): after start-up the process holds ~300,000 objects that
live as long as it does (Chainlit, FastAPI, the providers, the privacy detectors' tables), and every
full ("generation 2") collection walked them all: 240–360 ms with the event loop stopped, once in
every 50-session burst, which showed as a `/healthz` p99 of 140–160 ms and a late answer for every
session at that moment. `settle()` collects once and moves every object alive to the permanent
generation, so later full passes only walk what was allocated since. Objects frozen are never
collected as cyclic garbage; what is frozen is the start-up state, meant to live until exit.

It also sets the collector's thresholds (`THRESHOLDS`): CPython's young ones (700, 10), and a full
pass after 1,000 middle ones instead of 10. With the defaults, three 50-session bursts (SQLite) ran
a full collection of 30–81 ms in one burst of three (every session's objects since start-up), with
the event loop stopped: what `/healthz` p99 and the late first tokens catch. With (700, 10, 1000):
none in the bursts, no pause over 5.7 ms (timed with `gc.callbacks`). Larger young thresholds were
worse: (5000, 20, 100) made rare middle passes of ~70 ms. What it costs: cyclic garbage that
outlives the middle generation waits ~7 million allocations for a full pass instead of ~70,000;
`bench/bench_memory.py` measures the process's memory with it.
"""

from __future__ import annotations

import gc
import logging
import time

__all__ = ["THRESHOLDS", "settle"]

THRESHOLDS = (700, 10, 1000)
"""`gc.set_threshold`: CPython's young generations; a full collection every 1,000 middle ones (default 10)."""

log = logging.getLogger("foundry_chat.runtime")


def settle(after: str, *, collect: bool = True) -> int:
    """Freeze every object alive now (after a full collection unless `collect=False`) and set the
    collector's thresholds; how many objects are frozen."""
    started = time.perf_counter()
    if collect:
        gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    frozen = gc.get_freeze_count()
    log.info(
        "heap: %d objects frozen after %s in %.0f ms; collector thresholds %s",
        frozen, after, (time.perf_counter() - started) * 1000, THRESHOLDS,
    )  # fmt: skip
    return frozen
