"""Persisted conversations, login and per-user isolation, on the real app process (SQLite).

Another user is refused over HTTP and socket.io; failed writes reach the user and /readyz; no
data-layer warning is logged; start-up refuses bad storage settings in one line. Restarts,
`kill -9` and PostgreSQL: test_persistence_restarts.py; shared helpers: tests/support/persisted.py.
"""

from __future__ import annotations

import asyncio
import sqlite3
import time
import uuid
from pathlib import Path

import httpx
import pytest
import socketio

from tests.support.app_process import AppProcess
from tests.support.openai_server import OpenAIServer
from tests.support.persisted import (
    Client,
    app_env,
    chat,
    data_layer_complaints,
    get_thread,
    http,
    list_threads,
    login,
    messages,
)
from tests.support.sio_client import ChatClient

pytestmark = pytest.mark.e2e


# --- isolation and login -------------------------------------------------------------------------
async def test_another_user_is_refused_over_http_and_socket(auth_app: AppProcess, backend: OpenAIServer) -> None:
    alice_cookie, bob_cookie = login(auth_app, "alice"), login(auth_app, "bob")
    alice = await chat(auth_app, alice_cookie, "alice's private question")
    thread_id = alice.thread_id
    assert thread_id
    answer_id = next(
        s["id"] for s in get_thread(auth_app, alice_cookie, thread_id)["steps"] if s["type"] == "assistant_message"
    )
    alice_id = list_threads(auth_app, alice_cookie)[0]["userId"]
    await chat(auth_app, bob_cookie, "bob's question")

    with http(auth_app, bob_cookie) as bob:
        assert bob.get(f"/project/thread/{thread_id}").status_code in (401, 403, 404)
        assert bob.get(f"/project/share/{thread_id}").status_code == 404
        assert bob.put("/project/thread", json={"threadId": thread_id, "name": "pwned"}).status_code in (401, 403)
        assert bob.put("/project/thread/share", json={"threadId": thread_id, "isShared": True}).status_code in (
            401,
            403,
        )
        assert bob.request("DELETE", "/project/thread", json={"threadId": thread_id}).status_code in (401, 403)
        feedback = {"feedback": {"forId": answer_id, "value": 0, "comment": "bob"}, "sessionId": str(uuid.uuid4())}
        assert bob.put("/feedback", json=feedback).status_code != 200
        r = bob.post("/project/threads", json={"pagination": {"first": 50}, "filter": {"userId": alice_id}})
        assert r.status_code == 200 and thread_id not in [t["id"] for t in r.json()["data"]]
    with http(auth_app, None) as anonymous:
        assert anonymous.get(f"/project/thread/{thread_id}").status_code == 401
        assert anonymous.post("/project/threads", json={"pagination": {"first": 5}, "filter": {}}).status_code == 401

    with pytest.raises(socketio.exceptions.ConnectionError):
        await Client(auth_app.url, cookies=bob_cookie, resume=thread_id).connect()
    with pytest.raises(socketio.exceptions.ConnectionError):
        await Client(auth_app.url, cookies=None).connect()

    # A message id is the client's choice: reusing alice's answer id must not take her message over.
    bob = Client(auth_app.url, cookies=bob_cookie)
    await bob.connect()
    await bob.send("warm up")
    await bob.sio.emit(
        "client_message",
        {
            "message": {"threadId": "", "id": answer_id, "name": "User", "type": "user_message", "output": "hijack",
                        "createdAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()), "metadata": {}},
            "fileReferences": [],
        },
    )  # fmt: skip
    await bob.wait_task_end(30)
    await bob.close()

    thread = get_thread(auth_app, alice_cookie, thread_id)
    assert thread["name"] == "alice's private question" and thread["userIdentifier"] == "alice"
    assert messages(thread)[0] == ("user_message", "alice's private question")
    answer = next(s for s in thread["steps"] if s["id"] == answer_id)
    assert answer["type"] == "assistant_message" and answer["feedback"] is None
    assert "hijack" not in str(thread)


async def test_failed_login(auth_app: AppProcess) -> None:
    with http(auth_app, None) as h:
        config = h.get("/auth/config").json()
        assert config["requireLogin"] and config["passwordAuth"] and not config["headerAuth"]
        for name, password in (("alice", "wrong-password"), ("mallory", "alice-password"), ("alice", "")):
            r = h.post("/login", data={"username": name, "password": password})
            assert r.status_code in (401, 422), r.text
            assert "access_token" not in r.cookies
    assert "failed login for 'alice'" in auth_app.log()


async def test_feedback_is_stored(auth_app: AppProcess, backend: OpenAIServer) -> None:
    cookie = login(auth_app, "alice")
    client = await chat(auth_app, cookie, "rate me")
    assert client.thread_id
    answer_id = next(
        s["id"] for s in get_thread(auth_app, cookie, client.thread_id)["steps"] if s["type"] == "assistant_message"
    )
    with http(auth_app, cookie) as h:
        r = h.put(
            "/feedback",
            json={"feedback": {"forId": answer_id, "value": 0, "comment": "too short"}, "sessionId": client.session_id},
        )
        assert r.status_code == 200, r.text
        feedback_id = r.json()["feedbackId"]
        r = h.put(
            "/feedback",
            json={"feedback": {"forId": answer_id, "value": 1, "comment": "fine"}, "sessionId": client.session_id},
        )
        assert r.status_code == 200 and r.json()["feedbackId"] == feedback_id  # one feedback per answer, updated
    answer = next(s for s in get_thread(auth_app, cookie, client.thread_id)["steps"] if s["id"] == answer_id)
    assert answer["feedback"]["value"] == 1 and answer["feedback"]["comment"] == "fine"
    assert [t["id"] for t in list_threads(auth_app, cookie, feedback=1)] == [client.thread_id]


async def test_header_login_behind_a_proxy(backend: OpenAIServer, foundry_cache: Path, tmp_path: Path) -> None:
    env = app_env(
        backend, f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}", foundry_cache, AUTH_TRUSTED_HEADER="X-Forwarded-User"
    )
    with AppProcess(env) as app:
        with http(app, None) as h:
            assert h.post("/auth/header").status_code == 401
            r = h.post("/auth/header", headers={"X-Forwarded-User": "Carol"})
            assert r.status_code == 200
            cookie = f"access_token={r.cookies['access_token']}"
        client = await chat(app, cookie, "hello from carol")
        assert [t["id"] for t in list_threads(app, cookie)] == [client.thread_id]
        assert list_threads(app, cookie)[0]["userIdentifier"] == "carol"
    assert not data_layer_complaints(app.log()), app.log()[-3000:]


