"""OpenAI-shaped error responses, and the one mapping from chat errors to HTTP statuses."""

from __future__ import annotations

import json

from fastapi.responses import JSONResponse

from providers.errors import (
    AuthenticationFailed,
    ChatError,
    ContextTooLong,
    ModelNotFound,
    NoRouteAvailable,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)

__all__ = ["ApiError", "error_body", "error_response", "from_chat_error"]


class ApiError(Exception):
    """A request we answer with an OpenAI-style error."""

    def __init__(
        self, status: int, message: str, *, type: str = "invalid_request_error", param: str | None = None, code: str | None = None
    ) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type = type
        self.param = param
        self.code = code


def error_body(error: ApiError) -> dict[str, object]:
    return {"error": {"message": error.message, "type": error.type, "param": error.param, "code": error.code}}


def error_response(error: ApiError, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(error_body(error), status_code=error.status, headers=headers)


def sse_error(error: ApiError) -> str:
    return f"data: {json.dumps(error_body(error))}\n\n"


def from_chat_error(exc: ChatError) -> ApiError:
    """How each failure of the router reads to an API client."""
    if isinstance(exc, NoRouteAvailable):
        detail = "; ".join(f"{target}: {err}" for target, err in exc.attempts) or str(exc)
        return ApiError(503, f"No target could answer: {detail}", type="server_error", code="no_route_available")
    if isinstance(exc, ContextTooLong):
        return ApiError(400, str(exc), param="messages", code="context_length_exceeded")
    if isinstance(exc, RateLimited):
        return ApiError(429, f"Upstream rate limit: {exc}", type="rate_limit_error", code="rate_limit_exceeded")
    if isinstance(exc, ProviderTimeout):
        return ApiError(504, f"Upstream timed out: {exc}", type="server_error", code="upstream_timeout")
    if isinstance(exc, ModelNotFound):
        return ApiError(404, f"Upstream does not know the model: {exc}", param="model", code="model_not_found")
    if isinstance(exc, AuthenticationFailed):
        return ApiError(502, f"Upstream refused this server's credentials: {exc}", type="server_error", code="upstream_auth")
    if isinstance(exc, ProviderUnavailable):
        return ApiError(503, f"Upstream unavailable: {exc}", type="server_error", code="upstream_unavailable")
    if isinstance(exc, ProviderRejected):
        return ApiError(502, f"Upstream error: {exc}", type="server_error", code="upstream_error")
    return ApiError(500, f"The model failed: {exc}", type="server_error", code="engine_error")
