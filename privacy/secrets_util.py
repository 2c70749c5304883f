"""Shared helpers for the secret detectors: masking, randomness and placeholder tests.

Nothing here detects anything on its own. The tests answer "could this value be a real credential?":
a placeholder (``xxxx``, ``<your-key>``, ``${SECRET}``, ``changeme``), a code reference
(``os.environ["X"]``, ``get_token()``, ``settings.KEY``) or a low-entropy run (``aaaa…``,
``123456…``) is not one. detect-secrets' own heuristics (sequential strings, templated secrets) are
reused where they exist.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable
from typing import Final

from detect_secrets.filters.heuristic import is_sequential_string, is_templated_secret

from ._types import Hit

__all__ = [
    "starts_of",
    "DUMMY_WORDS",
    "PLACEHOLDER_RE",
    "REFERENCE_RE",
    "entropy",
    "hit",
    "is_obvious_placeholder",
    "is_placeholder",
    "is_plausible_token",
    "is_wordy",
    "looks_random",
    "lowered",
    "mask",
]

#: Values people type when they mean "put the real one here".
DUMMY_WORDS: Final = frozenset(
    "password passwd pass pwd secret token key apikey api_key user username usr login test tester testing "
    "example sample dummy fake foo bar baz qux changeme change_me yourpassword mypassword yoursecret "
    "none null nil true false undefined required optional string str bytes int bool hidden masked "
    "default unset empty redacted placeholder value xxx yyy zzz abc abcd abc123 1234 12345 123456 "
    "admin root guest demo".split()
)
PLACEHOLDER_RE: Final = re.compile(
    r"\$\{|\$\(|\{\{|\{%|^\$\w+$|^\$\d|<[^<>\n]{0,60}>|\[[A-Z_ ]{3,}\]"
    r"|x{4}|\*{3}|#{4}|\.{3}|…"
    r"|example|placeholder|redacted|your[_-]?(?:own[_-]?)?(?:api|key|token|secret|pass|password)"
    r"|put[_-]?your|insert[_-]?your|replace[_-]?me|change[_-]?me|goes[_-]?here|(?:^|[_-])here$|token[_-]?here",
    re.IGNORECASE,
)
# printf-style templates (``%s``, ``%(password)s``) are lower case: ``%TGS`` inside a value is not one.
_PRINTF_RE: Final = re.compile(r"%\(\w+\)[sdr]|%[sd](?![A-Za-z0-9])")
#: Unquoted values that name something instead of being it: calls, subscripts, dotted paths,
#: snake/camel identifiers, CONSTANT_NAMES, paths.
REFERENCE_RE: Final = re.compile(
    r"[A-Za-z_][\w.]*[(\[].*|[A-Za-z_]\w*(?:\.\w+)+|[a-z]+(?:_[a-z]+)+|[a-z]+(?:[A-Z][a-z]+)+"
    r"|[A-Z][a-z]+(?:[A-Z][a-z]+)+|[A-Z]+(?:_[A-Z]+)+|[~.]?/.*|@\w.*"
)
# "abcdefghij…" inside a value is a typed placeholder, not randomness.
_ALPHABET_RUN_RE: Final = re.compile(
    "|".join("abcdefghijklmnopqrstuvwxyz"[i : i + 15] for i in range(12)), re.IGNORECASE
)
# One-case letter runs this long are words or filler ("RANDOMSTRINGHERE"), not random output.
# One character six times in a row never happens in generated key material; filler does it.
_FILLER_RUN_RE: Final = re.compile(r"(.)\1{5}")
_ONE_CASE_RUN_RE: Final = re.compile(r"[A-Z]{12,}|[a-z]{12,}")
# Words inside identifiers: "SalesResults" -> Sales, Results. Runs over 15 letters are not words.
_WORD_RE: Final = re.compile(r"[A-Z]?[a-z]+|[A-Z]+")
_CAMEL_RE: Final = re.compile(r"(?:[A-Z]?[a-z]+)+|[A-Z]+")
_SEGMENT_SPLIT_RE: Final = re.compile(r"[^A-Za-z]+")
_ASCII_LETTERS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def mask(value: str) -> str:
    """Preview of a secret: long values keep 4+2 characters, short ones only the first."""
    return f"{value[:4]}…{value[-2:]}" if len(value) >= 16 else f"{value[:1]}***"


def hit(start: int, end: int, kind: str, label: str, value: str, prefix: str = "") -> Hit:
    """A hit whose preview shows *prefix* (a vendor prefix or a name) and a masked value."""
    return Hit(start, end, kind, label, f"{prefix}{mask(value)}")


def lowered(text: str) -> str:
    """`text.lower()` when that keeps every offset (it does for all but a few non-ASCII letters)."""
    low = text.lower()
    return low if len(low) == len(text) else text.translate(_ASCII_LOWER)


_ASCII_LOWER: Final = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def starts_of(low: str, roots: Iterable[str]) -> list[int]:
    """Every offset where one of `roots` begins (str.find, so the detectors' regexes run only there)."""
    starts: set[int] = set()
    for root in roots:
        at = low.find(root)
        while at != -1:
            starts.add(at)
            at = low.find(root, at + 1)
    return sorted(starts)


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def is_obvious_placeholder(value: str, *, filler: bool = True) -> bool:
    """A template, a dummy word or filler (``xxxx``, ``****``, ``1111…``, ``123123…``).

    The test for values that a vendor prefix or a secret keyword already vouches for: a typed-out
    ``abcdef…123456`` there is still someone's (test) credential, so only filler passes.
    ``filler=False`` skips the repeated-character tests, for values whose numeric parts may repeat.
    """
    if not value or value.lower().strip("'\"") in DUMMY_WORDS or PLACEHOLDER_RE.search(value):
        return True
    if _PRINTF_RE.search(value) or (is_templated_secret(value) and not _braced_random(value)):
        return True
    if not filler:
        return len(set(value)) <= 2
    if _FILLER_RUN_RE.search(value):
        return True
    # "123123123123", "abababab": a short unit repeated has too few distinct characters.
    return len(set(value)) <= (2 if len(value) < 12 else 5)


def is_placeholder(value: str, *, filler: bool = True) -> bool:
    """An obvious placeholder, or a typed sequence (``ABCDEF…``, ``…abcdefghijklmno…``)."""
    if is_obvious_placeholder(value, filler=filler) or is_sequential_string(value):
        return True
    return _ALPHABET_RUN_RE.search(value) is not None


def _braced_random(value: str) -> bool:
    """``{ZqL5kVrX1n8tA2}``: documentation braces around a value that is itself random."""
    return value[0] == "{" and value[-1] == "}" and looks_random(value[1:-1], min_len=8)


def looks_random(value: str, *, min_len: int = 16, min_entropy: float = 3.0) -> bool:
    """Key material: long enough, mixes character classes, high entropy, no placeholder."""
    if len(value) < min_len:
        return False
    lower = sum(c.islower() for c in value)
    upper = sum(c.isupper() for c in value)
    digits = sum(c.isdigit() for c in value)
    classes = (lower > 0) + (upper > 0) + (digits > 0)
    if classes < 2 and not (lower and upper):
        return False
    if digits == 0 and min(lower, upper) < len(value) // 5:
        return False  # camelCaseIdentifiersLikeThis have few capitals; random letters have ~half
    # Thresholds scale with length: a short value cannot reach the entropy of a long one.
    limit = min(min_entropy, math.log2(len(value)) - 0.7)
    if lower and upper and _ONE_CASE_RUN_RE.search(value):
        return False  # a mixed-case value with a long one-case stretch was typed, not generated
    return entropy(value) >= limit and not is_placeholder(value)


def is_wordy(value: str) -> bool:
    """Mostly words: ``jjwt-jackson-0.11.2``, ``SalesResults-1.2``, ``my-app-secret``.

    A letter segment counts when it is made of camel-case words of at most 15 letters with no
    typed alphabet run (``ghij``) or tripled letter: ``abcdefghijklmnopqrstuvwx`` is filler, not a word.
    """
    letters = 0
    for segment in _SEGMENT_SPLIT_RE.split(value):
        if len(segment) >= 4 and _CAMEL_RE.fullmatch(segment) and not _typed_run(segment):
            words = _WORD_RE.findall(segment)
            if all(len(w) <= 15 for w in words) and len(segment) >= 3 * len(words):
                letters += len(segment)
    return letters * 2 > len(value)


def _typed_run(word: str) -> bool:
    """Four alphabet-consecutive letters (``bcde``) or one letter three times (``aaa``)."""
    low = word.lower()
    steps = [ord(b) - ord(a) for a, b in zip(low, low[1:], strict=False)]
    return any(steps[i : i + 3] == [1, 1, 1] or steps[i : i + 2] == [0, 0] for i in range(len(steps)))


def is_plausible_token(value: str) -> bool:
    """Could be key material once a vendor prefix vouches for it: not filler, not words, and it mixes
    digits or cases (``RANDOMSTRINGHERE`` and ``my-bot-token`` do not)."""
    if is_obvious_placeholder(value):
        return False
    has_digit = any(c.isdigit() for c in value)
    if not has_digit and is_wordy(value):
        return False  # hf_requiredCharacteristicTypes…, sk-learn-is-a-great-library
    return has_digit or (any(c.isupper() for c in value) and any(c.islower() for c in value))


def has_letter(value: str) -> bool:
    """detect-secrets' rule of thumb: a secret holds at least one ASCII letter (``*****`` does not)."""
    return not _ASCII_LETTERS.isdisjoint(value)
