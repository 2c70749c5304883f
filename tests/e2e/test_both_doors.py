"""The same message through the chat (socket.io) and through /v1 meets the same turn: limits, cleaning,
trimming (with the trimmed turns still read by the privacy guard) and metrics (chat/turn.py)."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.support.app_process import AppProcess
from tests.support.openai_server import Behaviour, OpenAIServer
from tests.support.sio_client import ChatClient

pytestmark = pytest.mark.e2e

PRIVATE = "write to ada.lovelace@example.com"  # an e-mail address: the guard keeps the conversation local


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[OpenAIServer, OpenAIServer]]:
    local = OpenAIServer(Behaviour(reply="local answer", models=["local-model"])).start()
    cloud = OpenAIServer(Behaviour(reply="cloud answer", models=["cloud-model"])).start()
    yield local, cloud
    local.stop()
    cloud.stop()


@pytest.fixture(scope="module")
def app(pair: tuple[OpenAIServer, OpenAIServer]) -> Iterator[AppProcess]:
    local, cloud = pair
    env = {
        "BASE_URL": local.base_url,
        "CLOUD_BASE_URL": cloud.base_url,
        "CLOUD_MODEL": "cloud-model",
        "ROUTING_POLICY": "cloud",
        "MAX_INPUT_CHARS": "100",
        "CONTEXT_TOKENS": "512",
    }
    with AppProcess(env) as proc:
        yield proc


@pytest.fixture
def servers(pair: tuple[OpenAIServer, OpenAIServer]) -> Iterator[tuple[OpenAIServer, OpenAIServer]]:
    for server, reply, model in zip(pair, ("local answer", "cloud answer"), ("local-model", "cloud-model"), strict=True):
        server.behaviour = Behaviour(reply=reply, models=[model])
        server.received.clear()
    yield pair


def chats(server: OpenAIServer) -> list[dict]:
    return [r.body for r in server.received if r.path == "/v1/chat/completions"]


def api(app: AppProcess, messages: list[dict[str, str]], **extra: object) -> httpx.Response:
    return httpx.post(app.url + "/v1/chat/completions", json={"model": "auto", "messages": messages, **extra}, timeout=30)


def metric(app: AppProcess, name: str, **labels: str) -> float:
    text = httpx.get(app.url + "/metrics").text
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        match = re.match(r"^([a-z_]+)(?:\{(.*)\})? ([0-9.e+-]+)$", line)
        if match and match.group(1) == name and ",".join(sorted((match.group(2) or "").split(","))) == (want or ""):
            return float(match.group(3))
    return 0.0


async def test_a_long_message_is_refused_the_same_way(app: AppProcess, servers: tuple[OpenAIServer, ...]) -> None:
    client = ChatClient(app.url)
    await client.connect()
    turn = await client.send("x" * 5000)
    await client.close()
    r = api(app, [{"role": "user", "content": "x" * 5000}])
    said = "The message is 5,000 characters long; the limit is 100."
    assert turn.errors() and turn.errors()[-1].startswith(said)
    assert r.status_code == 400 and r.json()["error"]["message"] == turn.errors()[-1]
    assert r.json()["error"]["param"] == "messages[0].content" and r.json()["error"]["code"] == "invalid_input"
    assert not any(chats(s) for s in servers)


async def test_control_characters_are_cleaned_the_same_way(app: AppProcess, servers: tuple[OpenAIServer, ...]) -> None:
    local, cloud = servers
    client = ChatClient(app.url)
    await client.connect()
    await client.send("ring the be\x07ll\x1b twice")
    await client.close()
    assert api(app, [{"role": "user", "content": "ring the be\x07ll\x1b twice"}]).status_code == 200
    sent = [body["messages"][-1]["content"] for body in chats(cloud)]
    assert sent == ["ring the bell twice", "ring the bell twice"]


async def test_long_conversations_are_trimmed_and_the_trimmed_turns_still_keep_it_local(
    app: AppProcess, servers: tuple[OpenAIServer, ...]
) -> None:
    local, cloud = servers
    # /v1: 81 messages, the first private; only the newest few fit in 512 tokens.
    messages = [{"role": "user", "content": PRIVATE}] + [
        {"role": "assistant" if i % 2 == 0 else "user", "content": f"turn {i}: " + "filler " * 10} for i in range(80)
    ]
    r = api(app, messages)
    assert r.status_code == 200, r.text
    assert int(r.headers["x-trimmed-messages"]) > 60
    assert r.headers["x-route-target"] == "local" and r.headers["x-route-reason"].startswith("private data")
    sent = chats(local)[-1]["messages"]
    assert len(sent) < 20 and not any("example.com" in m["content"] for m in sent)

    # The chat: the same private first turn, then enough turns that it is trimmed away.
    client = ChatClient(app.url)
    await client.connect()
    await client.send(PRIVATE)
    for i in range(12):
        turn = await client.send(f"turn {i}: " + "filler " * 10)
    await client.close()
    assert any("left out" in t for t in turn.all_texts()), turn.all_texts()
    assert turn.route_lines() and "private data" in turn.route_lines()[-1]
    sent = chats(local)[-1]["messages"]
    assert not any("example.com" in m["content"] for m in sent)
    assert not chats(cloud)  # policy "cloud", yet nothing went there: the trimmed turn was still scanned


async def test_metrics_count_each_answer_once_whatever_the_door(app: AppProcess, servers: tuple[OpenAIServer, ...]) -> None:
    local, cloud = servers
    ok = {"target": "cloud", "outcome": "ok"}
    before = metric(app, "foundry_chat_messages_total", **ok)
    ttft = metric(app, "foundry_chat_time_to_first_token_seconds_count", target="cloud")
    client = ChatClient(app.url)
    await client.connect()
    await client.send("hello there")
    await client.close()
    assert api(app, [{"role": "user", "content": "hello there"}]).status_code == 200
    assert api(app, [{"role": "user", "content": "hello there"}], stream=True).status_code == 200
    assert metric(app, "foundry_chat_messages_total", **ok) == before + 3
    assert metric(app, "foundry_chat_time_to_first_token_seconds_count", target="cloud") == ttft + 3

    # While a /v1 answer streams the gauge counts it, as the runtime does; after, it is back to zero.
    cloud.behaviour.token_delay = 0.2
    cloud.behaviour.reply = "one two three four five six seven eight"
    done = threading.Event()
    thread = threading.Thread(target=lambda: (api(app, [{"role": "user", "content": "slow"}], stream=True), done.set()))
    thread.start()
    deadline = time.monotonic() + 10
    while metric(app, "foundry_chat_active_streams") != 1 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert metric(app, "foundry_chat_active_streams") == 1
    assert done.wait(20)
    thread.join(5)
    assert metric(app, "foundry_chat_active_streams") == 0
