"""Full-text search over message content (storage/search.py), on real SQLite and real PostgreSQL."""

from __future__ import annotations

import uuid
import warnings
from pathlib import Path

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    import chainlit  # noqa: F401

from chainlit.types import Pagination, ThreadFilter
from chainlit.user import PersistedUser, User

from storage.data_layer import FoundryDataLayer
from storage.guard import acting_as
from storage.schema import ensure_schema
from storage.search import query_terms


def new_id() -> str:
    return str(uuid.uuid4())


async def make_user(layer: FoundryDataLayer, name: str) -> PersistedUser:
    user = await layer.create_user(User(identifier=name))
    assert user is not None
    return user


async def chat(
    layer: FoundryDataLayer, user: PersistedUser, *texts: str, name: str | None = None
) -> tuple[str, list[str]]:
    thread_id, ids = new_id(), []
    with acting_as(user):
        await layer.write_thread(thread_id, name=name or texts[0][:40], user_id=user.id)
        for i, text in enumerate(texts):
            ids.append(new_id())
            kind = "user_message" if i % 2 == 0 else "assistant_message"
            await layer.write_step(
                {
                    "id": ids[-1],
                    "threadId": thread_id,
                    "name": "x",
                    "type": kind,
                    "output": text,
                    "metadata": {},
                    "createdAt": f"2026-01-01T00:00:{i:02d}.000000Z",
                }
            )
    return thread_id, ids


async def found(layer: FoundryDataLayer, user: PersistedUser, search: str) -> list[str]:
    with acting_as(user):
        page = await layer.list_threads(Pagination(first=20), ThreadFilter(userId=user.id, search=search))
    return [t["id"] for t in page.data]


async def test_finds_a_word_of_a_later_message_case_and_accent_insensitive(layer: FoundryDataLayer) -> None:
    alice = await make_user(layer, "alice")
    thread, _ = await chat(layer, alice, "Bonjour", "Salut !", "Le CAFÉ de la gare est fermé", "Dommage.")
    other, _ = await chat(layer, alice, "Nothing about drinks here")
    assert await found(layer, alice, "cafe") == [thread]
    assert await found(layer, alice, "Café") == [thread]
    assert await found(layer, alice, "FERME gare") == [thread]  # every word, any order
    assert await found(layer, alice, "gar") == [thread]  # the last word as a prefix, while typing
    assert await found(layer, alice, "drinks") == [other]
    assert await found(layer, alice, "café absent") == []


async def test_ranked_names_first_and_other_users_never(layer: FoundryDataLayer) -> None:
    alice, bob = await make_user(layer, "alice"), await make_user(layer, "bob")
    once, _ = await chat(layer, alice, "we talked about sailing once", "then cooking, cooking, cooking", name="Chat 1")
    often, _ = await chat(layer, alice, "sailing sailing sailing", "sailing is all we do, sailing", name="Chat 2")
    named, _ = await chat(layer, alice, "unrelated", name="Sailing trip plans")
    await chat(layer, bob, "bob also likes sailing")
    result = await found(layer, alice, "sailing")
    assert result[0] == named and set(result) == {once, often, named}
    assert result.index(often) < result.index(once)
    assert len(await found(layer, bob, "sailing")) == 1


async def test_in_step_with_updates_and_deletes(layer: FoundryDataLayer) -> None:
    alice = await make_user(layer, "alice")
    thread, ids = await chat(layer, alice, "question", "")
    with acting_as(alice):  # a streamed answer: checkpoints rewrite the same step
        for text in ("The ans", "The answer is zebra", "The answer is zebra, final"):
            await layer.write_step(
                {
                    "id": ids[1],
                    "threadId": thread,
                    "name": "x",
                    "type": "assistant_message",
                    "output": text,
                    "metadata": {},
                }
            )
    assert await found(layer, alice, "zebra final") == [thread]
    assert await found(layer, alice, "ans") == [thread]
    with acting_as(alice):
        await layer.remove_step(ids[1])
    assert await found(layer, alice, "zebra") == []
    with acting_as(alice):
        await layer.delete_thread(thread)
    assert await found(layer, alice, "question") == []


async def test_hostile_and_empty_queries_have_a_defined_answer(layer: FoundryDataLayer) -> None:
    alice = await make_user(layer, "alice")
    thread, _ = await chat(layer, alice, 'a "quoted" NEAR(x) OR * text', "100% sure_thing")
    for hostile in ('"', "*", "NEAR(", "a OR b", "') DROP TABLE steps; --", "\\", "x" * 10_000, "🙂"):
        assert isinstance(await found(layer, alice, hostile), list), hostile
    assert await found(layer, alice, "quoted") == [thread]
    assert await found(layer, alice, "100%") == [thread]  # the thread name's text matches as typed
    assert await found(layer, alice, "sure") == [thread]


async def test_a_renamed_thread_is_found_by_its_new_name_only(layer: FoundryDataLayer) -> None:
    alice = await make_user(layer, "alice")
    thread, _ = await chat(layer, alice, "hello", "hi", name="Groceries")
    with acting_as(alice):
        await layer.update_thread(thread, name="Tax return 2026")
    assert await found(layer, alice, "tax") == [thread]
    assert await found(layer, alice, "groceries") == []


