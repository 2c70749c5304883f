"""Turns: the question before the model, the answer while it streams, interrupted answers, resume."""

from __future__ import annotations

import sqlite3
import uuid
import warnings
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():  # chainlit's dependencies (literalai, traceloop) warn on import
    warnings.simplefilter("ignore", DeprecationWarning)
    import chainlit  # noqa: F401

from chainlit.user import User

from storage import turns
from storage.data_layer import FoundryDataLayer
from storage.guard import acting_as
from storage.schema import ensure_schema
from storage.turns import INTERRUPTED_MARK, TurnRecorder, mark_interrupted, restore_session


@dataclass
class FakeMessage:
    """What TurnRecorder uses of a `cl.Message` (a real one needs a live Chainlit session)."""

    thread_id: str
    content: str = ""
    type: str = "assistant_message"
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_at: str | None = None
    metadata: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "threadId": self.thread_id,
            "name": "User" if self.type == "user_message" else "Assistant",
            "type": self.type,
            "output": self.content,
            "createdAt": self.created_at,
            "streaming": True,
            "metadata": self.metadata or {},
        }


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def layer(tmp_path: Path) -> AsyncIterator[FoundryDataLayer]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"
    await ensure_schema(url)
    layer = FoundryDataLayer(url)
    yield layer
    await layer.close()


def db_of(layer: FoundryDataLayer) -> str:
    return layer._conninfo.removeprefix("sqlite+aiosqlite:///")


def answer_row(layer: FoundryDataLayer, answer_id: str) -> tuple[str, dict[str, Any]]:
    import json

    with sqlite3.connect(db_of(layer)) as conn:
        output, metadata = conn.execute("SELECT output, metadata FROM steps WHERE id = ?", (answer_id,)).fetchone()
    return output, json.loads(metadata)


async def test_question_is_stored_before_the_answer_and_answer_at_intervals(layer: FoundryDataLayer) -> None:
    alice = await layer.create_user(User(identifier="alice"))
    thread_id = str(uuid.uuid4())
    question = FakeMessage(thread_id, "What is 2+2?", type="user_message", created_at="2026-01-01T00:00:00Z")
    answer = FakeMessage(thread_id)
    clock = Clock()
    turn = TurnRecorder(layer, answer, interval=1.0, clock=clock)
    with acting_as(alice):
        await turn.begin(question, "What is 2+2?", session_metadata={"options": {"temperature": 0.3}, "api_key": "x"})
        thread = await layer.get_thread(thread_id)
        assert thread is not None and thread["userIdentifier"] == "alice" and thread["name"] == "What is 2+2?"
        assert thread["metadata"] == {"options": {"temperature": 0.3}}
        assert [s["type"] for s in thread["steps"]] == ["user_message", "assistant_message"]
        assert answer_row(layer, answer.id)[1]["turn"]["state"] == "pending"

        parts = ["It", " is"]
        answer.content = "It is"
        clock.now = 0.4
        await turn.progress(parts)  # first text, within the interval of the placeholder: not written
        assert turn._inflight is None and answer_row(layer, answer.id)[0] == ""
        clock.now = 1.0
        await turn.progress(parts)  # one interval after the placeholder: written
        await turn._inflight  # type: ignore[misc]  # let the background write land
        assert answer_row(layer, answer.id)[0] == "It is"
        parts.append(" four")
        answer.content = "It is four"
        await turn.progress(parts)  # within the interval: not written
        assert turn._inflight is None or turn._inflight.done()
        assert answer_row(layer, answer.id)[0] == "It is"
        clock.now = 2.5
        await turn.progress(parts)
        await turn._inflight  # type: ignore[misc]
        output, metadata = answer_row(layer, answer.id)
        assert (
            output == "It is four"
            and metadata["turn"]["state"] == "streaming"
            and metadata["turn"]["reply"] == "It is four"
        )

        answer.content = "It is four.\n\n*local · m*"
        await turn.finish("It is four.", "ok")
    output, metadata = answer_row(layer, answer.id)
    assert output == "It is four.\n\n*local · m*"
    assert metadata["turn"] | {"at": None, "boot": None} == {
        "state": "done", "user": "What is 2+2?", "reply": "It is four.", "at": None, "boot": None
    }  # fmt: skip
    assert turn.take_problem() is None


async def test_error_before_any_text_removes_the_placeholder(layer: FoundryDataLayer) -> None:
    thread_id = str(uuid.uuid4())
    answer = FakeMessage(thread_id)
    turn = TurnRecorder(layer, answer)
    await turn.begin(FakeMessage(thread_id, "hi", type="user_message"), "hi")
    await turn.finish("", "error", shown=False)
    thread = await layer.get_thread(thread_id)
    assert thread is not None and [s["type"] for s in thread["steps"]] == ["user_message"]


