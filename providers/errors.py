"""Errors a chat can end with, and the one place foreign exceptions are translated.

    ChatError                      anything that stops an answer at run time
    ├── ProviderUnavailable        could not reach the backend (connection refused, DNS, closed)
    │   └── ProviderTimeout        connect, first-token or read deadline passed
    ├── ProviderRejected           the backend answered with an error status
    │   ├── AuthenticationFailed   401/403: wrong or missing key
    │   ├── ModelNotFound          404: unknown model or deployment
    │   └── RateLimited            429
    ├── ContextTooLong             the prompt cannot fit the model's window even trimmed
    ├── EngineError                the local engine failed while generating
    │   └── StreamUnreadable       a remote server sent a stream event that is not valid (malformed JSON, not an object)
    ├── NoRouteAvailable           every target failed or none may take this conversation
    └── TurnRefused                the turn was not started (chat/turn.py's gate)
        ├── InputRejected          the user's text cannot be sent: empty, too long, invalid characters
        ├── NotReady               no model is up yet (starting, or it failed to start)
        ├── Draining               the server is shutting down and takes no new turns
        └── Busy                   a concurrency limit is reached: one answer per chat, LIMIT_V1_CONCURRENCY per key

`ConfigError` (config.py) is apart: it is the operator's mistake, reported once at startup.
What each class reads as, in the chat and over /v1 (user text, HTTP status, OpenAI error code),
lives in one table: `chat/error_table.py`. A test walks this tree and fails on an unmapped class.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import openai

__all__ = [
    "AuthenticationFailed",
    "Busy",
    "ChatError",
    "ContextTooLong",
    "Draining",
    "EngineError",
    "InputRejected",
    "ModelNotFound",
    "NoRouteAvailable",
    "NotReady",
    "ProviderRejected",
    "ProviderTimeout",
    "ProviderUnavailable",
    "RateLimited",
    "StreamUnreadable",
    "TurnRefused",
    "map_foundry_errors",
    "map_openai_errors",
]


class ChatError(Exception):
    """Base of every run-time failure of a chat. `provider` names the backend that failed."""

    retryable: bool = False

    def __init__(self, message: str, *, provider: str = "") -> None:
        super().__init__(message)
        self.provider = provider


class ProviderUnavailable(ChatError):
    retryable = True


class ProviderTimeout(ProviderUnavailable):
    def __init__(self, message: str, *, provider: str = "", phase: str = "read") -> None:
        super().__init__(message, provider=provider)
        self.phase = phase
        """"connect", "first_token" or "read"."""
        # A model still prefilling after FIRST_TOKEN_TIMEOUT will not be faster on a second try: retrying
        # only multiplies the wait the operator set. Fall back to the next target (if any) at once.
        self.retryable = phase != "first_token"


class ProviderRejected(ChatError):
    def __init__(self, message: str, *, provider: str = "", status: int = 0) -> None:
        super().__init__(message, provider=provider)
        self.status = status
        self.retryable = status >= 500 or status in (408, 409)


class AuthenticationFailed(ProviderRejected):
    pass


class ModelNotFound(ProviderRejected):
    pass


class RateLimited(ProviderRejected):
    def __init__(self, message: str, *, provider: str = "", status: int = 429, retry_after: float | None = None) -> None:
        super().__init__(message, provider=provider, status=status)
        self.retryable = True
        self.retry_after = retry_after


class ContextTooLong(ChatError):
    pass


class EngineError(ChatError):
    pass


class StreamUnreadable(EngineError):
    """The server's fault, not this app's: restarting the app would not help."""


class NoRouteAvailable(ChatError):
    """Every attempt failed; `attempts` holds (target, error) pairs in order."""

    def __init__(self, message: str, *, attempts: list[tuple[str, ChatError]] | None = None) -> None:
        super().__init__(message, provider="router")
        self.attempts = attempts or []


class TurnRefused(ChatError):
    """The turn never reached a model; the message is already in words for the user."""


class InputRejected(TurnRefused, ValueError):
    """The message cannot be sent; the text says why. `index` is the message's position over /v1."""

    def __init__(self, message: str, *, index: int | None = None) -> None:
        super().__init__(message, provider="input")
        self.index = index


class NotReady(TurnRefused):
    """No model can answer yet: `state` is "starting" (with `progress`) or "failed"."""

    def __init__(self, reason: str, *, state: str, progress: float | None = None) -> None:
        super().__init__(reason, provider="runtime")
        self.state = state
        self.progress = progress


class Draining(TurnRefused):
    def __init__(self, message: str = "shutting down: finishing running answers") -> None:
        super().__init__(message, provider="runtime")


class Busy(TurnRefused):
    """A limit on concurrent work is reached (docs/limits.md); `retry_after` is a hint in seconds."""

    def __init__(self, message: str, *, retry_after: float = 1.0) -> None:
        super().__init__(message, provider="limits")
        self.retry_after = retry_after


