"""The socket.io side of the limits: sessions per client address, one answer per chat.

Chainlit registers its handlers on `chainlit.server.sio` at import; these wrap them (idempotent,
like server.install_message_guard):

- `connect` / `disconnect`: count open sessions per client address; one beyond
  LIMIT_SESSIONS_PER_CLIENT is refused with a message the client receives in `connect_error`.
- `client_message` / `edit_message`: while a chat's answer runs, a further message is not started
  (Chainlit would start a second answer alongside and lose the first one's Stop); the user is told
  once per running answer. Chosen over queueing: a queue would turn a burst into as many backend
  requests, one after another, long after the user stopped caring.
- `edit_message` naming a message the chat does not hold (Chainlit would call `on_message(None)`).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from health import metrics
from providers.errors import Busy

from . import Limits, client_address

__all__ = ["BUSY_TEXT", "UNKNOWN_EDIT_TEXT", "install_socket_limits"]

log = logging.getLogger("foundry_chat.limits")
Handler = Callable[..., Awaitable[Any]]
BUSY_TEXT = (
    "An answer is still being written in this chat. Wait for it to finish, or press Stop, "
    "then send your message again."
)
UNKNOWN_EDIT_TEXT = "That message is no longer part of this chat, so it cannot be edited. Send it as a new message."
_MARK = "_foundry_chat_limits"


def install_socket_limits(limits: Limits) -> None:
    from chainlit.server import sio

    handlers = sio.handlers.setdefault("/", {})
    state = _SocketLimits(limits)
    for event, make in (
        ("connect", state.connect),
        ("disconnect", state.disconnect),
        ("client_message", state.client_message),
        ("edit_message", state.edit_message),
    ):
        original = handlers.get(event)
        if original is None or getattr(original, _MARK, False):
            continue
        wrapped = make(original)
        setattr(wrapped, _MARK, True)
        handlers[event] = wrapped


class _SocketLimits:
    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.addresses: dict[str, str] = {}  # socket id -> the client address it counts against
        self.running: dict[str, bool] = {}  # chat session id -> whether its user was told it is busy

    def connect(self, original: Handler) -> Handler:
        from socketio.exceptions import ConnectionRefusedError

        sessions = self.limits.sessions

        async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> Any:
            address = client_address(environ.get("asgi.scope"))
            if not sessions.try_acquire(address):
                metrics.LIMIT_REFUSALS.labels("sessions_per_client").inc()
                log.warning("limits: refused a chat session: %d already open from one address", sessions.count(address))
                raise ConnectionRefusedError(
                    f"Too many open chat sessions from this address (limit {sessions.cap}, "
                    "LIMIT_SESSIONS_PER_CLIENT). Close other chat tabs and try again."
                )
            try:
                result = await original(sid, environ, auth)
            except BaseException:
                sessions.release(address)
                raise
            if result is False:
                sessions.release(address)
            else:
                self.addresses[sid] = address
                metrics.OPEN_SESSIONS.set(len(self.addresses))
            return result

        return connect

    def disconnect(self, original: Handler) -> Handler:
        takes_reason = len(inspect.signature(original).parameters) > 1

        async def disconnect(sid: str, reason: Any = None) -> Any:
            address = self.addresses.pop(sid, None)
            if address is not None:
                self.limits.sessions.release(address)
                metrics.OPEN_SESSIONS.set(len(self.addresses))
            return await (original(sid, reason) if takes_reason else original(sid))

        return disconnect

    async def _refuse_busy(self, key: str) -> None:
        metrics.LIMIT_REFUSALS.labels("chat_busy").inc()
        if self.running.get(key):
            return  # told once per running answer: a burst of messages is not a burst of replies
        self.running[key] = True
        from chainlit.message import ErrorMessage

        await ErrorMessage(content=str(Busy(BUSY_TEXT))).send()  # type: ignore[no-untyped-call]

    def client_message(self, original: Handler) -> Handler:
        from chainlit.context import init_ws_context
        from chainlit.session import WebsocketSession

        async def client_message(sid: str, payload: Any = None, *_: Any) -> Any:
            session = WebsocketSession.get(sid)
            if session is None:
                return await original(sid, payload)
            if session.id in self.running:
                init_ws_context(session)
                return await self._refuse_busy(session.id)
            self.running[session.id] = False
            before = session.current_task
            try:
                result = await original(sid, payload)  # Chainlit starts the answer as a task
            except BaseException:
                self.running.pop(session.id, None)
                raise
            task = session.current_task
            if task is None or task is before or task.done():
                self.running.pop(session.id, None)  # refused as malformed: no answer started
            else:
                task.add_done_callback(lambda _t, key=session.id: self.running.pop(key, None))
            return result

        return client_message

    def edit_message(self, original: Handler) -> Handler:
        from chainlit.chat_context import chat_context
        from chainlit.context import init_ws_context
        from chainlit.message import ErrorMessage
        from chainlit.session import WebsocketSession

        async def edit_message(sid: str, payload: Any = None, *_: Any) -> Any:
            session = WebsocketSession.get(sid)
            if session is None:
                return None
            init_ws_context(session)
            message = payload.get("message") if isinstance(payload, dict) else None
            wanted = message.get("id") if isinstance(message, dict) else None
            if not isinstance(wanted, str) or not isinstance(message.get("output"), str):  # type: ignore[union-attr]
                await ErrorMessage(content="That edit could not be read; nothing was changed.").send()  # type: ignore[no-untyped-call]
                return None
            if wanted not in {m.id for m in chat_context.get()}:
                log.info("limits: edit of a message the chat does not hold refused")
                await ErrorMessage(content=UNKNOWN_EDIT_TEXT).send()  # type: ignore[no-untyped-call]
                return None
            if session.id in self.running:
                return await self._refuse_busy(session.id)
            self.running[session.id] = False
            try:
                return await original(sid, payload)  # Chainlit awaits the answer here
            finally:
                self.running.pop(session.id, None)

        return edit_message
