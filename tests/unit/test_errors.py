"""Every foreign exception is mapped once, and every error becomes short user text."""

from __future__ import annotations

import aiohttp
import httpx2
import openai
import pytest

from chat.user_errors import user_text
from providers.errors import (
    AuthenticationFailed,
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
    map_foundry_errors,
    map_openai_errors,
)

REQUEST = httpx2.Request("POST", "http://127.0.0.1/v1/chat/completions")


def status_error(cls: type[openai.APIStatusError], status: int, headers: dict[str, str] | None = None) -> openai.APIStatusError:
    response = httpx2.Response(status, request=REQUEST, headers=headers or {}, json={"error": {"message": "boom"}})
    try:
        return cls("boom", response=response, body=None)
    except TypeError:  # e.g. OAuthError takes only keywords
        return cls(response=response, body=None)  # type: ignore[call-arg]


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
    NotReady("loading phi-4-mini", state="starting"),
    Draining(),
    InputRejected("The message is empty. Type something to send."),
]


@pytest.mark.parametrize("error", ALL_ERRORS, ids=lambda e: type(e).__name__)
def test_user_text_is_short_and_actionable(error: ChatError) -> None:
    text = user_text(error)
    assert text and "Traceback" not in text and len(text) < 600
    assert any(word in text.lower() for word in ("try", "check", "pick", "shorten", "wait", "restart", "fix", "type", "again"))


def test_unknown_error_text_hides_details() -> None:
    text = user_text(RuntimeError("secret internal detail"))
    assert "secret internal detail" not in text


def _tree(root: type[BaseException]) -> set[type[BaseException]]:
    found = {root}
    for sub in root.__subclasses__():
        found |= _tree(sub)
    return found


def test_every_class_of_the_tree_has_its_own_row() -> None:
    """Walk the tree (not a list kept by hand): a new ChatError subclass without a row fails here."""
    import providers.errors as errors_module
    from chat.error_table import ERRORS

    ours = {c for c in _tree(ChatError) if c.__module__ == errors_module.__name__}
    assert len(ours) >= 14
    assert ours <= set(ERRORS), sorted(c.__name__ for c in ours - set(ERRORS))
    for cls, row in ERRORS.items():
        assert 400 <= row.status < 600 and row.code, cls
        assert row.type in ("invalid_request_error", "rate_limit_error", "server_error"), cls


def _exported_exceptions(module: object) -> list[type[BaseException]]:
    import inspect

    return sorted(
        (v for k, v in list(vars(module).items()) if not k.startswith("_") and inspect.isclass(v) and issubclass(v, BaseException)),
        key=lambda c: c.__name__,
    )


def _instance(cls: type[BaseException]) -> BaseException:
    """Any exported exception class, built the way the SDK would raise it (status errors with a response)."""
    if issubclass(cls, openai.APIStatusError):
        status = {openai.ConflictError: 409, openai.UnprocessableEntityError: 422}.get(cls, 500)  # type: ignore[call-overload]
        return status_error(cls, status)
    exc = cls.__new__(cls)
    BaseException.__init__(exc, "boom")
    for attr, value in {"message": "boom", "request": REQUEST, "body": None, "code": None, "response": None}.items():
        try:
            setattr(exc, attr, value)
        except AttributeError:
            pass
    return exc


@pytest.mark.parametrize("cls", _exported_exceptions(openai), ids=lambda c: c.__name__)
def test_every_openai_exception_is_mapped(cls: type[BaseException]) -> None:
    from chat.error_table import ERRORS, row_for

    with pytest.raises(ChatError) as info, map_openai_errors("srv"):
        raise _instance(cls)
    assert type(info.value) in ERRORS and row_for(info.value).code


def _foundry_exceptions() -> list[type[BaseException]]:
    import importlib
    import pkgutil

    import foundry_local_sdk

    modules = [foundry_local_sdk]
    for info in pkgutil.iter_modules(foundry_local_sdk.__path__):
        if not info.name.startswith("_"):
            modules.append(importlib.import_module(f"foundry_local_sdk.{info.name}"))
    found = {c for m in modules for c in _exported_exceptions(m) if c.__module__.startswith("foundry_local_sdk")}
    return sorted(found, key=lambda c: c.__name__)


