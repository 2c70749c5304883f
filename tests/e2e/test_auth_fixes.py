"""The sign-in findings of issue 19 (finding 7, part B), on the real app.

One app serves both sign-in modes, explicitly meant (AUTH_HEADER_AND_PASSWORD=on), with
persistence on SQLite: a repeated trusted header, feedback on another user's message, an edit of
an unknown message, Unicode names and passwords, and sign-out revoking the cookie (across a
restart too). Starting with both modes and no opt-in must fail.
"""

from __future__ import annotations

import json
import unicodedata
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import socketio
from argon2 import PasswordHasher

from storage.users import add_or_update_user
from tests.e2e.test_persistence import chat, get_thread, http
from tests.support.app_process import AppProcess
from tests.support.openai_server import OpenAIServer
from tests.support.sio_client import ChatClient
from tests.support.waiting import until

pytestmark = pytest.mark.e2e

SECRET = "e2e-auth-fixes-" + "q" * 52
HEADER = "X-Forwarded-User"
PASSWORDS = {"alice": "alice-password", "bob": "bob-password"}
CAFE_NFC = unicodedata.normalize("NFC", "café-secret")
CAFE_NFD = unicodedata.normalize("NFD", "café-secret")


@pytest.fixture(scope="module")
def env(http_backend: OpenAIServer, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    root = tmp_path_factory.mktemp("auth-fixes")
    users = root / "users.json"
    for name, password in PASSWORDS.items():
        add_or_update_user(users, name, password)
    add_or_update_user(users, "dana", CAFE_NFC)
    add_or_update_user(users, "erin", "placeholder-password")
    data = json.loads(users.read_text())  # erin's hash made before passwords were normalised: of the NFD form
    data["users"]["erin"]["hash"] = PasswordHasher().hash(CAFE_NFD)
    users.write_text(json.dumps(data))
    return {
        "BASE_URL": http_backend.base_url,
        "CONTEXT_TOKENS": "4096",
        "CHAT_DB_URL": f"sqlite+aiosqlite:///{root / 'chat.db'}",
        "CHAINLIT_AUTH_SECRET": SECRET,
        "AUTH_USERS_FILE": str(users),
        "AUTH_TRUSTED_HEADER": HEADER,
        "AUTH_HEADER_AND_PASSWORD": "on",
    }


@pytest.fixture(scope="module")
def app(env: dict[str, str]) -> Iterator[AppProcess]:
    with AppProcess(env) as running:
        yield running


def sign_in(app: AppProcess, name: str, password: str) -> httpx.Response:
    return httpx.post(app.url + "/login", data={"username": name, "password": password}, timeout=60)


def cookie(app: AppProcess, name: str) -> str:
    r = sign_in(app, name, PASSWORDS[name])
    assert r.status_code == 200, r.text
    return f"access_token={r.cookies['access_token']}"


def test_both_sign_in_modes_without_the_opt_in_refuse_to_start(env: dict[str, str]) -> None:
    meant = {k: v for k, v in env.items() if k != "AUTH_HEADER_AND_PASSWORD"}
    app = AppProcess(meant, wait_ready=False).start()
    try:
        assert app.proc is not None
        assert app.proc.wait(120) == 2
    finally:
        app.stop()
    log = app.log()
    assert "AUTH_USERS_FILE and AUTH_TRUSTED_HEADER are both set" in log and "AUTH_HEADER_AND_PASSWORD=on" in log, log[-2000:]


def test_a_trusted_header_sent_twice_is_refused(app: AppProcess) -> None:
    twice = httpx.post(app.url + "/auth/header", headers=[(HEADER, "alice"), (HEADER, "bob")], timeout=30)
    assert twice.status_code == 401 and "access_token" not in twice.cookies
    once = httpx.post(app.url + "/auth/header", headers=[(HEADER, "bob")], timeout=30)
    assert once.status_code == 200 and "access_token" in once.cookies  # the opt-in: header sign-in works


async def test_feedback_on_another_users_message_is_404_without_detail(app: AppProcess) -> None:
    alice_cookie, bob_cookie = cookie(app, "alice"), cookie(app, "bob")
    alice = await chat(app, alice_cookie, "rate this answer")
    assert alice.thread_id
    answer_id = next(s["id"] for s in get_thread(app, alice_cookie, alice.thread_id)["steps"] if s["type"] == "assistant_message")
    feedback = {"feedback": {"forId": answer_id, "value": 1, "comment": "good"}, "sessionId": str(uuid.uuid4())}
    with http(app, alice_cookie) as h:
        mine = h.put("/feedback", json=feedback)
    assert mine.status_code == 200, mine.text
    feedback_id = mine.json()["feedbackId"]
    with http(app, bob_cookie) as bob:
        put = bob.put("/feedback", json={**feedback, "feedback": {**feedback["feedback"], "comment": "bob's"}})
        delete = bob.request("DELETE", "/feedback", json={"feedbackId": feedback_id})
    for refused in (put, delete):
        assert refused.status_code == 404, refused.text
        assert alice.thread_id not in refused.text and "belongs" not in refused.text
    with http(app, alice_cookie) as h:
        assert h.request("DELETE", "/feedback", json={"feedbackId": feedback_id}).status_code == 200


async def test_editing_a_message_the_chat_does_not_hold_gets_a_defined_answer(app: AppProcess) -> None:
    client = ChatClient(app.url, cookies=cookie(app, "alice"))
    await client.connect()
    try:
        edit: dict[str, Any] = {"threadId": "", "id": str(uuid.uuid4()), "name": "User", "type": "user_message"}
        edit.update(output="edited", createdAt="2026-12-01T00:00:00.000Z", metadata={})
        await client.sio.emit("edit_message", {"message": edit, "fileReferences": []})
        await until(lambda: client.turn.errors(), what="an answer to the edit")
        assert "cannot be edited" in client.turn.errors()[-1]
        turn = await client.send("still answering?")
        assert turn.assistant_texts(), turn.all_texts()
    finally:
        await client.close()
    assert "AttributeError" not in app.log() and "Traceback" not in app.log()


@pytest.mark.parametrize(
    ("name", "password"),
    [("dana", CAFE_NFD), ("ＤＡＮＡ", CAFE_NFC), ("erin", CAFE_NFD)],
    ids=["password-decomposed", "name-full-width", "hash-made-before-normalising"],
)
def test_names_and_passwords_are_normalised_alike(app: AppProcess, name: str, password: str) -> None:
    r = sign_in(app, name, password)
    assert r.status_code == 200, r.text
    with http(app, f"access_token={r.cookies['access_token']}") as h:
        assert h.get("/user").json()["identifier"] in ("dana", "erin")


async def test_sign_out_revokes_the_cookie_here_and_after_a_restart(app: AppProcess, env: dict[str, str]) -> None:
    old = cookie(app, "alice")
    assert cookie(app, "alice") != old  # two logins in one second are two tokens: signing out one keeps the other
    token = old.split("=", 1)[1]
    open_chat = ChatClient(app.url, cookies=old)
    await open_chat.connect()
    v1 = {"model": "test-model", "messages": [{"role": "user", "content": "hi"}]}
    with http(app, old) as h:
        assert h.get("/user").status_code == 200
        assert h.get("/v1/models").status_code == 200  # with sign-in on, the signed-in session may use /v1
        assert h.post("/logout").status_code == 200
        assert h.get("/user").status_code == 401
        assert h.post("/auth/jwt", headers={"Authorization": f"Bearer {token}"}).status_code == 401
        assert h.get("/v1/models").status_code == 401  # the cookie, signed out, opens /v1 no more
        assert h.post("/v1/chat/completions", json=v1, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    await until(lambda: not open_chat.sio.connected, what="the signed-out chat session to be closed")
    refused = ChatClient(app.url, cookies=old)
    said: list[Any] = []
    refused.sio.on("connect_error", said.append)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await refused.connect()
    assert "signed out" in str(said), said
    with http(app, cookie(app, "alice")) as h:  # signing in again gives a working cookie
        assert h.get("/user").status_code == 200
    with AppProcess(env) as second, http(second, old) as h:  # the list is stored with the chats
        assert h.get("/user").status_code == 401
    assert "Traceback" not in app.log()

