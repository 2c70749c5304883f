"""Identifiers: cards, bank accounts, national IDs, phones, e-mail, network addresses. (Being rebuilt.)"""

from __future__ import annotations

from typing import Final

from . import _legacy
from ._types import Detector

__all__ = ["DETECTORS"]

DETECTORS: Final[tuple[Detector, ...]] = (_legacy._emails, _legacy._numeric, _legacy._ipv6)
