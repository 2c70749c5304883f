"""A scripted provider for logic tests: `enqueue` replies or errors, read `history` of calls."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

from providers.base import ChatMessage, ChatOptions, Chunk, Health, ModelInfo, Usage, request_sent
from providers.errors import ChatError

__all__ = ["FakeProvider", "Script"]


@dataclass
class Script:
    tokens: list[str] = field(default_factory=lambda: ["Hello", " world"])
    error_before: ChatError | None = None
    error_after: int | None = None
    """Raise `error_mid` after this many tokens."""
    error_mid: ChatError | None = None
    delay: float = 0.0


class FakeProvider:
    def __init__(self, name: str = "fake", *, context: int = 4096, models: Sequence[str] = ("fake-model",)) -> None:
        self.name = name
        self.context = context
        self.models = list(models)
        self.queue: list[Script] = []
        self.history: list[tuple[list[ChatMessage], ChatOptions]] = []
        self.closed_streams = 0
        self.healthy = True
        self.exact_tokens: int | None = None

    def enqueue(self, *scripts: Script) -> FakeProvider:
        self.queue.extend(scripts)
        return self

    async def stream(self, messages: Sequence[ChatMessage], options: ChatOptions) -> AsyncIterator[Chunk]:
        self.history.append((list(messages), options))
        script = self.queue.pop(0) if self.queue else Script()
        try:
            if script.error_before is not None:
                raise script.error_before
            request_sent()  # as the real providers do, once their request is out
            for i, token in enumerate(script.tokens):
                if script.error_after is not None and i == script.error_after and script.error_mid is not None:
                    raise script.error_mid
                if script.delay:
                    await asyncio.sleep(script.delay)
                yield Chunk(text=token)
            yield Chunk(finish_reason="stop", usage=Usage(10, len(script.tokens)))
        finally:
            self.closed_streams += 1

    async def list_models(self) -> list[ModelInfo]:
        return [ModelInfo(m) for m in self.models]

    async def health(self) -> Health:
        return Health(self.healthy, "fake", self.models[0])

    async def context_window(self, model: str | None) -> int:
        return self.context

    async def count_tokens(self, messages: Sequence[ChatMessage], options: ChatOptions) -> int | None:
        return self.exact_tokens

    async def aclose(self) -> None:
        pass
