"""Fit a conversation into the model's context window, dropping the oldest turns first.

The system prompt and the newest user message are never dropped. Token counts are estimated
conservatively from UTF-8 length; where the provider can count exactly (Foundry Local's
preflight), `fit_history` confirms the estimate and drops more turns if the engine disagrees.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from providers.base import ChatMessage
from providers.errors import ContextTooLong

__all__ = ["Fitted", "estimate_tokens", "fit_history", "trim_to_budget"]

PER_MESSAGE_OVERHEAD = 6  # role markers and separators of chat templates
BYTES_PER_TOKEN = 2.5  # conservative for BPE vocabularies from 2k (tiny test model) to 200k tokens


def estimate_tokens(message: ChatMessage) -> int:
    return int(len(message.content.encode("utf-8", "surrogatepass")) / BYTES_PER_TOKEN) + PER_MESSAGE_OVERHEAD


@dataclass(frozen=True, slots=True)
class Fitted:
    messages: list[ChatMessage]
    dropped: int
    """How many earlier messages were left out."""
    prompt_tokens: int
    exact: bool
    """Whether `prompt_tokens` was counted by the engine rather than estimated."""


def trim_to_budget(
    system: ChatMessage | None,
    history: Sequence[ChatMessage],
    newest: ChatMessage,
    budget: int,
    count: Callable[[ChatMessage], int] = estimate_tokens,
) -> tuple[list[ChatMessage], int, int]:
    """Keep system + as many recent turns as fit + newest. Returns (messages, dropped, tokens)."""
    fixed = count(newest) + (count(system) if system else 0)
    if fixed > budget:
        raise ContextTooLong(
            f"the message needs about {fixed} tokens but only {budget} fit in the context window", provider="history"
        )
    kept: list[ChatMessage] = []
    used = fixed
    for message in reversed(history):
        cost = count(message)
        if used + cost > budget:
            break
        kept.append(message)
        used += cost
    kept.reverse()
    # Start on a user turn, so the model never sees an answer without its question.
    while kept and kept[0].role == "assistant":
        used -= count(kept.pop(0))
    dropped = len(history) - len(kept)
    messages = ([system] if system else []) + kept + [newest]
    return messages, dropped, used


async def fit_history(
    system: ChatMessage | None,
    history: Sequence[ChatMessage],
    newest: ChatMessage,
    *,
    context_window: int,
    reserve: int,
    exact_count: Callable[[list[ChatMessage]], Awaitable[int | None]] | None = None,
) -> Fitted:
    """Trim to `context_window - reserve` tokens (reserve = room for the answer)."""
    budget = max(64, context_window - reserve)
    original = len(history)
    history = list(history)
    fixed = 2 if system else 1
    while True:
        messages, _, estimate = trim_to_budget(system, history, newest, budget)
        dropped = original - (len(messages) - fixed)
        exact = await exact_count(messages) if exact_count is not None else None
        if exact is None:
            return Fitted(messages, dropped, estimate, exact=False)
        if exact <= budget:
            return Fitted(messages, dropped, exact, exact=True)
        kept = len(messages) - fixed
        if kept == 0:
            raise ContextTooLong(
                f"the message needs {exact} tokens but only {budget} fit in the context window", provider="history"
            )
        # The estimate was optimistic: drop one more of the oldest kept turns and count again.
        history = history[len(history) - kept + 1 :]
