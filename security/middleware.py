"""The one ASGI middleware in front of everything (Chainlit's routes, ours, the socket.io mount).

Per request, in this order:

1. **Host** (HTTP and websocket): a Host outside `HostPolicy` gets 421 before any route runs,
   so a DNS-rebinding page cannot drive the chat, `/v1` or the thread list.
2. **Observability routes** (`/readyz`, `/metrics`, `/openapi.json`, …): with `METRICS_ALLOWED`
   or `METRICS_TOKEN` set, others get 403.
3. **Body size**: a `Content-Length` over the route's limit is refused before one byte is read;
   a body without one is counted chunk by chunk while the route reads it, and refused with 413
   as soon as it passes the limit (the route sees the client go away and stops).
4. **Security headers** on every HTTP response that does not set its own (CSP, nosniff, …).

Pure ASGI rather than Starlette's `BaseHTTPMiddleware`, which would buffer and cannot see the
websocket scope; and our own Host check rather than Starlette's `TrustedHostMiddleware`, which
cuts `[::1]:8000` at the first colon and refuses it.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from .policy import FORWARDING_HEADERS, OBSERVABILITY_PATHS, HostPolicy, is_local_caller
from .settings import SecuritySettings

__all__ = ["SecurityMiddleware", "SecurityPolicy", "is_local_request"]

log = logging.getLogger("foundry_chat.security")
Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


@dataclass
class SecurityPolicy:
    """Everything the middleware decides with, built once by `server.install_security`."""

    settings: SecuritySettings
    hosts: HostPolicy
    headers: list[tuple[bytes, bytes]]
    path_limits: tuple[tuple[str, int], ...] = ()
    """(path prefix, bytes) pairs that raise the limit for one route (socket.io polling, uploads)."""
    sign_in: bool = False
    """Whether users sign in (password or trusted header): /v1 then needs a key or a session."""
    refused: dict[str, int] = field(default_factory=dict)
    """Requests refused so far, by reason (host, observability, body), for the log and tests."""

    def body_limit(self, path: str) -> int:
        for prefix, limit in self.path_limits:
            if path.startswith(prefix):
                return max(limit, self.settings.max_request_bytes)
        return self.settings.max_request_bytes

    def may_observe(self, scope: Scope, headers: dict[str, str]) -> bool:
        s = self.settings
        if not s.metrics_restricted:
            return True
        auth = headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if (
            s.metrics_token is not None
            and token
            and hmac.compare_digest(token.encode(), s.metrics_token.get().encode())
        ):
            return True
        client = (scope.get("client") or (None,))[0]
        if not client or any(h in headers for h in FORWARDING_HEADERS):
            return False
        import ipaddress

        try:
            address = ipaddress.ip_address(client)
        except ValueError:
            return False
        return any(address in net for net in s.metrics_allowed)

    def count(self, reason: str) -> None:
        from health.metrics import HTTP_REFUSED

        self.refused[reason] = self.refused.get(reason, 0) + 1
        HTTP_REFUSED.labels(reason).inc()


def _headers(scope: Scope) -> dict[str, str]:
    out: dict[str, str] = {}
    for raw_name, raw_value in scope.get("headers") or ():
        name = raw_name.decode("latin-1").lower()
        out[name] = raw_value.decode("latin-1") if name not in out else out[name] + "," + raw_value.decode("latin-1")
    return out


class SecurityMiddleware:
    def __init__(self, app: ASGIApp, policy: SecurityPolicy) -> None:
        self.app = app
        self.policy = policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = _headers(scope)
        if not self.policy.hosts.allows(headers.get("host")):
            self.policy.count("host")
            log.warning(
                "security: refused a request for a foreign Host %r (add it to ALLOWED_HOSTS)",
                headers.get("host", "")[:80],
            )
            text = "This server does not answer to that host name. The operator can add it to ALLOWED_HOSTS."
            if kind == "websocket":
                await self._refuse_websocket(scope, send, 421, text)
            else:
                await self._respond(send, 421, text)
            return
        if kind == "websocket":
            await self.app(scope, receive, send)
            return
        if _observability(scope.get("path", "")) and not self.policy.may_observe(scope, headers):
            self.policy.count("observability")
            await self._respond(send, 403, "This route is restricted (METRICS_ALLOWED / METRICS_TOKEN).")
            return
        await self._limited(scope, receive, send, headers)

    async def _limited(self, scope: Scope, receive: Receive, send: Send, headers: dict[str, str]) -> None:
        limit = self.policy.body_limit(scope.get("path", ""))
        declared = headers.get("content-length", "").strip()
        if declared and (not declared.isdigit() or int(declared) > limit):
            self.policy.count("body")
            await self._respond(send, 413 if declared.isdigit() else 400, _too_large(limit), json_body=True)
            return
        state = {"received": 0, "refused": False, "started": False}

        async def limited_receive() -> Message:
            if state["refused"]:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > limit:
                    state["refused"] = True
                    self.policy.count("body")
                    log.warning(
                        "security: refused a request body over %d bytes on %s", limit, scope.get("path", "")[:80]
                    )
                    if not state["started"]:
                        await self._respond(send, 413, _too_large(limit), json_body=True)
                    return {"type": "http.disconnect"}  # the route stops reading: nothing more is buffered
            return message

        async def guarded_send(message: Message) -> None:
            if state["refused"]:
                return  # we already answered 413; whatever the route says after that is dropped
            if message["type"] == "http.response.start":
                state["started"] = True
                message["headers"] = self._with_headers(message.get("headers") or [])
            await send(message)

        try:
            await self.app(scope, limited_receive, guarded_send)
        except Exception:
            if state["refused"]:
                return  # the route failed because we cut its body off: answered already
            raise

    def _with_headers(self, headers: Any) -> list[tuple[bytes, bytes]]:
        out = list(headers)
        present = {name.lower() for name, _ in out}
        out.extend((name, value) for name, value in self.policy.headers if name not in present)
        return out

    async def _respond(self, send: Send, status: int, text: str, *, json_body: bool = False) -> None:
        """Answer with `{"detail": text}` (or `text` itself when it is JSON already) and close."""
        body = text.encode() if json_body else json.dumps({"detail": text}).encode()
        headers = self._with_headers(
            [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ]
        )
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    async def _refuse_websocket(self, scope: Scope, send: Send, status: int, text: str) -> None:
        if "websocket.http.response" in (scope.get("extensions") or {}):
            body = json.dumps({"detail": text}).encode()
            headers = self._with_headers(
                [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
            )
            await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
            await send({"type": "websocket.http.response.body", "body": body})
        else:
            await send({"type": "websocket.close", "code": 1008})  # before accept: the server answers 403


def _observability(path: str) -> bool:
    """`/readyz` and the others, also under a root path (`CHAINLIT_ROOT_PATH=/chat` → `/chat/readyz`)."""
    return any(path == p or path.endswith(p) for p in OBSERVABILITY_PATHS)


def _too_large(limit: int) -> str:
    message = f"The request body is larger than this server accepts ({limit} bytes, MAX_REQUEST_BYTES)."
    return json.dumps(
        {
            "error": {"message": message, "type": "invalid_request_error", "param": None, "code": "request_too_large"},
            "detail": message,
        }
    )


def is_local_request(scope: Scope, bound_to_loopback: bool) -> bool:
    """`policy.is_local_caller` for an ASGI scope."""
    client = (scope.get("client") or (None,))[0]
    return is_local_caller(client, _headers(scope), bound_to_loopback)
