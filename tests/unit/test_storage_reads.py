"""The data layer's reads (storage/reader.py) and the reads a turn no longer needs (storage/thread_changes.py),
on real SQLite and real PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import warnings
from typing import Any

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import chainlit  # noqa: F401

from chainlit.user import PersistedUser, User

from storage.data_layer import FoundryDataLayer, IsolationError, PersistenceError
from storage.guard import acting_as
from storage.reader import expand, positional
from storage.thread_changes import THREAD_READ, UNOWNED_FOR_S, USER_FOR_S, Known, Refused, plan
from tests.support.steps import new_id, step


def count_reads(layer: FoundryDataLayer) -> list[str]:
    seen: list[str] = []
    fetch = layer.reader.fetch

    async def counted(sql: str, params: dict[str, Any]) -> Any:
        seen.append(sql)
        return await fetch(sql, params)

    layer.reader.fetch = counted  # type: ignore[method-assign]
    return seen


async def make_user(layer: FoundryDataLayer, name: str) -> PersistedUser:
    user = await layer.create_user(User(identifier=name))
    assert user is not None
    return user


# --- pure ----------------------------------------------------------------------------------------
def test_expand_lists_each_value_and_an_empty_list_matches_nothing() -> None:
    sql, params = expand('SELECT 1 FROM t WHERE "id" IN :ids AND x = :x', {"ids": ["a", "b"], "x": 1}, ("ids",))
    assert sql == 'SELECT 1 FROM t WHERE "id" IN (:ids_0, :ids_1) AND x = :x'
    assert params == {"x": 1, "ids_0": "a", "ids_1": "b"}
    assert expand("SELECT 1 WHERE a IN :ids", {"ids": []}, ("ids",))[0] == "SELECT 1 WHERE a IN (NULL)"


def test_positional_numbers_each_name_once_and_leaves_casts() -> None:
    assert positional("SELECT :a, :b, :a, x::text") == ("SELECT $1, $2, $1, x::text", ("a", "b"))


def test_plan_merges_metadata_keeps_names_and_never_moves_an_owner() -> None:
    existing = {"userId": "u1", "userIdentifier": "alice", "name": "first", "metadata": json.dumps({"a": 1, "b": 2})}
    statement, after = plan("t", existing, metadata={"b": None, "c": 3}, name_if_missing="ignored")
    assert statement is not None and json.loads(statement[1]["metadata"]) == {"a": 1, "c": 3}
    assert after["name"] == "first" and after["userIdentifier"] == "alice"
    assert plan("t", existing, name_if_missing="x") == (None, existing)  # nothing to change: no write
    with pytest.raises(Refused):
        plan("t", existing, user_id="u2", user_identifier="bob")
    statement, after = plan("t", None, user_id="u2", user_identifier="bob", name_if_missing="hello")
    assert statement is not None and statement[1]["name"] == "hello" and statement[1]["userIdentifier"] == "bob"
    assert after == {"userId": "u2", "userIdentifier": "bob", "name": "hello", "metadata": "{}"}


def test_known_keeps_only_owned_threads() -> None:
    known = Known()
    known.keep("a", {"userId": None, "userIdentifier": None, "name": None, "metadata": "{}"})
    known.keep("b", {"userId": "u", "userIdentifier": "alice", "name": None, "metadata": "{}"})
    assert known.thread("a") is None and known.thread("b") is not None
    known.forget("b")
    assert known.thread("b") is None


def test_known_keeps_a_missing_or_unowned_thread_only_briefly_and_users_for_a_while() -> None:
    now = [100.0]
    known = Known(clock=lambda: now[0])
    assert known.lookup("t") == (False, None)
    known.keep("t", None)  # read: missing
    assert known.lookup("t") == (True, None)
    now[0] += UNOWNED_FOR_S
    assert known.lookup("t") == (False, None)  # anyone may have claimed it since: read again
    known.keep("t", {"userId": "u", "userIdentifier": "alice", "name": None, "metadata": "{}"})
    now[0] += 3600
    assert known.lookup("t")[1]["userIdentifier"] == "alice"  # an owner never changes
    user = PersistedUser(id="u", identifier="alice", createdAt="2026", metadata={"a": 1})
    known.keep_user(user)
    copy = known.user("alice")
    copy.metadata["a"] = 2  # a caller changing its copy changes nothing kept
    assert known.user("alice").metadata == {"a": 1}
    now[0] += USER_FOR_S
    assert known.user("alice") is None


# --- real databases ------------------------------------------------------------------------------
async def test_a_first_messages_writes_share_one_read_of_the_new_thread(layer: FoundryDataLayer) -> None:
    """Chainlit's queued steps, the question, the thread's name, the run step and the claim start together."""
    alice = await make_user(layer, "alice")
    thread_id = new_id()
    reads = count_reads(layer)
    with acting_as(alice):
        await asyncio.gather(
            *(layer.write_step(step(thread_id, f"s{i}")) for i in range(4)),
            layer.write_thread(thread_id, name="hello"),
            layer.write_together(thread_id, {"name_if_missing": "hello", "user_id": alice.id}, [step(thread_id)]),
        )
        thread = await layer.get_thread(thread_id)
    assert [r for r in reads if r.startswith(THREAD_READ[:30])] == [THREAD_READ]
    assert thread is not None and thread["userIdentifier"] == "alice" and len(thread["steps"]) == 5


async def test_a_connect_with_nothing_new_about_the_user_writes_and_reads_nothing(layer: FoundryDataLayer) -> None:
    await make_user(layer, "alice")
    reads = count_reads(layer)
    writes: list[Any] = []
    write = layer._write

    async def counted(group: Any) -> Any:
        writes.append(group)
        return await write(group)

    layer._write = counted  # type: ignore[method-assign]
    again = await layer.create_user(User(identifier="alice"))  # Chainlit, at every connect
    assert again is not None and await layer.get_user("alice") == again
    assert reads == [] and writes == []
    changed = await layer.create_user(User(identifier="alice", metadata={"provider": "header"}))
    assert changed is not None and changed.metadata == {"provider": "header"} and len(writes) == 1
    assert (await layer.get_user("alice")).metadata == {"provider": "header"}  # type: ignore[union-attr]


async def test_a_claimed_threads_turns_need_no_reads(layer: FoundryDataLayer) -> None:
    alice = await make_user(layer, "alice")
    thread_id = new_id()
    reads = count_reads(layer)
    with acting_as(alice):
        await layer.write_together(thread_id, {"name_if_missing": "hello", "user_id": alice.id}, [step(thread_id)])
        claimed = len(reads)
        for i in range(3):  # the next turns: question + placeholder, checkpoints, final answer
            await layer.write_together(thread_id, {"name_if_missing": f"q{i}", "metadata": {"options": {"i": i}}}, [])
            await layer.write_step(step(thread_id, f"q{i}"))
    assert claimed <= 2  # the thread row once, the user's identifier once
    assert len(reads) == claimed, reads[claimed:]
    with acting_as(alice):
        thread = await layer.get_thread(thread_id)
    assert thread is not None and thread["name"] == "hello" and len(thread["steps"]) == 4
    assert json.loads(json.dumps(thread["metadata"]))["options"] == {"i": 2}


async def test_another_users_cached_thread_is_still_refused(layer: FoundryDataLayer) -> None:
    alice, bob = await make_user(layer, "alice"), await make_user(layer, "bob")
    thread_id = new_id()
    with acting_as(alice):
        await layer.write_together(thread_id, {"name_if_missing": "mine", "user_id": alice.id}, [step(thread_id)])
    assert layer.known.thread(thread_id) is not None  # cached: bob's refusal must come from the cache too
    with acting_as(bob):
        with pytest.raises(IsolationError):
            await layer.write_step(step(thread_id, "bob was here"))
        with pytest.raises(IsolationError):
            await layer.write_thread(thread_id, user_id=bob.id, name="taken")
    with acting_as(alice):
        with pytest.raises(IsolationError, match="another thread"):  # access was checked for thread_id only
            await layer.write_together(thread_id, None, [step(new_id(), "a step naming another thread")])
        thread = await layer.get_thread(thread_id)
    assert thread is not None and thread["name"] == "mine" and [s["output"] for s in thread["steps"]] == ["hi"]


async def test_reads_see_what_the_writer_committed_and_json_comes_back_decoded(layer: FoundryDataLayer) -> None:
    alice = await make_user(layer, "alice")
    thread_id = new_id()
    with acting_as(alice):
        await layer.write_thread(thread_id, name="n", user_id=alice.id, metadata={"k": [1, "é"]}, tags=["t"])
        found = await layer._run('SELECT "metadata", "tags" FROM threads WHERE "id" = :id', {"id": thread_id})
        listed = await layer._run('SELECT "id" FROM threads WHERE "id" IN :ids', {"ids": [thread_id, new_id()]},
                                  expanding=("ids",))  # fmt: skip
    metadata = found[0]["metadata"]
    assert (json.loads(metadata) if isinstance(metadata, str) else metadata) == {"k": [1, "é"]}
    tags = found[0]["tags"]
    assert (json.loads(tags) if isinstance(tags, str) else tags) == ["t"]
    assert listed == [{"id": thread_id}]


async def test_a_failing_read_is_counted_and_raised(layer: FoundryDataLayer) -> None:
    with pytest.raises(PersistenceError):
        await layer._run("SELECT nope FROM no_such_table", {})
    assert layer.health()["failed_reads"] == 1
    assert await layer._run("SELECT 1 AS one", {}) == [{"one": 1}]  # the reader recovers


_REFERENCE = __import__("re").compile("[\x00\ud800-\udfff]")


def _reference_storable(value: Any) -> Any:
    """The walk as it was before the fast paths: every string through the regex."""
    if isinstance(value, str):
        return _REFERENCE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_reference_storable(k): _reference_storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_reference_storable(v) for v in value]
    return value


@pytest.mark.parametrize(
    "value",
    [
        {"turn": {"state": "done", "reply": "plain ascii", "n": 3, "ok": True, "none": None}},
        {"reply": "café… 日本語 😀", "list": ["a", ("b", "c")]},
        {"reply": "a\x00b", "nested": [{"k\x00": "v"}]},
        {"reply": "lone \ud800 surrogate", "also": "é\udfff"},
        {"reply": "the six characters \\u0000 typed by a user"},
        {"\ud83d": "a surrogate in a key", "x": "\x00"},
        "a bare string\x00",
        ["é", "\ud800"],
    ],
)
def test_json_in_and_storable_give_what_the_plain_walk_gives(value: Any) -> None:
    from storage import _rows as rows

    assert rows.json_in(value) == json.dumps(_reference_storable(value), ensure_ascii=False)
    assert rows.storable(value) == _reference_storable(value)
    assert "\x00" not in rows.json_in(value) and "\\u0000" not in rows.json_in(value).replace("\\\\u0000", "")
