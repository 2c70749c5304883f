"""The OpenAI-compatible gateway on the running app, with the real openai client and raw HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import openai
import pytest

from tests.support.app_process import AppProcess
from tests.support.openai_server import Behaviour, OpenAIServer

pytestmark = pytest.mark.e2e

KEY = "gw-test-key-0123456789abcdef"


@pytest.fixture(scope="module")
def two_servers() -> Iterator[tuple[OpenAIServer, OpenAIServer]]:
    local = OpenAIServer(Behaviour(reply="local says hi", models=["local-model"])).start()
    cloud = OpenAIServer(Behaviour(reply="cloud says hi", models=["cloud-model"])).start()
    yield local, cloud
    local.stop()
    cloud.stop()


@pytest.fixture(scope="module")
def gw(two_servers: tuple[OpenAIServer, OpenAIServer]) -> Iterator[AppProcess]:
    local, cloud = two_servers
    env = {
        "BASE_URL": local.base_url,
        "CLOUD_BASE_URL": cloud.base_url,
        "CLOUD_MODEL": "cloud-model",
        "GATEWAY_API_KEYS": f"other-key-0000000000000000,{KEY}",
        "ROUTER_BACKOFF": "0.01",
        "BREAKER_COOLDOWN": "1",
    }
    with AppProcess(env) as app:
        yield app


@pytest.fixture
def servers(two_servers: tuple[OpenAIServer, OpenAIServer]) -> Iterator[tuple[OpenAIServer, OpenAIServer]]:
    for server, reply, model in zip(two_servers, ("local says hi", "cloud says hi"), ("local-model", "cloud-model"), strict=True):
        server.behaviour = Behaviour(reply=reply, models=[model])
        server.received.clear()
    yield two_servers


def client(app: AppProcess) -> openai.OpenAI:
    return openai.OpenAI(base_url=app.url + "/v1", api_key=KEY, max_retries=0, timeout=20)


def test_models_lists_virtual_and_concrete(gw: AppProcess, servers: object) -> None:
    ids = [m.id for m in client(gw).models.list().data]
    assert ids[:1] == ["auto"] and {"local", "cloud", "local-first", "task", "complexity"} <= set(ids)
    assert "local-model" in ids and "cloud-model" in ids


def test_sync_non_streaming_routed(gw: AppProcess, servers: tuple[OpenAIServer, OpenAIServer]) -> None:
    raw = client(gw).chat.completions.with_raw_response.create(
        model="auto", messages=[{"role": "user", "content": "Write a Python function that adds two numbers"}]
    )
    completion = raw.parse()
    assert completion.choices[0].message.content == "local says hi"
    assert completion.choices[0].finish_reason == "stop" and completion.usage and completion.usage.completion_tokens == 3
    assert raw.headers["x-route-target"] == "local" and raw.headers["x-route-reason"] == "code generation"


def test_sync_streaming_with_usage(gw: AppProcess, servers: tuple[OpenAIServer, OpenAIServer]) -> None:
    with client(gw).chat.completions.with_streaming_response.create(
        model="auto",
        messages=[{"role": "user", "content": "Write a short poem about the sea"}],
        stream=True,
        stream_options={"include_usage": True},
    ) as response:
        assert response.headers["x-route-target"] == "cloud"
        chunks = list(response.parse())
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == "cloud says hi"
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens == 3
    assert chunks[-1].choices == []


async def test_async_streaming_and_parameters(gw: AppProcess, servers: tuple[OpenAIServer, OpenAIServer]) -> None:
    local, _ = servers
    aclient = openai.AsyncOpenAI(base_url=gw.url + "/v1", api_key=KEY, max_retries=0)
    stream = await aclient.chat.completions.create(
        model="local",
        messages=[{"role": "system", "content": "be brief"}, {"role": "user", "content": [{"type": "text", "text": "hi"}]}],
        stream=True,
        temperature=0.2,
        top_p=0.9,
        max_completion_tokens=50,
        stop=["\n\n"],
        seed=7,
        user="alice",
    )
    text = "".join([c.choices[0].delta.content or "" async for c in stream if c.choices])
    await aclient.close()
    assert text == "local says hi"
    body = [r.body for r in local.received if r.path == "/v1/chat/completions"][-1]
    assert (body["temperature"], body["top_p"], body["max_tokens"], body["stop"], body["seed"]) == (0.2, 0.9, 50, ["\n\n"], 7)


async def test_async_non_streaming(gw: AppProcess, servers: object) -> None:
    aclient = openai.AsyncOpenAI(base_url=gw.url + "/v1", api_key=KEY, max_retries=0)
    completion = await aclient.chat.completions.create(model="cloud", messages=[{"role": "user", "content": "hello"}])
    await aclient.close()
    assert completion.choices[0].message.content == "cloud says hi"


def test_privacy_guard_applies_to_the_api(gw: AppProcess, servers: tuple[OpenAIServer, OpenAIServer]) -> None:
    _, cloud = servers
    raw = client(gw).chat.completions.with_raw_response.create(
        model="cloud", messages=[{"role": "user", "content": "My IBAN is DE89 3704 0044 0532 0130 00, write a poem"}]
    )
    assert raw.headers["x-route-target"] == "local" and raw.headers["x-route-reason"] == "private data: IBAN"
    assert not [r for r in cloud.received if r.path == "/v1/chat/completions"]


def test_wrong_key_is_401_in_openai_shape(gw: AppProcess) -> None:
    bad = openai.OpenAI(base_url=gw.url + "/v1", api_key="wrong-key-000000000000", max_retries=0)
    with pytest.raises(openai.AuthenticationError) as info:
        bad.chat.completions.create(model="auto", messages=[{"role": "user", "content": "hi"}])
    assert info.value.code == "invalid_api_key"
    r = httpx.get(gw.url + "/v1/models")
    assert r.status_code == 401 and r.json()["error"]["type"] == "invalid_request_error"


def test_unknown_model_is_404(gw: AppProcess) -> None:
    with pytest.raises(openai.NotFoundError) as info:
        client(gw).chat.completions.create(model="gpt-17", messages=[{"role": "user", "content": "hi"}])
    assert info.value.code == "model_not_found"


BAD_BODIES: list[tuple[bytes, int, str | None]] = [
    (b"{not json", 400, None),
    (b"[]", 400, None),
    (b'{"messages": [{"role": "user", "content": "hi"}]}', 400, "model"),
    (b'{"model": "auto"}', 400, "messages"),
    (b'{"model": "auto", "messages": []}', 400, "messages"),
    (b'{"model": "auto", "messages": "hi"}', 400, "messages"),
    (b'{"model": "auto", "messages": [{"role": "wizard", "content": "hi"}]}', 400, "messages[0].role"),
    (b'{"model": "auto", "messages": [{"role": "user", "content": 5}]}', 400, "messages[0].content"),
    (b'{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "n": 2}', 400, "n"),
    (b'{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "temperature": "hot"}', 400, "temperature"),
    (b'{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "temperature": 9}', 400, "temperature"),
    (b'{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "max_tokens": -1}', 400, "max_tokens"),
    (b'{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "stop": [1, 2]}', 400, "stop"),
    (b'{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "stream": "yes"}', 400, "stream"),
    (b'{"model": "auto", "messages": [{"role": "user", "content": "a\\u0000b"}]}', 400, "messages[0].content"),
    (b'{"model": "auto", "messages": [{"role": "user", "content": "\\ud800"}]}', 400, "messages[0].content"),
    (b'{"model": "auto", "messages": [{"role": "user", "content": "hi"}], "tools": [{"type": "function"}]}', 400, "tools"),
    (b'{"model": 42, "messages": [{"role": "user", "content": "hi"}]}', 400, "model"),
    (b'{"model": "auto", "messages": [{"role": "user", "content": "' + b"x" * 2_000_000 + b'"}]}', 413, None),
]


@pytest.mark.parametrize(("body", "status", "param"), BAD_BODIES, ids=range(len(BAD_BODIES)))
def test_malformed_bodies_get_4xx_in_openai_shape(gw: AppProcess, body: bytes, status: int, param: str | None) -> None:
    r = httpx.post(
        gw.url + "/v1/chat/completions",
        content=body,
        headers={"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"},
        timeout=10,
    )
    assert r.status_code == status, r.text[:300]
    error = r.json()["error"]
    assert error["message"] and error["type"] and error["param"] == param


def test_failure_after_streaming_began_ends_with_error_then_done(gw: AppProcess, servers: tuple[OpenAIServer, OpenAIServer]) -> None:
    local, _ = servers
    local.behaviour.reply = "one two three four five"
    local.behaviour.die_after_tokens = 2
    local.behaviour.token_delay = 0.02
    with httpx.stream(
        "POST",
        gw.url + "/v1/chat/completions",
        json={"model": "local", "stream": True, "messages": [{"role": "user", "content": "count"}]},
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=20,
    ) as r:
        assert r.status_code == 200
        events = [line[6:] for line in r.iter_lines() if line.startswith("data: ")]
    assert events[-1] == "[DONE]"
    error = json.loads(events[-2])
    assert "error" in error and error["error"]["message"]
    content = "".join(json.loads(e)["choices"][0]["delta"].get("content") or "" for e in events[:-2] if json.loads(e).get("choices"))
    assert content.startswith("one")


def test_no_target_is_503(gw: AppProcess, servers: tuple[OpenAIServer, OpenAIServer]) -> None:
    local, _ = servers
    local.behaviour.status = 500
    with pytest.raises(openai.InternalServerError) as info:
        client(gw).chat.completions.create(model="local", messages=[{"role": "user", "content": "hi"}])
    assert info.value.status_code == 503 and info.value.code == "no_route_available"
    assert "local" in info.value.message


def test_engine_gateway_streams_from_the_real_model(engine_app: AppProcess) -> None:
    """No GATEWAY_API_KEYS, bound to 127.0.0.1 and GATEWAY_KEYLESS=on (the harness opts in): answered without a key."""
    c = openai.OpenAI(base_url=engine_app.url + "/v1", api_key="unused", max_retries=0)
    stream = c.chat.completions.create(model="auto", messages=[{"role": "user", "content": "Hello"}], stream=True)
    text = "".join(chunk.choices[0].delta.content or "" for chunk in stream if chunk.choices)
    assert text.strip()
    assert "no GATEWAY_API_KEYS" in engine_app.log()
