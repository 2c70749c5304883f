from __future__ import annotations

import pytest

from chat.history import estimate_tokens, fit_history, trim_to_budget
from providers.base import ChatMessage
from providers.errors import ContextTooLong

SYSTEM = ChatMessage("system", "You are helpful.")


def turns(n: int, size: int = 100) -> list[ChatMessage]:
    out = []
    for i in range(n):
        out.append(ChatMessage("user", f"question {i} " + "q" * size))
        out.append(ChatMessage("assistant", f"answer {i} " + "a" * size))
    return out


def test_everything_fits() -> None:
    history = turns(3)
    newest = ChatMessage("user", "now")
    messages, dropped, _ = trim_to_budget(SYSTEM, history, newest, 10_000)
    assert messages == [SYSTEM, *history, newest] and dropped == 0


def test_oldest_dropped_first_system_and_newest_kept() -> None:
    history = turns(10)
    newest = ChatMessage("user", "latest question")
    budget = estimate_tokens(SYSTEM) + estimate_tokens(newest) + sum(estimate_tokens(m) for m in history[-4:])
    messages, dropped, used = trim_to_budget(SYSTEM, history, newest, budget)
    assert messages[0] == SYSTEM and messages[-1] == newest
    assert messages[1:-1] == history[-4:]
    assert dropped == len(history) - 4 and used <= budget


def test_never_starts_with_an_orphan_answer() -> None:
    history = turns(5)
    newest = ChatMessage("user", "x")
    budget = estimate_tokens(SYSTEM) + estimate_tokens(newest) + 3 * estimate_tokens(history[-1])
    messages, _, _ = trim_to_budget(SYSTEM, history, newest, budget)
    assert messages[1].role == "user"


def test_newest_too_long_raises() -> None:
    with pytest.raises(ContextTooLong):
        trim_to_budget(SYSTEM, [], ChatMessage("user", "x" * 10_000), 100)


async def test_exact_count_drops_more_when_estimate_was_optimistic() -> None:
    history = turns(4)
    newest = ChatMessage("user", "n")
    calls: list[int] = []

    async def exact(messages: list[ChatMessage]) -> int:
        calls.append(len(messages))
        return 150 * len(messages)  # the engine counts far more than the estimate

    fitted = await fit_history(SYSTEM, history, newest, context_window=10_000 + 1000, reserve=10_000, exact_count=exact)
    assert fitted.exact and fitted.prompt_tokens <= 1000
    assert len(fitted.messages) == 6
    assert fitted.messages[0] == SYSTEM and fitted.messages[-1] == newest
    assert fitted.dropped == len(history) - (len(fitted.messages) - 2)
    assert len(calls) > 1


async def test_without_exact_count_uses_estimate() -> None:
    fitted = await fit_history(SYSTEM, turns(2), ChatMessage("user", "n"), context_window=100_000, reserve=100)
    assert not fitted.exact and fitted.dropped == 0
