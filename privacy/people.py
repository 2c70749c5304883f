"""People: names, postal addresses, dates of birth. (Being built.)"""

from __future__ import annotations

from typing import Final

from ._types import Detector

__all__ = ["DETECTORS", "SLOW_DETECTORS", "load"]

#: Rules that cost microseconds: run on every scan.
DETECTORS: Final[tuple[Detector, ...]] = ()
#: The NER model: run only when the plan could involve the cloud, in a worker thread.
SLOW_DETECTORS: Final[tuple[Detector, ...]] = ()


def load() -> None:
    """Load what the slow detectors need (blocking; call from a worker thread)."""
