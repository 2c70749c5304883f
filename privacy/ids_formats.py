"""Letter-and-digit formats with no checksum: vehicle registrations and postcodes.

Fires alone only where the format is distinctive *as written*: a current UK plate with its space
(``AB51 ABC``, valid age identifier) and a UK postcode with its space (``SW1A 1AA``), both upper case.
Everything else needs a context word ("plate", "reg", "Kennzeichen", "plaka", "postcode", "PLZ", ...)
or the message to be the value alone: UK prefix/suffix plates, German Kfz (``B AB 1234``), Turkish
(``34 ABC 1234``), compact UK plates and postcodes, German PLZ and other 5-digit postcodes (context only:
a bare 5-digit number is not personal data). Street addresses are a colleague's job.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final, NamedTuple

from ._types import KIND_POSTAL_ADDRESS, KIND_VEHICLE, Hit
from .ids_common import PLATE_CONTEXT, POSTCODE_CONTEXT, has_context, hit, is_alone

__all__ = ["detect_formats"]


class _Format(NamedTuple):
    pattern: re.Pattern[str]  #: postcodes and current UK plates case-insensitive, older plates upper case
    kind: str
    label: str
    context: re.Pattern[str]
    strong: re.Pattern[str] | None = None  #: full match on the value: fires alone
    bare_ok: bool = True


_B = r"(?<![A-Za-z0-9])"
_E = r"(?![A-Za-z0-9])"
_UK_AGE = r"(?:0[2-9]|[12][0-9]|5[1-9]|[67][0-9])"
_UK_OLD = r"(?:[A-HJ-NP-Y][0-9]{1,3} ?[A-HJ-PR-Y]{3}|[A-HJ-PR-Y]{3} ?[0-9]{1,3}[A-HJ-NP-Y])"
_POSTCODE = (
    r"(?:GIR ?0AA|[A-PR-UWYZ](?:[0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPSTUW]|[A-HK-Y][0-9][ABEHMNPRVWXY])"
    r" ?[0-9][ABD-HJLNP-UW-Z]{2})"
)

_FORMATS: Final = (
    _Format(re.compile(_B + _POSTCODE + _E, re.I), KIND_POSTAL_ADDRESS, "UK postcode", POSTCODE_CONTEXT,
            strong=re.compile(r"[A-Z0-9]{2,4} [0-9][A-Z]{2}")),
    _Format(re.compile(_B + rf"[A-HJ-PR-Y][A-HJ-PR-Y]{_UK_AGE}[ -]?[A-HJ-PR-Z]{{3}}" + _E, re.I), KIND_VEHICLE,
            "UK vehicle registration", PLATE_CONTEXT, strong=re.compile(rf"[A-Z]{{2}}{_UK_AGE}[ -][A-Z]{{3}}")),
    _Format(re.compile(_B + _UK_OLD + _E), KIND_VEHICLE, "UK vehicle registration", PLATE_CONTEXT),
    _Format(re.compile(_B + r"[A-ZÄÖÜ]{1,3}[ -][A-Z]{1,2}[ -][0-9]{1,4}[EH]?" + _E), KIND_VEHICLE,
            "German vehicle registration", PLATE_CONTEXT),
    _Format(re.compile(_B + r"(?:0[1-9]|[1-7][0-9]|8[01]) ?[A-Z]{1,3} ?[0-9]{2,4}" + _E), KIND_VEHICLE,
            "Turkish vehicle registration", PLATE_CONTEXT),
    _Format(re.compile(_B + r"(?:0[1-9][0-9]{3}|[1-9][0-9]{4})" + _E), KIND_POSTAL_ADDRESS, "postcode",
            POSTCODE_CONTEXT, bare_ok=False),
)  # fmt: skip


_DIGIT_TOKEN_RE: Final = re.compile(r"[0-9]+")
_SHORT: Final = 96
_REACH: Final = 16  # every format holds a digit within this many characters of its ends


def _windows(text: str) -> list[tuple[int, int]]:
    """Stretches of text around digits, merged; prose without digits costs one scan."""
    spans: list[tuple[int, int]] = []
    for m in _DIGIT_TOKEN_RE.finditer(text):
        lo, hi = max(0, m.start() - _REACH), min(len(text), m.end() + _REACH)
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], hi)
        else:
            spans.append((lo, hi))
    return spans


def detect_formats(text: str) -> Iterator[Hit]:
    """Vehicle registrations and postcodes (see the module docstring)."""
    windows = _windows(text)
    if not windows:
        return
    for lo, hi in windows:
        yield from _window_hits(text, lo, hi, _FORMATS)
    # Plates are matched in upper case only (prose like "is on 2024" must not look like "B AB 1234");
    # a short message that is just a plate may be typed in lower case.
    upper = text.upper()
    if len(text) <= _SHORT and upper != text and len(upper) == len(text):
        for lo, hi in windows:
            yield from _window_hits(upper, lo, hi, _FORMATS, alone_only=True)


def _window_hits(
    text: str, lo: int, hi: int, formats: tuple[_Format, ...], *, alone_only: bool = False
) -> Iterator[Hit]:
    # alone_only: the upper-cased copy of a short message. A lower-case postcode is still one
    # ("york yo10 8ay"), but "mx64-uwp=fail" in code is no plate unless it is the whole message.
    for fmt in formats:
        if alone_only and fmt.kind != KIND_POSTAL_ADDRESS:
            matches = [m for m in fmt.pattern.finditer(text, lo, hi) if is_alone(text, *m.span())]
            yield from (hit(m.start(), m.end(), fmt.kind, fmt.label, m.group(), 1) for m in matches)
            continue
        for m in fmt.pattern.finditer(text, lo, hi):
            start, end = m.span()
            value = m.group()
            alone = fmt.bare_ok and is_alone(text, start, end)
            strong = fmt.strong is not None and fmt.strong.fullmatch(value) is not None
            if strong or alone or has_context(text, start, end, fmt.context):
                yield hit(start, end, fmt.kind, fmt.label, value, 1)
