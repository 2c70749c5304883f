"""The chat-turn service with scripted fakes: both doors meet the same cleaning, limits, trimming, gate, metrics."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from prometheus_client import REGISTRY

from chat.runtime import AppRuntime
from chat.turn import Sending, Turn, TurnService
from config import load_settings
from privacy import Verdict
from providers.base import ChatMessage, ChatOptions, Chunk
from providers.errors import ChatError, Draining, InputRejected, NotReady, ProviderUnavailable
from routing import Router
from tests.support.fake_provider import FakeProvider, Script


class SpyGuard:
    """Says every text is clean, and keeps what it was shown."""

    def __init__(self) -> None:
        self.seen: list[list[str]] = []

    async def assess(self, texts: Sequence[str], *, slow: bool = True) -> Verdict:
        self.seen.append(list(texts))
        return Verdict()

    def close(self) -> None:
        pass


def service(**env: str) -> tuple[TurnService, FakeProvider, FakeProvider, SpyGuard]:
    settings = load_settings({"CLOUD_BASE_URL": "http://127.0.0.1:9/v1", "CLOUD_MODEL": "gpt-cloud", **env})
    runtime = AppRuntime(settings)
    local, cloud = FakeProvider("local-fake", context=int(env.get("CONTEXT", "4096"))), FakeProvider("cloud-fake")
    guard = SpyGuard()
    runtime.router = Router(
        {"local": local, "cloud": cloud}, settings.routing, models={"cloud": "gpt-cloud"}, guard=guard  # type: ignore[arg-type]
    )
    runtime.state = "ready"
    return TurnService(runtime), local, cloud, guard


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def drain(turn: Turn) -> list[Chunk]:
    return [chunk async for chunk in turn.stream()]


def both_doors(svc: TurnService, history: list[ChatMessage], text: str) -> tuple[Turn, Turn]:
    """The chat: its own (already checked) history plus the new text; /v1: the whole list, unchecked."""
    chat = svc.prepare("chat", [*history, ChatMessage("user", text)], ChatOptions(policy="local"), system="sys", checked=len(history))
    api = svc.prepare("gateway", [ChatMessage("system", "sys"), *history, ChatMessage("user", text)], ChatOptions(policy="local"))
    return chat, api


@pytest.mark.parametrize("door", ["chat", "gateway"])
def test_the_input_limit_refuses_the_same_way(door: str) -> None:
    svc, *_ = service(MAX_INPUT_CHARS="100")
    with pytest.raises(InputRejected) as info:
        svc.prepare(door, [ChatMessage("user", "x" * 5000)], ChatOptions())
    assert "5,000 characters long; the limit is 100" in str(info.value) and info.value.index == 0


def test_the_api_checks_every_user_message_the_chat_only_the_new_one() -> None:
    svc, *_ = service(MAX_INPUT_CHARS="100")
    long_history = [ChatMessage("user", "y" * 500), ChatMessage("assistant", "ok")]
    svc.prepare("chat", [*long_history, ChatMessage("user", "hi")], ChatOptions(), checked=2)  # a resumed thread still works
    with pytest.raises(InputRejected) as info:
        svc.prepare("gateway", [*long_history, ChatMessage("user", "hi")], ChatOptions())
    assert info.value.index == 0


async def test_control_characters_are_cleaned_the_same_way_through_both_doors() -> None:
    svc, local, _, _ = service()
    chat, api = both_doors(svc, [], "be\x07ll\x1b[31m and cafe\u0301")
    assert chat.newest == api.newest == ChatMessage("user", "bell[31m and café")
    await drain(chat)
    await drain(api)
    assert local.history[0][0] == local.history[1][0]


def test_nul_is_refused_in_any_role_over_the_api() -> None:
    svc, *_ = service()
    with pytest.raises(InputRejected) as info:
        svc.prepare("gateway", [ChatMessage("user", "a"), ChatMessage("assistant", "b\x00"), ChatMessage("user", "c")], ChatOptions())
    assert info.value.index == 1


async def test_long_conversations_are_trimmed_and_the_trimmed_texts_reach_the_guard() -> None:
    svc, local, _, guard = service(CONTEXT="512")
    history = [ChatMessage("user" if i % 2 == 0 else "assistant", f"message {i} " + "word " * 20) for i in range(80)]
    for turn in both_doors(svc, history, "and now?"):
        guard.seen.clear()
        turn.options = ChatOptions(policy="auto")
        await drain(turn)
        sent = local.history[-1][0] if local.history else []
        assert turn.dropped > 0 and len(turn.fitted.messages) < 82  # type: ignore[union-attr]
        assert "message 0 " in " ".join(guard.seen[0])  # not sent, still scanned
        assert all("message 0 " not in m.content for m in sent)
    assert local.history[-1][0] == local.history[-2][0]  # the same messages went out through both doors


async def test_metrics_are_recorded_once_from_the_finished_decision() -> None:
    svc, local, _, _ = service()
    local.enqueue(Script(tokens=["a", "b", "c"], delay=0.001))
    before = sample("foundry_chat_messages_total", target="local", outcome="ok")
    ttft_before = sample("foundry_chat_time_to_first_token_seconds_count", target="local")
    turn = svc.prepare("gateway", [ChatMessage("user", "hi")], ChatOptions(policy="local"))
    seen_active: list[float] = []
    async for _ in turn.stream():
        seen_active.append(sample("foundry_chat_active_streams"))
        assert svc.runtime.active_streams == 1
    assert seen_active and set(seen_active) == {1.0}
    assert sample("foundry_chat_active_streams") == 0.0 and svc.runtime.active_streams == 0
    assert sample("foundry_chat_messages_total", target="local", outcome="ok") == before + 1
    assert sample("foundry_chat_time_to_first_token_seconds_count", target="local") == ttft_before + 1
    assert turn.outcome == "ok" and turn.reply == "abc" and turn.decision is not None


async def test_a_failed_turn_counts_once_as_an_error() -> None:
    svc, local, _, _ = service()
    local.enqueue(*[Script(error_before=ProviderUnavailable("refused", provider="local"))] * 3)
    before = sample("foundry_chat_messages_total", target="none", outcome="error")
    turn = svc.prepare("chat", [ChatMessage("user", "hi")], ChatOptions(policy="local"))
    with pytest.raises(ChatError):
        await drain(turn)
    assert sample("foundry_chat_messages_total", target="none", outcome="error") == before + 1
    assert turn.outcome == "error" and svc.runtime.active_streams == 0


async def test_a_stopped_turn_counts_as_stopped() -> None:
    svc, local, _, _ = service()
    local.enqueue(Script(tokens=["a"] * 50))
    before = sample("foundry_chat_messages_total", target="local", outcome="stopped")
    turn = svc.prepare("chat", [ChatMessage("user", "hi")], ChatOptions(policy="local"))
    stream = turn.stream()
    await anext(stream)
    await stream.aclose()
    assert turn.outcome == "stopped" and svc.runtime.active_streams == 0
    assert sample("foundry_chat_messages_total", target="local", outcome="stopped") == before + 1


def test_the_gate_refuses_while_draining_or_not_ready() -> None:
    svc, *_ = service()
    svc.runtime.draining = True
    with pytest.raises(Draining):
        svc.prepare("chat", [ChatMessage("user", "hi")], ChatOptions())
    svc.runtime.draining, svc.runtime.state = False, "starting"
    with pytest.raises(NotReady) as info:
        svc.prepare("gateway", [ChatMessage("user", "hi")], ChatOptions())
    assert info.value.state == "starting"
    svc.runtime.state = "ready"
    with pytest.raises(InputRejected):  # input is checked first, as the chat always did
        svc.prepare("chat", [ChatMessage("user", "  ")], ChatOptions())


async def test_the_recorder_sees_the_answer_grow() -> None:
    svc, local, _, _ = service()
    local.enqueue(Script(tokens=["a", "b"]))

    recorder = Recorder()
    turn = svc.prepare("chat", [ChatMessage("user", "hi")], ChatOptions(policy="local"), recorder=recorder)
    await drain(turn)
    assert recorder.calls == ["out", "a", "ab"]  # told the request is out before any text
    assert svc.sending.count == 0


class Recorder:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def request_out(self) -> None:
        self.calls.append("out")

    async def progress(self, reply: str | Sequence[str]) -> None:
        self.calls.append("".join(reply))


async def test_storing_waits_until_every_turn_s_request_is_out() -> None:
    """A burst: the first turn's recorder is told only once the second turn's request is out too;
    a turn that fails before its request leaves no count behind and still tells its recorder."""
    svc, local, _, _ = service()
    local.enqueue(Script(tokens=["a"]), Script(tokens=["b"]))
    first, second = Recorder(), Recorder()
    one = svc.prepare("chat", [ChatMessage("user", "hi")], ChatOptions(policy="local"), recorder=first)
    two = svc.prepare("chat", [ChatMessage("user", "ho")], ChatOptions(policy="local"), recorder=second)
    a, b = one.stream(), two.stream()
    svc.sending.opened()  # a third turn, still preparing its request
    await anext(a)
    await anext(b)
    assert first.calls == ["a"] and second.calls == ["b"]  # both requests out, the third's not: wait
    svc.sending.out()
    assert first.calls == ["a", "out"] and second.calls == ["b", "out"]
    await a.aclose()
    await b.aclose()

    local.enqueue(*[Script(error_before=ProviderUnavailable("refused", provider="local"))] * 3)
    failed = Recorder()
    with pytest.raises(ChatError):
        await drain(svc.prepare("chat", [ChatMessage("user", "hi")], ChatOptions(policy="local"), recorder=failed))
    assert failed.calls == ["out"] and svc.sending.count == 0


def test_sending_calls_back_when_no_request_waits_or_when_too_many_wait() -> None:
    sending, called = Sending(), []
    sending.after(lambda: called.append("idle"))
    assert called == ["idle"]
    sending.opened()
    for i in range(Sending.MAX_WAITING - 1):
        sending.after(lambda i=i: called.append(i))  # type: ignore[misc]
    assert called == ["idle"]
    sending.after(lambda: called.append("last"))  # one too many kept: all go now
    assert len(called) == Sending.MAX_WAITING + 1 and called[-1] == "last"
    sending.after(lambda: called.append("later"))
    sending.out()
    assert called[-1] == "later" and sending.count == 0


async def test_runtime_aclose_awaits_the_task_it_cancels() -> None:
    import asyncio

    runtime = AppRuntime(load_settings({}))
    started, cleaned_up = asyncio.Event(), asyncio.Event()

    async def opening() -> None:
        started.set()
        try:
            await asyncio.Event().wait()
        finally:
            cleaned_up.set()

    runtime._task = asyncio.create_task(opening())
    await asyncio.wait_for(started.wait(), 5)
    await runtime.aclose()
    assert cleaned_up.is_set() and runtime._task.done()


async def test_a_held_turn_stays_counted_until_the_door_lets_go() -> None:
    svc, local, _, _ = service()
    turn = svc.prepare("chat", [ChatMessage("user", "hi")], ChatOptions(policy="local"))
    async with turn:
        await drain(turn)
        assert turn.outcome == "ok" and svc.runtime.active_streams == 1  # the answer is still being shown
        assert sample("foundry_chat_active_streams") == 1.0
    assert svc.runtime.active_streams == 0 and sample("foundry_chat_active_streams") == 0.0
