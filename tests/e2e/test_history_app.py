"""History that is the user's: search over what was said, export with the route of every answer, import.

The real app with password login (alice and bob) on SQLite, a local and a cloud stand-in, the
privacy guard on: over HTTP and socket.io, as the page and scripts use it. The same in a browser,
from a fresh start in the default mode (no sign-in, loopback: local history), is
`test_browser_history.py`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest

from storage.users import add_or_update_user
from tests.e2e.test_persistence import Client, data_layer_complaints, get_thread, list_threads, login
from tests.support.app_process import AppProcess
from tests.support.openai_server import Behaviour, OpenAIServer

pytestmark = pytest.mark.e2e

SECRET = "e2e-" + "h" * 60
PASSWORDS = {"alice": "alice-password", "bob": "bob-password"}
CHATGPT = Path(__file__).resolve().parents[1] / "data" / "history" / "chatgpt-conversations.json"
SCHEMA = json.loads((Path(__file__).resolve().parents[2] / "docs" / "history.schema.json").read_text())
ALLOWED = ("Authorization for the thread failed.", "storage: refused:", "Translated markdown file for")


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[OpenAIServer, OpenAIServer]]:
    local = OpenAIServer(Behaviour(reply="local answer", models=["local-model"])).start()
    cloud = OpenAIServer(Behaviour(reply="cloud answer", models=["cloud-model"])).start()
    yield local, cloud
    local.stop()
    cloud.stop()


@pytest.fixture(scope="module")
def app(servers: tuple[OpenAIServer, OpenAIServer], tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    tmp = tmp_path_factory.mktemp("history")
    users = tmp / "users.json"
    for name, password in PASSWORDS.items():
        add_or_update_user(users, name, password)
    env = {
        "BASE_URL": servers[0].base_url,
        "CLOUD_BASE_URL": servers[1].base_url,
        "CLOUD_MODEL": "cloud-model",
        "ROUTING_POLICY": "cloud",
        "CHAT_DB_URL": f"sqlite+aiosqlite:///{tmp / 'chat.db'}",
        "AUTH_USERS_FILE": str(users),
        "CHAINLIT_AUTH_SECRET": SECRET,
    }
    with AppProcess(env) as proc:
        yield proc
    assert not data_layer_complaints(proc.log(), ALLOWED), proc.log()[-3000:]


@pytest.fixture(scope="module")
def cookies(app: AppProcess) -> dict[str, str]:
    return {name: login(app, name, password) for name, password in PASSWORDS.items()}


def http(app: AppProcess, cookie: str | None) -> httpx.Client:
    return httpx.Client(base_url=app.url, headers={"Cookie": cookie} if cookie else {}, timeout=30)


async def chat(app: AppProcess, cookie: str, *texts: str, resume: str = "") -> Client:
    client = Client(app.url, cookies=cookie, resume=resume)
    await client.connect()
    for text in texts:
        turn = await client.send(text)
        assert turn.assistant_texts() and not turn.errors(), turn.all_texts()
    await client.close()
    assert client.thread_id
    return client


def sent_to(server: OpenAIServer) -> list[dict[str, Any]]:
    return [r.body for r in server.received if r.path == "/v1/chat/completions"]


def answers(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [m for m in document["messages"] if m["role"] == "assistant"]


def import_file(app: AppProcess, cookie: str, data: bytes, *, multipart: bool = False) -> httpx.Response:
    with http(app, cookie) as h:
        if multipart:
            return h.post("/import", files={"file": ("conversations.json", data, "application/json")})
        return h.post("/import", content=data, headers={"Content-Type": "application/json"})


async def test_search_export_and_who_may_read_it(app: AppProcess, cookies: dict[str, str]) -> None:
    alice = await chat(app, cookies["alice"], "Tell me about lighthouses", "And what does a Fresnel lens do?")
    thread_id = alice.thread_id
    found = list_threads(app, cookies["alice"], search="FRÉSNEL")  # a word of the second message, any case and accent
    assert [t["id"] for t in found] == [thread_id]
    assert list_threads(app, cookies["bob"], search="fresnel") == []

    thread = get_thread(app, cookies["alice"], thread_id or "")
    answer_id = next(s["id"] for s in thread["steps"] if s["type"] == "assistant_message")
    with http(app, cookies["alice"]) as h:
        feedback = {"forId": answer_id, "value": 1, "comment": "clear"}
        assert h.put("/feedback", json={"feedback": feedback, "sessionId": alice.session_id}).status_code == 200
        doc = h.get(f"/export/{thread_id}.json")
        md = h.get(f"/export/{thread_id}.md")
        everything = h.get("/export/all.json")
    assert doc.status_code == 200 and "attachment" in doc.headers["content-disposition"]
    document = doc.json()
    jsonschema.validate(document, SCHEMA)
    assert document["format"] == "foundry-chat/conversation" and document["version"] == 1
    assert [m["role"] for m in document["messages"]] == ["user", "assistant", "user", "assistant"]
    for answer in answers(document):
        route = answer["route"]
        assert route["target"] == "cloud" and route["model"] == "cloud-model" and route["policy"] == "cloud", route
        assert route["ttft_ms"] is not None and route["duration_ms"] is not None and route["line"].startswith("cloud")
        assert answer["continued"] is False and answer["interrupted"] is False and answer["state"] == "done"
    assert answers(document)[0]["feedback"] == {"value": 1, "comment": "clear"}
    assert document["private"] is False
    assert md.status_code == 200 and md.headers["content-type"].startswith("text/markdown")
    assert "# Tell me about lighthouses" in md.text and "> route: cloud · cloud-model" in md.text
    assert "Fresnel lens" in md.text and "👍 helpful: clear" in md.text
    assert everything.status_code == 200
    exported = everything.json()
    jsonschema.validate(exported, SCHEMA)
    assert exported["format"] == "foundry-chat/export" and exported["user"] == "alice"
    assert thread_id in [c["id"] for c in exported["conversations"]]

    with http(app, cookies["bob"]) as h:  # another user's thread: the same answer as a missing one
        assert h.get(f"/export/{thread_id}.json").status_code == 404
        assert h.get(f"/export/{thread_id}.md").status_code == 404
        assert thread_id not in [c["id"] for c in h.get("/export/all.json").json()["conversations"]]
        assert h.get("/export/not-an-id.json").status_code == 404
    with http(app, None) as h:
        assert h.get(f"/export/{thread_id}.json").status_code == 401


async def test_import_an_export_and_a_chatgpt_file_idempotently(app: AppProcess, cookies: dict[str, str]) -> None:
    alice = await chat(app, cookies["alice"], "Plan a trip to Tromsø in winter")
    with http(app, cookies["alice"]) as h:
        exported = h.get(f"/export/{alice.thread_id}.json").content
    own = import_file(app, cookies["alice"], exported)
    assert own.status_code == 200 and own.json()["skipped"] == [
        {"name": "Plan a trip to Tromsø in winter", "reason": "already in your history"}
    ]
    first = import_file(app, cookies["bob"], exported)
    assert first.status_code == 200, first.text
    (imported,) = first.json()["imported"]
    again = import_file(app, cookies["bob"], exported)
    assert again.json()["imported"] == [] and again.json()["skipped"][0]["reason"] == "already imported"
    bobs = list_threads(app, cookies["bob"], search="TROMSØ winter")
    assert [t["id"] for t in bobs] == [imported["id"]]
    with http(app, cookies["bob"]) as h:
        route = answers(h.get(f"/export/{imported['id']}.json").json())[0]["route"]
    assert route["target"] == "cloud" and route["model"] == "cloud-model"

    chatgpt = CHATGPT.read_bytes()
    report = import_file(app, cookies["bob"], chatgpt, multipart=True)
    assert report.status_code == 200, report.text
    assert [(c["name"], c["messages"]) for c in report.json()["imported"]] == [
        ("Sourdough starter help", 4),
        ("Håndlaget smørbrød", 2),
    ]
    assert len(import_file(app, cookies["bob"], chatgpt, multipart=True).json()["skipped"]) == 2
    (sourdough,) = list_threads(app, cookies["bob"], search="rye flour")
    steps = get_thread(app, cookies["bob"], sourdough["id"])["steps"]
    texts = [s["output"] for s in steps if s["type"] in ("user_message", "assistant_message")]
    assert texts[1].startswith("Not dead") and "older draft" not in " ".join(texts)  # the branch the user saw
    assert any(s["type"] == "tool" and s["name"] == "cloud · gpt-4o · imported from ChatGPT" for s in steps)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "the file is empty"),
        (b'{"conversations": [', "the file is not valid JSON"),
        (b'{"hello": "world"}', "this is not a conversation export"),
        (b"\xff\xfe\x00garbage", "not UTF-8"),
        (b'{"format": "foundry-chat/export", "version": 99, "conversations": []}', "format version 99"),
    ],
)
def test_bad_files_get_a_clear_error_and_change_nothing(
    app: AppProcess, cookies: dict[str, str], data: bytes, expected: str
) -> None:
    before = list_threads(app, cookies["bob"])
    r = import_file(app, cookies["bob"], data)
    assert r.status_code == 400 and expected in r.json()["error"], r.text
    assert list_threads(app, cookies["bob"]) == before


async def test_a_private_conversation_stays_local_after_export_and_import(
    app: AppProcess, cookies: dict[str, str], servers: tuple[OpenAIServer, OpenAIServer]
) -> None:
    local, cloud = servers
    alice = await chat(app, cookies["alice"], "My email is kari.nordmann@example.no, remember it for the booking.")
    with http(app, cookies["alice"]) as h:
        exported = h.get(f"/export/{alice.thread_id}.json")
    document = exported.json()
    assert document["private"] is True and answers(document)[0]["route"]["target"] == "local"
    assert "private data" in answers(document)[0]["route"]["reason"]
    report = import_file(app, cookies["bob"], exported.content).json()
    (imported,) = report["imported"]
    assert imported["private"] is True
    local.received.clear()
    cloud.received.clear()
    await chat(app, cookies["bob"], "What is the capital of France?", resume=imported["id"])
    assert sent_to(local) and not sent_to(cloud), "a private conversation stays local when resumed"
    assert "kari.nordmann@example.no" in json.dumps(sent_to(local)[-1]["messages"])  # its history came back


def test_a_file_over_the_limit_is_refused_and_changes_nothing(app: AppProcess, cookies: dict[str, str]) -> None:
    before = list_threads(app, cookies["bob"])

    def body() -> Iterator[bytes]:  # streamed (no Content-Length): the server counts as it reads
        yield b"["
        for _ in range(65):
            yield b" " * (1024 * 1024)

    with http(app, cookies["bob"]) as h:
        r = h.post("/import", content=body(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413 and "64 MiB import limit" in r.json()["error"], r.text
    assert list_threads(app, cookies["bob"]) == before
