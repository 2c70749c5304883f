"""Chainlit's own writes are held (storage/lane.py): committed with the app's next write, or soon after, never lost."""

from __future__ import annotations

import asyncio
import sqlite3
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():  # chainlit's dependencies (literalai, traceloop) warn on import
    warnings.simplefilter("ignore", DeprecationWarning)
    import chainlit  # noqa: F401

from chainlit.user import User

from storage.data_layer import FoundryDataLayer
from storage.guard import acting_as
from storage.lane import Held, Lane, merge_changes
from storage.schema import ensure_schema
from tests.support.steps import new_id, step


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


def stored(db: Path, sql: str, *args: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, args).fetchall()


def chainlit_create(layer: FoundryDataLayer, step_dict: dict[str, Any]) -> Any:
    return layer.create_step.__wrapped__(layer, step_dict)  # type: ignore[attr-defined]  # past the queueing decorator


def chainlit_update(layer: FoundryDataLayer, step_dict: dict[str, Any]) -> Any:
    return layer.update_step.__wrapped__(layer, step_dict)  # type: ignore[attr-defined]


async def until(condition: Any, within: float = 5.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, "not within the deadline"
        await asyncio.sleep(0.01)


# --- merge_changes -------------------------------------------------------------------------------
def test_merged_changes_apply_in_order() -> None:
    merged = merge_changes(
        [
            {"name": "first", "user_id": None, "metadata": {"a": 1, "b": 2}, "tags": None},
            {"name_if_missing": "kept", "metadata": {"b": None, "c": 3}},
            {"name": "second", "user_id": "u1", "tags": ["t"], "name_if_missing": "ignored"},
        ]
    )
    assert merged == {
        "name": "second",
        "user_id": "u1",
        "tags": ["t"],
        "name_if_missing": "kept",
        "metadata": {"a": 1, "b": None, "c": 3},  # a later None still removes the key
    }
    assert merge_changes([]) is None and merge_changes([{"name": None}]) is None


# --- held, then written with the app's write -------------------------------------------------------
async def test_chainlit_writes_go_in_the_apps_next_commit(layer: FoundryDataLayer, db: Path) -> None:
    user = await layer.create_user(User(identifier="alice"))
    assert user is not None
    thread_id = new_id()
    question, run, answer = (step(thread_id, "question"), step(thread_id, "", type="run"), new_id())
    with acting_as(user):
        await chainlit_create(layer, question)
        await layer.update_thread(thread_id, name="question", user_id=user.id, tags=["foundry-chat"])
        await chainlit_create(layer, run)
        assert stored(db, "SELECT COUNT(*) FROM steps") == [(0,)], "held, not written yet"
        groups = layer.writer.groups  # type: ignore[attr-defined]
        await layer.write_together(
            thread_id,
            {"name_if_missing": "question", "user_id": user.id},
            [question, step(thread_id, "", step_id=answer, type="assistant_message")],
        )
    assert layer.writer.groups == groups + 1  # type: ignore[attr-defined]  # one commit for all of it
    assert layer.lane.pending == 0
    assert sorted(stored(db, 'SELECT "type" FROM steps')) == [("assistant_message",), ("run",), ("user_message",)]
    assert stored(db, 'SELECT "name", "userIdentifier", "tags" FROM threads') == [
        ("question", "alice", '["foundry-chat"]')
    ]


async def test_held_writes_are_flushed_soon_without_another_write(db: Path) -> None:
    layer = FoundryDataLayer(f"sqlite+aiosqlite:///{db}")
    layer.lane.hold_s = 0.05
    try:
        thread_id = new_id()
        await chainlit_create(layer, step(thread_id, "refused message preview"))
        assert layer.lane.pending == 1
        await until(lambda: stored(db, 'SELECT "output" FROM steps') == [("refused message preview",)])
        await until(lambda: layer.lane.pending == 0)
    finally:
        await layer.close()


async def test_reads_see_held_writes(layer: FoundryDataLayer) -> None:
    thread_id = new_id()
    await layer.update_thread(thread_id, name="just asked")
    await chainlit_create(layer, step(thread_id, "just said"))
    thread = await layer.get_thread(thread_id)
    assert thread is not None and thread["name"] == "just asked"
    assert [s["output"] for s in thread["steps"]] == ["just said"]


async def test_close_writes_what_is_held(db: Path) -> None:
    layer = FoundryDataLayer(f"sqlite+aiosqlite:///{db}")
    layer.lane.hold_s = 60.0  # only the close can write it
    thread_id = new_id()
    await chainlit_create(layer, step(thread_id, "said just before shutdown"))
    await layer.close()
    assert stored(db, 'SELECT "output" FROM steps') == [("said just before shutdown",)]


# --- order: the newest copy wins ------------------------------------------------------------------
async def test_the_apps_copy_replaces_an_older_held_one(layer: FoundryDataLayer, db: Path) -> None:
    thread_id, step_id = new_id(), new_id()
    await chainlit_update(layer, step(thread_id, "older, Chainlit's", step_id=step_id))
    await layer.write_step(step(thread_id, "newer, the app's", step_id=step_id))
    await layer.settle()
    assert stored(db, 'SELECT "output" FROM steps') == [("newer, the app's",)]
    # and a later update of Chainlit's is the newest
    await chainlit_update(layer, step(thread_id, "newest, Chainlit's", step_id=step_id))
    await layer.settle()
    assert stored(db, 'SELECT "output" FROM steps') == [("newest, Chainlit's",)]


async def test_the_apps_copy_wins_over_a_flush_already_under_way(layer: FoundryDataLayer, db: Path) -> None:
    alice = await layer.create_user(User(identifier="alice"))
    thread_id, step_id = new_id(), new_id()
    with acting_as(alice):
        await chainlit_update(layer, step(thread_id, "older, Chainlit's", step_id=step_id))
    gate = asyncio.Event()
    read = layer._thread_row
    reading = asyncio.Event()

    async def slow_read(thread: str) -> Any:  # the flush (as alice) reads the thread's owner first ...
        reading.set()
        await gate.wait()
        return await read(thread)

    layer._thread_row = slow_read  # type: ignore[method-assign]
    flushing = asyncio.ensure_future(layer.settle())
    await asyncio.wait_for(reading.wait(), 5)
    layer._thread_row = read  # type: ignore[method-assign]
    with acting_as(alice):  # ... while the app writes the same step
        await layer.write_step(step(thread_id, "newer, the app's", step_id=step_id))
    gate.set()
    await flushing
    assert stored(db, 'SELECT "output" FROM steps') == [("newer, the app's",)]


async def test_a_deleted_step_is_not_brought_back(layer: FoundryDataLayer, db: Path) -> None:
    thread_id, step_id = new_id(), new_id()
    await layer.write_step(step(thread_id, "first", step_id=step_id))
    await chainlit_update(layer, step(thread_id, "edited", step_id=step_id))
    await layer.delete_step.__wrapped__(layer, step_id)  # type: ignore[attr-defined]
    await layer.settle()
    assert stored(db, "SELECT COUNT(*) FROM steps") == [(0,)]


async def test_a_deleted_thread_is_not_brought_back(layer: FoundryDataLayer, db: Path) -> None:
    thread_id = new_id()
    await layer.write_step(step(thread_id, "first"))
    await layer.update_thread(thread_id, name="renamed")
    await chainlit_create(layer, step(thread_id, "more"))
    await layer.delete_thread(thread_id)
    await layer.settle()
    assert stored(db, "SELECT COUNT(*) FROM steps") == [(0,)]
    assert stored(db, "SELECT COUNT(*) FROM threads") == [(0,)]


# --- failures stay where they belong --------------------------------------------------------------
async def test_a_refused_held_write_does_not_fail_the_apps(layer: FoundryDataLayer, db: Path) -> None:
    thread_id = new_id()
    await chainlit_create(layer, step(thread_id, "malformed", step_id="not-a-uuid"))
    refused = layer.health()["refused"]
    await layer.write_step(step(thread_id, "the app's question"))  # raises nothing
    assert stored(db, 'SELECT "output" FROM steps') == [("the app's question",)]
    assert layer.health()["refused"] > refused


async def test_held_writes_run_as_the_user_who_asked(layer: FoundryDataLayer, db: Path) -> None:
    alice = await layer.create_user(User(identifier="alice"))
    bob = await layer.create_user(User(identifier="bob"))
    assert alice is not None and bob is not None
    thread_id = new_id()
    with acting_as(alice):
        await layer.write_thread(thread_id, name="alice's", user_id=alice.id)
    with acting_as(bob):
        await chainlit_create(layer, step(thread_id, "bob was here"))
        await layer.update_thread(thread_id, name="renamed by bob")
    with acting_as(alice):  # alice's write does not take bob's held writes along ...
        await layer.write_step(step(thread_id, "alice's question"))
    await layer.settle()  # ... and written as bob, they are refused
    assert stored(db, 'SELECT "output" FROM steps') == [("alice's question",)]
    assert stored(db, 'SELECT "name" FROM threads') == [("alice's",)]


async def test_one_threads_failed_flush_does_not_stop_the_others() -> None:
    calls: list[Held] = []

    async def write(held: Held) -> None:
        calls.append(held)
        if len(calls) == 1:
            raise RuntimeError("database went away")

    lane = Lane(write, hold_s=60.0)
    lane.hold_step({"id": "a", "threadId": "t1"}, None, None)
    lane.hold_step({"id": "b", "threadId": "t2"}, None, None)
    await lane.flush()  # one write failed: the other thread's is written all the same
    assert len(calls) == 2 and lane.pending == 0
    lane.hold_step({"id": "c", "threadId": "t1"}, None, None)
    await lane.flush()
    assert [h.step_list() for h in calls[2:]] == [[{"id": "c", "threadId": "t1"}]]
