"""Parse and validate a `POST /v1/chat/completions` body as OpenAI's API does, with its error shape.

Hand-written rather than a pydantic model: FastAPI would answer 422 in its own shape, while
clients (the openai SDK, Open WebUI, LangChain) expect OpenAI's `{"error": {...}}` with a `param`.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from providers.base import ChatMessage, Role

from .errors import ApiError

__all__ = ["CompletionRequest", "MAX_BODY_BYTES", "parse_completion_request"]

MAX_BODY_BYTES = 1_048_576
MAX_MESSAGES = 2048
MAX_STOP = 4
ROLES: dict[str, Role] = {"system": "system", "developer": "system", "user": "user", "assistant": "assistant"}


@dataclass(frozen=True, slots=True)
class CompletionRequest:
    model: str
    messages: list[ChatMessage]
    stream: bool = False
    include_usage: bool = False
    temperature: float | None = None
    top_p: float | None = None
    max_tokens: int | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None
    user: str | None = None


def _bad(message: str, param: str | None = None, code: str | None = None) -> ApiError:
    return ApiError(400, message, param=param, code=code)


def _number(body: dict[str, Any], key: str, lo: float, hi: float) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise _bad(f"'{key}' must be a number", key, "invalid_type")
    if not lo <= value <= hi:
        raise _bad(f"'{key}' must be between {lo:g} and {hi:g}, got {value}", key, "invalid_value")
    return float(value)


def _integer(body: dict[str, Any], key: str, lo: int, hi: int) -> int | None:
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(f"'{key}' must be an integer", key, "invalid_type")
    if not lo <= value <= hi:
        raise _bad(f"'{key}' must be between {lo} and {hi}, got {value}", key, "invalid_value")
    return value


def _content(raw: object, index: int) -> str:
    """Message content: a string, or a list of text parts (other part types are refused)."""
    param = f"messages[{index}].content"
    if isinstance(raw, str):
        text = raw
    elif isinstance(raw, list):
        pieces = []
        for part in raw:
            if not isinstance(part, dict) or part.get("type") != "text" or not isinstance(part.get("text"), str):
                raise _bad("only text content parts are supported", param, "invalid_content")
            pieces.append(part["text"])
        text = "".join(pieces)
    else:
        raise _bad("'content' must be a string or a list of text parts", param, "invalid_type")
    if "\x00" in text:
        raise _bad("content contains a NUL character", param, "invalid_value")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise _bad("content contains invalid characters (lone surrogates)", param, "invalid_value") from None
    return text


def _messages(raw: object) -> list[ChatMessage]:
    if not isinstance(raw, list) or not raw:
        raise _bad("'messages' must be a non-empty array", "messages", "invalid_type" if not isinstance(raw, list) else "empty_array")
    if len(raw) > MAX_MESSAGES:
        raise _bad(f"at most {MAX_MESSAGES} messages are accepted", "messages", "too_many_messages")
    out: list[ChatMessage] = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise _bad("each message must be an object", f"messages[{i}]", "invalid_type")
        role = item.get("role")
        if role not in ROLES:
            raise _bad(
                f"unsupported role {role!r}: use system, developer, user or assistant (tools are not supported)",
                f"messages[{i}].role",
                "invalid_value",
            )
        if item.get("tool_calls") or item.get("function_call"):
            raise _bad("tool calls are not supported", f"messages[{i}]", "unsupported_parameter")
        out.append(ChatMessage(ROLES[role], _content(item.get("content"), i)))
    if all(m.role == "system" for m in out):
        raise _bad("'messages' needs at least one user or assistant message", "messages", "invalid_value")
    return out


def parse_completion_request(raw_body: bytes) -> CompletionRequest:
    if len(raw_body) > MAX_BODY_BYTES:
        raise ApiError(413, f"request body is larger than {MAX_BODY_BYTES} bytes", code="request_too_large")
    try:
        body = json.loads(raw_body)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _bad(f"the body is not valid JSON: {exc.msg if hasattr(exc, 'msg') else exc}", None, "invalid_json") from None
    except RecursionError:
        raise _bad("the body is nested too deeply to parse", None, "invalid_json") from None
    except ValueError as exc:  # e.g. an integer longer than Python converts (4,300 digits)
        raise _bad(f"the body holds a value that cannot be parsed: {str(exc)[:120]}", None, "invalid_json") from None
    if not isinstance(body, dict):
        raise _bad("the body must be a JSON object", None, "invalid_json")
    model = body.get("model")
    if not isinstance(model, str) or not model.strip():
        raise _bad("you must provide a model parameter", "model", "missing_required_parameter")
    messages = _messages(body.get("messages"))
    stream = body.get("stream", False)
    if not isinstance(stream, bool) and stream is not None:
        raise _bad("'stream' must be a boolean", "stream", "invalid_type")
    options = body.get("stream_options")
    include_usage = False
    if options is not None:
        if not isinstance(options, dict):
            raise _bad("'stream_options' must be an object", "stream_options", "invalid_type")
        if not stream:
            raise _bad("'stream_options' is only allowed when 'stream' is true", "stream_options", "invalid_value")
        include_usage = bool(options.get("include_usage", False))
    n = body.get("n", 1)
    if n is not None and (isinstance(n, bool) or n != 1):
        raise _bad("only n=1 is supported: this gateway returns one choice per request", "n", "unsupported_value")
    for unsupported in ("tools", "functions", "tool_choice", "logprobs", "response_format"):
        value = body.get(unsupported)
        if value not in (None, False, [], {}) and not (unsupported == "response_format" and value == {"type": "text"}):
            raise _bad(f"'{unsupported}' is not supported by this gateway", unsupported, "unsupported_parameter")
    max_tokens = _integer(body, "max_completion_tokens", 1, 1_000_000)
    if max_tokens is None:
        max_tokens = _integer(body, "max_tokens", 1, 1_000_000)
    stop_raw = body.get("stop")
    if stop_raw is None:
        stop: tuple[str, ...] = ()
    elif isinstance(stop_raw, str):
        stop = (stop_raw,) if stop_raw else ()
    elif isinstance(stop_raw, list) and all(isinstance(s, str) for s in stop_raw) and len(stop_raw) <= MAX_STOP:
        stop = tuple(s for s in stop_raw if s)
    else:
        raise _bad(f"'stop' must be a string or an array of up to {MAX_STOP} strings", "stop", "invalid_type")
    user = body.get("user")
    if user is not None and not isinstance(user, str):
        raise _bad("'user' must be a string", "user", "invalid_type")
    return CompletionRequest(
        model=model.strip(),
        messages=messages,
        stream=bool(stream),
        include_usage=include_usage,
        temperature=_number(body, "temperature", 0.0, 2.0),
        top_p=_number(body, "top_p", 0.0, 1.0),
        max_tokens=max_tokens,
        stop=stop,
        seed=_integer(body, "seed", -(2**63), 2**63 - 1),
        user=user,
    )
