"""Health, metrics and hardening, on the real app over HTTP and socket.io."""

from __future__ import annotations

import json
import os
import re
import signal
from pathlib import Path

import httpx
import pytest
import socketio

from tests.support.app_process import AppProcess, free_port
from tests.support.openai_server import Behaviour, OpenAIServer
from tests.support.sio_client import ChatClient
from tests.support.waiting import until

pytestmark = pytest.mark.e2e


def test_endpoints_answer_json_and_prometheus_never_the_page(http_app: AppProcess) -> None:
    for path in ("/healthz", "/readyz"):
        r = httpx.get(http_app.url + path)
        assert r.status_code == 200 and r.headers["content-type"] == "application/json", (path, r.text[:200])
        assert r.json()
    r = httpx.get(http_app.url + "/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain; version=")
    assert "foundry_chat_messages_total" in r.text and "<html" not in r.text
    ready = httpx.get(http_app.url + "/readyz").json()
    assert ready["targets"]["local"]["ok"] is True and ready["targets"]["local"]["breaker"] == "closed"
    # the page itself still works
    assert "<html" in httpx.get(http_app.url + "/").text.lower()


def metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and all(f'{k}="{v}"' in line for k, v in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


async def test_metrics_move_after_a_chat(http_app: AppProcess, backend: OpenAIServer) -> None:
    before = httpx.get(http_app.url + "/metrics").text
    client = ChatClient(http_app.url)
    await client.connect()
    await client.send("hello")
    await client.close()
    after = httpx.get(http_app.url + "/metrics").text
    for name, labels in [
        ("foundry_chat_messages_total", {"target": "local", "outcome": "ok"}),
        ("foundry_chat_time_to_first_token_seconds_count", {"target": "local"}),
        ("foundry_chat_route_decisions_total", {"target": "local", "outcome": "ok"}),
        ("foundry_chat_chats_total", {}),
    ]:
        assert metric(after, name, **labels) == metric(before, name, **labels) + 1, name
    assert metric(after, "foundry_chat_active_streams") == 0


def test_readiness_flips_as_the_backend_goes_and_comes_back() -> None:
    port = free_port()
    backend = OpenAIServer(Behaviour(models=["m"])).start(port)
    with AppProcess({"BASE_URL": backend.base_url}) as app:
        assert httpx.get(app.url + "/readyz").status_code == 200
        backend.stop()
        down = wait_status(app, 503)
        assert "local" in down["reason"] and down["targets"]["local"]["ok"] is False
        assert down["state"] == "unavailable", down  # a 503 never says "ready" (issue 14, item 7)
        backend = OpenAIServer(Behaviour(models=["m"])).start(port)
        up = wait_status(app, 200)
        assert up["targets"]["local"]["ok"] is True and up["state"] == "ready"
        backend.stop()


def wait_status(app: AppProcess, status: int, timeout: float = 10) -> dict:
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        r = httpx.get(app.url + "/readyz")
        if r.status_code == status:
            return r.json()
        time.sleep(0.2)
    raise AssertionError(f"/readyz never answered {status}: {r.status_code} {r.text}")


async def handshake(url: str, origin: str | None) -> bool:
    sio = socketio.AsyncClient(reconnection=False)
    headers = {"Origin": origin} if origin else {}
    auth = {"clientType": "webapp", "sessionId": "x", "threadId": "", "userEnv": "{}", "chatProfile": ""}
    try:
        await sio.connect(url, socketio_path="/ws/socket.io", transports=["websocket"], headers=headers, auth=auth, wait_timeout=5)
    except socketio.exceptions.ConnectionError:
        return False
    await sio.disconnect()
    return True


async def test_cross_origin_websocket_is_refused(http_app: AppProcess) -> None:
    assert not await handshake(http_app.url, "https://evil.example")
    assert not await handshake(http_app.url, "http://127.0.0.1.evil.example")
    assert await handshake(http_app.url, http_app.url)  # same origin
    assert await handshake(http_app.url, "http://localhost:3000")  # localhost


async def test_allowed_origins_setting(backend: OpenAIServer) -> None:
    with AppProcess({"BASE_URL": backend.base_url, "ALLOWED_ORIGINS": "https://chat.example.com"}) as app:
        assert await handshake(app.url, "https://chat.example.com")
        assert not await handshake(app.url, "http://localhost:3000")


BAD_INPUTS = [
    ("", "empty"),
    ("   \n\t  ", "empty"),
    ("x" * 40_000, "limit"),
    ("nul \x00 inside", "NUL"),
    ("lone \ud800 surrogate", "surrogate"),
    ("\x01\x02\x1b", "empty"),
]


async def test_bad_input_corpus_gets_clear_messages_and_nothing_crashes(http_app: AppProcess, backend: OpenAIServer) -> None:
    client = ChatClient(http_app.url)
    await client.connect()
    for text, reason in BAD_INPUTS:
        turn = await client.send(text)
        errors = turn.errors()
        assert errors and reason.lower() in errors[-1].lower(), (text[:20], turn.all_texts())
    # hostile payloads: content that is not text, and payloads the page would never send
    for output in (None, 42, {"nested": "dict"}, ["list"]):
        turn = await client.send(output, wait=False)  # type: ignore[arg-type]
        await until(lambda t=turn: t.errors(), 5, what=f"an answer to {output!r}")
        assert "could not be read" in turn.errors()[-1], turn.all_texts()
    for payload in ({"message": {"id": "not-a-uuid", "output": "hi"}}, {"message": "x"}, "junk", None, 7):
        client.turn = type(client.turn)()
        await client.sio.emit("client_message", payload)
        await until(lambda: client.turn.errors(), 5, what=f"an answer to {payload!r}")
        assert any("could not be read" in t for t in client.turn.errors()), (payload, client.turn.all_texts())
    ok = await client.send("control chars \x07 removed, this one is fine")
    await client.close()
    assert ok.assistant_texts() and not ok.errors()
    assert not any(r.path == "/v1/chat/completions" and "\x00" in json.dumps(r.body) for r in backend.received)
    assert httpx.get(http_app.url + "/healthz").status_code == 200
    assert "Traceback" not in http_app.log()


LAGGING_WRITER = Path(__file__).parent.parent / "support" / "lagging_socket_writer"


@pytest.mark.parametrize("socket_writer", ["prompt", "lagging"])
async def test_sigterm_drains_a_running_stream(foundry_cache: object, socket_writer: str) -> None:
    """"lagging": the sockets' writers run late (as on a loaded loop, where CI once lost the last frames):
    the drain still waits until the answer's last frames and its task_end are written, then shuts down."""
    backend = OpenAIServer(Behaviour(reply=" ".join(f"t{i}" for i in range(40)), token_delay=0.05, models=["m"])).start()
    env = {"BASE_URL": backend.base_url, "SHUTDOWN_GRACE": "20"}
    if socket_writer == "lagging":
        env |= {"PYTHONPATH": os.pathsep.join(filter(None, [str(LAGGING_WRITER), os.environ.get("PYTHONPATH")]))}
    app = AppProcess(env).start()
    try:
        client, late = ChatClient(app.url), ChatClient(app.url)
        await client.connect()
        await late.connect()
        await client.send("long answer", wait=False)
        await client.wait_tokens(3)
        app.signal(signal.SIGTERM)
        # draining: load balancers stop sending
        await until(lambda: httpx.get(app.url + "/readyz").status_code == 503, 5, what="/readyz answering 503")
        refused = await late.send("a new message while draining")
        assert "restarting" in refused.errors()[-1]
        await client.wait_task_end(15)
        assert client.turn.assistant_texts()[-1].startswith("t0 t1") and "t39" in client.turn.assistant_texts()[-1]
        assert backend.received[-1].outcome == "completed"
        assert app.proc is not None and app.proc.wait(20) == 0
        log = app.log()
        assert "draining" in log and "model unloaded and clients closed" in log
        assert ("socket writers lag" in log) == (socket_writer == "lagging")
    finally:
        app.stop()
        backend.stop()


async def test_json_logs_with_request_ids_and_no_secrets(backend: OpenAIServer) -> None:
    secret = "sk-test-secret-value-0123456789abcdef"
    env = {"BASE_URL": backend.base_url, "API_KEY": secret, "LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG"}
    with AppProcess(env) as app:
        client = ChatClient(app.url)
        await client.connect()
        await client.send("my private prompt text")
        await client.close()
        log = app.log()
    records = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert records and all({"ts", "level", "logger", "msg"} <= r.keys() for r in records)
    chat_lines = [r for r in records if r["logger"] in ("foundry_chat.app", "foundry_chat.turn") and r["msg"].startswith("chat ")]
    assert chat_lines and all(re.fullmatch(r"[0-9a-f]{12}", r.get("request_id", "")) for r in chat_lines)
    assert secret not in log
    info = [r for r in records if r["level"] in ("info", "warning", "error")]
    assert not any("my private prompt text" in r["msg"] for r in info)
