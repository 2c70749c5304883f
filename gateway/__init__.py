"""An OpenAI-compatible API over the router, on the same server and port as the chat.

`GET /v1/models` lists the router's virtual models (`auto` and the policies) and the concrete
models behind them; `POST /v1/chat/completions` answers through the same router, policies,
privacy guard and failover as the chat UI, streaming (SSE) or not. The route decision comes
back in `x-route-*` headers. Errors use OpenAI's JSON shape and status codes.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import json
import logging
import time
import uuid
import weakref
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from chat.turn import Turn, TurnService
from config import Settings, available_policies
from providers.base import ChatOptions, Chunk
from providers.errors import Busy, ChatError
from routing.decision import Decision

from .errors import ApiError, error_response, from_chat_error, sse_error
from .requests import MAX_BODY_BYTES, CompletionRequest, parse_completion_request

__all__ = ["bound_to_loopback", "router"]

log = logging.getLogger("foundry_chat.gateway")
router = APIRouter()


def _runtime(request: Request) -> Any:
    """The app's runtime, set on `app.state` by `server.install_routes` (no module globals)."""
    return request.app.state.runtime


def bound_to_loopback() -> bool:
    from chainlit.config import config

    host = (config.run.host or "127.0.0.1").strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    return header[7:].strip() if header.lower().startswith("bearer ") else ""


def _signed_in(request: Request, token: str) -> bool:
    """Whether the request carries a valid Chainlit login (the page's `access_token` cookie, or its JWT as bearer)."""
    from chainlit.auth.cookie import get_token_from_cookies
    from chainlit.auth.jwt import decode_jwt

    revocations = getattr(request.app.state, "revocations", None)  # sign-out's deny-list (storage/revocation.py)
    for candidate in (get_token_from_cookies(request.cookies), token):
        if not candidate or candidate.count(".") != 2:
            continue
        if revocations is not None and revocations.revoked(candidate):
            continue
        try:
            decode_jwt(candidate)  # signature and expiry, with CHAINLIT_AUTH_SECRET
        except Exception:  # noqa: S112  # any invalid token is simply not a login
            continue
        return True
    return False


def _authorize(request: Request, settings: Settings) -> None:
    """Who may use /v1 (docs/security.md):

    1. a bearer key from GATEWAY_API_KEYS, always;
    2. with sign-in on, also the caller's signed-in session; nothing else;
    3. with sign-in off and no keys, keyless callers only with GATEWAY_KEYLESS=on, and only when
       they are local: server bound to loopback, loopback peer, no forwarding headers.
    """
    from security.middleware import SecurityPolicy, is_local_request

    keys = settings.gateway_api_keys
    token = _bearer(request)
    if keys and token and any(hmac.compare_digest(token.encode(), key.get().encode()) for key in keys):
        return
    policy: SecurityPolicy | None = getattr(request.app.state, "security", None)
    sign_in = policy.sign_in if policy is not None else False
    if sign_in:
        if _signed_in(request, token):
            return
        raise ApiError(
            401,
            "Sign in to the chat first, or pass one of GATEWAY_API_KEYS as 'Authorization: Bearer <key>'.",
            type="invalid_request_error",
            code="invalid_api_key" if token else "authentication_required",
        )
    if keys:
        raise ApiError(
            401,
            "Incorrect API key provided. Pass one of GATEWAY_API_KEYS as 'Authorization: Bearer <key>'.",
            type="invalid_request_error",
            code="invalid_api_key",
        )
    keyless = policy.settings.gateway_keyless if policy is not None else False
    if keyless and is_local_request(request.scope, bound_to_loopback()):
        return
    why = (
        "it only answers keyless callers on this machine (bound to loopback, no X-Forwarded-For/Forwarded/X-Real-IP)"
        if keyless
        else "keyless access is off (GATEWAY_KEYLESS)"
    )
    raise ApiError(401, f"This gateway has no API keys (GATEWAY_API_KEYS) and {why}. Set GATEWAY_API_KEYS.", code="gateway_keys_required")


