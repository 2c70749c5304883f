"""OpenAI-shaped error responses; the status and code of each chat error come from the error table."""

from __future__ import annotations

import json

from fastapi.responses import JSONResponse

from chat.error_table import row_for
from providers.errors import ChatError, InputRejected

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
    """How a failure reads to an API client: its row of the error table (`chat/error_table.py`)."""
    row = row_for(exc)
    param = row.param
    if isinstance(exc, InputRejected) and exc.index is not None:
        param = f"messages[{exc.index}].content"
    return ApiError(row.status, row.api(exc), type=row.type, param=param, code=row.code)
