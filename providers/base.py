"""The one provider protocol every model backend implements, and the values it speaks in.

A provider streams `Chunk`s for a list of `ChatMessage`s, lists its models and reports its
health. Foundry Local in-process and OpenAI-compatible HTTP implement it; so does the router,
so callers cannot tell a router from a backend.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

__all__ = [
    "ChatMessage",
    "ChatOptions",
    "Chunk",
    "Health",
    "ModelInfo",
    "Provider",
    "Role",
    "Usage",
    "on_request_sent",
    "request_sent",
]

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class ChatOptions:
    """Per-request generation options; None means "the provider's default"."""

    model: str | None = None
    temperature: float | None = None
    max_tokens: int | None = None
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    seed: int | None = None
    policy: str | None = None
    """Routing policy for this request (the router's default when None); plain providers ignore it."""
    privacy_texts: tuple[str, ...] = ()
    """Earlier turns left out by trimming: not sent, but the privacy guard still counts them."""


@dataclass(frozen=True, slots=True)
class Usage:
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@dataclass(frozen=True, slots=True)
class Chunk:
    """A piece of a streamed answer. The last chunk may carry only `finish_reason` and `usage`."""

    text: str = ""
    finish_reason: str | None = None
    usage: Usage | None = None
    route: object | None = None
    """A `routing.Decision` when the chunk comes from the router (first and last chunk)."""
    notice: str = ""
    """Display-only text, not part of the answer (e.g. the visible seam of a continuation)."""
    model: str | None = None
    """The model the backend says answered, where it says so (an OpenAI-compatible stream's `model`)."""


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    context_length: int | None = None
    device: str | None = None
    """Which device serves it ("cpu", "gpu", "npu"), where the provider knows."""


@dataclass(frozen=True, slots=True)
class Health:
    ok: bool
    detail: str
    """One line: what is serving, or what is wrong."""
    model: str | None = None
    extra: dict[str, object] = field(default_factory=dict)


@runtime_checkable
class Provider(Protocol):
    """A chat backend. Long-lived: created at startup, closed at shutdown."""

    name: str
    """Short label for logs and the route line, e.g. "foundry-local" or "openai-compatible"."""

    def stream(self, messages: Sequence[ChatMessage], options: ChatOptions) -> AsyncIterator[Chunk]:
        """Stream the answer. Closing the iterator (break, Stop, error) cancels the upstream request."""
        ...

    async def list_models(self) -> list[ModelInfo]: ...

    async def health(self) -> Health: ...

    async def context_window(self, model: str | None) -> int:
        """Tokens the model can attend to (prompt + answer)."""
        ...

    async def count_tokens(self, messages: Sequence[ChatMessage], options: ChatOptions) -> int | None:
        """Exact prompt tokens when the backend can count them, else None (callers estimate)."""
        ...

    async def aclose(self) -> None: ...


_ON_SENT: ContextVar[Callable[[], None] | None] = ContextVar("foundry_chat_on_request_sent", default=None)


def request_sent() -> None:
    """A provider says its request is on its way: built and handed to the transport (or the engine's
    thread). Work that must not delay the request waits for this (`chat.turn`: storing the question).
    Calling it more than once, or never, is fine: whoever waits also has a deadline."""
    if (notify := _ON_SENT.get()) is not None:
        notify()


@contextmanager
def on_request_sent(callback: Callable[[], None]) -> Iterator[None]:
    """`callback` is what `request_sent()` calls, for the providers this context calls."""
    token = _ON_SENT.set(callback)
    try:
        yield
    finally:
        with suppress(ValueError):  # closed from another context (an async generator finalised late)
            _ON_SENT.reset(token)
