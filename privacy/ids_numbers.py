"""Number-shaped identifiers: cards, IBANs, bank accounts, national identity and tax numbers.

One regex pass finds *chains*: alphanumeric tokens that hold a digit, joined by the separators people
type inside numbers (spaces, dots, dashes, slashes, mixed, even one digit at a time), with at most a
short letter token in front (``DE 136 695 976``, ``HRB 1234``) and one behind (``AA 12 34 56 B``).
Each chain is then cut into runs of whole tokens, longest first, and each run's compact upper-case
form is tried against :data:`privacy.ids_rules.RULES`; the first rule that accepts a run claims it.
Weak rules are only tried when a context word is near or the message is the number alone, which is
also what keeps this pass cheap on prose.

Not detected here: phone numbers (:mod:`privacy.ids_phones`), dates of birth (a colleague's), and
anything whose only evidence is its length (a bare 9-digit number with no checksum and no context).
Values that look like dates, times or versions (``2024-01-15``, ``1.24.3``) are never weak candidates.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Final

from ._types import KIND_CARD, KIND_IBAN, Hit
from .ids_common import business_before, has_context, hit, in_name_row, is_bare, not_personal_near
from .ids_phones import is_intl_phone
from .ids_rules import CARD_CONTEXT, RULES, Rule

__all__ = ["detect_ibans", "detect_numbers"]

_CHAIN_RE: Final = re.compile(
    r"(?<![A-Za-z0-9_])(?:[A-Za-z]{1,3}[ .-]{1,2})?"
    r"[A-Za-z]*[0-9][A-Za-z0-9]*"
    r"(?:[ ./-]{1,3}[A-Za-z]{0,4}[0-9][A-Za-z0-9]*)*"
    r"(?:[ -][A-Za-z]{1,2}(?![A-Za-z0-9]))?"
)
_DIGIT_RE: Final = re.compile(r"[0-9]")
_TOKEN_RE: Final = re.compile(r"[A-Za-z0-9]+")
_DATE_LIKE_RE: Final = re.compile(
    r"(?:19|20)\d\d[-./](?:0?[1-9]|1[0-2])[-./]\d\d?|\d\d?[-./](?:0?[1-9]|1[0-2])[-./](?:19|20)?\d\d|\d+(?:\.\d+){2,}"
)
_ROW_MARK: Final = re.compile("")  #: key for "a field of a row that holds a name" in the context cache
_MIN_LEN: Final = 4
_MAX_LEN: Final = 34
_MAX_TOKENS: Final = 24
_IBAN_HEAD_RE: Final = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}")
_IBAN_RE: Final = re.compile(r"(?<![A-Za-z0-9])[A-Za-z]{2}[0-9]{2}(?:[ .-]?[A-Za-z0-9]){11,34}")


def _first_digit(text: str) -> int:
    first = len(text)
    for digit in "0123456789":
        at = text.find(digit, 0, first)
        if at != -1:
            first = at
    return first


class _Run:
    """One candidate: the value as written, its compact form and, lazily, its context."""

    __slots__ = ("_bare", "_ctx", "_suppressed", "compact", "end", "start", "text")

    def __init__(self, text: str, start: int, end: int, compact: str) -> None:
        self.text, self.start, self.end, self.compact = text, start, end, compact
        self._ctx: dict[int, bool] = {}
        self._bare: bool | None = None
        self._suppressed: bool | None = None

    @property
    def value(self) -> str:
        return self.text[self.start : self.end]

    @property
    def suppressed(self) -> bool:
        """An order/invoice word right before it, or a serial/barcode/tracking word near it."""
        if self._suppressed is None:
            self._suppressed = business_before(self.text, self.start) or not_personal_near(
                self.text, self.start, self.end
            )
        return self._suppressed

    def context(self, words: re.Pattern[str]) -> bool:
        key = id(words)
        if key not in self._ctx:
            if words is _ROW_MARK:
                self._ctx[key] = in_name_row(self.text, self.start, self.end)
            else:
                self._ctx[key] = has_context(self.text, self.start, self.end, words)
        return self._ctx[key]

    def weak_allowed(self, rule: Rule) -> bool:
        if self.suppressed:
            return False
        if rule.bare_ok:
            if self._bare is None:
                self._bare = is_bare(self.text, self.start, self.end)
            # A message that is only a number: the number must be written as this ID is written
            # (compact, or with the issuer's grouping), else any weak checksum would claim it.
            if self._bare and (
                self.value.isalnum() or _fits(rule.shape, self.value) or _fits(rule.bare_shape, self.value)
            ):
                return True
        if any(self.context(words) for words in rule.contexts):
            return True
        return any(c in self.text for c in ";|\t") and self.context(_ROW_MARK)


def _fits(shape: re.Pattern[str] | None, value: str) -> bool:
    return shape is not None and shape.fullmatch(value) is not None


def _accepts(rule: Rule, run: _Run, date_like: bool) -> bool:
    if not rule.form.fullmatch(run.compact) or len(set(run.compact)) == 1:
        return False
    if rule.strong:
        if rule.kind == KIND_CARD and run.suppressed and not run.context(CARD_CONTEXT):
            return False  # Luhn alone on a barcode or serial number; "card"/"visa" near it wins
        return rule.check(run.compact)
    if rule.shape is not None and rule.shape.fullmatch(run.value) and not run.suppressed and rule.check(run.compact):
        return True
    return not date_like and run.weak_allowed(rule) and rule.check(run.compact)


def _width(rule: Rule) -> tuple[int, int]:
    try:  # the regex parser knows each form's shortest and longest match
        from re import _parser  # type: ignore[attr-defined]

        low, high = _parser.parse(rule.form.pattern).getwidth()
        return int(low), int(high)
    except Exception:  # another Python: try the rule on every length
        return 0, _MAX_LEN


_WIDTHS: Final = [(rule, *_width(rule)) for rule in RULES]
#: Rules that can match a compact value of each length, in table order (most candidates try few rules).
_BY_LENGTH: Final = {n: tuple(r for r, lo, hi in _WIDTHS if lo <= n <= hi) for n in range(_MAX_LEN + 1)}


def _claim(run: _Run) -> Hit | None:
    date_like = _DATE_LIKE_RE.fullmatch(run.value) is not None
    for rule in _BY_LENGTH[len(run.compact)]:
        if _accepts(rule, run, date_like):
            return hit(run.start, run.end, rule.kind, rule.label, run.value, rule.keep)
        if rule.kind == KIND_IBAN and _IBAN_LENGTHS.get(run.compact[:2]) == len(run.compact):
            return None  # an IBAN of its country's length that fails mod-97: mistyped, not some weaker number
    return None


def _chain_hits(text: str, tokens: list[tuple[int, int]]) -> Iterator[Hit]:
    i = 0
    n = len(tokens)
    while i < n:
        claimed = None
        compact = ""
        pieces = [text[s:e].upper() for s, e in tokens[i : i + _MAX_TOKENS]]
        prefix = [0]
        for piece in pieces:
            prefix.append(prefix[-1] + len(piece))
        for j in range(len(pieces), 0, -1):
            length = prefix[j]
            if not _MIN_LEN <= length <= _MAX_LEN or not _BY_LENGTH[length]:
                continue
            compact = "".join(pieces[:j])
            claimed = _claim(_Run(text, tokens[i][0], tokens[i + j - 1][1], compact))
            if claimed is not None:
                yield claimed
                i += j
                break
        if claimed is None:
            i += 1


def detect_numbers(text: str) -> Iterator[Hit]:
    """National IDs, tax numbers, cards and bank numbers (see the module docstring)."""
    first = _first_digit(text)
    if first == len(text):
        return
    # A mistyped IBAN (fails mod-97): its inner groups must not pass for some weaker number.
    dead: list[tuple[int, int]] | None = None  # computed on the first chain with an IBAN head near it
    pos, done = first, 0
    while pos < len(text):
        # Jump to the next digit, then let the chain regex start a few characters before it.
        digit = _DIGIT_RE.search(text, pos)
        if digit is None:
            return
        chain = _CHAIN_RE.search(text, max(done, digit.start() - 10))
        if chain is None:
            return
        s, e = chain.span()
        pos = done = max(e, digit.end())
        if e - s < _MIN_LEN:
            continue
        if _after_plus(text, s) and is_intl_phone("+" + chain.group()):
            continue  # "+44 20 7946 0958": a phone number, whatever its groups might also pass for
        if _ISBN13_RE.search(chain.group()) and _isbn13(chain.group()):
            continue  # "ISBN 978-0-17-654163-7": a book, and no group of it is an ID either
        tokens = [_unglue(text, s + m.start(), s + m.end()) for m in _TOKEN_RE.finditer(chain.group())]
        if _IBAN_HEAD_RE.search(text, max(0, s - 40), e):
            if dead is None:
                dead = [(a, b) for a, b, ok in _iban_spans(text) if not ok]
            tokens = [t for t in tokens if not any(a <= t[0] < b for a, b in dead)]
        yield from _chain_hits(text, tokens)


_ISBN13_RE: Final = re.compile(r"97[89]-\d{1,5}-\d{1,7}-\d{1,7}-\d")


def _isbn13(chain: str) -> bool:
    m = _ISBN13_RE.search(chain)
    digits = [int(c) for c in m.group() if c.isdigit()] if m else []
    return len(digits) == 13 and sum(d * (3 if i % 2 else 1) for i, d in enumerate(digits)) % 10 == 0


#: Short words that get run into a number; not "de", "es", "at": those are VAT prefixes.
_GLUED_RE: Final = re.compile(r"(?:is|ist|er|est|was|my|nr|id|är|on)(?=[0-9][0-9A-Z]{7,})")


def _unglue(text: str, start: int, end: int) -> tuple[int, int]:
    """A short word run into the number by a missing space ("id code is030594W903B")."""
    m = _GLUED_RE.match(text, start, end)
    if m is not None and m.end() < end and not any(c.islower() for c in text[m.end() : end]):
        return m.end(), end
    return start, end


def _after_plus(text: str, start: int) -> bool:
    return text[max(0, start - 2) : start].strip().endswith("+")


_IBAN_LENGTHS: Final = {
    entry[:2]: int(entry[2:])
    for entry in (
        "AD24 AE23 AL28 AT20 AZ28 BA20 BE16 BG22 BH22 BI27 BR29 BY28 CH21 CR22 CY28 CZ24 DE22 DJ27 DK18 DO28 EE20 "
        "EG29 ES24 FI18 FK18 FO18 FR27 GB22 GE22 GI23 GL18 GR27 GT28 HN28 HR21 HU28 IE22 IL23 IQ23 IS26 IT27 JO30 "
        "KW30 KZ20 LB28 LC32 LI21 LT20 LU20 LV21 LY25 MC27 MD24 ME22 MK19 MN20 MR27 MT31 MU30 NI28 NL18 NO15 OM23 "
        "PK24 PL28 PS29 PT25 QA29 RO24 RS22 RU33 SA24 SC31 SD18 SE24 SI19 SK24 SM27 SO23 ST25 SV28 TL23 TN24 TR26 "
        "UA29 VA22 VG24 XK20 YE30"
    ).split()
}


def detect_ibans(text: str) -> Iterator[Hit]:
    """IBANs of every country, any case, with spaces, dashes or dots between the characters."""
    if _first_digit(text) == len(text):
        return
    for start, end, ok in _iban_spans(text):
        if ok:
            yield hit(start, end, KIND_IBAN, "IBAN bank account number", text[start:end], 4)


def _iban_spans(text: str) -> Iterator[tuple[int, int, bool]]:
    """Every IBAN-shaped value (known country, its exact length) and whether it passes mod-97."""
    for m in _IBAN_RE.finditer(text):
        want = _IBAN_LENGTHS.get(m.group()[:2].upper())
        if want is None:
            continue
        chars = 0
        end = m.start()
        for end in range(m.start(), m.end()):
            if text[end].isalnum():
                chars += 1
                if chars == want:
                    break
        if chars != want:
            continue
        if end + 1 < len(text) and text[end + 1].isalnum():
            continue
        compact = "".join(c for c in text[m.start() : end + 1] if c.isalnum()).upper()
        yield m.start(), end + 1, _iban_ok(compact)


def _iban_ok(compact: str) -> bool:
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(ch, 36)) for ch in rearranged)) % 97 == 1
