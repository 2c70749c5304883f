"""Secrets: vendor credentials, private keys, tokens, passwords. (Being rebuilt; see privacy/_legacy.py.)"""

from __future__ import annotations

from typing import Final

from . import _legacy
from ._types import Detector

__all__ = ["DETECTORS"]

DETECTORS: Final[tuple[Detector, ...]] = (
    _legacy._private_keys,
    _legacy._jwts,
    _legacy._tokens,
    _legacy._connection_strings,
    _legacy._assignments,
)
