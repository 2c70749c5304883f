"""The start-up heap is frozen and the collector's thresholds are the app's (health/heap.py)."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from health import heap


@pytest.fixture
def collector() -> Iterator[None]:
    thresholds = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)


def test_settle_freezes_what_is_alive_and_sets_the_thresholds(collector: None) -> None:
    kept = [object() for _ in range(1000)]
    frozen = heap.settle("a test")
    assert frozen >= len(kept) and gc.get_freeze_count() == frozen
    assert gc.get_threshold() == heap.THRESHOLDS
    assert heap.THRESHOLDS[2] > 10  # full passes rarer than CPython's default
