"""Keep what the app loaded at start-up out of the garbage collector's full passes (`gc.freeze`).

Measured (docs/performance.md, figure 9): after start-up the process holds ~300,000 objects that
live as long as it does (Chainlit, FastAPI, the providers, the privacy detectors' tables), and every
full ("generation 2") collection walked them all: 240–360 ms with the event loop stopped, once in
every 50-session burst, which showed as a `/healthz` p99 of 140–160 ms and a late answer for every
session at that moment. `settle()` collects once and moves every object alive to the permanent
generation, so later full passes only walk what was allocated since. Objects frozen are never
collected as cyclic garbage; what is frozen is the start-up state, meant to live until exit.

It also sets the collector's thresholds (`THRESHOLDS`). With CPython's defaults (700, 10, 10) a
50-session burst ran ~65 young collections (2–6 ms each) and, in one burst of three, a full one of
30–81 ms: the objects of every session since start-up. With (5000, 20, 100) the same bursts ran ~6
young collections each, none over 5.4 ms, and no full one (timed with `gc.callbacks`): a young
pass walks at most a few thousand objects, and a full pass comes after ~10 million allocations
instead of ~70,000. What that costs: cyclic garbage that outlives two young passes waits longer for
a full one; `bench/bench_memory.py` measures the process's memory with it.
"""

from __future__ import annotations

import gc
import logging
import time

__all__ = ["THRESHOLDS", "settle"]

THRESHOLDS = (5000, 20, 100)
"""`gc.set_threshold`: young collections every 5,000 net allocations, a middle one every 20, a full
one every 100 middle ones (CPython's defaults: 700, 10, 10)."""

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