def test_the_foundry_walk_finds_the_sdk_exception() -> None:
    assert "FoundryLocalException" in {c.__name__ for c in _foundry_exceptions()}


@pytest.mark.parametrize("cls", _foundry_exceptions(), ids=lambda c: c.__name__)
def test_every_foundry_exception_is_mapped(cls: type[BaseException]) -> None:
    from chat.error_table import ERRORS

    with pytest.raises(ChatError) as info, map_foundry_errors("fl"):
        raise _instance(cls)
    assert type(info.value) in ERRORS


@pytest.mark.parametrize("cls", sorted(_tree(ChatError), key=lambda c: c.__name__), ids=lambda c: c.__name__)
def test_both_doors_read_the_same_row(cls: type[ChatError]) -> None:
    from chat.error_table import row_for
    from gateway.errors import from_chat_error

    exc = cls.__new__(cls)
    ChatError.__init__(exc, "boom", provider="local")
    for attr, value in {"phase": "read", "status": 500, "retry_after": None, "attempts": [], "index": None, "state": "failed"}.items():
        setattr(exc, attr, value)
    api = from_chat_error(exc)
    row = row_for(exc)
    assert (api.status, api.code, api.type) == (row.status, row.code, row.type)
    assert user_text(exc) and "Traceback" not in user_text(exc)


def test_input_rejected_names_the_message_over_the_api() -> None:
    from chat.inputs import InputRejected
    from gateway.errors import from_chat_error

    api = from_chat_error(InputRejected("too long", index=3))
    assert (api.status, api.param, api.code) == (400, "messages[3].content", "invalid_input")


def test_unreachable_cloud_names_its_own_setting() -> None:
    from chat.error_table import user_text

    assert "CLOUD_BASE_URL" in user_text(ProviderUnavailable("refused", provider="cloud"))
    assert "AZURE_OPENAI_ENDPOINT" in user_text(ProviderUnavailable("refused", provider="azure-openai"))
    assert "and BASE_URL is right" in user_text(ProviderUnavailable("refused", provider="local"))


def _chained(*errors: BaseException) -> BaseException:
    """`errors[0]` raised from `errors[1]` raised from …, as the SDK's transport chains them."""
    for outer, inner in zip(errors, errors[1:], strict=False):
        outer.__cause__ = inner
    return errors[0]


@pytest.mark.parametrize(
    ("raised", "expected", "says"),
    [
        # the vendored aiohttp transport calls a refused connection a ConnectTimeout; the SDK then an APITimeoutError
        (lambda: _chained(openai.APITimeoutError(REQUEST), httpx2.ConnectTimeout("x"), _refused()), ProviderUnavailable, "cannot connect"),
        # the same for a server that went away mid-stream (read by us, outside the SDK)
        (lambda: _chained(httpx2.ConnectTimeout("x"), aiohttp.ServerDisconnectedError()), ProviderUnavailable, "connection lost"),
        # a real timeout stays one
        (lambda: _chained(openai.APITimeoutError(REQUEST), httpx2.ConnectTimeout("x"), aiohttp.ConnectionTimeoutError()), ProviderTimeout, "timed out"),
        (lambda: _chained(httpx2.ReadTimeout("x"), aiohttp.SocketTimeoutError()), ProviderTimeout, "timed out"),
        (lambda: openai.APITimeoutError(REQUEST), ProviderTimeout, "timed out"),
    ],
)
def test_a_lost_connection_under_a_timeout_is_called_what_it_is(raised: object, expected: type[ChatError], says: str) -> None:
    with pytest.raises(expected, match=says):
        with map_openai_errors("local"):
            raise raised()  # type: ignore[operator]


def _refused() -> BaseException:
    key = aiohttp.client_reqrep.ConnectionKey("127.0.0.1", 9, False, True, None, None, None)
    return aiohttp.ClientConnectorError(key, ConnectionRefusedError(111, "Connection refused"))
