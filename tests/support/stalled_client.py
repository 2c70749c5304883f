"""A chat page whose reader stops: socket.io over a raw websocket (wsproto on a plain TCP socket with a
4 KB receive buffer), so a test decides exactly when bytes are read — or not at all.

The page's protocol, by hand: Engine.IO v4 open (`0{…}`), socket.io connect with the page's auth
(`40{…}`), `connection_successful`, pings answered (`2` → `3`) while reading. After `stall()` nothing is
read, so the server's writes back up as they would for a frozen tab or a stalled network.
"""

from __future__ import annotations

import json
import socket
import time
import uuid
from typing import Any
from urllib.parse import urlsplit

from wsproto import ConnectionType, WSConnection
from wsproto.events import AcceptConnection, CloseConnection, Message, Ping, Request, TextMessage

__all__ = ["StalledClient"]


class StalledClient:
    def __init__(self, base_url: str, session_id: str | None = None) -> None:
        parts = urlsplit(base_url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.session_id = session_id or str(uuid.uuid4())
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)  # before connect: the window stays small
        self.events: list[tuple[str, Any]] = []
        self._partial = ""

    def _implicit_cookie(self) -> list[tuple[bytes, bytes]]:
        """Where no password is asked (local history's implicit user) the page signs in with
        `POST /auth/header` first, as `ChatClient.sign_in_implicitly` does."""
        import httpx

        base = f"http://{self.host}:{self.port}"
        config = httpx.get(base + "/auth/config", timeout=10).json()
        if not (config.get("requireLogin") and config.get("headerAuth")) or config.get("passwordAuth"):
            return []
        r = httpx.post(base + "/auth/header", timeout=10)
        token = r.cookies.get("access_token") if r.status_code == 200 else None
        return [(b"cookie", f"access_token={token}".encode())] if token else []

    def connect(self, timeout: float = 30.0) -> None:
        headers = self._implicit_cookie()
        self.sock.settimeout(timeout)
        self.sock.connect((self.host, self.port))
        target = "/ws/socket.io/?EIO=4&transport=websocket"
        self._send(Request(host=f"{self.host}:{self.port}", target=target, extra_headers=headers))
        self._read_until(lambda kind, _: kind == "eio_open", timeout)
        auth = {"clientType": "webapp", "sessionId": self.session_id, "threadId": "", "userEnv": "{}", "chatProfile": ""}
        self._text("40" + json.dumps(auth))
        self._read_until(lambda kind, _: kind == "sio_connect", timeout)
        self.emit("connection_successful")
        # on_chat_start runs as a task: its task_start/task_end pair ends the connection's setup
        self._read_until(lambda kind, data: kind == "task_end" and self._started_then_ended(), timeout)

    def _started_then_ended(self) -> bool:
        names = [k for k, _ in self.events]
        return "task_start" in names and names[-1] == "task_end"

    def emit(self, event: str, *args: Any) -> None:
        self._text("42" + json.dumps([event, *args]))

    def send_message(self, text: str) -> str:
        message_id = str(uuid.uuid4())
        message = {
            "threadId": "",
            "id": message_id,
            "name": "User",
            "type": "user_message",
            "output": text,
            "createdAt": time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime()),
            "metadata": {},
        }
        self.emit("client_message", {"message": message, "fileReferences": []})
        return message_id

    def read_until_event(self, name: str, timeout: float = 30.0) -> Any:
        return self._read_until(lambda kind, _: kind == name, timeout)

    def abort(self) -> None:
        """Drop the connection without a close frame, as a sleeping laptop or a dead network does."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        self.sock.close()

    # --- the wire ---------------------------------------------------------------------------------
    def _send(self, event: Any) -> None:
        self.sock.sendall(self.ws.send(event))

    def _text(self, data: str) -> None:
        self._send(Message(data=data))

    def _read_until(self, done: Any, timeout: float) -> Any:
        deadline = time.monotonic() + timeout
        while True:
            for kind, data in self._pending():
                self.events.append((kind, data))
                if done(kind, data):
                    return data
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"waited {timeout} s; last events: {[k for k, _ in self.events[-8:]]}")
            self.sock.settimeout(left)
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self.ws.receive_data(chunk)

    def _pending(self) -> list[tuple[str, Any]]:
        out: list[tuple[str, Any]] = []
        for event in self.ws.events():
            if isinstance(event, AcceptConnection):
                continue
            if isinstance(event, Ping):
                self._send(event.response())
            elif isinstance(event, CloseConnection):
                out.append(("closed", event.code))
            elif isinstance(event, TextMessage):
                self._partial += event.data
                if event.message_finished:
                    out.extend(self._packet(self._partial))
                    self._partial = ""
        return out

    def _packet(self, text: str) -> list[tuple[str, Any]]:
        if text.startswith("0"):
            return [("eio_open", json.loads(text[1:]))]
        if text == "2":  # Engine.IO ping: answer, or the server drops us
            self._text("3")
            return []
        if text.startswith("40"):
            return [("sio_connect", json.loads(text[2:] or "{}"))]
        if text.startswith("42"):
            name, *args = json.loads(text[2:])
            return [(name, args[0] if args else None)]
        return [("other", text)]
