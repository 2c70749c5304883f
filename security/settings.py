"""Settings for the HTTP-level protection, read once at start-up (like `config.load_settings`).

| variable | default | meaning |
|---|---|---|
| `ALLOWED_HOSTS` | – | extra host names the app answers to (own name, localhost, IP literals always) |
| `MAX_REQUEST_BYTES` | 1 MiB | the largest request body on any route (socket.io polling: 16 MiB) |
| `FRAME_ANCESTORS` | `'none'` | who may frame the page (CSP `frame-ancestors` sources) |
| `GATEWAY_KEYLESS` | off | `/v1` without a key for loopback callers, only with sign-in off |
| `METRICS_ALLOWED` | – (public) | networks that may read `/readyz`, `/metrics`, `/openapi.json` |
| `METRICS_TOKEN` | – | a bearer token that may read them from anywhere |

A bad value raises `ConfigError` with one line naming the variable.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass

from config_env import ConfigError, Secret, env_bool, env_int, env_str

__all__ = ["DEFAULT_MAX_REQUEST_BYTES", "SecuritySettings", "load_security_settings"]

DEFAULT_MAX_REQUEST_BYTES = 1_048_576
"""Fits every legitimate body: /v1's own limit is 1 MiB (gateway/requests.py), Chainlit's JSON routes are small."""
DEFAULT_FRAME_ANCESTORS = "'none'"
_HOST = re.compile(r"^(\*\.)?[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*\.?$")
_SOURCE = re.compile(r"^('self'|'none'|https?://[a-z0-9.*:\[\]-]+(:\d+)?|[a-z0-9.*-]+(:\d+)?)$", re.IGNORECASE)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class SecuritySettings:
    allowed_hosts: tuple[str, ...] = ()
    """Host names beyond the built-in ones; `*.example.com` matches subdomains, `*` turns the check off."""
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES
    frame_ancestors: str = DEFAULT_FRAME_ANCESTORS
    gateway_keyless: bool = False
    """Opt-in: /v1 answers keyless callers on loopback (bound to loopback, no forwarding headers, sign-in off)."""
    metrics_allowed: tuple[Network, ...] = ()
    metrics_token: Secret | None = None

    @property
    def metrics_restricted(self) -> bool:
        return bool(self.metrics_allowed) or self.metrics_token is not None

    def summary(self) -> dict[str, object]:
        return {
            "allowed_hosts": list(self.allowed_hosts),
            "max_request_bytes": self.max_request_bytes,
            "frame_ancestors": self.frame_ancestors,
            "gateway_keyless": self.gateway_keyless,
            "metrics": "restricted" if self.metrics_restricted else "public",
        }


def _hosts(env: Mapping[str, str]) -> tuple[str, ...]:
    raw = env_str(env, "ALLOWED_HOSTS")
    if raw is None:
        return ()
    out = []
    for item in raw.split(","):
        host = item.strip().lower()
        if not host:
            continue
        if host != "*" and not _HOST.match(host) and not _is_ip(host):
            raise ConfigError(
                "ALLOWED_HOSTS must be comma-separated host names without scheme or port, such as "
                f"chat.example.com or *.example.com, got {item.strip()[:60]!r}"
            )
        out.append(host.rstrip("."))
    return tuple(out)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text.strip("[]"))
    except ValueError:
        return False
    return True


def _networks(env: Mapping[str, str]) -> tuple[Network, ...]:
    raw = env_str(env, "METRICS_ALLOWED")
    if raw is None:
        return ()
    out = []
    for item in (i.strip() for i in raw.split(",")):
        if not item:
            continue
        try:
            out.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ConfigError(
                f"METRICS_ALLOWED must be comma-separated networks such as 127.0.0.1/32,10.0.0.0/8, got {item[:60]!r}"
            ) from None
    return tuple(out)


def _frame_ancestors(env: Mapping[str, str]) -> str:
    raw = env_str(env, "FRAME_ANCESTORS")
    if raw is None:
        return DEFAULT_FRAME_ANCESTORS
    sources = raw.split()
    if not all(_SOURCE.match(s) for s in sources) or ("'none'" in sources and len(sources) > 1):
        raise ConfigError(
            "FRAME_ANCESTORS must be CSP sources separated by spaces, such as 'self' https://portal.example.com, "
            f"or 'none'; got {raw[:80]!r}"
        )
    return " ".join(sources)


def load_security_settings(env: Mapping[str, str]) -> SecuritySettings:
    token = env_str(env, "METRICS_TOKEN")
    if token is not None and (len(token) < 16 or any(c.isspace() or not c.isprintable() for c in token)):
        raise ConfigError("METRICS_TOKEN must be at least 16 printable characters without spaces")
    return SecuritySettings(
        allowed_hosts=_hosts(env),
        max_request_bytes=env_int(env, "MAX_REQUEST_BYTES", DEFAULT_MAX_REQUEST_BYTES, 1024, 1 << 34)
        or DEFAULT_MAX_REQUEST_BYTES,
        frame_ancestors=_frame_ancestors(env),
        gateway_keyless=env_bool(env, "GATEWAY_KEYLESS", False),
        metrics_allowed=_networks(env),
        metrics_token=Secret(token) if token else None,
    )
