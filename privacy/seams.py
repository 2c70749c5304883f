"""Where one message ends and the next begins: values typed over two messages.

People split a number or an address when a message is cut off or sent too early: "my card is
4111 1111" then "sorry, continued: 1111 1111", or "my email is kari.nordmann" then "@example.no".
`joins` gives the texts to scan across one boundary, each with the offset of the boundary; a hit
counts only if it spans that offset (otherwise one message alone already holds it).

Three joins: with a space (numbers in groups), without (an e-mail or a key cut mid-token), and with
the filler people put around the pieces ("sorry, continued:", "(cont.)") dropped from both sides.
"""

from __future__ import annotations

import re
from typing import Final

__all__ = ["SEAM", "joins"]

SEAM: Final = 64
"""Characters either side of a boundary that are scanned together."""
# A short run of words and punctuation at the start (or end) of a piece, before (after) the value.
_LEADING_FILLER: Final = re.compile(r"^[^\w@+]*(?:[A-Za-z\u00c0-\u024f'.]+[^\w@+]*){1,5}(?=[0-9@+])")
_TRAILING_FILLER: Final = re.compile(r"(?<=[0-9])\s+\(?(?:[A-Za-z'.]+[\s,.:;)]*){1,3}$")


def joins(left: str, right: str) -> list[tuple[str, int]]:
    """Texts to scan across the boundary between two normalised messages, with the boundary offset."""
    tail, head = left[-SEAM:].rstrip(), right[:SEAM].lstrip()
    if not tail or not head:
        return []
    out = [(f"{tail} {head}", len(tail)), (tail + head, len(tail))]
    short_tail = _TRAILING_FILLER.sub("", tail) if len(tail) > 8 else tail
    short_head = _LEADING_FILLER.sub("", head, count=1)
    if (short_tail, short_head) != (tail, head) and short_tail and short_head:
        out.append((f"{short_tail} {short_head}", len(short_tail)))
        out.append((short_tail + short_head, len(short_tail)))
    return out