def _require_json(request: Request) -> None:
    """Only `application/json` bodies: a cross-site form or `text/plain` POST is refused before it is read."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json" and not (kind.startswith("application/") and kind.endswith("+json")):
        raise ApiError(
            415,
            f"Content-Type must be application/json, got {kind[:60] or 'none'!r}.",
            type="invalid_request_error",
            code="unsupported_media_type",
        )


class _Slot:
    """One of the caller's LIMIT_V1_CONCURRENCY places, held until the answer is sent.

    Freed once, by whichever comes first: the end of the answer, the response's background task,
    or the slot being garbage-collected (a response that never started still frees its place).
    """

    def __init__(self, request: Request) -> None:
        from health import metrics
        from throttle import client_address

        limits = getattr(request.app.state, "limits", None)
        header = request.headers.get("authorization", "")
        # Keyed by a digest of the bearer key (never the key itself), else by the client's address.
        key = "key:" + hashlib.sha256(header.encode()).hexdigest()[:16] if header else "addr:" + client_address(request.scope)
        if limits is not None and not limits.v1.try_acquire(key):
            metrics.LIMIT_REFUSALS.labels("v1_concurrency").inc()
            raise Busy(
                f"Too many concurrent requests for this API key (limit {limits.v1.cap}, LIMIT_V1_CONCURRENCY); "
                "retry when one of them has finished."
            )
        if limits is not None:
            metrics.V1_IN_FLIGHT.inc()
        self._free = weakref.finalize(self, _free_slot, limits, key)

    def release(self) -> None:
        self._free()


def _free_slot(limits: Any, key: str) -> None:
    if limits is not None:
        from health import metrics

        limits.v1.release(key)
        metrics.V1_IN_FLIGHT.dec()


@dataclass(slots=True)
class _Answer:
    """One answer in flight: the turn's stream after its first chunk, and the response identity."""

    turn: Turn
    stream: AsyncGenerator[Chunk, None]
    first: Chunk
    parsed: CompletionRequest
    id: str
    created: int
    model: str

    @property
    def decision(self) -> Decision | None:
        return self.turn.decision

    def usage(self) -> dict[str, int]:
        d = self.decision
        if d is None or d.completion_tokens is None:
            return {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        prompt = d.prompt_tokens or 0
        return {"prompt_tokens": prompt, "completion_tokens": d.completion_tokens, "total_tokens": prompt + d.completion_tokens}


async def _catalog(runtime: Any) -> dict[str, tuple[str, str | None, str]]:
    """Model id → (policy, concrete local model or None, owned_by)."""
    settings: Settings = runtime.settings
    out: dict[str, tuple[str, str | None, str]] = {"auto": (settings.routing.policy, None, "foundry-chat-router")}
    for policy in available_policies(settings.cloud is not None):
        if policy != "auto":
            out[policy] = (policy, None, "foundry-chat-router")
    if runtime.router is not None:
        try:
            for model in await runtime.router.list_models():
                out.setdefault(model.id, ("local", model.id, "local"))
        except ChatError as exc:
            log.warning("gateway: listing local models failed: %s", exc)
    if settings.cloud is not None:
        out.setdefault(settings.cloud.model, ("cloud", None, "cloud"))
    return out


async def _read_body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise ApiError(413, f"request body is larger than {MAX_BODY_BYTES} bytes", code="request_too_large")
    body = bytearray()
    async for piece in request.stream():
        body += piece
        if len(body) > MAX_BODY_BYTES:
            raise ApiError(413, f"request body is larger than {MAX_BODY_BYTES} bytes", code="request_too_large")
    return bytes(body)


def _route_headers(turn: Turn) -> dict[str, str]:
    headers = {"x-request-id": turn.request_id}
    if turn.dropped:
        headers["x-trimmed-messages"] = str(turn.dropped)  # left out to fit the context window, as the chat says
    decision = turn.decision
    if decision is not None:
        headers["x-route-target"] = decision.target
        headers["x-route-policy"] = decision.policy
        headers["x-route-reason"] = _header_safe(decision.reason or decision.policy)
        if decision.model:
            headers["x-route-model"] = _header_safe(decision.model)
    return headers


def _header_safe(value: str) -> str:
    return value.encode("ascii", "replace").decode().replace("\r", " ").replace("\n", " ")[:200]


@router.get("/v1/models", include_in_schema=False)
async def list_models(request: Request) -> Response:
    runtime = _runtime(request)
    try:
        _authorize(request, runtime.settings)
    except ApiError as exc:
        return error_response(exc)
    data = [
        {"id": model_id, "object": "model", "created": 0, "owned_by": owner, "policy": policy}
        for model_id, (policy, _, owner) in (await _catalog(runtime)).items()
    ]
    return JSONResponse({"object": "list", "data": data})


@router.post("/v1/chat/completions", include_in_schema=False)
async def chat_completions(request: Request) -> Response:
    """The API's door to the turn service (chat/turn.py): OpenAI's JSON in, OpenAI's JSON or SSE out."""
    runtime = _runtime(request)
    turns: TurnService = request.app.state.turns
    request_id = uuid.uuid4().hex[:12]
    slot: _Slot | None = None
    try:
        _authorize(request, runtime.settings)
        _require_json(request)
        slot = _Slot(request)
        parsed = parse_completion_request(await _read_body(request))
        entry = (await _catalog(runtime)).get(parsed.model)
        policy, local_model, _ = entry or ("local", None, "")
        options = ChatOptions(
            model=local_model,
            temperature=parsed.temperature,
            max_tokens=parsed.max_tokens or runtime.settings.max_tokens,
            top_p=parsed.top_p,
            stop=parsed.stop,
            seed=parsed.seed,
            policy=policy,
        )
        turn = turns.prepare("gateway", parsed.messages, options, request_id=request_id)  # cleaned, limited, gated
        if entry is None:
            raise _unknown_model(parsed.model, await _catalog(runtime))
        stream = turn.stream()
        try:
            first = await anext(stream)
        except BaseException:
            await stream.aclose()
            raise
    except ApiError as exc:
        if slot is not None:
            slot.release()
        return error_response(exc, {"x-request-id": request_id})
    except ChatError as exc:
        if slot is not None:
            slot.release()
        log.warning("gateway %s: %s: %s", request_id, type(exc).__name__, exc)
        headers = {"x-request-id": request_id}
        if isinstance(exc, Busy):
            headers["Retry-After"] = str(max(1, round(exc.retry_after)))
        return error_response(from_chat_error(exc), headers)
    except BaseException:
        if slot is not None:
            slot.release()
        raise

    assert slot is not None
    try:
        return await _respond(turn, stream, first, parsed, slot)
    except BaseException:
        slot.release()
        raise


async def _respond(
    turn: Turn, stream: AsyncGenerator[Chunk, None], first: Chunk, parsed: CompletionRequest, slot: _Slot
) -> Response:
    decision = turn.decision
    headers = _route_headers(turn)
    model = (decision.model if decision else None) or parsed.model
    answer = _Answer(turn, stream, first, parsed, f"chatcmpl-{uuid.uuid4().hex}", int(time.time()), model)
    log.info("gateway %s: %s → %s", turn.request_id, parsed.model, decision.route_line() if decision else "?")
    if not parsed.stream:
        try:
            return await _complete(answer, headers)
        finally:
            slot.release()
    return StreamingResponse(
        _released(_sse(answer), slot),
        media_type="text/event-stream",
        headers={**headers, "Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        background=BackgroundTask(slot.release),  # a backstop: a response never iterated still frees its slot
    )


async def _released(body: AsyncIterator[str], slot: _Slot) -> AsyncIterator[str]:
    """`body`, then the caller's concurrency slot freed, however the stream ends (a client gone too)."""
    try:
        async for piece in body:
            yield piece
    finally:
        slot.release()


def _unknown_model(model: str, catalog: dict[str, tuple[str, str | None, str]]) -> ApiError:
    return ApiError(
        404, f"The model '{model}' does not exist. Available: {', '.join(catalog)}", param="model", code="model_not_found"
    )


async def _complete(answer: _Answer, headers: dict[str, str]) -> Response:
    parts = [answer.first.text]
    finish = answer.first.finish_reason
    try:
        async with aclosing(answer.stream):
            async for chunk in answer.stream:
                parts.append(chunk.text)
                finish = chunk.finish_reason or finish
    except ChatError as exc:
        return error_response(from_chat_error(exc), headers)
    message = {"role": "assistant", "content": "".join(parts)}
    body: dict[str, Any] = {
        "id": answer.id,
        "object": "chat.completion",
        "created": answer.created,
        "model": answer.model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish or "stop", "logprobs": None}],
        "usage": answer.usage(),
    }
    if answer.decision is not None:
        body["route"] = answer.decision.as_dict()
    return JSONResponse(body, headers=headers)