async def test_a_thread_claimed_after_its_first_step_is_found_by_its_owner(layer: FoundryDataLayer) -> None:
    alice = await make_user(layer, "alice")
    thread_id = new_id()
    await layer.write_step(  # as Chainlit does: a step before the thread has an owner
        {
            "id": new_id(),
            "threadId": thread_id,
            "name": "x",
            "type": "user_message",
            "output": "orphaned otter",
            "metadata": {},
        }
    )
    assert await found(layer, alice, "otter") == []
    with acting_as(alice):
        await layer.write_thread(thread_id, user_id=alice.id)
    assert await found(layer, alice, "otter") == [thread_id]


def test_query_terms_keep_letters_and_digits_only() -> None:
    assert query_terms('Hello, "world"* OR x_y') == ["Hello", "world", "OR", "x", "y"]
    assert query_terms("") == [] and query_terms("!!!") == []
    assert len(query_terms("w " * 100)) == 8


async def test_an_existing_database_is_indexed_when_search_arrives(tmp_path: Path) -> None:
    import sqlite3

    url = f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"
    await ensure_schema(url)
    layer = FoundryDataLayer(url)
    alice = await make_user(layer, "alice")
    thread, _ = await chat(layer, alice, "stored before the index existed", "yes: walrus")
    await layer.close()
    with sqlite3.connect(tmp_path / "chat.db") as conn:  # as a database made by the previous version
        conn.executescript(
            "DROP TRIGGER steps_fts_ai; DROP TRIGGER steps_fts_au; DROP TRIGGER steps_fts_ad; DROP TABLE steps_fts;"
        )
    await ensure_schema(url)
    layer = FoundryDataLayer(url)
    try:
        assert await found(layer, alice, "walrus") == [thread]
    finally:
        await layer.close()


async def test_an_answer_is_found_once_it_ends_and_by_its_latest_text(layer: FoundryDataLayer) -> None:
    """SQLite indexes an answer when it ends: each checkpoint rewrote the whole text into the index (the
    square of a long answer's length, on the writer all sessions share). PostgreSQL's index is a
    generated column: a streaming answer is found there too."""
    from storage.turns import mark_interrupted

    alice = await make_user(layer, "alice")
    thread, _ = await chat(layer, alice, "tell me about otters")
    answer = {
        "id": new_id(),
        "threadId": thread,
        "name": "Assistant",
        "type": "assistant_message",
        "output": "Otters hold hands while they sleep",
        "createdAt": "2026-01-01T00:00:05.000000Z",
    }

    async def store(output: str, state: str, **metadata: object) -> None:
        with acting_as(alice):
            await layer.write_step({**answer, "output": output, "metadata": {"turn": {"state": state}, **metadata}})

    await store("Otters hold hands", "pending")
    await store("Otters hold hands while they sleep", "streaming")
    assert await found(layer, alice, "sleep") == ([] if layer.dialect == "sqlite" else [thread])
    await store("Otters hold hands while they sleep", "done")  # the same text as the last checkpoint
    assert await found(layer, alice, "sleep") == [thread]
    await store("Otters hold hands while they sleep", "done", route={"target": "local"})  # Chainlit's rewrite
    assert await found(layer, alice, "sleep") == [thread]
    await store("Otters juggle pebbles", "done")
    assert await found(layer, alice, "sleep") == [] and await found(layer, alice, "pebbles") == [thread]

    # killed mid-answer: found after the next start marks it interrupted
    killed, _ = await chat(layer, alice, "and beavers?")
    answer = {**answer, "id": new_id(), "threadId": killed}
    await store("Beavers build dams", "streaming", boot="a process that is gone")
    with acting_as(alice):
        assert await mark_interrupted(layer) == 1
    assert await found(layer, alice, "dams") == [killed]


async def test_a_database_with_the_earlier_triggers_gets_the_current_ones(tmp_path: Path) -> None:
    import sqlite3

    from storage.search import _INSERT, _TYPES_SQL

    url = f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"
    await ensure_schema(url)
    with sqlite3.connect(tmp_path / "chat.db") as conn:  # the previous version's update trigger
        conn.executescript(
            f"""DROP TRIGGER steps_fts_au;
            CREATE TRIGGER steps_fts_au AFTER UPDATE OF "output", "type", "threadId" ON steps BEGIN
                DELETE FROM steps_fts WHERE rowid = old.rowid;
                {_INSERT.format(row="new")} WHERE new."type" IN ({_TYPES_SQL});
            END;"""
        )
    await ensure_schema(url)
    with sqlite3.connect(tmp_path / "chat.db") as conn:
        triggers = dict(conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'").fetchall())
    assert all("json_valid" in triggers[name] for name in ("steps_fts_ai", "steps_fts_au", "threads_fts_owner"))
    layer = FoundryDataLayer(url)
    try:
        alice = await make_user(layer, "alice")
        thread, _ = await chat(layer, alice, "a question", "an answer about narwhals")
        assert await found(layer, alice, "narwhals") == [thread]
    finally:
        await layer.close()