def _short(text: object, limit: int = 200) -> str:
    from security.masking import scrub  # a foreign message may quote the URL, credentials and all

    line = scrub(" ".join(str(text).split()))
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _retry_after(exc: openai.APIStatusError) -> float | None:
    raw = exc.response.headers.get("retry-after") if exc.response is not None else None
    try:
        return float(raw) if raw else None
    except ValueError:
        return None


def _lost_connection(exc: BaseException) -> BaseException | None:
    """The aiohttp error under a "timeout" that was none: a refused, reset or dropped connection.

    The SDK's vendored aiohttp transport maps every `aiohttp.ClientConnectionError` (refused,
    reset, server gone) to httpx's `ConnectTimeout`; a real timeout is also an `asyncio.TimeoutError`.
    """
    aiohttp = sys.modules.get("aiohttp")
    seen: BaseException | None = exc
    for _ in range(8):  # the chain is short (SDK error ← httpx error ← aiohttp error); never loop
        if seen is None:
            return None
        if aiohttp is not None and isinstance(seen, aiohttp.ClientConnectionError) and not isinstance(seen, TimeoutError):
            return seen  # type: ignore[no-any-return]
        seen = seen.__cause__ or seen.__context__
    return None


@contextmanager
def map_openai_errors(provider: str) -> Iterator[None]:
    """Translate openai/httpx exceptions raised inside the block into the tree above."""
    # Imported here, not at module level: `openai` takes ~0.45 s to import, and the in-process
    # Foundry Local path never needs it (cold start, bench/bench_cold_start.py).
    import httpx2 as httpx  # the transport openai 3.x uses
    import openai

    try:
        yield
    except ChatError:
        raise
    except openai.APITimeoutError as exc:
        if (lost := _lost_connection(exc)) is not None:
            raise ProviderUnavailable(f"cannot connect: {_short(lost)}", provider=provider) from exc
        raise ProviderTimeout(f"timed out: {_short(exc)}", provider=provider) from exc
    except openai.APIConnectionError as exc:
        cause = exc.__cause__ or exc
        raise ProviderUnavailable(f"cannot connect: {_short(cause)}", provider=provider) from exc
    except openai.AuthenticationError as exc:
        raise AuthenticationFailed("the server refused the API key", provider=provider, status=exc.status_code) from exc
    except openai.PermissionDeniedError as exc:
        raise AuthenticationFailed("the server denied access", provider=provider, status=exc.status_code) from exc
    except openai.NotFoundError as exc:
        raise ModelNotFound(f"not found: {_short(exc.message)}", provider=provider, status=404) from exc
    except openai.RateLimitError as exc:
        raise RateLimited("rate limited", provider=provider, retry_after=_retry_after(exc)) from exc
    except openai.BadRequestError as exc:
        text = _short(exc.message)
        if "context" in text.lower() and ("length" in text.lower() or "window" in text.lower()):
            raise ContextTooLong(text, provider=provider) from exc
        raise ProviderRejected(f"bad request: {text}", provider=provider, status=400) from exc
    except openai.APIStatusError as exc:
        raise ProviderRejected(
            f"HTTP {exc.status_code}: {_short(exc.message)}", provider=provider, status=exc.status_code
        ) from exc
    except openai.APIError as exc:
        # Errors sent inside a 200 stream (`data: {"error": ...}`) arrive as bare APIError.
        raise EngineError(f"server error: {_short(exc.message)}", provider=provider) from exc
    except (openai.OpenAIError, openai.InvalidWebhookSignatureError) as exc:
        # The SDK's other failures (finish-reason checks, websocket, webhooks): the request did not succeed.
        raise ProviderRejected(f"{type(exc).__name__}: {_short(exc)}", provider=provider) from exc
    except httpx.TimeoutException as exc:
        if (lost := _lost_connection(exc)) is not None:
            raise ProviderUnavailable(f"connection lost: {_short(lost)}", provider=provider) from exc
        raise ProviderTimeout(f"timed out: {_short(exc)}", provider=provider) from exc
    except (httpx.TransportError, ConnectionError) as exc:
        raise ProviderUnavailable(f"connection lost: {_short(exc)}", provider=provider) from exc
    except asyncio.TimeoutError as exc:
        raise ProviderTimeout("timed out", provider=provider) from exc


@contextmanager
def map_foundry_errors(provider: str) -> Iterator[None]:
    """Translate foundry_local_sdk exceptions raised inside the block into the tree above."""
    from foundry_local_sdk import FoundryLocalException

    try:
        yield
    except ChatError:
        raise
    except FoundryLocalException as exc:
        text = _short(exc)
        low = text.lower()
        if "context" in low and ("exceed" in low or "too long" in low or "fit" in low):
            raise ContextTooLong(text, provider=provider) from exc
        raise EngineError(text, provider=provider) from exc
    except (RuntimeError, OSError, ValueError) as exc:
        raise EngineError(f"{type(exc).__name__}: {_short(exc)}", provider=provider) from exc
