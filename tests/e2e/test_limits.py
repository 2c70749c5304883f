"""The limits of issue 19 (finding 5), on the real app: what one greedy client can no longer take.

One app with password sign-in, gateway keys and small limits serves every test; each test uses
its own client addresses (X-Forwarded-For, which uvicorn applies for a proxy on 127.0.0.1) and
accounts, so the limits one test exhausts do not touch the next. Backend requests are counted at
the stand-in server; the held requests of the concurrency tests wait on its `gate`.
"""

from __future__ import annotations

import asyncio
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import socketio
from prometheus_client.parser import text_string_to_metric_families

from storage.users import add_or_update_user
from tests.support.app_process import AppProcess
from tests.support.openai_server import OpenAIServer
from tests.support.sio_client import ChatClient
from tests.support.waiting import until

pytestmark = pytest.mark.e2e

SECRET = "e2e-limits-" + "s" * 56
PASSWORDS = {"alice": "alice-password", "bob": "bob-password", "carol": "carol-password"}
KEYS = ("limits-key-one-0123456789", "limits-key-two-0123456789")
LIMITS = {
    "LIMIT_LOGIN_FAILURES": "3",
    "LIMIT_LOGIN_FAILURES_PER_ADDRESS": "5",
    "LIMIT_SESSIONS_PER_CLIENT": "3",
    "LIMIT_V1_CONCURRENCY": "2",
}