async def _sse(answer: _Answer) -> AsyncIterator[str]:
    def event(choices: list[dict[str, Any]], **extra: Any) -> str:
        payload = {"id": answer.id, "object": "chat.completion.chunk", "created": answer.created, "model": answer.model}
        return f"data: {json.dumps({**payload, 'choices': choices, **extra}, ensure_ascii=False)}\n\n"

    def delta(content: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        return event([{"index": 0, "delta": content, "finish_reason": finish, "logprobs": None}], **extra)

    try:
        yield delta({"role": "assistant", "content": ""})
        finish = None
        async with aclosing(answer.stream):
            chunk: Chunk | None = answer.first
            while chunk is not None:
                if chunk.text:
                    yield delta({"content": chunk.text})
                finish = chunk.finish_reason or finish
                chunk = await anext(answer.stream, None)
        final = {"route": answer.decision.as_dict()} if answer.decision is not None else {}
        yield delta({}, finish or "stop", **final)
        if answer.parsed.include_usage:
            yield event([], usage=answer.usage())
        yield "data: [DONE]\n\n"
    except ChatError as exc:
        # After streaming began the status is already 200: one error event, then [DONE].
        log.warning("gateway %s: failed mid-stream: %s", answer.turn.request_id, exc)
        yield sse_error(from_chat_error(exc))
        yield "data: [DONE]\n\n"
    # A client that goes away closes this generator, which closes the turn's stream above: the turn
    # counts it as stopped.
