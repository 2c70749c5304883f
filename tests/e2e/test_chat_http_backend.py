"""The real app over socket.io, answering through BASE_URL from a scripted OpenAI-compatible server."""

from __future__ import annotations

import subprocess

import httpx
import pytest

from tests.support.app_process import CHAINLIT, ROOT, AppProcess
from tests.support.openai_server import OpenAIServer
from tests.support.sio_client import ChatClient
from tests.support.waiting import until

pytestmark = pytest.mark.e2e


def chats(backend: OpenAIServer) -> list[dict]:
    return [r.body for r in backend.received if r.path == "/v1/chat/completions"]


async def test_two_turns_carry_system_prompt_and_history(http_app: AppProcess, backend: OpenAIServer) -> None:
    backend.behaviour.echo = True
    client = ChatClient(http_app.url)
    await client.connect()
    assert "test-model" in await client.welcome()
    first = await client.send("My name is Ada.")
    assert first.assistant_texts()[-1].startswith("You said: My name is Ada.")
    assert first.tokens >= 1
    second = await client.send("What is my name?")
    assert second.assistant_texts()[-1].startswith("You said: What is my name?")
    await client.close()

    body = chats(backend)[-1]
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["system", "user", "assistant", "user"]
    assert body["messages"][1]["content"] == "My name is Ada."
    assert body["messages"][2]["content"].startswith("You said: My name is Ada.")
    assert "local ·" not in body["messages"][2]["content"]  # the route line is display only
    assert body["stream"] is True and body["model"] == "test-model"


async def test_answer_streams_token_by_token(http_app: AppProcess, backend: OpenAIServer) -> None:
    backend.behaviour.reply = " ".join(f"w{i}" for i in range(20))
    backend.behaviour.token_delay = 0.05
    client = ChatClient(http_app.url)
    await client.connect()
    turn = await client.send("stream please")
    await client.close()
    assert turn.tokens >= 15  # one frame per token at this rate: nothing batched up
    assert turn.assistant_texts()[-1].startswith(backend.behaviour.reply)


async def test_stop_closes_upstream_and_keeps_partial(http_app: AppProcess, backend: OpenAIServer) -> None:
    backend.behaviour.reply = " ".join(f"word{i}" for i in range(400))
    backend.behaviour.token_delay = 0.02
    client = ChatClient(http_app.url)
    await client.connect()
    await client.send("long answer please", wait=False)
    await client.wait_tokens(5)
    await client.stop()
    await client.wait_task_end(10)
    record = chats(backend)[-1]
    assert backend.wait_for(lambda: backend.received[-1].outcome == "disconnected", 5), backend.received[-1].outcome
    sent = backend.received[-1].tokens_sent
    assert 5 <= sent < 400
    partial = [t for t in client.turn.assistant_texts() if "word0" in t][-1]
    assert "[stopped]" in partial and "word399" not in partial

    backend.behaviour.echo = True
    await client.send("and now?")
    await client.close()
    history = chats(backend)[-1]["messages"]
    assert history[1]["content"] == "long answer please"
    assert history[2]["role"] == "assistant" and history[2]["content"].startswith("word0 word1")
    assert record["messages"][-1]["content"] == "long answer please"


async def test_settings_apply_from_next_message(http_app: AppProcess, backend: OpenAIServer) -> None:
    client = ChatClient(http_app.url)
    await client.connect()
    assert client.settings, "chat settings were not sent"
    ids = [w["id"] for w in client.settings[-1]]
    assert ids == ["model", "policy", "temperature", "max_tokens"]
    assert [i["value"] for i in client.settings[-1][1]["items"]] == ["local"]  # no cloud configured
    models = [item["value"] for item in client.settings[-1][0]["items"]]
    assert models == ["test-model", "test-model-2"]
    changed = await client.update_settings({"model": "test-model-2", "temperature": 0.1, "max_tokens": 64})
    assert not changed.errors()
    await client.send("hi")
    body = chats(backend)[-1]
    assert (body["model"], body["temperature"], body["max_tokens"]) == ("test-model-2", 0.1, 64)
    rejected = await client.update_settings({"model": "../../etc/passwd", "temperature": "NaN", "max_tokens": -5})
    assert len(rejected.errors()) == 1 and "Unknown model" in rejected.errors()[0]
    await client.send("again")
    await client.close()
    body = chats(backend)[-1]
    assert (body["model"], body["temperature"], body["max_tokens"]) == ("test-model-2", 0.1, 64)


