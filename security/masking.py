"""Credentials inside URLs, masked: the one function every log line, error and page uses.

Operators paste URLs that carry secrets: `http://user:pass@host/v1`, an Azure SAS
`…?sig=…`, a proxy's `?api-key=…`. `safe_url` keeps what an operator needs to recognise the
target (scheme, host, port, path, the names of the query parameters) and masks the rest;
`scrub` does the same for every URL inside a free text (an exception message, a log line).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

__all__ = ["MASK", "safe_url", "scrub"]

MASK = "***"
_SECRET_PARAM = re.compile(
    r"(key|token|secret|passw|pwd|sig|signature|auth|credential|session|code|jwt|bearer)", re.IGNORECASE
)
_URL_IN_TEXT = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]{1,30}://[^\s'\"<>`]+")
_PARAM_IN_TEXT = re.compile(
    r"(?i)\b([a-z0-9_.-]*(?:api[-_]?key|access[-_]?token|token|secret|password|sig|signature)[a-z0-9_.-]*)=([^\s&'\"<>,;]+)"
)


def _netloc(parts: object) -> str:
    host = getattr(parts, "hostname", None) or ""
    if ":" in host:
        host = f"[{host}]"
    port = getattr(parts, "port", None)
    username = getattr(parts, "username", None)
    password = getattr(parts, "password", None)
    where = f"{host}:{port}" if port is not None else host
    if password is not None:
        return f"{username or ''}:{MASK}@{where}"
    if username:  # a bare user part is a token as often as a name (https://<token>@host)
        return f"{MASK}@{where}"
    return where


def safe_url(url: str) -> str:
    """`url` with its user info's secret part and every secret-looking query value masked.

    `postgresql+asyncpg://app:pw@db/chat` → `postgresql+asyncpg://app:***@db/chat`;
    `https://x.example/v1?api-key=abc&v=1` → `https://x.example/v1?api-key=***&v=1`.
    A URL that cannot be parsed is not shown at all.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  # raises ValueError on a malformed port
    except ValueError:
        return "<unparseable URL>"
    if not parts.scheme or not parts.netloc:
        return "<unparseable URL>" if "@" in url or "=" in url else url
    query = "&".join(
        f"{quote(name, safe='-_.')}={MASK if _SECRET_PARAM.search(name) else quote(value, safe='-_.:/')}"
        for name, value in parse_qsl(parts.query, keep_blank_values=True)
    )
    fragment = MASK if parts.fragment and "=" in parts.fragment else parts.fragment
    return urlunsplit((parts.scheme, _netloc(parts), parts.path, query, fragment))


def scrub(text: str) -> str:
    """`text` with every URL in it passed through `safe_url`, and bare `api-key=…`-style pairs masked."""
    if "://" not in text and "=" not in text:
        return text
    text = _URL_IN_TEXT.sub(lambda m: safe_url(m.group(0)), text)
    return _PARAM_IN_TEXT.sub(lambda m: f"{m.group(1)}={MASK}", text)
