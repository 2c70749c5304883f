"""The router: a provider over named targets that decides, per request, who answers.

This first version has one target ("local") and passes every request to it, recording the
decision (target, model, timings, attempts) on the chunks it streams: the first chunk carries
the `Decision`, the last one carries it completed.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping, Sequence

from providers.base import ChatMessage, ChatOptions, Chunk, Health, ModelInfo, Provider
from providers.errors import ChatError

from .decision import Attempt, Decision

__all__ = ["Router"]


class Router:
    """Implements the provider protocol over `targets`; `app.py` only ever sees this."""

    name = "router"

    def __init__(self, targets: Mapping[str, Provider], *, policy: str = "local") -> None:
        if "local" not in targets:
            raise ValueError("the router needs a 'local' target")
        self.targets = dict(targets)
        self.policy = policy

    def _decide(self, messages: Sequence[ChatMessage], options: ChatOptions) -> Decision:
        return Decision(target="local", model=options.model, policy=self.policy, reason="")

    async def stream(self, messages: Sequence[ChatMessage], options: ChatOptions) -> AsyncIterator[Chunk]:
        decision = self._decide(messages, options)
        provider = self.targets[decision.target]
        started = time.perf_counter()
        attempt = Attempt(target=decision.target, provider=provider.name)
        decision.attempts.append(attempt)
        if decision.model is None:
            models = await provider.list_models()
            decision.model = models[0].id if models else None
        first = True
        completion_chars = 0
        try:
            async for chunk in provider.stream(messages, options):
                if first and chunk.text:
                    decision.ttft_ms = (time.perf_counter() - started) * 1000
                completion_chars += len(chunk.text)
                if chunk.usage is not None:
                    decision.completion_tokens = chunk.usage.completion_tokens
                    decision.prompt_tokens = chunk.usage.prompt_tokens
                if chunk.finish_reason is not None:
                    attempt.outcome = "ok"
                    decision.duration_ms = attempt.duration_ms = (time.perf_counter() - started) * 1000
                if first or chunk.finish_reason is not None:
                    yield Chunk(chunk.text, chunk.finish_reason, chunk.usage, route=decision)
                    first = False
                else:
                    yield chunk
        except ChatError as exc:
            attempt.outcome, attempt.error = type(exc).__name__, str(exc)
            raise
        finally:
            if attempt.outcome == "pending":
                attempt.outcome = "stopped"
            if attempt.duration_ms is None:
                decision.duration_ms = attempt.duration_ms = (time.perf_counter() - started) * 1000

    async def list_models(self) -> list[ModelInfo]:
        return await self.targets["local"].list_models()

    async def health(self) -> Health:
        return await self.targets["local"].health()

    async def context_window(self, model: str | None) -> int:
        return await self.targets["local"].context_window(model)

    async def count_tokens(self, messages: Sequence[ChatMessage], options: ChatOptions) -> int | None:
        return await self.targets["local"].count_tokens(messages, options)

    async def aclose(self) -> None:
        for provider in self.targets.values():
            await provider.aclose()
