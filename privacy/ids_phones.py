"""Phone numbers of every country, validated with `phonenumbers` metadata.

Candidates come from one regex pass over digit runs with the separators people type (spaces, dots,
dashes, slashes, parentheses). Then:

* ``+`` or ``00`` in front: parsed as international, accepted when the number is valid for its country;
* national forms are tried against :data:`REGIONS` only when something says "phone": a context word
  (phone, tel, mobile, ring, nummer, telefon, whatsapp, sms, ...), the message being the number alone,
  or a phone grouping (a trunk ``0`` with separators, ``(415) 555-0132``, ``555-123-4567``,
  ``912 34 567``).  A bare digit run in prose is never a phone on its own.

Rejected before any parsing: dates, times, versions (``1.24.3``), ranges (``100-200``), prices
(a currency sign next to it) and runs after "order", "invoice", "ticket", "ref", "#".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

import phonenumbers

from ._types import KIND_PHONE, Hit
from .ids_common import PHONE_CONTEXT, business_before, has_context, hit, is_bare, not_personal_near

__all__ = ["REGIONS", "detect_phones", "is_intl_phone"]

#: Regions whose national forms (no country code) are recognised, most likely first.
REGIONS: Final = (
    "NO", "SE", "DK", "FI", "DE", "GB", "FR", "ES", "IT", "NL", "PL", "US", "AU", "IN", "JP", "PH", "TR",
    "CN", "BR", "IL", "MX", "KR", "ZA", "NG", "SG", "IE", "BE", "AT", "CH", "PT",
)  # fmt: skip
_CANDIDATE_RE: Final = re.compile(
    r"(?<![\w+.,/-])(?P<intl>\+ ?|00)?(?:\(\d{1,4}\)[ .-]?)?\d[\d().\-/ ]{5,22}\d"
    r"(?P<ext> ?(?:x|ext\.?|extn\.?|extension|ext:) ?\d{1,6})?(?![\w]|[.,/-]\d)",
    re.IGNORECASE,
)
_NOT_PHONE_RE: Final = re.compile(
    r"(?:19|20)\d\d[-./]\d\d?[-./]\d\d?|\d\d?[-./]\d\d?[-./](?:19|20)?\d\d|\d+(?:\.\d+){1,2}|\d+ ?[-/] ?\d+"
)
_BUSINESS_BEFORE_RE: Final = re.compile(
    r"(?:order|invoice|ticket|ref|reference|case|po|sku|isbn|id|build|version|#)[\s:#-]*$", re.I
)
_NEIGHBOUR_BEFORE_RE: Final = re.compile(r"[A-Za-z]*\d[A-Za-z0-9]*[ .-]$")
_NEIGHBOUR_AFTER_RE: Final = re.compile(r"[ .-][A-Za-z]*\d")
_IBAN_BEFORE_RE: Final = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}\d\d(?:[ -]?[A-Za-z0-9]{4})*[ -]?$")
_CARD_WORDS: Final = re.compile(r"card|kort|karte|tarjeta|carte|carta|visa|mastercard|amex", re.IGNORECASE)
_NANP_SHAPE_RE: Final = re.compile(r"\+ ?1[ .-]?\(?\d{3}\)?[ .-]?\d{3}[ .-]\d{4}")
_INTL_LAYOUT_RE: Final = re.compile(r"\+ ?\d{1,3}(?: ?\(0\))?[ .-]?(?:\(\d{1,5}\)|\d{1,5})(?:[ .-]?\d{2,8}){1,4}")
#: North-American layouts, national: "(798)938-6756", "798-938-6756", "798.938.6756", "1-800-555-0199".
_NANP_LAYOUT_RE: Final = re.compile(r"(?:1[ .-])?(?:\(\d{3}\) ?\d{3}[ .-]|\d{3}([.-])\d{3}\1)\d{4}")
_SSN_LAYOUT_RE: Final = re.compile(r"\d{3}([ .-])\d\d\1\d{4}")
#: A trunk "0" and a grouping: "0#### ######", "(0####) #####", "0#-## ## ## ##".
_TRUNK_LAYOUT_RE: Final = re.compile(r"\(?0\d{1,4}\)?(?:[ .\-/]\d{2,8}){1,4}")
#: Regions tried for a bare run of digits with no trunk "0", no separators and no context word.
_BARE_REGIONS: Final = ("US", "TR", "IN")
_CORE_REGIONS: Final = REGIONS[:17]
_CURRENCY: Final = frozenset("$€£¥₹")
_GROUPED_RE: Final = re.compile(
    r"0\d{1,4}[ .\-/]\d[\d .\-/]{4,}|\(?0?\d{1,4}\)[ .-]?\d[\d .-]{4,}|[2-9]\d\d[ .-]\d{3}[ .-]\d{4}"
    r"|[2-9]\d{2} \d\d \d{3}|[2-9]\d(?: \d\d){3}|5\d\d(?:[ .-]\d{3}[ .-]\d\d[ .-]\d\d)"
)


def is_intl_phone(candidate: str) -> bool:
    """``+``/``00`` and a number valid for its country (or a NANP ``+1 (555) 123-4567`` shape)."""
    raw = candidate.lstrip()
    trunk00 = raw.startswith("00")
    raw = "+" + raw[2:] if trunk00 else raw
    try:
        number = phonenumbers.parse(raw, None)
    except phonenumbers.NumberParseException:
        return False
    if phonenumbers.is_valid_number(number):
        return True
    # Written as international with a real country code and a possible length: a phone number, even
    # if that range is not (yet) assigned ("+44 (0)1632 960662", "+61 7 6508 8995").
    # "00" is too often just leading zeros of some other number: the plus sign only.
    if not trunk00 and _INTL_LAYOUT_RE.fullmatch(raw) and phonenumbers.is_possible_number(number):
        return True
    # Fictional and unassigned NANP numbers written the way phones are: "+1 (555) 123-4567".
    return number.country_code == 1 and _NANP_SHAPE_RE.fullmatch(raw) is not None


def _national(digits: str, value: str, regions: tuple[str, ...]) -> bool:
    for region in regions:
        try:
            number = phonenumbers.parse(digits, region)
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_valid_number(number):
            return True
    # Fictional and unassigned NANP numbers, "(555) 123-4567": the shape says it all.
    return value.startswith("(") and len(digits) == 10


def _rejected(text: str, start: int, end: int, value: str) -> bool:
    if _IBAN_BEFORE_RE.search(text, max(0, start - 40), start):
        return True  # the tail of an IBAN (one that failed its check, or it would have been claimed)
    digits = sum(c.isdigit() for c in value)
    if digits >= 12 and has_context(text, start, end, _CARD_WORDS):
        return True  # "my credit card number is 3616...": a (mistyped) card, not a phone
    if _NOT_PHONE_RE.fullmatch(value) and not has_context(text, start, end, PHONE_CONTEXT):
        return True
    if (start > 0 and text[start - 1] in _CURRENCY) or (start > 1 and text[start - 2] in _CURRENCY):
        return True
    if end < len(text) and text[end : end + 2].strip()[:1] in _CURRENCY:
        return True
    groups = re.split(r"[ .\-/()]+", value.strip("()"))
    if len(groups) > 1 and all(len(g) == 4 and g[:2] in ("19", "20") for g in groups):
        return True  # a list of years
    quad = re.fullmatch(r"\d{1,3}(?:\.\d{1,3}){3}", value) is not None
    if quad and max(map(int, value.split("."))) <= 255 and not has_context(text, start, end, PHONE_CONTEXT):
        return True  # a dotted quad reads as an (invalid) IP address, unless something says "phone"
    if _NEIGHBOUR_BEFORE_RE.search(text, max(0, start - 12), start) or _NEIGHBOUR_AFTER_RE.match(text, end):
        return True  # one group of a longer code (an IBAN, a card) or a table row
    if _BUSINESS_BEFORE_RE.search(text, max(0, start - 16), start) is not None or business_before(text, start):
        return True
    return not_personal_near(text, start, end)


def detect_phones(text: str) -> Iterator[Hit]:
    """Phone numbers, international or national (see the module docstring)."""
    if not any(d in text for d in "0123456789"):
        return
    for m in _CANDIDATE_RE.finditer(text):
        start = m.start()
        end = m.start("ext") if m.group("ext") else m.end()
        value = text[start:end].rstrip(" ")
        end = start + len(value)
        digits = "".join(c for c in value if c.isdigit())
        if not 7 <= len(digits) <= 15 or len(set(digits)) < 3:
            continue
        span_end = m.end() if m.group("ext") else end  # the extension belongs to the number
        if m.group("intl"):
            if is_intl_phone(value):
                yield hit(start, span_end, KIND_PHONE, "phone number", text[start:span_end], 2)
            continue
        if _rejected(text, start, span_end, value):
            continue
        if _accepted(text, start, end, value, digits, bool(m.group("ext"))):
            yield hit(start, span_end, KIND_PHONE, "phone number", text[start:span_end], 2)


def _accepted(text: str, start: int, end: int, value: str, digits: str, ext: bool) -> bool:
    # The layouts phones are printed in, whatever the digits (fictional and unassigned numbers included):
    # "(798)938-6756", "487-705-9640", "1-800-555-0199"; an extension says "phone" by itself.
    if _NANP_LAYOUT_RE.fullmatch(value) or (ext and len(digits) >= 7):
        return True
    context = has_context(text, start, end, PHONE_CONTEXT)
    if context and _TRUNK_LAYOUT_RE.fullmatch(value):
        return True  # "Tel: 0#### ######": a trunk 0 and a grouping, next to a phone word
    regions = _regions(text, start, end, value, digits, context)
    return bool(regions) and _national(digits, value, regions)


def _regions(text: str, start: int, end: int, value: str, digits: str, context: bool) -> tuple[str, ...]:
    """Which regions' national forms to try: all with a context word, fewer on shape or bareness alone."""
    if context:
        return REGIONS
    if _SSN_LAYOUT_RE.fullmatch(value):
        return ()  # written the way a US SSN is ("078-05-0000"): not a phone without a phone word
    if _GROUPED_RE.fullmatch(value):
        return _CORE_REGIONS
    if not is_bare(text, start, end):
        return ()
    if digits[0] == "0":
        return _CORE_REGIONS
    return _BARE_REGIONS if len(digits) == 10 and value == digits else ()
