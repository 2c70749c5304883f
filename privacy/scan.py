"""One message in, findings out: normalise, run every detector, resolve overlaps.

Two tiers. The fast tier (patterns, checksums, phone metadata, secret formats) costs well under a
millisecond per message and always runs when a scan runs. The slow tier (the NER model for names)
runs only when asked (`slow=True`): the guard asks only when the plan could involve the cloud.
A detector that raises is not swallowed here: the guard turns it into a fail-closed verdict.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Final

from . import identifiers, people, secrets
from ._types import KINDS, Detector, Finding, Hit
from .normalize import normalize

__all__ = [
    "FAST_DETECTORS",
    "SLOW_DETECTORS",
    "has_hit",
    "is_private",
    "resolve",
    "run_detectors",
    "scan_conversation",
    "scan_normalized",
    "scan_text",
]

FAST_DETECTORS: Final[tuple[Detector, ...]] = (*secrets.DETECTORS, *identifiers.DETECTORS, *people.DETECTORS)
SLOW_DETECTORS: Final[tuple[Detector, ...]] = people.SLOW_DETECTORS
_PRIORITY: Final = {kind: rank for rank, kind in enumerate(KINDS)}


def resolve(hits: Iterable[Hit]) -> list[Hit]:
    """Drop hits that overlap a more specific one (see `KINDS`); the rest in reading order."""
    kept: list[Hit] = []
    for hit in sorted(hits, key=lambda h: (_PRIORITY.get(h.kind, len(_PRIORITY)), h.start, -h.end)):
        if all(hit.end <= other.start or other.end <= hit.start for other in kept):
            kept.append(hit)
    kept.sort(key=lambda h: h.start)
    return kept


def run_detectors(detectors: Sequence[Detector], text: str) -> Iterator[Hit]:
    for detect in detectors:
        for hit in detect(text):
            yield Hit(*hit)


def _detectors(slow: bool) -> tuple[Detector, ...]:
    if not slow:
        return FAST_DETECTORS
    people.load()  # idempotent; the guard loads it ahead of time in its own thread
    return (*FAST_DETECTORS, *SLOW_DETECTORS)


def scan_normalized(text: str, *, slow: bool = True) -> list[Hit]:
    """Hits in already-normalised text (`slow` loads the name model on first use: ~1 s)."""
    detectors = _detectors(slow)
    return resolve(run_detectors(detectors, text))


def scan_text(text: str, message_index: int = 0, *, slow: bool = True) -> list[Finding]:
    """Every finding in *text*, in reading order; overlapping matches keep the more specific kind."""
    return [Finding(h.kind, h.label, message_index, h.redacted) for h in scan_normalized(normalize(text), slow=slow)]


def has_hit(text: str, *, slow: bool = True) -> bool:
    """True as soon as any detector fires on *text* (stops at the first hit)."""
    norm = normalize(text)
    detectors = _detectors(slow)
    return any(next(iter(detect(norm)), None) is not None for detect in detectors)


def scan_conversation(texts: Iterable[str], *, slow: bool = True) -> list[Finding]:
    """Scan each text on its own; each finding carries the index of its message."""
    return [finding for index, text in enumerate(texts) for finding in scan_text(text, index, slow=slow)]


def is_private(texts: Iterable[str], *, slow: bool = True) -> bool:
    """True as soon as any text holds personal data or a secret (each text on its own)."""
    return any(has_hit(text, slow=slow) for text in texts)
