"""The one error table: what each class of the error tree reads as, through either door.

Each row names the user's text in the chat, and the HTTP status, OpenAI error `type` and `code`
(with the API's message) for `/v1`. A class is looked up along its MRO, but every class of the
tree in `providers/errors.py` has its own row: `tests/unit/test_errors.py` walks the tree and
fails on a class without one, so a new error cannot silently fall to a parent's wording.

Unknown exceptions (bugs) are not in the table: the chat shows a generic line and logs the
traceback, `/v1` answers 500 `internal_error`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from providers.errors import (
    AuthenticationFailed,
    Busy,
    ChatError,
    ContextTooLong,
    Draining,
    EngineError,
    InputRejected,
    ModelNotFound,
    NoRouteAvailable,
    NotReady,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    StreamUnreadable,
    TurnRefused,
)

__all__ = ["ERRORS", "ErrorRow", "UNKNOWN_USER_TEXT", "row_for", "user_text"]

UNKNOWN_USER_TEXT = "Something went wrong while answering. The error was logged; please try again."


@dataclass(frozen=True, slots=True)
class ErrorRow:
    user: Callable[[ChatError], str]
    """The chat's text: what failed, what to do."""
    status: int
    type: str
    """OpenAI's error `type`: invalid_request_error, rate_limit_error or server_error."""
    code: str
    api: Callable[[ChatError], str]
    """The API's message (for developers: the cause, without advice for chat users)."""
    param: str | None = None


def _where(exc: ChatError) -> str:
    return exc.provider or "the model"


_TIMEOUT_SETTING = {"connect": "CONNECT_TIMEOUT", "first_token": "FIRST_TOKEN_TIMEOUT"}


def _timeout(exc: ChatError) -> str:
    phase = getattr(exc, "phase", "read")
    if phase == "first_token":
        return (
            f"{_where(exc)} did not start answering in time ({exc}). The model may still be reading a long "
            "prompt or be overloaded; try again, or raise FIRST_TOKEN_TIMEOUT (CLOUD_FIRST_TOKEN_TIMEOUT for the cloud)."
        )
    doing = "connecting to" if phase == "connect" else "reading from"
    setting = _TIMEOUT_SETTING.get(phase, "READ_TIMEOUT")
    return f"Timed out {doing} {_where(exc)} ({exc}). The model may be overloaded; try again, or raise {setting}."


_ENDPOINT_SETTING = {"cloud": "CLOUD_BASE_URL", "azure-openai": "AZURE_OPENAI_ENDPOINT"}


def _unavailable(exc: ChatError) -> str:
    setting = _ENDPOINT_SETTING.get(exc.provider, "BASE_URL")
    return f"Could not reach {_where(exc)} ({exc}). Check that the server is running and {setting} is right, then try again."


def _rate_limited(exc: ChatError) -> str:
    retry_after = getattr(exc, "retry_after", None)
    wait = f" Wait about {retry_after:g} s" if retry_after else " Wait a moment"
    return f"{_where(exc)} is rate-limiting requests.{wait} and try again."


def _no_route(exc: ChatError) -> str:
    attempts = getattr(exc, "attempts", [])
    if not attempts:
        return f"No model can answer: {exc}"
    lines = [f"No model could answer. {exc}"] if str(exc) else ["No model could answer."]
    lines += [f"- {target}: {user_text(err)}" for target, err in attempts]
    return "\n".join(lines)


def _no_route_api(exc: ChatError) -> str:
    attempts = getattr(exc, "attempts", [])
    return "No target could answer: " + ("; ".join(f"{target}: {err}" for target, err in attempts) or str(exc))


def _not_ready(exc: ChatError) -> str:
    return f"The model is not ready yet ({exc}). Try again in a moment."


_DRAINING = (
    "The server is restarting and not taking new messages. Your message is still here: send it again in a moment."
)


def _said(prefix: str) -> Callable[[ChatError], str]:
    return lambda exc: f"{prefix}{exc}"


ERRORS: dict[type[ChatError], ErrorRow] = {
    ChatError: ErrorRow(
        lambda e: f"The answer failed ({e}). Try again.",
        500,
        "server_error",
        "engine_error",
        _said("The model failed: "),
    ),
    ProviderUnavailable: ErrorRow(
        _unavailable,
        503,
        "server_error",
        "upstream_unavailable",
        _said("Upstream unavailable: "),
    ),
    ProviderTimeout: ErrorRow(_timeout, 504, "server_error", "upstream_timeout", _said("Upstream timed out: ")),
    ProviderRejected: ErrorRow(
        lambda e: f"{_where(e)} rejected the request ({e}). Try again; if it persists, check the server's logs.",
        502,
        "server_error",
        "upstream_error",
        _said("Upstream error: "),
    ),
    AuthenticationFailed: ErrorRow(
        lambda e: f"{_where(e)} refused the credentials. Check the API key setting and restart the app.",
        502,
        "server_error",
        "upstream_auth",
        _said("Upstream refused this server's credentials: "),
    ),
    ModelNotFound: ErrorRow(
        lambda e: f"{_where(e)} does not know the chosen model ({e}). Pick another model in the chat settings.",
        404,
        "invalid_request_error",
        "model_not_found",
        _said("Upstream does not know the model: "),
        "model",
    ),
    RateLimited: ErrorRow(
        _rate_limited, 429, "rate_limit_error", "rate_limit_exceeded", _said("Upstream rate limit: ")
    ),
    ContextTooLong: ErrorRow(
        lambda e: f"The message is too long for the model's context window ({e}). Shorten it or start a new chat.",
        400,
        "invalid_request_error",
        "context_length_exceeded",
        str,
        "messages",
    ),
    EngineError: ErrorRow(
        lambda e: f"The local model failed while answering ({e}). Try again; if it repeats, restart the app.",
        500,
        "server_error",
        "engine_error",
        _said("The model failed: "),
    ),
    StreamUnreadable: ErrorRow(
        lambda e: f"{_where(e)} sent an answer that could not be read ({e}). Try again; if it repeats, check that server's logs.",
        502,
        "server_error",
        "upstream_error",
        _said("Upstream sent an unreadable stream: "),
    ),
    NoRouteAvailable: ErrorRow(_no_route, 503, "server_error", "no_route_available", _no_route_api),
    TurnRefused: ErrorRow(str, 503, "server_error", "refused", str),
    InputRejected: ErrorRow(str, 400, "invalid_request_error", "invalid_input", str, "messages"),
    NotReady: ErrorRow(_not_ready, 503, "server_error", "not_ready", _said("no model is ready: ")),
    Busy: ErrorRow(str, 429, "rate_limit_error", "too_many_concurrent_requests", str),
    Draining: ErrorRow(
        lambda e: _DRAINING, 503, "server_error", "draining", lambda e: "the server is shutting down; retry shortly"
    ),
}


def row_for(exc: ChatError) -> ErrorRow:
    """The row of the nearest class in `exc`'s MRO (ChatError's own row at worst)."""
    for cls in type(exc).__mro__:
        row = ERRORS.get(cls)
        if row is not None:
            return row
    return ERRORS[ChatError]


def user_text(exc: BaseException) -> str:
    """The chat's text for any exception; unknown ones get a generic line (details go to the log)."""
    if isinstance(exc, ChatError):
        return row_for(exc).user(exc)
    return UNKNOWN_USER_TEXT
