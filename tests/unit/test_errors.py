"""Every foreign exception is mapped once, and every error becomes short user text."""

from __future__ import annotations

import httpx2
import openai
import pytest

from chat.user_errors import user_text
from providers.errors import (
    AuthenticationFailed,
    ChatError,
    ContextTooLong,
    EngineError,
    ModelNotFound,
    NoRouteAvailable,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
    map_foundry_errors,
    map_openai_errors,
)

REQUEST = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")


def status_error(cls: type[openai.APIStatusError], status: int, headers: dict[str, str] | None = None) -> openai.APIStatusError:
    response = httpx2.Response(status, request=REQUEST, headers=headers or {}, json={"error": {"message": "boom"}})
    return cls("boom", response=response, body=None)


@pytest.mark.parametrize(
    ("raised", "expected"),
    [
        (openai.APITimeoutError(request=REQUEST), ProviderTimeout),
        (openai.APIConnectionError(request=REQUEST), ProviderUnavailable),
        (status_error(openai.AuthenticationError, 401), AuthenticationFailed),
        (status_error(openai.PermissionDeniedError, 403), AuthenticationFailed),
        (status_error(openai.NotFoundError, 404), ModelNotFound),
        (status_error(openai.RateLimitError, 429, {"retry-after": "3"}), RateLimited),
        (status_error(openai.BadRequestError, 400), ProviderRejected),
        (status_error(openai.InternalServerError, 500), ProviderRejected),
        (openai.APIError("stream error", request=REQUEST, body=None), EngineError),
        (httpx2.ReadTimeout("slow", request=REQUEST), ProviderTimeout),
        (httpx2.RemoteProtocolError("peer closed", request=REQUEST), ProviderUnavailable),
        (ConnectionResetError("reset"), ProviderUnavailable),
        (TimeoutError(), ProviderTimeout),
    ],
)
def test_openai_errors_mapped(raised: BaseException, expected: type[ChatError]) -> None:
    with pytest.raises(expected) as info, map_openai_errors("srv"):
        raise raised
    assert info.value.provider == "srv"
    assert type(info.value) is expected


def test_retryable_flags() -> None:
    with pytest.raises(ProviderRejected) as info, map_openai_errors("srv"):
        raise status_error(openai.InternalServerError, 503)
    assert info.value.retryable
    with pytest.raises(ProviderRejected) as info, map_openai_errors("srv"):
        raise status_error(openai.BadRequestError, 400)
    assert not info.value.retryable
    with pytest.raises(RateLimited) as rl, map_openai_errors("srv"):
        raise status_error(openai.RateLimitError, 429, {"retry-after": "3"})
    assert rl.value.retryable and rl.value.retry_after == 3.0


def test_unknown_exceptions_are_not_swallowed() -> None:
    with pytest.raises(KeyError), map_openai_errors("srv"):
        raise KeyError("bug")


def test_foundry_errors_mapped() -> None:
    from foundry_local_sdk import FoundryLocalException

    with pytest.raises(EngineError), map_foundry_errors("fl"):
        raise FoundryLocalException("native failure")
    with pytest.raises(ContextTooLong), map_foundry_errors("fl"):
        raise FoundryLocalException("prompt exceeds the context window")


ALL_ERRORS: list[ChatError] = [
    ProviderUnavailable("refused", provider="local"),
    ProviderTimeout("slow", provider="local", phase="first_token"),
    AuthenticationFailed("no", provider="cloud", status=401),
    ModelNotFound("x", provider="local", status=404),
    RateLimited("slow down", provider="cloud", retry_after=2),
    ProviderRejected("HTTP 500", provider="local", status=500),
    ContextTooLong("too long"),
    EngineError("native"),
    NoRouteAvailable("", attempts=[("local", ProviderUnavailable("refused", provider="local"))]),
]


@pytest.mark.parametrize("error", ALL_ERRORS, ids=lambda e: type(e).__name__)
def test_user_text_is_short_and_actionable(error: ChatError) -> None:
    text = user_text(error)
    assert text and "Traceback" not in text and len(text) < 600
    assert any(word in text.lower() for word in ("try", "check", "pick", "shorten", "wait", "restart", "fix"))


def test_unknown_error_text_hides_details() -> None:
    text = user_text(RuntimeError("secret internal detail"))
    assert "secret internal detail" not in text


def test_every_error_class_has_user_text() -> None:
    """A new ChatError subclass without a branch in user_errors falls to the generic line: catch that."""
    import providers.errors as errors_module

    classes = {c for c in vars(errors_module).values() if isinstance(c, type) and issubclass(c, ChatError)}
    covered = {type(e) for e in ALL_ERRORS} | {ChatError}
    assert classes <= covered, classes - covered
