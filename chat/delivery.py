"""Getting an answer to the browser over Chainlit's socket: a tab that goes away, a reader that falls
behind, a reconnect after frames were lost.

- **Gone**: when the socket of a session with a running answer disconnects and no socket of that
  session is back within `DISCONNECT_GRACE` seconds, the answer's task is cancelled: the upstream
  request is closed (no more tokens paid for on a cloud, or computed on the local GPU) and the partial
  answer is kept, marked interrupted. A reload or a network change that reconnects in time loses nothing.
- **Slow**: Engine.IO queues every packet for a socket without bound while its writer waits on the
  websocket's flow control, so a client that stops reading would hold the whole answer, frame by
  frame, in the app. Past `BACKLOG` queued packets an `Outlet` keeps the text instead of emitting it,
  and sends what was held as one frame once the queue has drained; the client's text stays exact.
- **Waiting**: while no text has come (a model that is still reading a long prompt, a backend that
  sent its headers and thinks), the answer's place says so after `WAITING_AFTER` seconds, with the
  seconds counting; the first text replaces that line, and it is never stored.
- **Reconnect**: the frames queued for a socket are lost when it drops. A session that reconnects is
  sent its running answer's whole text so far (a frame that replaces the content), or its last
  finished answer and route line again, so the page ends in the final state.

Chainlit has no hooks for these: `install` wraps its socket.io `disconnect` and
`connection_successful` handlers, like `server.install_message_guard` does for `client_message`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from health import metrics

__all__ = ["BACKLOG", "Outlet", "install", "remember_final"]

log = logging.getLogger("foundry_chat.delivery")

BACKLOG = 32
"""Packets queued for one socket past which answer text is held back instead of queued (each frame is
at most `chat.frames.DEFAULT_MAX_CHARS` characters: 32 frames is about 64 KB)."""

WAITING_AFTER = 2.0
"""Seconds without any text after which the answer's place says the model is still working."""
WAITING_EVERY = 1.0
WAITING_TEXT = "⏳ *Still working: the model has not started its answer yet ({seconds} s)…*"

_LIVE = "_foundry_chat_outlet"
_FINAL = "_foundry_chat_final"


def _session() -> Any:
    from chainlit.context import context

    return context.session


def socket_backlog(socket_id: str | None) -> int:
    """Packets Engine.IO has queued for this socket.io socket and not yet written (0 when unknown)."""
    if not socket_id:
        return 0
    from chainlit.server import sio

    try:
        eio_sid = sio.manager.eio_sid_from_sid(socket_id, "/")
        sock = sio.eio.sockets.get(eio_sid) if eio_sid else None
        return int(sock.queue.qsize()) if sock is not None else 0
    except (AttributeError, KeyError):
        return 0


class Outlet:
    """Streams one answer's text to its session's socket, never more than `backlog` packets ahead of
    the reader. Every text is in `message.content` at once; what the socket has been given is
    `message.content[:delivered]`."""

    def __init__(
        self,
        message: Any,
        *,
        on_abandon: Callable[[], None] | None = None,
        backlog: int = BACKLOG,
        session: Any = None,
        emitter: Any = None,
        backlog_of: Callable[[], int] | None = None,
        waiting_after: float | None = WAITING_AFTER,
    ) -> None:
        self.message = message
        self.on_abandon = on_abandon
        self.backlog = backlog
        self.session = session if session is not None else _session()
        self.emitter = emitter
        """Chainlit's emitter of the current context unless given (tests pass a recorder)."""
        self.backlog_of = backlog_of or (lambda: socket_backlog(getattr(self.session, "socket_id", None)))
        self.delivered = 0
        self.held_frames = 0
        self.task = asyncio.current_task()
        self.abandoned = False
        """Set when the socket stayed away past the grace period and the task was cancelled."""
        self.finished = False
        self.waiting_after = waiting_after
        self._texted = asyncio.Event()
        self._lock = asyncio.Lock()
        self._status_shown = False
        self._waiter: asyncio.Task[None] | None = None

    def __enter__(self) -> Outlet:
        setattr(self.session, _LIVE, self)
        if self.waiting_after is not None:
            self._waiter = asyncio.ensure_future(self._waiting(self.waiting_after, WAITING_EVERY))
        return self

    def __exit__(self, *_: object) -> None:
        self.finished = True
        if self._waiter is not None:
            self._waiter.cancel()
        if getattr(self.session, _LIVE, None) is self:
            setattr(self.session, _LIVE, None)

    @property
    def has_text(self) -> bool:
        """Whether any of the answer's text has been handed to `send` (a waiting line is not text)."""
        return self._texted.is_set()

    def _emitter(self) -> Any:
        if self.emitter is not None:
            return self.emitter
        from chainlit.context import context

        return context.emitter

    async def send(self, text: str) -> None:
        if not text:
            return
        self.message.content += text
        self._texted.set()
        if self.backlog_of() > self.backlog:
            self.held_frames += 1
            metrics.HELD_FRAMES.inc()
            return
        async with self._lock:
            message, emitter = self.message, self._emitter()
            if not message.streaming:  # as Chainlit's Message.stream_token does: the first frame opens the stream
                message.streaming = True
                await emitter.stream_start(message.to_dict())
            elif self._status_shown:  # the waiting line goes: the text replaces it
                self._status_shown = False
                await emitter.send_token(id=message.id, token=message.content, is_sequence=True)
            else:
                await emitter.send_token(id=message.id, token=message.content[self.delivered :], is_sequence=False)
            self.delivered = len(message.content)

    async def resync(self) -> None:
        """After a reconnect: the client may miss frames that were queued for the old socket."""
        async with self._lock:
            if self.message.streaming and self.message.content:
                await self._emitter().send_token(id=self.message.id, token=self.message.content, is_sequence=True)
                self._status_shown = False
                self.delivered = len(self.message.content)

    async def _show_status(self, text: str) -> None:
        async with self._lock:
            if self._texted.is_set():
                return
            message, emitter = self.message, self._emitter()
            if not message.streaming:
                message.streaming = True
                await emitter.stream_start({**message.to_dict(), "output": text})
            else:
                await emitter.send_token(id=message.id, token=text, is_sequence=True)
            self._status_shown = True

    async def _waiting(self, after: float, every: float) -> None:
        """While no text has come: after `after` s, a line saying the model is still working, every `every` s."""
        loop = asyncio.get_running_loop()
        began, delay = loop.time(), after
        while True:
            try:
                await asyncio.wait_for(self._texted.wait(), delay)
                return
            except TimeoutError:
                await self._show_status(WAITING_TEXT.format(seconds=round(loop.time() - began)))
                delay = every

    async def withdraw(self) -> None:
        """No text came (it failed, or was stopped, before the answer began): take the waiting line off the page."""
        async with self._lock:
            if self._status_shown and not self.message.content:
                self._status_shown = False
                self.message.streaming = False
                await self._emitter().delete_step(self.message.to_dict())

    def abandon(self) -> None:
        if self.finished or self.task is None or self.task.done():
            return
        self.abandoned = True
        if self.on_abandon is not None:
            self.on_abandon()
        self.task.cancel()


