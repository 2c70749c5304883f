"""What of a user session may be written to the database: JSON data, never clients, keys or tokens.

On disconnect Chainlit stores the whole `cl.user_session` in the thread's metadata
(`chainlit/socket.py` `persist_user_session`), and restores it on resume. Anything the app keeps
there — an SDK client, an API key, a token — would land in the database. `sanitize_session_metadata`
keeps only JSON values and drops every key whose name says it holds a secret or a client, every
string that looks like a credential, and keys whose content lives elsewhere (the conversation
itself is stored as steps, so `history` is dropped: it would also grow past Chainlit's 1 MB
metadata limit, at which point Chainlit replaces the *whole* metadata with a notice).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

__all__ = ["DROPPED_KEYS", "SECRET_WORDS", "sanitize_session_metadata"]

SECRET_WORDS = frozenset(
    {
        "key", "apikey", "token", "secret", "secrets", "password", "passwd", "pwd", "passphrase",
        "credential", "credentials", "auth", "authorization", "bearer", "cookie", "cookies", "jwt",
        "client", "clients", "session", "private", "signature",
    }
)  # fmt: skip
"""A key is dropped when any word of its name is one of these (`api_key`, `openaiClient`,
`access_token`); `max_tokens` survives because `tokens` is a count, not a credential."""

DROPPED_KEYS = frozenset({"history", "user", "env", "id"})
"""Top-level keys never persisted: the conversation (stored as steps), the user object (the thread
row names its owner), user environment variables (Chainlit's name for per-user API keys), and the
socket session id (meaningless after a restart)."""

_SECRET_VALUE = re.compile(
    r"^(?:sk-[A-Za-z0-9_-]{16,}|eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}|"
    r"Bearer\s+\S{8,}|gh[pousr]_[A-Za-z0-9]{20,}|xox[abpr]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16}|"
    r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*)$",
    re.DOTALL,
)
_WORD = re.compile(r"[A-Z]?[a-z]+|[A-Z]+(?![a-z])|\d+")
_MAX_DEPTH = 32


def _words(key: str) -> set[str]:
    return {w.lower() for w in _WORD.findall(key)}


def is_secret_key(key: str) -> bool:
    words = _words(key)
    return bool(words & SECRET_WORDS) or "apikey" in key.lower().replace("_", "").replace("-", "")


def _clean(value: Any, depth: int) -> tuple[bool, Any]:
    """(keep, cleaned value)."""
    if depth > _MAX_DEPTH:
        return False, None
    if value is None or isinstance(value, bool | int):
        return True, value
    if isinstance(value, float):
        return (True, value) if math.isfinite(value) else (False, None)
    if isinstance(value, str):
        return (False, None) if _SECRET_VALUE.match(value.strip()) else (True, value)
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for k, v in value.items():
            if not isinstance(k, str) or is_secret_key(k):
                continue
            keep, cleaned = _clean(v, depth + 1)
            if keep:
                out[k] = cleaned
        return True, out
    if isinstance(value, list | tuple):
        items = []
        for item in value:
            keep, cleaned = _clean(item, depth + 1)
            if keep:
                items.append(cleaned)
        return True, items
    return False, None  # clients, sockets, dataclasses, bytes: not data we persist


def sanitize_session_metadata(d: Mapping[str, Any] | None) -> dict[str, Any]:
    """A JSON-safe copy of `d` without secrets, clients or conversation copies.

    Keys whose value is None are kept: in Chainlit's `update_thread` they mean "remove this key".
    """
    if not isinstance(d, Mapping):
        return {}
    top = {k: v for k, v in d.items() if isinstance(k, str) and k not in DROPPED_KEYS}
    _, cleaned = _clean(top, 0)
    return cleaned if isinstance(cleaned, dict) else {}
