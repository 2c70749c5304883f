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
from typing import Final

from detect_secrets.filters.heuristic import is_sequential_string, is_templated_secret

from ._types import Hit

__all__ = [
    "DUMMY_WORDS",
    "PLACEHOLDER_RE",
    "REFERENCE_RE",
    "entropy",
    "hit",
    "is_placeholder",
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
    r"\$\{|\$\(|\{\{|\{%|^\$\w+$|^\$\d|%\(?\w*\)?s|<[^<>\n]{0,60}>|\[[A-Z_ ]{3,}\]"
    r"|x{4}|\*{3}|#{4}|\.{3}|…"
    r"|example|placeholder|redacted|your[_-]?(?:own[_-]?)?(?:api|key|token|secret|pass|password)"
    r"|put[_-]?your|insert[_-]?your|replace[_-]?me|change[_-]?me|goes[_-]?here|(?:^|[_-])here$|token[_-]?here",
    re.IGNORECASE,
)
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
_ONE_CASE_RUN_RE: Final = re.compile(r"[A-Z]{12,}|[a-z]{12,}")
_WORD_RE: Final = re.compile(r"(?:[A-Z]?[a-z]+)+|[A-Z]+")
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


def entropy(value: str) -> float:
    """Shannon entropy in bits per character."""
    if not value:
        return 0.0
    n = len(value)
    return -sum(c / n * math.log2(c / n) for c in Counter(value).values())


def is_placeholder(value: str) -> bool:
    """A template, a dummy word or a run of one character: never a real credential."""
    if not value or value.lower().strip("'\"") in DUMMY_WORDS or PLACEHOLDER_RE.search(value):
        return True
    if is_templated_secret(value) and not _braced_random(value):
        return True
    return len(set(value)) <= 2 or is_sequential_string(value) or _ALPHABET_RUN_RE.search(value) is not None


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
    """Mostly words: ``jjwt-jackson-0.11.2``, ``SalesResults-1.2``, ``my-app-secret``."""
    letters = sum(len(w) for w in _SEGMENT_SPLIT_RE.split(value) if len(w) >= 4 and _WORD_RE.fullmatch(w))
    return letters * 2 > len(value)


def has_letter(value: str) -> bool:
    """detect-secrets' rule of thumb: a secret holds at least one ASCII letter (``*****`` does not)."""
    return not _ASCII_LETTERS.isdisjoint(value)