async def test_failed_writes_become_one_user_message(layer: FoundryDataLayer) -> None:
    with sqlite3.connect(db_of(layer)) as conn:
        conn.execute("DROP TABLE steps")
    thread_id = str(uuid.uuid4())
    turn = TurnRecorder(layer, FakeMessage(thread_id))
    await turn.begin(FakeMessage(thread_id, "hi", type="user_message"), "hi")
    problem = turn.take_problem()
    assert problem is not None and "not being saved" in problem
    await turn.finish("answer", "ok")
    assert turn.take_problem() is None  # told once
    assert layer.health()["failed_writes"] >= 2 and not layer.health()["ok"]


async def test_interrupted_answers_are_marked_once(layer: FoundryDataLayer, monkeypatch: pytest.MonkeyPatch) -> None:
    thread_id = str(uuid.uuid4())
    streaming, pending, mine = FakeMessage(thread_id), FakeMessage(thread_id), FakeMessage(thread_id)
    monkeypatch.setattr(turns, "BOOT_ID", "an-earlier-process")
    for message, content in ((streaming, "partial answ"), (pending, "")):
        turn = TurnRecorder(layer, message, interval=0.0)
        await turn.begin(FakeMessage(thread_id, "q", type="user_message"), "q")
        message.content = content
        if content:
            await turn.progress(content)
            await turn._inflight  # type: ignore[misc]
    monkeypatch.setattr(turns, "BOOT_ID", "this-process")
    live = TurnRecorder(layer, mine)
    await live.begin(FakeMessage(thread_id, "q2", type="user_message"), "q2")

    assert await mark_interrupted(layer) == 2
    assert await mark_interrupted(layer) == 0
    output, metadata = answer_row(layer, streaming.id)
    assert output == f"partial answ\n\n{INTERRUPTED_MARK}" and metadata["turn"]["state"] == "interrupted"
    assert answer_row(layer, pending.id)[0] == INTERRUPTED_MARK
    assert answer_row(layer, mine.id)[1]["turn"]["state"] == "pending"  # this process's own answer is live

    thread = await layer.get_thread(thread_id)
    assert thread is not None
    restored = restore_session(thread)
    assert restored.history == [{"role": "user", "content": "q"}, {"role": "assistant", "content": "partial answ"}]


async def test_older_than_leaves_recent_answers_of_other_processes(
    layer: FoundryDataLayer, monkeypatch: pytest.MonkeyPatch
) -> None:
    thread_id = str(uuid.uuid4())
    monkeypatch.setattr(turns, "BOOT_ID", "another-replica")
    await TurnRecorder(layer, FakeMessage(thread_id)).begin(FakeMessage(thread_id, "q", type="user_message"), "q")
    monkeypatch.setattr(turns, "BOOT_ID", "this-process")
    assert await mark_interrupted(layer, older_than=60) == 0
    assert await mark_interrupted(layer) == 1


def test_restore_gives_the_history_the_model_saw() -> None:
    def answer(state: str, user: str, reply: str, output: str) -> dict[str, Any]:
        return {
            "type": "assistant_message",
            "output": output,
            "metadata": {"turn": {"state": state, "user": user, "reply": reply}},
        }

    thread = {
        "metadata": '{"options": {"model": "m", "temperature": 0.1}}',
        "steps": [
            {"type": "user_message", "output": "  hello  "},
            {"type": "assistant_message", "output": "ℹ️ 2 earlier messages left out", "metadata": {}},
            answer("done", "hello", "Hi!", "Hi!\n\n*local · m*"),
            {"type": "user_message", "output": "tell me more"},
            answer("stopped", "tell me more", "", "…\n\n*[stopped]*"),
            {"type": "user_message", "output": "and?"},
            answer("interrupted", "and?", "", INTERRUPTED_MARK),
        ],
    }
    restored = restore_session(thread)
    assert restored.history == [
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "Hi!"},
        {"role": "user", "content": "tell me more"},
        {"role": "assistant", "content": ""},
    ]
    assert restored.options == {"model": "m", "temperature": 0.1}
    assert len(restore_session(thread, limit=2).history) == 2


def test_restore_of_threads_without_turn_records() -> None:
    thread = {
        "metadata": {},
        "steps": [
            {"type": "run", "output": ""},
            {"type": "user_message", "output": "q1"},
            {"type": "assistant_message", "output": "oops", "isError": True},
            {"type": "assistant_message", "output": "a1"},
            {"type": "user_message", "output": "q2"},
        ],
    }
    assert restore_session(thread).history == [
        {"role": "user", "content": "q1"},
        {"role": "assistant", "content": "a1"},
    ]
    assert restore_session(thread).options is None