async def test_local_mode_keeps_history_without_login(
    backend: OpenAIServer, foundry_cache: Path, tmp_path: Path
) -> None:
    """The default (auth off, bound to loopback): one implicit user; the page logs in by itself and past chats are listed."""
    env = app_env(backend, f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}", foundry_cache, CHAINLIT_AUTH_SECRET="")
    with AppProcess(env) as first:
        with http(first, None) as h:
            config = h.get("/auth/config").json()
            assert config["headerAuth"] and not config["passwordAuth"]
            cookie = f"access_token={h.post('/auth/header').cookies['access_token']}"
        client = await chat(first, cookie, "remember me")
    assert (tmp_path / "auth-secret").exists()
    with AppProcess(env) as second:
        threads = list_threads(second, cookie)  # the same cookie: the kept secret still signs it
        assert [t["id"] for t in threads] == [client.thread_id] and threads[0]["userIdentifier"] == "local"


async def test_default_persistence_without_login_keeps_plain_clients_working(
    backend: OpenAIServer, foundry_cache: Path, tmp_path: Path
) -> None:
    """The default: persistence on, auth off: a plain socket.io client signs in as the implicit user
    (`POST /auth/header`, as the page does), chats, and it is stored."""
    db = tmp_path / "chat.db"
    env = app_env(backend, f"sqlite+aiosqlite:///{db}", foundry_cache, CHAINLIT_AUTH_SECRET="")
    with AppProcess(env) as app:
        client = ChatClient(app.url)
        await client.connect()
        turn = await client.send("stored without a login")
        await client.close()
        assert turn.assistant_texts() and not turn.errors()
        log = app.log()
    rows = sqlite3.connect(db).execute("SELECT type, output FROM steps").fetchall()
    assert ("user_message", "stored without a login") in rows
    assert any(kind == "assistant_message" and output.startswith("Hello from the test server") for kind, output in rows)
    assert not data_layer_complaints(log), log[-3000:]


# --- failures are told, startup refuses what cannot work -----------------------------------------
async def test_failed_writes_reach_the_user_and_readyz(auth_env: dict[str, str], backend: OpenAIServer) -> None:
    db = Path(auth_env["CHAT_DB_URL"].removeprefix("sqlite+aiosqlite:///"))
    with AppProcess(auth_env) as app:
        cookie = login(app, "alice")
        client = Client(app.url, cookies=cookie)
        await client.connect()
        assert not (await client.send("first")).errors()
        with sqlite3.connect(db) as conn:
            conn.execute("DROP TABLE steps")
        turn = await client.send("second")
        await client.close()
        assert turn.assistant_texts(), "the answer still arrives"
        assert any("not being saved" in e for e in turn.errors()), turn.all_texts()
        deadline = time.monotonic() + 10
        async with httpx.AsyncClient(base_url=app.url, timeout=5) as h:
            while (r := await h.get("/readyz")).status_code != 503 and time.monotonic() < deadline:  # noqa: ASYNC110  # polling another process
                await asyncio.sleep(0.3)  # /readyz caches its answer for 2 s
        assert r.status_code == 503, r.text
        storage = r.json()["storage"]
        assert storage["failed_writes"] >= 1 and "steps" in storage["last_error"]


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ({"CHAINLIT_AUTH_SECRET": ""}, "CHAINLIT_AUTH_SECRET is required when AUTH_USERS_FILE is set"),
        ({"DATABASE_URL": "postgresql://u:p@127.0.0.1/db"}, "DATABASE_URL is set"),
        ({"CHAT_DB_URL": "mysql://u:p@127.0.0.1/db"}, "CHAT_DB_URL must be SQLite or PostgreSQL"),
        ({"CHAT_DB_URL": "postgresql://u:hunter2@127.0.0.1:1/db"}, "cannot prepare the chat database"),
    ],
)
def test_startup_refuses_with_one_line(auth_env: dict[str, str], extra: dict[str, str], expected: str) -> None:
    app = AppProcess({**auth_env, **extra}, wait_ready=False).start()
    try:
        assert app.proc is not None
        assert app.proc.wait(60) == 2
    finally:
        app.stop()
    log = app.log()
    lines = [line for line in log.splitlines() if expected in line]
    assert len(lines) == 1 and "Traceback" not in log and "hunter2" not in log, log[-3000:]


# --- the same in a browser -----------------------------------------------------------------------
