"""Persisted conversations, login and per-user isolation, on the real app process.

The app restarts on the same database and threads resume with their history and settings; a
`kill -9` mid-answer leaves the question and the partial answer, marked interrupted; another user
is refused over HTTP and socket.io; failed writes reach the user and /readyz; no data-layer
warning is logged. SQLite always; PostgreSQL when Debian's server can be started here.

Until app.py wires `storage/` in, run these against an integrated copy: FOUNDRY_CHAT_APP_ROOT=/path/to/copy.
"""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import socketio

from storage.users import add_or_update_user
from tests.support import postgres
from tests.support.app_process import AppProcess
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.openai_server import OpenAIServer
from tests.support.sio_client import ChatClient

pytestmark = pytest.mark.e2e

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


@pytest.fixture(scope="module")
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("auth") / "users.json"
    for name, password in PASSWORDS.items():
        add_or_update_user(path, name, password)
    return path


def app_env(backend: OpenAIServer, db_url: str, foundry_cache: Path, **extra: str) -> dict[str, str]:
    return {
        "BASE_URL": backend.base_url,
        "FOUNDRY_CACHE_DIR": str(foundry_cache),
        "CONTEXT_TOKENS": "4096",
        "CHAT_DB_URL": db_url,
        "CHAINLIT_AUTH_SECRET": SECRET,
        **extra,
    }


@pytest.fixture
def auth_env(backend: OpenAIServer, users_file: Path, foundry_cache: Path, tmp_path: Path) -> dict[str, str]:
    return app_env(
        backend, f"sqlite+aiosqlite:///{tmp_path / 'db' / 'chat.db'}", foundry_cache, AUTH_USERS_FILE=str(users_file)
    )


@pytest.fixture
def auth_app(auth_env: dict[str, str]) -> Iterator[AppProcess]:
    with AppProcess(auth_env) as app:
        yield app
    assert not data_layer_complaints(app.log(), REFUSALS), app.log()[-3000:]


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


async def test_two_users_restart_and_each_resumes_only_their_own(
    auth_env: dict[str, str], backend: OpenAIServer
) -> None:
    await restart_and_resume(auth_env, backend)


async def test_kill_9_mid_answer_keeps_question_and_partial_answer(
    auth_env: dict[str, str], backend: OpenAIServer
) -> None:
    await kill_9_mid_answer(auth_env, backend)


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
    rows = sqlite3.connect(db).execute('SELECT type, output FROM steps').fetchall()
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
def _browser_login(browser: Any, url: str, name: str) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    # Offline machine: the page's CDN fonts and stylesheets are cut short.
    context.route("**/*", lambda route: route.continue_() if "127.0.0.1" in route.request.url else route.abort())
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("#email", timeout=30_000)
    page.fill("#email", name)
    page.fill("#password", PASSWORDS[name])
    page.keyboard.press("Enter")
    page.wait_for_selector("#chat-input", timeout=30_000)
    return page


def _browser_send(page: Any, text: str) -> None:
    answers = '[data-step-type="assistant_message"] .message-content'
    before = page.locator(answers).count()
    page.fill("#chat-input", text)
    page.wait_for_selector("#chat-submit:not([disabled])", timeout=10_000)
    page.click("#chat-submit")
    page.wait_for_function(f"n => document.querySelectorAll('{answers}').length > n", arg=before, timeout=30_000)
    page.wait_for_selector("#stop-button", state="detached", timeout=30_000)


def test_browser_login_restart_resume(auth_env: dict[str, str], backend: OpenAIServer) -> None:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} missing: scripts/test.sh installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    backend.behaviour.echo = True
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            with AppProcess(auth_env) as first:
                alice = _browser_login(browser, first.url, "alice")
                _browser_send(alice, "My name is Alice.")
                cookie = "; ".join(f"{c['name']}={c['value']}" for c in alice.context.cookies())
                (thread,) = list_threads(first, cookie)
            with AppProcess(auth_env, port=first.port) as second:  # a restart: same port, the cookie still valid
                alice.goto(second.url)
                try:
                    alice.click(f"#thread-{thread['id']}", timeout=30_000)
                except Exception:
                    alice.screenshot(path=str(Path(__file__).parent / "artifacts" / "resume-failure.png"))
                    raise
                alice.wait_for_selector('[data-step-type="user_message"] >> text=My name is Alice.', timeout=30_000)
                _browser_send(alice, "What is my name?")
                contents = [m["content"] for m in chats(backend)[-1]["messages"]]
                assert contents[1:] == ["My name is Alice.", "You said: My name is Alice.", "What is my name?"]

                bob = _browser_login(browser, second.url, "bob")
                bob.wait_for_timeout(1000)
                assert bob.locator(f"#thread-{thread['id']}").count() == 0
                bob.goto(f"{second.url}/thread/{thread['id']}")
                bob.wait_for_timeout(2000)
                assert "My name is Alice" not in bob.content()
        finally:
            browser.close()
    assert not data_layer_complaints(second.log(), REFUSALS), second.log()[-3000:]


# --- PostgreSQL ----------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def pg() -> Iterator[postgres.TempPostgres]:
    reason = postgres.unavailable_reason()
    if reason:
        pytest.skip(f"PostgreSQL path not tested: {reason}")
    with postgres.TempPostgres() as server:
        yield server


async def test_postgres_restart_and_resume(
    pg: postgres.TempPostgres, backend: OpenAIServer, users_file: Path, foundry_cache: Path
) -> None:
    env = app_env(backend, pg.create_database("resume"), foundry_cache, AUTH_USERS_FILE=str(users_file))
    await restart_and_resume(env, backend)


async def test_postgres_kill_9_mid_answer(
    pg: postgres.TempPostgres, backend: OpenAIServer, users_file: Path, foundry_cache: Path
) -> None:
    env = app_env(backend, pg.create_database("killed"), foundry_cache, AUTH_USERS_FILE=str(users_file))
    await kill_9_mid_answer(env, backend)


async def test_postgres_takes_no_unstorable_or_over_long_message_and_stays_ready(
    pg: postgres.TempPostgres, backend: OpenAIServer, foundry_cache: Path
) -> None:
    """Issue 14, item 4, on PostgreSQL: a NUL (refused by text and JSONB columns) or a lone surrogate
    must not fail Chainlit's own write of the message, and a refused over-long one is stored as a preview."""
    with AppProcess(app_env(backend, pg.create_database("unstorable"), foundry_cache)) as app:
        client = ChatClient(app.url)
        await client.connect()
        await client.send("hello")
        for bad in ("a NUL \x00 here", "lone \ud800 surrogate", "too long " + "q" * 100_000):
            turn = await client.send(bad, timeout=20)
            assert turn.errors(), turn.all_texts()
        turn = await client.send("still here?")
        await client.close()
        assert turn.assistant_texts(), turn.all_texts()
        r = httpx.get(app.url + "/readyz", timeout=5)
        assert r.status_code == 200, r.text
        assert r.json()["storage"]["failed_writes"] == 0, r.text
        assert "Traceback" not in app.log()
