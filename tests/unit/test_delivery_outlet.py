"""The outlet's pacing (chat/delivery.py) as pure logic: a recorded emitter and a backlog the test sets."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from chat.delivery import Outlet


@dataclass
class Message:
    id: str = "m1"
    content: str = ""
    streaming: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "output": self.content}


@dataclass
class Emitter:
    sent: list[tuple[str, str, bool]] = field(default_factory=list)

    async def stream_start(self, step: dict[str, Any]) -> None:
        self.sent.append(("start", step["output"], False))

    async def send_token(self, id: str, token: str, is_sequence: bool = False) -> None:
        self.sent.append(("token", token, is_sequence))


def page_text(sent: list[tuple[str, str, bool]]) -> str:
    """What the page shows after these frames, as Chainlit's client builds it."""
    text = ""
    for _, token, replace in sent:
        text = token if replace else text + token
    return text


def outlet(backlog: list[int]) -> tuple[Outlet, Message, Emitter]:
    message, emitter = Message(), Emitter()
    return Outlet(message, backlog=2, session=SimpleNamespace(), emitter=emitter, backlog_of=lambda: backlog[0]), message, emitter


async def test_a_reader_that_keeps_up_gets_every_frame_as_it_comes() -> None:
    out, message, emitter = outlet([0])
    for word in ("one ", "two ", "three"):
        await out.send(word)
    assert [kind for kind, *_ in emitter.sent] == ["start", "token", "token"]
    assert page_text(emitter.sent) == message.content == "one two three"


async def test_frames_are_held_while_the_socket_is_backed_up_then_sent_as_one() -> None:
    backlog = [0]
    out, message, emitter = outlet(backlog)
    await out.send("a")
    backlog[0] = 5  # the reader stopped: Engine.IO has five packets queued for it
    for ch in "bcdef":
        await out.send(ch)
    assert len(emitter.sent) == 1 and out.held_frames == 5
    assert message.content == "abcdef"  # the answer itself is complete: storing and the final update use it
    backlog[0] = 0
    await out.send("g")
    assert emitter.sent[-1] == ("token", "bcdefg", False)
    assert page_text(emitter.sent) == "abcdefg"


async def test_a_reconnect_replaces_the_text_whatever_the_old_socket_lost() -> None:
    out, message, emitter = outlet([0])
    await out.send("hello ")
    await out.send("world")
    emitter.sent.clear()  # the new socket saw none of it
    await out.resync()
    await out.send("!")
    assert page_text(emitter.sent) == "hello world!"


async def test_abandoning_cancels_the_turn_task_and_tells_the_turn_first() -> None:
    told: list[str] = []

    async def answer() -> Outlet:
        out = Outlet(Message(), session=SimpleNamespace(), emitter=Emitter(), backlog_of=lambda: 0, on_abandon=lambda: told.append("gone"))
        started.set_result(out)
        await asyncio.Event().wait()
        return out

    started: asyncio.Future[Outlet] = asyncio.get_running_loop().create_future()
    task = asyncio.create_task(answer())
    out = await started
    out.abandon()
    try:
        await task
    except asyncio.CancelledError:
        pass
    assert task.cancelled() and told == ["gone"] and out.abandoned


async def test_a_finished_answer_is_never_cancelled_by_a_late_timer() -> None:
    out = Outlet(Message(), session=SimpleNamespace(), emitter=Emitter(), backlog_of=lambda: 0)
    with out:
        pass
    out.abandon()
    assert not out.abandoned


@dataclass
class WaitingEmitter(Emitter):
    deleted: list[str] = field(default_factory=list)
    status: asyncio.Event = field(default_factory=asyncio.Event)

    async def stream_start(self, step: dict[str, Any]) -> None:
        await super().stream_start(step)
        self.status.set()

    async def send_token(self, id: str, token: str, is_sequence: bool = False) -> None:
        await super().send_token(id, token, is_sequence)
        if token.startswith("⏳"):
            self.status.set()

    async def delete_step(self, step: dict[str, Any]) -> None:
        self.deleted.append(step["id"])


async def test_a_slow_first_token_shows_a_waiting_line_that_the_answer_replaces() -> None:
    message, emitter = Message(), WaitingEmitter()
    with Outlet(message, session=SimpleNamespace(), emitter=emitter, backlog_of=lambda: 0, waiting_after=0.01) as out:
        await asyncio.wait_for(emitter.status.wait(), 5)
        assert "Still working" in page_text(emitter.sent)
        await out.send("Here is ")
        await out.send("the answer.")
    assert page_text(emitter.sent) == message.content == "Here is the answer."  # the line is never part of the answer


async def test_the_waiting_line_is_taken_away_when_no_answer_comes() -> None:
    message, emitter = Message(), WaitingEmitter()
    with Outlet(message, session=SimpleNamespace(), emitter=emitter, backlog_of=lambda: 0, waiting_after=0.01) as out:
        await asyncio.wait_for(emitter.status.wait(), 5)
        await out.withdraw()
    assert emitter.deleted == ["m1"] and message.content == ""


async def test_a_fast_answer_never_shows_the_waiting_line() -> None:
    message, emitter = Message(), WaitingEmitter()
    with Outlet(message, session=SimpleNamespace(), emitter=emitter, backlog_of=lambda: 0, waiting_after=30) as out:
        await out.send("quick")
    assert emitter.sent == [("start", "quick", False)]