async def test_backend_error_becomes_short_message_and_others_are_served(http_app: AppProcess, backend: OpenAIServer) -> None:
    backend.behaviour.status = 500
    backend.behaviour.fail_times = 3  # the first try and both retries
    broken, healthy = ChatClient(http_app.url), ChatClient(http_app.url)
    await broken.connect()
    await healthy.connect()
    turn = await broken.send("this one fails")
    assert turn.errors(), turn.all_texts()
    text = turn.errors()[-1]
    assert "No model could answer" in text and "- local:" in text and "rejected" in text
    assert "Traceback" not in text and len(text) < 600
    assert len(chats(backend)) == 3
    ok = await healthy.send("this one works")
    assert ok.assistant_texts()[-1].startswith("Hello from the test server")
    await broken.close()
    await healthy.close()


async def test_stop_before_first_token_closes_upstream(http_app: AppProcess, backend: OpenAIServer) -> None:
    backend.behaviour.hang = True
    client = ChatClient(http_app.url)
    await client.connect()
    await client.send("hang", wait=False)
    await until(lambda: chats(backend), 10, what="the request reaching the backend")  # stopped while it hangs
    await client.stop()
    await client.wait_task_end(10)
    assert backend.wait_for(lambda: backend.received[-1].outcome == "disconnected", 5)
    await client.close()


async def test_unreachable_backend_gives_actionable_message() -> None:
    from tests.support.app_process import free_port

    with AppProcess({"BASE_URL": f"http://127.0.0.1:{free_port()}/v1", "MODEL": "m"}, wait_ready=False) as app:
        app.wait_until_serving()
        assert httpx.get(app.url + "/readyz").status_code == 503
        client = ChatClient(app.url)
        await client.connect()
        turn = await client.send("hello?")
        await client.close()
    text = turn.errors()[-1]
    assert "Could not reach" in text and "BASE_URL" in text


async def test_long_history_is_trimmed_and_user_told(backend: OpenAIServer, foundry_cache: object) -> None:
    backend.behaviour.echo = True
    env = {"BASE_URL": backend.base_url, "CONTEXT_TOKENS": "400", "MAX_TOKENS": "100"}
    with AppProcess(env) as app:
        client = ChatClient(app.url)
        await client.connect()
        for i in range(6):
            turn = await client.send(f"message {i} " + "padding " * 30)
        await client.close()
    notices = [t for t in turn.all_texts() if "left out" in t]
    assert notices, turn.all_texts()
    last = chats(backend)[-1]["messages"]
    assert last[0]["role"] == "system" and last[-1]["content"].startswith("message 5")
    assert len(last) < 2 + 2 * 5


@pytest.mark.parametrize(
    ("name", "value"),
    [("TEMPERATURE", "hot"), ("BASE_URL", "not a url"), ("MAX_TOKENS", "0"), ("MODEL_PATH", "/nope")],
)
def test_bad_setting_fails_startup_with_one_line(name: str, value: str) -> None:
    proc = subprocess.run(
        [str(CHAINLIT), "run", "app.py", "--port", "1", "--headless"],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "HOME": str(ROOT), name: value},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    lines = [line for line in proc.stderr.splitlines() if "configuration error" in line]
    assert len(lines) == 1 and name in lines[0], proc.stderr[-2000:]
    assert "Traceback" not in proc.stderr


def test_routes_answer_json_not_the_page(http_app: AppProcess) -> None:
    for path in ("/healthz", "/readyz"):
        r = httpx.get(http_app.url + path)
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/json"), (path, r.text[:200])


async def test_the_provider_says_its_request_is_out_before_any_response(backend: OpenAIServer) -> None:
    """What the turn stores its question on (chat/turn.py `Sending`): the signal comes while the server
    holds the request unanswered, and the request reaches it without anything else running."""
    import asyncio
    import threading

    from providers.base import ChatMessage, ChatOptions, on_request_sent
    from providers.openai_compat import OpenAICompatProvider

    backend.behaviour.gate = threading.Event()
    provider = OpenAICompatProvider.create(backend.base_url, None, default_model="test-model")
    out = asyncio.Event()
    calls: list[int] = []

    def said() -> None:
        calls.append(len(chats(backend)))
        out.set()

    async def read() -> str:
        with on_request_sent(said):
            return "".join([c.text async for c in provider.stream([ChatMessage("user", "hi")], ChatOptions())])

    reading = asyncio.create_task(read())
    try:
        await asyncio.wait_for(out.wait(), 5)
        assert await asyncio.to_thread(backend.wait_for, lambda: len(chats(backend)) == 1)
        assert not reading.done()  # still held: the signal did not wait for a response
    finally:
        backend.behaviour.gate.set()
    assert (await asyncio.wait_for(reading, 10)).startswith("Hello from the test server")
    assert len(calls) == 1
    await provider.aclose()
