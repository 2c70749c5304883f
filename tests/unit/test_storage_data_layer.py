"""FoundryDataLayer: failed writes are counted and reported, users stay in their own threads, no secrets stored."""

from __future__ import annotations

import logging
import sqlite3
import warnings
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

with warnings.catch_warnings():  # chainlit's dependencies (literalai, traceloop) warn on import
    warnings.simplefilter("ignore", DeprecationWarning)
    import chainlit  # noqa: F401

from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.types import Feedback, Pagination, ThreadFilter
from chainlit.user import PersistedUser, User

from storage.data_layer import FoundryDataLayer, IsolationError, PersistenceError
from storage.guard import acting_as, caller
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


async def make_user(layer: FoundryDataLayer, name: str) -> PersistedUser:
    user = await layer.create_user(User(identifier=name))
    assert user is not None
    return user


async def owned_thread(layer: FoundryDataLayer, user: PersistedUser, text: str = "secret of alice") -> tuple[str, str]:
    thread_id, step_id = new_id(), new_id()
    with acting_as(user):
        await layer.write_thread(thread_id, name=text, user_id=user.id)
        await layer.write_step(step(thread_id, text, step_id=step_id))
    return thread_id, step_id


# --- failed writes -------------------------------------------------------------------------------
async def test_failed_write_is_counted_reported_and_raised(
    layer: FoundryDataLayer, db: Path, caplog: pytest.LogCaptureFixture
) -> None:
    thread_id = new_id()
    await layer.write_step(step(thread_id))
    assert layer.health()["ok"] and layer.health()["failed_writes"] == 0
    with sqlite3.connect(db) as conn:
        conn.execute("DROP TABLE steps")
    caplog.set_level(logging.WARNING)
    with pytest.raises(PersistenceError, match="not available"):
        await layer.write_step(step(thread_id))
    health = layer.health()
    assert not health["ok"] and health["failed_writes"] == 1 and "steps" in health["last_error"]
    # Chainlit's own calls keep their contract (no exception) but are counted too.
    await layer.create_step.__wrapped__(layer, step(thread_id))
    await layer.settle()  # Chainlit's writes are held (storage/lane.py) until the next read or write
    assert layer.health()["failed_writes"] == 2
    assert await layer.execute_sql('INSERT INTO steps ("id") VALUES (:id)', {"id": "x"}) is None
    assert layer.health()["failed_writes"] == 3
    errors = [r for r in caplog.records if r.name == "foundry_chat.storage" and r.levelno == logging.ERROR]
    assert len(errors) == 1, "one log line per burst of failures"
    assert not [r for r in caplog.records if r.name.startswith("chainlit")]
    # Unhealthy for a minute after the last failed write, however many other operations succeed.
    health = await layer.check()
    assert not health["ok"] and health["failed_writes"] == 3
    assert layer.stats.last_write_error_at is not None
    layer.stats.last_write_error_at -= 61
    health = layer.health()
    assert health["ok"] and health["failed_writes"] == 3 and health["last_error"]


async def test_chainlit_layer_would_report_success(db: Path, caplog: pytest.LogCaptureFixture) -> None:
    """The behaviour this class exists to fix: Chainlit's layer logs a warning and carries on."""
    chainlit_layer = SQLAlchemyDataLayer(f"sqlite+aiosqlite:///{db}", storage_provider=object())  # type: ignore[arg-type]
    try:
        with sqlite3.connect(db) as conn:
            conn.execute("DROP TABLE steps")
        caplog.set_level(logging.WARNING)
        result = await chainlit_layer.execute_sql('INSERT INTO steps ("id") VALUES (:id)', {"id": new_id()})
    finally:
        await chainlit_layer.engine.dispose()
    assert result is None
    assert any("An error occurred" in r.getMessage() for r in caplog.records if r.name == "chainlit")


