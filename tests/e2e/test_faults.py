"""Faults from outside, on the running app: a scripted backend that misbehaves, and inputs that are
malformed or hostile. Each case is one finding of issue 14, kept so it stays fixed."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.app_process import AppProcess
from tests.support.openai_server import Behaviour, OpenAIServer
from tests.support.sio_client import ChatClient
from tests.support.waiting import until

pytestmark = pytest.mark.e2e

FIRST_TOKEN_TIMEOUT = 2.0


@pytest.fixture(scope="module")
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as backend:
        yield backend


@pytest.fixture(scope="module")
def cloud() -> Iterator[OpenAIServer]:
    with OpenAIServer(Behaviour(reply="cloud answer here", models=["cloud-model"])) as backend:
        yield backend


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(tmp_path_factory.mktemp("faults-db")) / "chat.db"


@pytest.fixture(scope="module")
def app(server: OpenAIServer, cloud: OpenAIServer, db: Path) -> Iterator[AppProcess]:
    env = {
        "BASE_URL": server.base_url,
        "CLOUD_BASE_URL": cloud.base_url,
        "CLOUD_MODEL": "cloud-model",
        "CLOUD_API_KEY": "sk-cloud-test-key-0123456789",
        "ROUTING_POLICY": "local",  # no fallback unless a test picks another policy
        "FIRST_TOKEN_TIMEOUT": str(FIRST_TOKEN_TIMEOUT),
        "READ_TIMEOUT": "30",
        "ROUTER_BACKOFF": "0.05",
        "CHAT_DB_URL": f"sqlite+aiosqlite:///{db}",
    }
    with AppProcess(env) as proc:
        yield proc


@pytest.fixture
def backend(server: OpenAIServer) -> Iterator[OpenAIServer]:
    server.behaviour = Behaviour()
    server.received.clear()
    yield server
    server.behaviour = Behaviour()


async def test_first_token_timeout_bounds_a_server_that_sends_headers_then_thinks(
    app: AppProcess, backend: OpenAIServer
) -> None:
    backend.behaviour.think = 25.0  # headers and the empty role chunk at once, then prefill
    client = ChatClient(app.url)
    await client.connect()
    began = time.monotonic()
    turn = await client.send("hello?", timeout=40)
    waited = time.monotonic() - began
    await client.close()
    assert waited < FIRST_TOKEN_TIMEOUT + 3, f"waited {waited:.1f} s"
    assert turn.errors(), turn.all_texts()
    assert "did not start answering" in turn.errors()[-1] and "FIRST_TOKEN_TIMEOUT" in turn.errors()[-1]


def test_first_token_timeout_over_v1(app: AppProcess, backend: OpenAIServer) -> None:
    backend.behaviour.think = 25.0
    began = time.monotonic()
    r = httpx.post(
        app.url + "/v1/chat/completions",
        json={"model": "test-model", "messages": [{"role": "user", "content": "hi"}], "stream": False},
        timeout=40,
    )
    waited = time.monotonic() - began
    assert waited < FIRST_TOKEN_TIMEOUT + 3, f"waited {waited:.1f} s"
    assert r.status_code in (503, 504), r.text
    assert "no text within" in r.json()["error"]["message"]


def stored_answers(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            """SELECT "output" FROM steps WHERE "type" = 'assistant_message' ORDER BY "createdAt" """
        ).fetchall()
    return [r[0] or "" for r in rows]


async def test_continuation_seam_reaches_the_page_and_the_store(
    app: AppProcess, backend: OpenAIServer, cloud: OpenAIServer, db: Path
) -> None:
    backend.behaviour.reply = "one two three four five six seven"
    backend.behaviour.die_after_tokens = 3
    backend.behaviour.token_delay = 0.02
    client = ChatClient(app.url)
    await client.connect()
    await client.update_settings({"policy": "local-first"})
    turn = await client.send("Write a short poem about the sea.")
    await client.close()
    shown = turn.assistant_texts()[-1]
    assert shown.startswith("one ") and "cloud answer here" in shown, shown
    seam = shown.index("failed mid-answer")  # in the answer's text, between the two parts, not only in the route line
    assert shown.index("one ") < seam < shown.index("cloud answer here")
    assert any("failed mid-answer" in a and "cloud answer here" in a for a in stored_answers(db))


def stored_user_messages(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute("""SELECT "output" FROM steps WHERE "type" = 'user_message' ORDER BY "createdAt" """).fetchall()
    return [r[0] or "" for r in rows]


@pytest.mark.parametrize("bad", ["lone \ud800 surrogate", "a NUL \x00 here"])
async def test_unstorable_characters_are_rejected_and_the_store_stays_ready(app: AppProcess, bad: str, db: Path) -> None:
    client = ChatClient(app.url)
    await client.connect()
    await client.send("hello")  # the thread exists (and is this user's): the bad message is written into it
    turn = await client.send(bad)
    assert turn.errors() and ("invalid characters" in turn.errors()[-1] or "NUL" in turn.errors()[-1])
    turn = await client.send("still here?")  # the session and its store keep working
    await client.close()
    assert turn.assistant_texts(), turn.all_texts()
    r = httpx.get(app.url + "/readyz", timeout=5)
    assert r.status_code == 200, r.text
    assert r.json()["storage"]["failed_writes"] == 0, r.text



@pytest.mark.parametrize("settings", ["temperature=2", ["policy", "cloud"]])
async def test_settings_that_are_not_an_object_get_a_clear_answer(app: AppProcess, settings: object) -> None:
    client = ChatClient(app.url)
    await client.connect()
    client.turn = type(client.turn)(sent_at=time.perf_counter())
    await client.sio.emit("chat_settings_change", settings)
    for _ in range(100):
        if client.turn.errors():
            break
        await asyncio.sleep(0.05)
    errors = client.turn.errors()
    turn = await client.send("still here?")
    await client.close()
    assert errors and "settings could not be read" in errors[-1], client.turn.all_texts()
    assert turn.assistant_texts()
    assert "Traceback" not in app.log()


@pytest.mark.parametrize(
    ("body", "wording"),
    [
        ('{"model": "test-model", "max_tokens": ' + "9" * 5000 + ', "messages": []}', "cannot be parsed"),
        ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    ],
    ids=["5000-digit integer", "nested 100000 deep"],
)
def test_v1_bodies_python_cannot_parse_are_a_400(app: AppProcess, body: str, wording: str) -> None:
    r = httpx.post(app.url + "/v1/chat/completions", content=body, headers={"content-type": "application/json"}, timeout=10)
    assert r.status_code == 400, r.text[:300]
    error = r.json()["error"]
    assert error["type"] == "invalid_request_error" and wording in error["message"]


async def test_a_malformed_event_from_a_remote_server_does_not_say_restart_the_app(
    app: AppProcess, backend: OpenAIServer
) -> None:
    backend.behaviour.malformed = True
    client = ChatClient(app.url)
    await client.connect()
    turn = await client.send("hello?")
    await client.close()
    error = turn.errors()[-1]
    assert "could not be read" in error and "server's logs" in error, error
    assert "restart the app" not in error


def answer_turns(db: Path) -> list[dict]:
    import json

    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            """SELECT "output", "metadata" FROM steps WHERE "type" = 'assistant_message' ORDER BY "createdAt" """
        ).fetchall()
    return [{"output": r[0] or "", **(json.loads(r[1] or "{}").get("turn") or {})} for r in rows]


async def test_a_second_process_on_the_database_leaves_the_live_answers_of_the_first_alone(
    app: AppProcess, backend: OpenAIServer, tmp_path: Path
) -> None:
    db = tmp_path / "shared.db"
    env = {**app.env, "CHAT_DB_URL": f"sqlite+aiosqlite:///{db}", "FIRST_TOKEN_TIMEOUT": "30"}
    backend.behaviour.release = threading.Event()  # the answer stays "pending": no checkpoint overwrites a wrong mark
    question = "a question answered while another replica starts"
    with AppProcess(env) as first:
        client = ChatClient(first.url)
        await client.connect()
        await client.send(question, wait=False)
        for _ in range(100):
            if any(t.get("state") == "pending" for t in answer_turns(db)):
                break
            await asyncio.sleep(0.05)
        with AppProcess(env) as second:  # its start-up sweep ran on the same database
            live = [t for t in answer_turns(db) if t.get("user") == question]
            assert "marked" not in second.log(), second.log()[-2000:]
        backend.behaviour.release.set()
        await client.wait_task_end(30)
        await client.close()
        done = [t for t in answer_turns(db) if t.get("user") == question]
    assert live and live[-1]["state"] == "pending", answer_turns(db)
    assert "interrupted" not in live[-1]["output"], live
    assert done and done[-1]["state"] == "done" and "interrupted" not in done[-1]["output"], done


async def test_a_1_mib_message_gets_the_input_limit_not_a_silent_disconnect(app: AppProcess) -> None:
    client = ChatClient(app.url)
    await client.connect()
    turn = await client.send("x" * (1024 * 1024), timeout=20)
    connected = client.sio.connected
    await client.close()
    assert connected
    assert turn.errors() and "the limit is 32,000" in turn.errors()[-1], turn.all_texts()
    assert "1048576 characters" in app.log() or "1,048,576 characters" in app.log(), app.log()[-2000:]


async def test_a_rejected_over_long_message_is_not_stored_at_its_full_size(app: AppProcess, db: Path) -> None:
    client = ChatClient(app.url)
    await client.connect()
    await client.send("hello")  # the thread exists: Chainlit writes the next message into it before the app sees it
    marker = "rejected-because-too-long "
    turn = await client.send(marker + "y" * 990_000, timeout=20)
    await client.close()
    assert turn.errors() and "the limit is 32,000" in turn.errors()[-1], turn.all_texts()
    # Chainlit writes the user's message in a task of its own, beside the app's handler
    stored = await until(lambda: [m for m in stored_user_messages(db) if m.startswith(marker)], 15, what="the stored message")
    assert isinstance(stored, list) and len(stored[-1]) < 1_000 and "990,026 characters long" in stored[-1], stored[-1][-200:]
