"""An OpenAI-compatible API over the router, on the same server and port as the chat.

`GET /v1/models` lists the router's virtual models (`auto` and the policies) and the concrete
models behind them; `POST /v1/chat/completions` answers through the same router, policies,
privacy guard and failover as the chat UI, streaming (SSE) or not. The route decision comes
back in `x-route-*` headers. Errors use OpenAI's JSON shape and status codes.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from config import POLICIES, Settings
from health import metrics
from providers.base import ChatOptions, Chunk
from providers.errors import ChatError
from routing.decision import Decision

from .errors import ApiError, error_response, from_chat_error, sse_error
from .requests import MAX_BODY_BYTES, CompletionRequest, parse_completion_request

__all__ = ["bind", "router"]

log = logging.getLogger("foundry_chat.gateway")
router = APIRouter()
_bound: dict[str, Any] = {}


def bind(runtime: Any) -> None:
    _bound["runtime"] = runtime


def _settings() -> Settings:
    return _bound["runtime"].settings  # type: ignore[no-any-return]


def bound_to_loopback() -> bool:
    from chainlit.config import config

    host = (config.run.host or "127.0.0.1").strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _authorize(request: Request) -> None:
    keys = _settings().gateway_api_keys
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    if keys:
        if not any(hmac.compare_digest(token.encode(), key.get().encode()) for key in keys):
            raise ApiError(
                401,
                "Incorrect API key provided. Pass one of GATEWAY_API_KEYS as 'Authorization: Bearer <key>'.",
                type="invalid_request_error",
                code="invalid_api_key",
            )
    elif not bound_to_loopback():
        raise ApiError(
            401,
            "This gateway has no API keys (GATEWAY_API_KEYS) and the server is not bound to loopback, "
            "so it refuses every request. Set GATEWAY_API_KEYS.",
            code="gateway_keys_required",
        )


@dataclass(slots=True)
class _Answer:
    """One answer in flight: the router's stream after its first chunk, and the response identity."""

    runtime: Any
    stream: AsyncIterator[Chunk]
    first: Chunk
    decision: Decision | None
    parsed: CompletionRequest
    id: str
    created: int
    model: str

    @property
    def target(self) -> str:
        return self.decision.target if self.decision else "none"

    def usage(self) -> dict[str, int]:
        d = self.decision
        if d is None or d.completion_tokens is None:
            return {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
        prompt = d.prompt_tokens or 0
        return {"prompt_tokens": prompt, "completion_tokens": d.completion_tokens, "total_tokens": prompt + d.completion_tokens}


async def _catalog() -> dict[str, tuple[str, str | None, str]]:
    """Model id → (policy, concrete local model or None, owned_by)."""
    runtime = _bound["runtime"]
    settings: Settings = runtime.settings
    has_cloud = settings.cloud is not None
    out: dict[str, tuple[str, str | None, str]] = {"auto": (settings.routing.policy, None, "foundry-chat-router")}
    for policy in POLICIES:
        if policy == "auto" or (policy != "local" and not has_cloud):
            continue
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


def _route_headers(decision: Decision | None, request_id: str) -> dict[str, str]:
    headers = {"x-request-id": request_id}
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
    try:
        _authorize(request)
    except ApiError as exc:
        return error_response(exc)
    data = [
        {"id": model_id, "object": "model", "created": 0, "owned_by": owner, "policy": policy}
        for model_id, (policy, _, owner) in (await _catalog()).items()
    ]
    return JSONResponse({"object": "list", "data": data})


@router.post("/v1/chat/completions", include_in_schema=False)
async def chat_completions(request: Request) -> Response:
    request_id = uuid.uuid4().hex[:12]
    try:
        _authorize(request)
        parsed = parse_completion_request(await _read_body(request))
        runtime = _bound["runtime"]
        if runtime.draining:
            raise ApiError(503, "the server is shutting down; retry shortly", type="server_error", code="draining")
        if runtime.state != "ready" or runtime.router is None:
            reason = runtime.progress.text if runtime.state == "starting" else runtime.error
            raise ApiError(503, f"no model is ready: {reason}", type="server_error", code="not_ready")
        catalog = await _catalog()
        if parsed.model not in catalog:
            raise ApiError(
                404,
                f"The model '{parsed.model}' does not exist. Available: {', '.join(catalog)}",
                param="model",
                code="model_not_found",
            )
        policy, local_model, _ = catalog[parsed.model]
        options = ChatOptions(
            model=local_model,
            temperature=parsed.temperature,
            max_tokens=parsed.max_tokens or runtime.settings.max_tokens,
            top_p=parsed.top_p,
            stop=parsed.stop,
            seed=parsed.seed,
            policy=policy,
        )
        stream = runtime.router.stream(parsed.messages, options)
        runtime.stream_started()
        try:
            first = await anext(stream)
        except BaseException:
            runtime.stream_ended()
            await stream.aclose()
            raise
    except ApiError as exc:
        return error_response(exc, {"x-request-id": request_id})
    except ChatError as exc:
        log.warning("gateway %s: %s: %s", request_id, type(exc).__name__, exc)
        metrics.MESSAGES.labels(target="none", outcome="error").inc()
        return error_response(from_chat_error(exc), {"x-request-id": request_id})

    decision = first.route if isinstance(first.route, Decision) else None
    headers = _route_headers(decision, request_id)
    answer = _Answer(
        runtime,
        stream,
        first,
        decision,
        parsed,
        f"chatcmpl-{uuid.uuid4().hex}",
        int(time.time()),
        (decision.model if decision else None) or parsed.model,
    )
    log.info("gateway %s: %s → %s", request_id, parsed.model, decision.route_line() if decision else "?")
    if not parsed.stream:
        return await _complete(answer, headers)
    return StreamingResponse(
        _sse(answer), media_type="text/event-stream", headers={**headers, "Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    )


async def _complete(answer: _Answer, headers: dict[str, str]) -> Response:
    parts = [answer.first.text]
    finish = answer.first.finish_reason
    try:
        async with aclosing(answer.stream):  # type: ignore[type-var]
            async for chunk in answer.stream:
                parts.append(chunk.text)
                finish = chunk.finish_reason or finish
    except ChatError as exc:
        metrics.MESSAGES.labels(target=answer.target, outcome="error").inc()
        return error_response(from_chat_error(exc), headers)
    finally:
        answer.runtime.stream_ended()
    metrics.MESSAGES.labels(target=answer.target, outcome="ok").inc()
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

    outcome = "error"
    try:
        yield delta({"role": "assistant", "content": ""})
        finish = None
        async with aclosing(answer.stream):  # type: ignore[type-var]
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
        outcome = "ok"
        yield "data: [DONE]\n\n"
    except ChatError as exc:
        # After streaming began the status is already 200: one error event, then [DONE].
        log.warning("gateway: failed mid-stream: %s", exc)
        yield sse_error(from_chat_error(exc))
        yield "data: [DONE]\n\n"
    except BaseException:
        outcome = "stopped"  # the client went away: the router's stream is closed above
        raise
    finally:
        answer.runtime.stream_ended()
        metrics.MESSAGES.labels(target=answer.target, outcome=outcome).inc()
