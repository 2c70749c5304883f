"""Undo the disguises people and attackers put on personal data before any detector looks.

`normalize` returns the text every detector reads:

* HTML entities decoded (``&#64;`` → ``@``) and ``%40`` read as ``@``;
* Unicode NFKC (full-width ``＠`` → ``@``, ``１２３`` → ``123``, ligatures, compatibility forms);
* format characters dropped (zero-width space/joiner, soft hyphen, bidi controls; category Cf),
  and combining marks left over after composition (``j̲a̲n̲e̲`` → ``jane``);
* letters from other scripts that look like Latin ones folded to them (Cyrillic ``а``, Greek
  ``ο``), from Unicode's confusables table (UTS #39, shipped by `confusable-homoglyphs`);
* every Unicode decimal digit mapped to ASCII (Arabic-Indic ``٤`` → ``4``, Devanagari, …);
* every kind of space and line separator read as a plain space or newline.

Case is left alone (detectors know which formats ignore case) and so are separators inside
numbers (the number detectors tolerate them). Offsets change, so detectors report previews from
the normalised text, never positions in the original.
"""

from __future__ import annotations

import html
import json
import unicodedata
from functools import cache
from importlib import resources
from typing import Final

__all__ = ["normalize"]

_SEPARATOR_CATEGORIES: Final = {"Zs": " ", "Zl": "\n", "Zp": "\n"}
_DROPPED_CATEGORIES: Final = frozenset({"Cf", "Mn", "Me"})
# Targets a look-alike may fold to: letters, digits and the punctuation that shapes an address.
_FOLD_TARGETS: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789@.:-_/")


@cache
def _confusables() -> dict[str, str]:
    """Non-ASCII character → the ASCII character it is confusable with (first such entry)."""
    raw = resources.files("confusable_homoglyphs").joinpath("confusables.json").read_text("utf-8")
    table: dict[str, str] = {}
    for char, entries in json.loads(raw).items():
        if len(char) != 1 or char.isascii():
            continue
        for entry in entries:
            target = entry["c"]
            # Letters fold only to letters, so a Cyrillic "З" stays a letter instead of becoming "3".
            if len(target) == 1 and target in _FOLD_TARGETS and (target.isalpha() or not char.isalpha()):
                table[char] = target
                break
    return table


class _Fold(dict[int, str | None]):
    """`str.translate` table filled on first use of each code point (no start-up scan of Unicode)."""

    def __missing__(self, codepoint: int) -> str | None:
        char = chr(codepoint)
        category = unicodedata.category(char)
        value: str | None
        if category == "Nd":
            value = str(unicodedata.decimal(char))
        elif category in _DROPPED_CATEGORIES:
            value = None
        elif category in _SEPARATOR_CATEGORIES:
            value = _SEPARATOR_CATEGORIES[category]
        else:
            value = _confusables().get(char, char)
        self[codepoint] = value
        return value


_FOLD: Final = _Fold()


def normalize(text: str) -> str:
    """The text as detectors read it (see the module docstring); ASCII without ``&``/``%`` is returned as is."""
    if "&" in text:
        text = html.unescape(text)
    if "%40" in text:
        text = text.replace("%40", "@")
    if text.isascii():
        return text
    # Decompose-then-compose first so that accents survive as single letters (é, ø, å stay),
    # then drop what is left: marks with no precomposed form are decoration or disguise.
    text = unicodedata.normalize("NFKC", text)
    return text.translate(_FOLD)