def remember_final(*steps: Any) -> None:
    """The finished answer and its route line, sent again if the session reconnects (see module doc)."""
    setattr(_session(), _FINAL, list(steps))


def install(grace: float | None) -> None:
    """Wrap Chainlit's socket.io `disconnect` and `connection_successful` handlers (idempotent)."""
    from chainlit.server import sio

    handlers = sio.handlers.setdefault("/", {})
    disconnect, connected = handlers.get("disconnect"), handlers.get("connection_successful")
    if disconnect is not None and not getattr(disconnect, "_foundry_chat_delivery", False):
        handlers["disconnect"] = _mark(_on_disconnect(disconnect, grace))
    if connected is not None and not getattr(connected, "_foundry_chat_delivery", False):
        handlers["connection_successful"] = _mark(_on_connected(connected))


def _mark(handler: Callable[..., Awaitable[object]]) -> Callable[..., Awaitable[object]]:
    handler._foundry_chat_delivery = True  # type: ignore[attr-defined]
    return handler


def _on_disconnect(original: Callable[..., Awaitable[object]], grace: float | None) -> Callable[..., Awaitable[object]]:
    from chainlit.session import WebsocketSession

    async def on_disconnect(sid: str, reason: object = None) -> object:
        session = WebsocketSession.get(sid)
        outlet: Outlet | None = getattr(session, _LIVE, None) if session is not None else None
        result = await original(sid)
        if session is not None and outlet is not None and grace is not None and not outlet.finished:
            asyncio.get_running_loop().call_later(grace, _expire, session.id, sid, outlet, grace)
        return result

    return on_disconnect


def _expire(session_id: str, old_sid: str, outlet: Outlet, grace: float) -> None:
    from chainlit.server import sio
    from chainlit.session import WebsocketSession

    if outlet.finished:
        return
    session = WebsocketSession.get_by_id(session_id)
    sid = getattr(session, "socket_id", None)
    if session is not None and sid != old_sid and sio.manager.is_connected(sid, "/"):
        return  # back on a new socket: the answer goes on
    log.info(
        "chat session %s: the browser has been gone %.0f s: stopping its answer (%d characters so far, kept as interrupted)",
        session_id[:8],
        grace,
        len(outlet.message.content),
    )
    metrics.ABANDONED_ANSWERS.inc()
    outlet.abandon()


def _on_connected(original: Callable[..., Awaitable[object]]) -> Callable[..., Awaitable[object]]:
    async def on_connected(sid: str, *args: object) -> object:
        from chainlit.context import context

        result = await original(sid, *args)
        session = context.session
        if not getattr(session, "restored", False):
            return result
        try:
            outlet: Outlet | None = getattr(session, _LIVE, None)
            if outlet is not None and not outlet.finished:
                await context.emitter.task_start()  # type: ignore[no-untyped-call]  # Chainlit's handler just said task_end: the answer still runs
                await outlet.resync()
            else:
                for step in getattr(session, _FINAL, None) or []:
                    await context.emitter.emit("new_message", step)
        except Exception as exc:  # the socket may be gone again; the stored thread still has the answer
            log.info("chat session %s: could not resend the answer after a reconnect: %r", session.id[:8], exc)
        return result

    return on_connected
