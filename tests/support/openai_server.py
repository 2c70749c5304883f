"""A small OpenAI-compatible server for tests, running on 127.0.0.1 in its own thread.

It streams scripted answers and can inject faults a real engine won't produce on demand: delays
before the first token, per-token delays, error statuses, hangs, and death mid-stream. It records
every request it received and whether each stream ended normally or the client went away, so tests
can assert which server received what and that Stop closed the upstream request.

Run standalone (for manual checks): `python -m tests.support.openai_server --port 8001`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

__all__ = ["Behaviour", "OpenAIServer", "Received"]


@dataclass
class Behaviour:
    """What the next requests get. Change it between requests (it is read per request)."""

    reply: str = "Hello from the test server. This answer streams word by word."
    first_token_delay: float = 0.0
    token_delay: float = 0.0
    status: int | None = None
    """Answer with this HTTP error status instead of streaming."""
    fail_times: int | None = None
    """With `status`: fail only this many requests, then behave normally."""
    hang: bool = False
    """Accept the request and never send a byte."""
    think: float = 0.0
    """After the headers and the empty role chunk, wait this long before the first text (prefill)."""
    release: threading.Event | None = None
    """After the role chunk, think until the test sets this event (a prefill that lasts as long as a test needs)."""
    malformed: bool = False
    """After the role chunk, send an event that is not JSON."""
    die_after_tokens: int | None = None
    """Stream this many tokens, then drop the connection without finishing."""
    models: list[str] = field(default_factory=lambda: ["test-model", "test-model-2"])
    echo: bool = False
    """Reply with the last user message (lets tests see what context reached the model)."""
    gate: threading.Event | None = None
    """Hold every request (after recording it) until this event is set: requests in flight on demand."""


@dataclass
class Received:
    path: str
    body: dict[str, Any]
    headers: dict[str, str]
    outcome: str = "pending"
    """"completed", "disconnected", "error", "died", "hung"."""
    tokens_sent: int = 0


class OpenAIServer:
    def __init__(self, behaviour: Behaviour | None = None) -> None:
        self.behaviour = behaviour or Behaviour()
        self.received: list[Received] = []
        self.port = 0
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()

    # --- lifecycle ------------------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self, port: int = 0) -> OpenAIServer:
        self._thread = threading.Thread(target=self._run, args=(port,), daemon=True, name="openai-test-server")
        self._thread.start()
        if not self._started.wait(10):
            raise RuntimeError("test server did not start")
        return self

    def _run(self, port: int) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        app = web.Application(client_max_size=8 * 1024 * 1024)
        app.router.add_get("/v1/models", self._models)
        app.router.add_post("/v1/chat/completions", self._chat)
        runner = web.AppRunner(app, handle_signals=False, handler_cancellation=True)
        loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", port)
        loop.run_until_complete(site.start())
        self._runner = runner
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self._started.set()
        loop.run_forever()
        loop.run_until_complete(runner.cleanup())
        loop.close()

    def stop(self) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread is not None:
            self._thread.join(10)

    def __enter__(self) -> OpenAIServer:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()

    def wait_for(self, predicate: Any, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.01)
        return predicate()

    # --- handlers -------------------------------------------------------------------------------
    async def _models(self, request: web.Request) -> web.Response:
        self.received.append(Received("/v1/models", {}, dict(request.headers), "completed"))
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "test"} for m in self.behaviour.models]
        return web.json_response({"object": "list", "data": data})

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        b = self.behaviour
        try:
            body = await request.json()
        except json.JSONDecodeError:
            return web.json_response({"error": {"message": "bad json", "type": "invalid_request_error"}}, status=400)
        record = Received("/v1/chat/completions", body, dict(request.headers))
        self.received.append(record)
        while b.gate is not None and not b.gate.is_set():
            await asyncio.sleep(0.01)
        if b.status is not None and (b.fail_times is None or b.fail_times > 0):
            if b.fail_times is not None:
                b.fail_times -= 1
            record.outcome = "error"
            return web.json_response({"error": {"message": f"injected {b.status}", "type": "server_error"}}, status=b.status)
        if b.hang:
            record.outcome = "hung"
            try:
                await asyncio.sleep(3600)
            except asyncio.CancelledError:
                record.outcome = "disconnected"
                raise
        text = b.reply
        if b.echo:
            users = [m["content"] for m in body.get("messages", []) if m.get("role") == "user"]
            text = "You said: " + (users[-1] if users else "")
        tokens = [w + " " for w in text.split(" ")]
        tokens[-1] = tokens[-1].rstrip()
        model = body.get("model", "test-model")
        created = int(time.time())
        if not body.get("stream"):
            await asyncio.sleep(b.first_token_delay)
            record.outcome = "completed"
            record.tokens_sent = len(tokens)
            return web.json_response(
                {
                    "id": "chatcmpl-test",
                    "object": "chat.completion",
                    "created": created,
                    "model": model,
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": len(tokens), "total_tokens": 10 + len(tokens)},
                }
            )
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        try:
            await asyncio.sleep(b.first_token_delay)
            await response.prepare(request)

            async def send(payload: dict[str, Any]) -> None:
                await response.write(f"data: {json.dumps(payload)}\n\n".encode())

            def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
                return {
                    "id": "chatcmpl-test",
                    "object": "chat.completion.chunk",
                    "created": created,
                    "model": model,
                    "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
                }

            await send(chunk({"role": "assistant", "content": ""}))
            if b.think:
                await asyncio.sleep(b.think)
            while b.release is not None and not b.release.is_set():
                await asyncio.sleep(0.01)
            if b.malformed:
                await response.write(b"data: {not json\n\n")
            for i, token in enumerate(tokens):
                if b.die_after_tokens is not None and i >= b.die_after_tokens:
                    record.outcome = "died"
                    assert request.transport is not None
                    request.transport.close()
                    return response
                if i and b.token_delay:
                    await asyncio.sleep(b.token_delay)
                await send(chunk({"content": token}))
                record.tokens_sent += 1
            await send(chunk({}, "stop"))
            if (body.get("stream_options") or {}).get("include_usage"):
                usage = {"prompt_tokens": 10, "completion_tokens": len(tokens), "total_tokens": 10 + len(tokens)}
                await send({"id": "chatcmpl-test", "object": "chat.completion.chunk", "created": created, "model": model, "choices": [], "usage": usage})
            await response.write(b"data: [DONE]\n\n")
            record.outcome = "completed"
        except (asyncio.CancelledError, ConnectionResetError):
            record.outcome = "disconnected"
            raise
        return response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8001)
    parser.add_argument("--token-delay", type=float, default=0.02)
    parser.add_argument("--first-token-delay", type=float, default=0.0)
    args = parser.parse_args()
    server = OpenAIServer(Behaviour(token_delay=args.token_delay, first_token_delay=args.first_token_delay)).start(args.port)
    print(f"serving {server.base_url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        server.stop()


if __name__ == "__main__":
    main()