@pytest.fixture(scope="module")
def app(http_backend: OpenAIServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    users = tmp_path_factory.mktemp("limits") / "users.json"
    for name, password in PASSWORDS.items():
        add_or_update_user(users, name, password)
    env = {
        "BASE_URL": http_backend.base_url,
        "CONTEXT_TOKENS": "4096",
        "AUTH_USERS_FILE": str(users),
        "CHAINLIT_AUTH_SECRET": SECRET,
        "GATEWAY_API_KEYS": ",".join(KEYS),
        **LIMITS,
    }
    with AppProcess(env) as running:
        yield running


def metric(app: AppProcess, name: str, **labels: str) -> float:
    """One sample of /metrics (0 when absent)."""
    text = httpx.get(app.url + "/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0


def sign_in(app: AppProcess, name: str, password: str, address: str) -> httpx.Response:
    return httpx.post(
        app.url + "/login", data={"username": name, "password": password}, headers={"X-Forwarded-For": address}, timeout=60
    )


def cookie_of(response: httpx.Response) -> str:
    assert response.status_code == 200, response.text
    return f"access_token={response.cookies['access_token']}"


def chats(backend: OpenAIServer) -> list[Any]:
    return [r for r in backend.received if r.path == "/v1/chat/completions"]


# --- sign-in -------------------------------------------------------------------------------------
def test_failed_sign_ins_lock_the_account_with_429_before_any_hash(app: AppProcess) -> None:
    hashed = metric(app, "foundry_chat_login_attempts_total", result="failed")
    assert [sign_in(app, "carol", "wrong-password", "203.0.113.1").status_code for _ in range(3)] == [401] * 3
    refused = sign_in(app, "carol", "wrong-password", "203.0.113.2")  # another address: the account's limit
    assert refused.status_code == 429, refused.text
    assert 0 < int(refused.headers["Retry-After"]) <= 900
    assert "Too many failed sign-ins" in refused.json()["detail"]
    assert sign_in(app, "CAROL", PASSWORDS["carol"], "203.0.113.3").status_code == 429  # even the right password
    assert metric(app, "foundry_chat_login_attempts_total", result="failed") == hashed + 3  # refused: never hashed
    assert metric(app, "foundry_chat_limit_refusals_total", limit="login_account") >= 2
    assert metric(app, "foundry_chat_limit", limit="login_failures") == 3
    cookie_of(sign_in(app, "alice", PASSWORDS["alice"], "203.0.113.1"))  # another account is not locked


async def test_a_flood_of_bad_sign_ins_is_refused_before_hashing_and_spares_other_clients(app: AppProcess) -> None:
    hashed = metric(app, "foundry_chat_login_attempts_total", result="failed")
    flood = "198.51.100.7"
    async with httpx.AsyncClient(base_url=app.url, timeout=120, limits=httpx.Limits(max_connections=50)) as http:

        async def guess(i: int) -> int:
            data = {"username": f"user{i}", "password": "wrong-password"}
            return (await http.post("/login", data=data, headers={"X-Forwarded-For": flood})).status_code

        statuses = await asyncio.gather(*(guess(i) for i in range(40)))
    assert sorted(set(statuses)) == [401, 429], statuses
    # At most CONCURRENT_CHECKS_PER_ADDRESS (1) hashed at a time, and never more than the address's 5 failures:
    assert statuses.count(401) <= 5, statuses
    assert metric(app, "foundry_chat_limit_refusals_total", limit="login_concurrent") >= 1
    later = [sign_in(app, f"later{i}", "wrong-password", flood).status_code for i in range(6)]
    assert statuses.count(401) + later.count(401) == 5, (statuses, later)  # LIMIT_LOGIN_FAILURES_PER_ADDRESS
    assert metric(app, "foundry_chat_login_attempts_total", result="failed") - hashed == 5
    assert sign_in(app, "bob", PASSWORDS["bob"], flood).status_code == 429  # that address is done for now
    cookie_of(sign_in(app, "bob", PASSWORDS["bob"], "192.0.2.44"))  # a real sign-in from elsewhere is not


# --- chat sessions -------------------------------------------------------------------------------
class Client(ChatClient):
    """ChatClient that keeps what the server said when it refused the connection."""

    def __init__(self, app: AppProcess, cookie: str, address: str) -> None:
        super().__init__(app.url, cookies=cookie, headers={"X-Forwarded-For": address})
        self.refusal: Any = None
        self.sio.on("connect_error", self._on_refused)

    async def _on_refused(self, data: Any) -> None:
        self.refusal = data


async def test_sessions_per_client_address_are_capped_with_a_clear_message(app: AppProcess) -> None:
    cookie = cookie_of(sign_in(app, "alice", PASSWORDS["alice"], "192.0.2.50"))
    first = [Client(app, cookie, "192.0.2.51") for _ in range(3)]
    for client in first:
        await client.connect()
    extra = Client(app, cookie, "192.0.2.51")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await extra.connect()
    assert "LIMIT_SESSIONS_PER_CLIENT" in str(extra.refusal) and "limit 3" in str(extra.refusal), extra.refusal
    assert metric(app, "foundry_chat_limit_refusals_total", limit="sessions_per_client") >= 1
    elsewhere = Client(app, cookie, "192.0.2.52")
    await elsewhere.connect()  # another address has its own sessions
    await first[0].close()
    retry = Client(app, cookie, "192.0.2.51")
    await until(lambda: metric(app, "foundry_chat_open_sessions") == 3, what="the closed session to be counted out")
    await retry.connect()  # a session that ends frees its place
    for client in (*first[1:], elsewhere, retry):
        await client.close()


# --- one answer per chat -------------------------------------------------------------------------
async def test_a_burst_of_messages_during_an_answer_is_one_backend_request(app: AppProcess, backend: OpenAIServer) -> None:
    cookie = cookie_of(sign_in(app, "alice", PASSWORDS["alice"], "192.0.2.60"))
    gate = threading.Event()
    backend.behaviour.gate = gate
    busy = metric(app, "foundry_chat_limit_refusals_total", limit="chat_busy")
    client = Client(app, cookie, "192.0.2.61")
    await client.connect()
    try:
        await client.send("the first question", wait=False)
        await until(lambda: len(chats(backend)) == 1, what="the first answer to reach the backend")
        burst = {"message": {"threadId": "", "name": "User", "type": "user_message", "output": "again", "metadata": {}}}
        for _ in range(1000):
            payload = {"message": {**burst["message"], "id": str(uuid.uuid4()), "createdAt": "2026-12-01T00:00:00.000Z"}}
            await client.sio.emit("client_message", {**payload, "fileReferences": []})
        await until(
            lambda: metric(app, "foundry_chat_limit_refusals_total", limit="chat_busy") == busy + 1000,
            timeout=60,
            what="the 1000 messages to be refused",
        )
        gate.set()
        await client.wait_task_end()
        assert "Hello from the test server" in client.turn.answer()
        told = [t for t in client.turn.errors() if "still being written" in t]
        assert len(told) == 1, client.turn.errors()  # told once, not 1000 times
        assert len(chats(backend)) == 1
        turn = await client.send("and now?")  # the answer is done: the next message is answered
        assert turn.assistant_texts() and len(chats(backend)) == 2
    finally:
        gate.set()
        await client.close()


# --- /v1 concurrency per key ---------------------------------------------------------------------
async def test_v1_requests_per_key_are_capped_with_429_and_an_openai_error(app: AppProcess, backend: OpenAIServer) -> None:
    gate = threading.Event()
    backend.behaviour.gate = gate
    body = {"model": "auto", "messages": [{"role": "user", "content": "hi"}], "stream": True}

    def auth(key: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}"}

    async with httpx.AsyncClient(base_url=app.url, timeout=60) as http:
        held = [asyncio.create_task(http.post("/v1/chat/completions", json=body, headers=auth(KEYS[0]))) for _ in range(2)]
        try:
            await until(lambda: len(chats(backend)) == 2, what="two requests to be held at the backend")
            refused = await http.post("/v1/chat/completions", json=body, headers=auth(KEYS[0]))
            assert refused.status_code == 429, refused.text
            assert int(refused.headers["Retry-After"]) >= 1
            error = refused.json()["error"]
            assert error["type"] == "rate_limit_error" and error["code"] == "too_many_concurrent_requests"
            assert "LIMIT_V1_CONCURRENCY" in error["message"] and KEYS[0] not in refused.text
            assert len(chats(backend)) == 2  # refused before the backend
            other = asyncio.create_task(http.post("/v1/chat/completions", json=body, headers=auth(KEYS[1])))
            await until(lambda: len(chats(backend)) == 3, what="another key's request to get through")
            assert metric(app, "foundry_chat_v1_in_flight") == 3
        finally:
            gate.set()
        for response in await asyncio.gather(*held, other):
            assert response.status_code == 200 and "[DONE]" in response.text
        await until(lambda: metric(app, "foundry_chat_v1_in_flight") == 0, what="the slots to be freed")
        again = await http.post("/v1/chat/completions", json=body, headers=auth(KEYS[0]))
        assert again.status_code == 200
    assert metric(app, "foundry_chat_limit_refusals_total", limit="v1_concurrency") >= 1
