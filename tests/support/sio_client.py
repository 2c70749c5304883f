"""A socket.io client that talks to the app the way Chainlit's web page does."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import socketio

__all__ = ["ChatClient", "Turn"]


@dataclass
class Turn:
    """What the server sent while one message was processed."""

    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)
    tokens: int = 0
    first_token_at: float | None = None
    sent_at: float = 0.0
    ended_at: float | None = None
    frames: list[tuple[float, int]] = field(default_factory=list)
    """Every piece of streamed answer text as (perf_counter when received, characters it carried): the
    `stream_start` that opens a streamed message (Chainlit sends the first text inside it) and every
    `stream_token` after it. `tokens` and `first_token_at` count `stream_token` events only."""
    first_text_at: float | None = None
    """When the first streamed text arrived (the `stream_start`): the client-observed time to first token."""

    @property
    def last_text_at(self) -> float | None:
        return self.frames[-1][0] if self.frames else None

    def assistant_texts(self) -> list[str]:
        return [
            self.messages[i].get("output", "")
            for i in self.order
            if self.messages[i].get("type") == "assistant_message" and not self.messages[i].get("isError")
        ]

    def route_lines(self) -> list[str]:
        """The route line under each answer (a collapsible tool step named after the decision)."""
        return [self.messages[i].get("name", "") for i in self.order if self.messages[i].get("type") == "tool"]

    def route_details(self) -> list[str]:
        return [self.messages[i].get("output", "") for i in self.order if self.messages[i].get("type") == "tool"]

    def answer(self) -> str:
        """The last answer followed by its route line, as a reader sees them."""
        texts = self.assistant_texts()
        routes = self.route_lines()
        return (texts[-1] if texts else "") + (f"\n{routes[-1]}" if routes else "")

    def errors(self) -> list[str]:
        return [self.messages[i].get("output", "") for i in self.order if self.messages[i].get("isError")]

    def all_texts(self) -> list[str]:
        return [self.messages[i].get("output", "") for i in self.order if self.messages[i].get("type") != "run"]


class ChatClient:
    def __init__(
        self, base_url: str, *, origin: str | None = None, cookies: str | None = None, headers: dict[str, str] | None = None
    ) -> None:
        self.base_url = base_url
        self.origin = origin
        self.cookies = cookies
        self.headers = dict(headers or {})
        """Sent with the handshake, e.g. X-Forwarded-For to connect as another client address."""
        self.session_id = str(uuid.uuid4())
        self.sio = socketio.AsyncClient(reconnection=False)
        self.turn = Turn()
        self._task_ended = asyncio.Event()
        self._any_task_end = asyncio.Event()
        self._task_started = False
        self.events: list[tuple[str, Any]] = []
        self.settings: list[dict[str, Any]] = []
        for name in ("new_message", "update_message"):
            self.sio.on(name, self._message_handler(name))
        self.sio.on("stream_start", self._on_stream_start)
        self.sio.on("stream_token", self._on_token)
        self.sio.on("task_start", self._on_task_start)
        self.sio.on("task_end", self._on_task_end)
        self.sio.on("chat_settings", self._on_settings)

    def _message_handler(self, name: str) -> Any:
        async def handler(data: dict[str, Any]) -> None:
            self.events.append((name, data))
            msg_id = data["id"]
            if msg_id not in self.turn.messages:
                self.turn.order.append(msg_id)
            self.turn.messages[msg_id] = dict(data)

        return handler

    async def _on_stream_start(self, data: dict[str, Any]) -> None:
        now = time.perf_counter()
        await self._message_handler("stream_start")(data)
        text = data.get("output") or ""
        if isinstance(text, str) and text:
            self.turn.frames.append((now, len(text)))
            if self.turn.first_text_at is None:
                self.turn.first_text_at = now

    async def _on_token(self, data: dict[str, Any]) -> None:
        msg = self.turn.messages.setdefault(data["id"], {"id": data["id"], "type": "assistant_message", "output": ""})
        if data["id"] not in self.turn.order:
            self.turn.order.append(data["id"])
        if data.get("isSequence"):
            msg["output"] = data["token"]
        else:
            msg["output"] = msg.get("output", "") + data["token"]
        now = time.perf_counter()
        self.turn.tokens += 1
        self.turn.frames.append((now, len(data["token"])))
        if self.turn.first_text_at is None:
            self.turn.first_text_at = now
        if self.turn.first_token_at is None:
            self.turn.first_token_at = now

    async def _on_task_start(self, *_: Any) -> None:
        self._task_started = True

    async def _on_task_end(self, *_: Any) -> None:
        # Chainlit also sends a bare task_end right after connection_successful: only a task_end
        # that follows a task_start closes a turn.
        self._any_task_end.set()
        if self._task_started:
            self._task_started = False
            self.turn.ended_at = time.perf_counter()
            self._task_ended.set()

    async def _on_settings(self, data: Any) -> None:
        self.settings.append(data)

    async def connect(self, timeout: float = 30.0, *, chat_start: bool = True) -> Turn:
        """Connect as the page does; wait for `on_chat_start` to finish (`chat_start=False`: for apps
        without one, wait only for the server to acknowledge the connection)."""
        await self.sign_in_implicitly()
        headers = dict(self.headers)
        if self.origin:
            headers["Origin"] = self.origin
        if self.cookies:
            headers["Cookie"] = self.cookies
        auth = {"clientType": "webapp", "sessionId": self.session_id, "threadId": "", "userEnv": "{}", "chatProfile": ""}
        await self.sio.connect(
            self.base_url, socketio_path="/ws/socket.io", transports=["websocket"], auth=auth, headers=headers, wait_timeout=10
        )
        self._task_ended.clear()
        self._any_task_end.clear()
        self.turn = Turn(sent_at=time.perf_counter())
        await self.sio.emit("connection_successful")
        await asyncio.wait_for((self._task_ended if chat_start else self._any_task_end).wait(), timeout)
        return self.turn

    async def sign_in_implicitly(self) -> None:
        """Without a cookie, sign in as the page does where no password is asked (local history's
        implicit user): `POST /auth/header` when `/auth/config` offers header login only."""
        import httpx

        if self.cookies:
            return
        async with httpx.AsyncClient(base_url=self.base_url, timeout=10) as http:
            config = (await http.get("/auth/config")).json()
            if not (config.get("requireLogin") and config.get("headerAuth")) or config.get("passwordAuth"):
                return
            r = await http.post("/auth/header")
            if r.status_code == 200 and "access_token" in r.cookies:
                self.cookies = f"access_token={r.cookies['access_token']}"

    async def welcome(self) -> str:
        """The welcome screen's text (the chat profile's description), as the page fetches it."""
        import httpx

        async with httpx.AsyncClient() as http:
            r = await http.get(self.base_url + "/project/settings", params={"language": "en-US"})
        profiles = r.json()["chatProfiles"]
        return str(profiles[0]["markdown_description"]) if profiles else ""

    async def send(self, text: str, timeout: float = 60.0, *, wait: bool = True) -> Turn:
        self._task_ended.clear()
        self.turn = Turn(sent_at=time.perf_counter())
        message = {
            "threadId": "",
            "id": str(uuid.uuid4()),
            "name": "User",
            "type": "user_message",
            "output": text,
            "createdAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "metadata": {},
        }
        await self.sio.emit("client_message", {"message": message, "fileReferences": []})
        if wait:
            await self.wait_task_end(timeout)
        return self.turn

    async def wait_task_end(self, timeout: float = 60.0) -> None:
        await asyncio.wait_for(self._task_ended.wait(), timeout)

    async def wait_tokens(self, count: int, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while self.turn.tokens < count:
            if time.monotonic() > deadline:
                raise TimeoutError(f"only {self.turn.tokens} tokens arrived")
            await asyncio.sleep(0.005)

    async def stop(self) -> None:
        await self.sio.emit("stop")

    async def update_settings(self, values: dict[str, Any], timeout: float = 10.0) -> Turn:
        """Chainlit runs on_settings_update as a task: wait for it, so its task_end closes no later turn."""
        self._task_ended.clear()
        self.turn = Turn(sent_at=time.perf_counter())
        await self.sio.emit("chat_settings_change", values)
        await asyncio.wait_for(self._task_ended.wait(), timeout)
        return self.turn

    async def clear_session(self) -> None:
        """What the page sends before leaving through "New chat": the server frees the session at disconnect
        instead of keeping it `session_timeout` seconds for a reconnect."""
        await self.sio.emit("clear_session")

    async def close(self) -> None:
        await self.sio.disconnect()

    @staticmethod
    def dumps(obj: Any) -> str:
        return json.dumps(obj)