async def test_no_warnings_in_normal_use(layer: FoundryDataLayer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    alice = await make_user(layer, "alice")
    thread_id, step_id = await owned_thread(layer, alice)
    with acting_as(alice):
        await layer.update_thread(thread_id, tags=["foundry-chat"], metadata={"options": {"temperature": 0.2}})
        await layer.upsert_feedback(Feedback(forId=step_id, value=1, comment="good"))
        thread = await layer.get_thread(thread_id)
        await layer.list_threads(Pagination(first=10), ThreadFilter(userId=alice.id, search="alice"))
    assert thread is not None and thread["tags"] == ["foundry-chat"]
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


# --- what is stored ------------------------------------------------------------------------------
async def test_thread_metadata_is_sanitized_and_merged(layer: FoundryDataLayer, db: Path) -> None:
    thread_id = new_id()
    await layer.update_thread(
        thread_id,
        metadata={
            "options": {"model": "m", "max_tokens": 64},
            "api_key": "sk-abcdefghijklmnopqrstuvwx",
            "openai_client": object(),
            "history": [{"role": "user", "content": "x"}],
            "note": "sk-abcdefghijklmnopqrstuvwxyz012345",
            "chat_profile": "foundry-chat",
        },
    )
    await layer.update_thread(thread_id, metadata={"chat_profile": None, "extra": 1})
    thread = await layer.get_thread(thread_id)
    assert thread is not None
    assert thread["metadata"] == {"options": {"model": "m", "max_tokens": 64}, "extra": 1}
    with sqlite3.connect(db) as conn:
        raw = conn.execute("SELECT metadata FROM threads").fetchone()[0]
    assert "sk-" not in raw and "history" not in raw


async def test_steps_round_trip_with_types(layer: FoundryDataLayer) -> None:
    thread_id = new_id()
    await layer.write_step(
        step(
            thread_id,
            "answer",
            type="assistant_message",
            tags=["a"],
            modes={"m": "x"},
            autoCollapse=True,
            isError=False,
        )
    )
    thread = await layer.get_thread(thread_id)
    assert thread is not None
    (s,) = thread["steps"]
    assert s["tags"] == ["a"] and s["modes"] == {"m": "x"} and s["autoCollapse"] is True and s["isError"] is False
    assert s["metadata"] == {} and s["streaming"] is False


async def test_feedback_gets_its_thread_and_one_per_message(layer: FoundryDataLayer) -> None:
    alice = await make_user(layer, "alice")
    thread_id, step_id = await owned_thread(layer, alice)
    with acting_as(alice):
        first = await layer.upsert_feedback(Feedback(forId=step_id, value=0, comment="meh"))
        second = await layer.upsert_feedback(Feedback(forId=step_id, value=1, comment="better"))
        thread = await layer.get_thread(thread_id)
    assert first == second
    assert thread is not None and len(thread["steps"]) == 1
    assert thread["steps"][0]["feedback"] == {
        "forId": step_id, "id": first, "threadId": thread_id, "value": 1, "comment": "better"
    }  # fmt: skip


# --- isolation -----------------------------------------------------------------------------------
@pytest.fixture
async def two_users(layer: FoundryDataLayer) -> dict[str, Any]:
    alice, bob = await make_user(layer, "alice"), await make_user(layer, "bob")
    thread_id, step_id = await owned_thread(layer, alice)
    with acting_as(alice):
        feedback_id = await layer.upsert_feedback(Feedback(forId=step_id, value=1))
    return {"alice": alice, "bob": bob, "thread": thread_id, "step": step_id, "feedback": feedback_id}


async def test_other_users_thread_is_invisible(layer: FoundryDataLayer, two_users: dict[str, Any]) -> None:
    with acting_as(two_users["bob"]):
        assert await layer.get_thread(two_users["thread"]) is None
        # Even when a caller passes someone else's user id, only their own threads come back.
        page = await layer.list_threads(Pagination(first=10), ThreadFilter(userId=two_users["alice"].id))
        assert page.data == []
        assert await layer.get_element(two_users["thread"], new_id()) is None
    with acting_as(two_users["alice"]):
        page = await layer.list_threads(Pagination(first=10), ThreadFilter(userId=two_users["alice"].id))
        assert [t["id"] for t in page.data] == [two_users["thread"]]
    assert await layer.get_thread_author(two_users["thread"]) == "alice"
    assert await layer.get_thread_author(new_id()) == ""  # Chainlit's ACL turns "" into 404, not 500


async def test_other_users_thread_cannot_be_changed(
    layer: FoundryDataLayer, two_users: dict[str, Any], db: Path
) -> None:
    bob, thread_id, step_id = two_users["bob"], two_users["thread"], two_users["step"]
    with acting_as(bob):
        with pytest.raises(IsolationError):
            await layer.write_step(step(thread_id, "bob was here"))
        with pytest.raises(IsolationError):
            await layer.write_thread(thread_id, user_id=bob.id)
        with pytest.raises(IsolationError):
            await layer.remove_step(step_id)
        with pytest.raises(IsolationError):
            await layer.upsert_feedback(Feedback(forId=step_id, value=0))
        with pytest.raises(IsolationError):
            await layer.delete_feedback(two_users["feedback"])
        await layer.delete_thread(thread_id)  # Chainlit's contract: no exception, nothing deleted
        await layer.update_thread(thread_id, name="renamed by bob")
        await layer.settle()  # held as bob, refused when written
    # Without a known caller (startup, a socket being connected) ownership still cannot move.
    with pytest.raises(IsolationError):
        await layer.write_thread(thread_id, user_id=bob.id)
    with sqlite3.connect(db) as conn:
        assert conn.execute('SELECT "userIdentifier", "name" FROM threads').fetchall() == [("alice", "secret of alice")]
        assert conn.execute("SELECT output FROM steps").fetchall() == [("secret of alice",)]
        assert conn.execute("SELECT COUNT(*) FROM feedbacks").fetchone()[0] == 1
    assert layer.health()["refused"] >= 6 and layer.health()["ok"]  # refusals are not database failures


async def test_step_id_of_another_thread_is_not_taken_over(
    layer: FoundryDataLayer, two_users: dict[str, Any], db: Path
) -> None:
    """A client picks its message ids: reusing one of alice's must not move her message into bob's thread."""
    bob = two_users["bob"]
    bobs_thread, _ = await owned_thread(layer, bob, "bob's own")
    with acting_as(bob), pytest.raises(IsolationError, match="another thread"):
        await layer.write_step(step(bobs_thread, "overwritten", step_id=two_users["step"]))
    with sqlite3.connect(db) as conn:
        row = conn.execute('SELECT "threadId", output FROM steps WHERE id = ?', (two_users["step"],)).fetchone()
    assert row == (two_users["thread"], "secret of alice")


async def test_malformed_ids_are_refused_not_queried(layer: FoundryDataLayer, db: Path) -> None:
    evil = "x') UNION SELECT * FROM steps --"
    with pytest.raises(IsolationError, match="malformed"):
        await layer.write_step(step(evil))
    assert await layer.get_thread(evil) is None
    # A bad id that got into the database anyway (older version, by hand) cannot inject into reads.
    alice = await make_user(layer, "alice")
    with sqlite3.connect(db) as conn:
        conn.execute(
            'INSERT INTO threads ("id", "userId", "userIdentifier") VALUES (?, ?, ?)', (evil, alice.id, "alice")
        )
    threads = await layer.get_all_user_threads(user_id=alice.id)
    assert threads is not None and [t["id"] for t in threads] == [evil]
    assert layer.health()["ok"]


def test_caller_is_unknown_outside_requests() -> None:
    assert caller() is None
    with acting_as("alice"):
        assert caller() == "alice"
    assert caller() is None


@pytest.mark.parametrize("bad", ["lone \ud800 surrogate", "a NUL \x00 here"])
async def test_unstorable_characters_never_fail_a_write(layer: FoundryDataLayer, db: Path, bad: str) -> None:
    """A NUL or a lone surrogate (refused by chat/inputs.py, but Chainlit stores the user's message
    first) is stored as U+FFFD: the write succeeds and /readyz's storage check stays ok."""
    alice = await make_user(layer, "alice")
    with acting_as(alice):
        thread_id, _ = await owned_thread(layer, alice)
        await layer.write_step(step(thread_id, bad, metadata={"note": bad}))
        await layer.write_thread(thread_id, name_if_missing=bad, user_id=alice.id, metadata={"k": bad})
    assert layer.stats.failed_writes == 0 and (await layer.check())["ok"]
    with sqlite3.connect(db) as conn:
        outputs = [
            r[0] for r in conn.execute("SELECT output FROM steps WHERE output LIKE '%here' OR output LIKE '%surrogate'")
        ]
    assert outputs and all("\ufffd" in o for o in outputs)


def test_an_over_long_user_message_is_stored_as_a_preview_and_a_note() -> None:
    from storage._rows import capped_user_text

    assert capped_user_text("short", 10) == "short"
    assert capped_user_text("x" * 50, None) == "x" * 50
    assert capped_user_text("ab\x01\x02\x03", 2) == "ab\x01\x02\x03"  # within the limit once control characters go
    capped = capped_user_text("z" * 5_000, 100)
    assert capped.startswith("z" * 200) and len(capped) < 400 and "5,000 characters long" in capped
