"""Check what a user typed before anything else sees it."""

from __future__ import annotations

import re
import unicodedata

from providers.errors import InputRejected

__all__ = ["InputRejected", "clean_text", "clean_user_text"]

# C0/C1 control characters except tab, newline and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean_text(text: object, *, index: int | None = None) -> str:
    """Control characters removed and NFC-normalised; refuses what cannot be sent at all."""
    if not isinstance(text, str):
        raise InputRejected("That message could not be read. Please type it again.", index=index)
    if _SURROGATE.search(text):
        raise InputRejected(
            "The message contains invalid characters (unpaired surrogates). Please retype or re-paste it.", index=index
        )
    if "\x00" in text:
        raise InputRejected("The message contains a NUL character, which cannot be sent. Please remove it.", index=index)
    return unicodedata.normalize("NFC", _CONTROL.sub("", text))


def clean_user_text(text: object, max_chars: int, *, index: int | None = None) -> str:
    """Return the message to send, or raise InputRejected with a user-facing reason."""
    text = clean_text(text, index=index)
    if not text.strip():
        raise InputRejected("The message is empty. Type something to send.", index=index)
    if len(text) > max_chars:
        raise InputRejected(
            f"The message is {len(text):,} characters long; the limit is {max_chars:,}. "
            "Shorten it or split it into parts.",
            index=index,
        )
    return text
