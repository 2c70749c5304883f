"""The router's small helpers: reading a stream's first chunk, closing one, retry waits, texts to scan."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable, Sequence

from tenacity import RetryCallState, wait_exponential_jitter

from config import RoutingSettings
from providers.base import ChatMessage, ChatOptions, Chunk
from providers.errors import ChatError, RateLimited

__all__ = ["close_stream", "first_chunk", "ms", "outgoing_texts", "retry_wait", "summary"]


async def first_chunk(stream: AsyncIterator[Chunk]) -> Chunk:
    """The first chunk with text, or the finishing chunk of an empty answer."""
    async for chunk in stream:
        if chunk.text or chunk.finish_reason is not None:
            return chunk
    return Chunk(finish_reason="stop")


async def close_stream(stream: AsyncIterator[Chunk]) -> None:
    aclose = getattr(stream, "aclose", None)
    if aclose is not None:
        await aclose()


def outgoing_texts(messages: Sequence[ChatMessage], options: ChatOptions) -> list[str]:
    """Everything the guard must see, in conversation order: the system prompt, the turns trimmed
    away (not sent now, but part of the conversation), then every message of every role."""
    head = [m.content for m in messages[:1] if m.role == "system"]
    return [*head, *options.privacy_texts, *(m.content for m in messages[len(head) :])]


def ms(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def retry_wait(settings: RoutingSettings) -> Callable[[RetryCallState], float]:
    backoff = wait_exponential_jitter(
        multiplier=settings.backoff_initial, max=settings.backoff_max, jitter=settings.backoff_initial
    )

    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        delay = backoff(state)
        if isinstance(exc, RateLimited) and exc.retry_after:
            delay = max(delay, min(exc.retry_after, settings.backoff_max * 5))
        return float(delay)

    return wait


def summary(failures: list[tuple[str, ChatError]]) -> str:
    targets = sorted({name for name, _ in failures})
    return f"{' and '.join(targets)} failed."
