"""The OpenAI-compatible provider's SSE reader, fed literal `data:` frames."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from providers.errors import EngineError
from providers.openai_compat import _sse_events


async def lines(*items: str) -> AsyncIterator[str]:
    for item in items:
        yield item


async def collect(*items: str) -> list[dict]:
    return [e async for e in _sse_events(lines(*items), "srv")]


async def test_events_until_done_ignoring_comments_and_blank_lines() -> None:
    got = await collect(": keep-alive", "", 'data: {"a": 1}', "event: x", 'data:{"b": 2}', "data: [DONE]", 'data: {"c": 3}')
    assert got == [{"a": 1}, {"b": 2}]


async def test_error_event_raises_after_earlier_events() -> None:
    seen: list[dict] = []
    with pytest.raises(EngineError, match="model crashed"):
        async for e in _sse_events(lines('data: {"a": 1}', 'data: {"error": {"message": "model crashed"}}'), "srv"):
            seen.append(e)
    assert seen == [{"a": 1}]


@pytest.mark.parametrize("bad", ["data: {not json", "data: [1, 2]", 'data: "text"'])
async def test_malformed_events_raise(bad: str) -> None:
    with pytest.raises(EngineError, match="malformed"):
        await collect(bad)
