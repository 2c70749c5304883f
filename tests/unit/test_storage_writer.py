"""The per-process writer: sessions' writes batched into one transaction, failures kept to their group."""

from __future__ import annotations

import asyncio
import sqlite3
import uuid
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():  # chainlit's dependencies (literalai, traceloop) warn on import
    warnings.simplefilter("ignore", DeprecationWarning)
    import chainlit  # noqa: F401

from storage.data_layer import FoundryDataLayer, PersistenceError
from storage.schema import ensure_schema
from storage.turns import TurnRecorder
from storage.writer import GroupFailed, SqliteWriter


@pytest.fixture
async def db(tmp_path: Path) -> Path:
    path = tmp_path / "chat.db"
    await ensure_schema(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
async def layer(db: Path) -> AsyncIterator[FoundryDataLayer]:
    layer = FoundryDataLayer(f"sqlite+aiosqlite:///{db}")
    yield layer
    await layer.close()


def insert_thread(thread_id: str) -> tuple[str, dict[str, Any]]:
    return 'INSERT INTO threads ("id", "metadata") VALUES (:id, :md)', {"id": thread_id, "md": "{}"}


async def test_concurrent_groups_share_transactions_and_all_commit(db: Path) -> None:
    writer = SqliteWriter(db, busy_timeout_s=5)
    ids = [str(uuid.uuid4()) for _ in range(200)]
    try:
        counts = await asyncio.gather(*(writer.submit([insert_thread(i)]) for i in ids))
    finally:
        await writer.close()
    assert counts == [[1]] * len(ids)
    assert writer.groups == len(ids) and writer.batches < len(ids) / 4  # batched, not one commit each
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM threads").fetchone()[0] == len(ids)
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


async def test_a_failing_group_fails_alone(db: Path) -> None:
    writer = SqliteWriter(db, busy_timeout_s=5)
    good = [str(uuid.uuid4()) for _ in range(20)]
    bad_group = [insert_thread(str(uuid.uuid4())), ("INSERT INTO no_such_table VALUES (1)", {})]
    try:
        results = await asyncio.gather(
            *(writer.submit([insert_thread(i)]) for i in good[:10]),
            writer.submit(bad_group),
            *(writer.submit([insert_thread(i)]) for i in good[10:]),
            return_exceptions=True,
        )
    finally:
        await writer.close()
    failed = results.pop(10)
    assert isinstance(failed, GroupFailed) and "no_such_table" in str(failed) and "no_such_table" in failed.query
    assert results == [[1]] * 20
    with sqlite3.connect(db) as conn:  # the failing group's first statement was rolled back with it
        assert conn.execute("SELECT COUNT(*) FROM threads").fetchone()[0] == 20


async def test_a_failed_batched_write_is_counted_and_raised(layer: FoundryDataLayer, db: Path) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE steps")
    step = {"id": str(uuid.uuid4()), "threadId": str(uuid.uuid4()), "type": "user_message", "output": "hi"}
    with pytest.raises(PersistenceError):
        await layer.write_step(step)
    health = layer.health()
    assert not health["ok"] and health["failed_writes"] == 1 and "steps" in health["last_error"]


async def test_an_unchanged_step_is_not_written_again(layer: FoundryDataLayer) -> None:
    """Chainlit upserts the user's message and the final answer again after the app stored them."""
    step = {"id": str(uuid.uuid4()), "threadId": str(uuid.uuid4()), "type": "user_message", "output": "hi"}
    await layer.write_step(step)
    groups = layer.writer.groups  # type: ignore[attr-defined]
    await layer.write_step(dict(step))  # what update_step runs
    assert layer.writer.groups == groups  # type: ignore[attr-defined]
    await layer.write_step({**step, "output": "changed"})
    assert layer.writer.groups == groups + 1  # type: ignore[attr-defined]


class Held(FoundryDataLayer):
    """A layer whose writes wait until `release` is set: a slow disk, on demand."""

    release: asyncio.Event

    async def _write(self, group: Any) -> list[int]:
        await self.release.wait()
        return await super()._write(group)


class Message:
    def __init__(self, thread_id: str, kind: str, content: str = "") -> None:
        self.id, self.thread_id, self.type, self.content = str(uuid.uuid4()), thread_id, kind, content
        self.created_at: str | None = None
        self.metadata: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "threadId": self.thread_id, "type": self.type, "output": self.content,
                "name": self.type, "createdAt": self.created_at, "metadata": self.metadata or {}}  # fmt: skip


async def test_the_question_is_stored_beside_the_model_call_and_before_the_answer(db: Path) -> None:
    layer = Held(f"sqlite+aiosqlite:///{db}")
    layer.release = asyncio.Event()
    thread = str(uuid.uuid4())
    question, answer = Message(thread, "user_message", "why?"), Message(thread, "assistant_message")
    recorder = TurnRecorder(layer, answer)
    try:
        recorder.start(question, "why?")  # returns at once: the model call starts now
        ready = asyncio.ensure_future(recorder.ready())
        await recorder.progress("because")  # a first token: no checkpoint may overtake the placeholder
        await asyncio.sleep(0)
        assert not ready.done() and recorder.writes == 0
        layer.release.set()
        await ready  # now the answer may be shown: the question is committed
        with sqlite3.connect(db) as conn:
            stored = conn.execute('SELECT "type", "output" FROM steps ORDER BY "createdAt"').fetchall()
        assert ("user_message", "why?") in stored and len(stored) == 2
        await recorder.finish("because", "ok")
        assert recorder.problem is None
    finally:
        await layer.close()


async def test_storing_the_question_waits_for_the_model_request_then_its_deadline(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Storing starts when the turn says the request is out; without that word, after START_WAIT_S;
    and `ready()` (an answer to show) never waits for either."""
    from storage import turns

    layer = FoundryDataLayer(f"sqlite+aiosqlite:///{db}")
    loop = asyncio.get_running_loop()
    try:
        thread = str(uuid.uuid4())
        signalled = TurnRecorder(layer, Message(thread, "assistant_message"))
        signalled.start(Message(thread, "user_message", "one"), "one")
        await asyncio.sleep(0)
        assert signalled._begun is None  # nothing before the request is out
        signalled.request_out()
        signalled.request_out()  # said twice: stored once
        await signalled.ready()
        assert signalled.writes == 2

        monkeypatch.setattr(turns, "START_WAIT_S", 0.05)
        waited = TurnRecorder(layer, Message(thread, "assistant_message"))
        began = loop.time()
        waited.start(Message(thread, "user_message", "two"), "two")  # nobody says the request is out
        while waited._begun is None and loop.time() - began < 5:
            await asyncio.sleep(0.01)
        assert waited._begun is not None and loop.time() - began >= 0.05
        await waited.ready()

        monkeypatch.setattr(turns, "START_WAIT_S", 60.0)
        shown = TurnRecorder(layer, Message(thread, "assistant_message"))
        shown.start(Message(thread, "user_message", "three"), "three")
        await asyncio.wait_for(shown.ready(), 5)  # the first token came first: stored now, not in a minute
        assert shown.writes == 2 and shown.problem is None
        with sqlite3.connect(db) as conn:
            stored = {row[0] for row in conn.execute("SELECT \"output\" FROM steps WHERE \"type\" = 'user_message'")}
        assert stored == {"one", "two", "three"}
    finally:
        await layer.close()
