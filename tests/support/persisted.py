"""What the persistence end-to-end tests share (tests/e2e/test_persistence*.py): a client that resumes
threads, login and thread helpers, the users file and app environments, and the two scenarios run on
SQLite and on PostgreSQL (restart and resume; `kill -9` mid-answer)."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio

from tests.support.app_process import AppProcess
from tests.support.openai_server import OpenAIServer
from tests.support.sio_client import ChatClient

SECRET = "e2e-" + "k" * 60
INTERRUPTED = "*[interrupted: the server stopped before this answer finished]*"  # storage.turns.INTERRUPTED
PASSWORDS = {"alice": "alice-password", "bob": "bob-password"}


# --- helpers -------------------------------------------------------------------------------------
class Client(ChatClient):
    """ChatClient that can resume a thread and learns the id of the thread it writes to."""

    def __init__(self, base_url: str, *, cookies: str | None = None, resume: str = "") -> None:
        super().__init__(base_url, cookies=cookies)
        self.resume = resume
        self.thread_id: str | None = resume or None
        self.resumed: dict[str, Any] | None = None
        self.resume_error: Any = None
        self._resumed = asyncio.Event()
        self.sio.on("first_interaction", self._on_first_interaction)
        self.sio.on("resume_thread", self._on_resume_thread)
        self.sio.on("resume_thread_error", self._on_resume_error)

    async def _on_first_interaction(self, data: dict[str, Any]) -> None:
        self.thread_id = data.get("thread_id")

    async def _on_resume_thread(self, data: dict[str, Any]) -> None:
        self.resumed = data
        self._resumed.set()

    async def _on_resume_error(self, data: Any) -> None:
        self.resume_error = data
        self._resumed.set()

    async def connect(self, timeout: float = 30.0) -> Any:  # noqa: ASYNC109  # ChatClient's signature
        if not self.resume:
            return await super().connect(timeout)
        headers = {"Cookie": self.cookies} if self.cookies else {}
        auth = {
            "clientType": "webapp",
            "sessionId": self.session_id,
            "threadId": self.resume,
            "userEnv": "{}",
            "chatProfile": "",
        }
        await self.sio.connect(
            self.base_url,
            socketio_path="/ws/socket.io",
            transports=["websocket"],
            auth=auth,
            headers=headers,
            wait_timeout=10,
        )
        self._task_ended.clear()
        await self.sio.emit("connection_successful")
        await asyncio.wait_for(self._resumed.wait(), timeout)
        return self.resumed


def login(app: AppProcess, name: str, password: str | None = None) -> str:
    r = httpx.post(app.url + "/login", data={"username": name, "password": password or PASSWORDS[name]}, timeout=30)
    assert r.status_code == 200, r.text
    return f"access_token={r.cookies['access_token']}"


def http(app: AppProcess, cookie: str | None) -> httpx.Client:
    headers = {"Cookie": cookie} if cookie else {}
    return httpx.Client(base_url=app.url, headers=headers, timeout=30)


def list_threads(app: AppProcess, cookie: str, **filters: Any) -> list[dict[str, Any]]:
    with http(app, cookie) as h:
        r = h.post("/project/threads", json={"pagination": {"first": 50, "cursor": None}, "filter": filters})
    assert r.status_code == 200, r.text
    return list(r.json()["data"])


def get_thread(app: AppProcess, cookie: str, thread_id: str) -> dict[str, Any]:
    with http(app, cookie) as h:
        r = h.get(f"/project/thread/{thread_id}")
    assert r.status_code == 200, r.text
    return dict(r.json())


def messages(thread: dict[str, Any]) -> list[tuple[str, str]]:
    return [(s["type"], s["output"]) for s in thread["steps"] if s["type"] in ("user_message", "assistant_message")]


def chats(backend: OpenAIServer) -> list[dict[str, Any]]:
    return [r.body for r in backend.received if r.path == "/v1/chat/completions"]


REFUSALS = ("Authorization for the thread failed.", "Authentication failed in websocket connect.", "storage: refused:")
NOT_DATA_LAYER = ("Translated markdown file for",)  # chainlit.md has no en-US translation: harmless
"""What a deliberate cross-user attempt logs (and nothing else may)."""


def data_layer_complaints(log: str, allow: tuple[str, ...] = ()) -> list[str]:
    """Warnings and errors of Chainlit (its data layer logs every failed write as a warning) and of ours."""
    return [
        line
        for line in log.splitlines()
        if ((" - WARNING - " in line or " - ERROR - " in line)
            or ("foundry_chat.storage" in line and (" WARNING " in line or " ERROR " in line)))
        and not any(a in line for a in allow + NOT_DATA_LAYER)
    ]  # fmt: skip


async def chat(app: AppProcess, cookie: str | None, *texts: str, settings: dict[str, Any] | None = None) -> Client:
    client = Client(app.url, cookies=cookie)
    await client.connect()
    if settings:
        await client.update_settings(settings)
    for text in texts:
        turn = await client.send(text)
        assert turn.assistant_texts(), turn.all_texts()
    await client.close()
    assert client.thread_id
    return client


def app_env(backend: OpenAIServer, db_url: str, foundry_cache: Path, **extra: str) -> dict[str, str]:
    return {
        "BASE_URL": backend.base_url,
        "FOUNDRY_CACHE_DIR": str(foundry_cache),
        "CONTEXT_TOKENS": "4096",
        "CHAT_DB_URL": db_url,
        "CHAINLIT_AUTH_SECRET": SECRET,
        **extra,
    }


# --- done when: two users, a restart, each resumes only their own threads --------------------------
async def restart_and_resume(env: dict[str, str], backend: OpenAIServer) -> None:
    backend.behaviour.echo = True
    with AppProcess(env) as first:
        alice_cookie, bob_cookie = login(first, "alice"), login(first, "bob")
        alice = await chat(
            first,
            alice_cookie,
            "My name is Alice.",
            "I like tea.",
            settings={"model": "test-model-2", "temperature": 0.3},
        )
        bob = await chat(first, bob_cookie, "My name is Bob.")
    assert not data_layer_complaints(first.log()), first.log()[-3000:]

    with AppProcess(env) as second:
        assert [t["id"] for t in list_threads(second, alice_cookie)] == [alice.thread_id]
        assert [t["id"] for t in list_threads(second, bob_cookie)] == [bob.thread_id]

        resumed = Client(second.url, cookies=alice_cookie, resume=alice.thread_id or "")
        thread = await resumed.connect()
        assert thread is not None and resumed.resume_error is None
        assert messages(thread)[:4] == [
            ("user_message", "My name is Alice."),
            ("assistant_message", messages(thread)[1][1]),
            ("user_message", "I like tea."),
            ("assistant_message", messages(thread)[3][1]),
        ]
        assert messages(thread)[1][1].startswith("You said: My name is Alice.")
        await resumed.send("What is my name?")
        await resumed.close()
        request = chats(backend)[-1]
        assert [(m["role"], m["content"][:26]) for m in request["messages"]] == [
            ("system", request["messages"][0]["content"][:26]),
            ("user", "My name is Alice."),
            ("assistant", "You said: My name is Alice"),
            ("user", "I like tea."),
            ("assistant", "You said: I like tea."),
            ("user", "What is my name?"),
        ]
        assert (request["model"], request["temperature"]) == ("test-model-2", 0.3)  # settings came back too

        with pytest.raises(socketio.exceptions.ConnectionError):
            await Client(second.url, cookies=bob_cookie, resume=alice.thread_id or "").connect()
        bobs = Client(second.url, cookies=bob_cookie, resume=bob.thread_id or "")
        assert messages(await bobs.connect())[0] == ("user_message", "My name is Bob.")
        await bobs.close()
    assert not data_layer_complaints(second.log(), REFUSALS), second.log()[-3000:]
    assert second.log().count("Authorization for the thread failed.") == 1


async def kill_9_mid_answer(auth_env: dict[str, str], backend: OpenAIServer) -> None:
    backend.behaviour.reply = " ".join(f"word{i}" for i in range(400))
    backend.behaviour.token_delay = 0.02
    with AppProcess(auth_env) as first:
        cookie = login(first, "alice")
        client = Client(first.url, cookies=cookie)
        await client.connect()
        await client.send("Tell me a long story.", wait=False)
        await client.wait_tokens(80)  # 1.6 s of answer: the first checkpoints are written
        first.signal(signal.SIGKILL)
        assert first.proc is not None
        first.proc.wait(10)
        await client.close()
    thread_id = client.thread_id
    assert thread_id

    backend.behaviour.reply = "Understood."
    backend.behaviour.token_delay = 0.0
    with AppProcess(auth_env) as second:
        thread = get_thread(second, cookie, thread_id)
        (question, asked), (answer, partial) = messages(thread)
        assert (question, asked) == ("user_message", "Tell me a long story.")
        assert answer == "assistant_message" and partial.startswith("word0 word1 word2")
        assert partial.endswith(INTERRUPTED) and "word399" not in partial
        kept = partial.removesuffix(INTERRUPTED).split()
        assert len(kept) >= 20, partial  # what streamed before the last checkpoint survived

        backend.behaviour.echo = True
        resumed = Client(second.url, cookies=cookie, resume=thread_id)
        await resumed.connect()
        await resumed.send("Go on.")
        await resumed.close()
        history = chats(backend)[-1]["messages"]
        assert [m["role"] for m in history] == ["system", "user", "assistant", "user"]
        assert history[2]["content"].startswith("word0 word1") and INTERRUPTED not in history[2]["content"]
