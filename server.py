"""Our HTTP routes on Chainlit's FastAPI app, placed ahead of its catch-all page route.

Importing `chainlit.server` registers `GET /{full_path:path}` for the single-page app; a route
added later the plain way is shadowed and answers 200 with the HTML page. We add ours and move
them to the front of the route list (idempotent, so `chainlit run -w` reloads keep working).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, FastAPI

__all__ = [
    "install_message_guard",
    "install_origin_check",
    "install_routes",
    "install_security",
    "install_sigterm_drain",
    "isolate_files_dir",
    "origin_allowed",
    "routers",
]


def routers() -> list[APIRouter]:
    """Every router the app serves besides Chainlit's own."""
    from gateway import router as gateway_router
    from health.routes import router as health_router
    from storage.auth_routes import router as auth_router
    from storage.history_routes import router as history_router

    found: list[APIRouter] = [health_router, gateway_router, auth_router, history_router]
    try:
        import webgpu

        found.append(webgpu.router)
    except ImportError:
        pass
    return found


def install_routes(runtime: Any, turns: Any = None, app: FastAPI | None = None, limits: Any = None) -> None:
    """Serve our routes on `app` (Chainlit's by default), ahead of its page; their state goes on `app.state`."""
    from chat.turn import TurnService
    from config import LimitSettings
    from health.routes import ReadyCache
    from throttle import Limits

    if app is None:
        from chainlit.server import app as chainlit_app

        app = chainlit_app
    app.state.runtime = runtime
    app.state.turns = turns if turns is not None else TurnService(runtime)
    app.state.ready_cache = ReadyCache()
    app.state.limits = limits if limits is not None else Limits(getattr(runtime.settings, "limits", LimitSettings()))
    ours = []
    for router in routers():
        for route in router.routes:
            ours.append(route)
    paths = {getattr(r, "path", None) for r in ours}
    rest = [r for r in app.router.routes if getattr(r, "path", None) not in paths]
    app.router.routes[:] = ours + rest


def isolate_files_dir() -> None:
    """Give this process its own Chainlit files directory.

    Chainlit keeps element files under `<app root>/.files` and deletes that whole directory at
    shutdown, so one process stopping (a rolling restart, a second instance on another port)
    deletes the files of every other process started from the same directory, and their next
    element fails with FileNotFoundError. A per-process directory under the same root avoids it.
    """
    import os

    import chainlit.config
    import chainlit.server

    own = chainlit.config.FILES_DIRECTORY / f"proc-{os.getpid()}"
    own.mkdir(parents=True, exist_ok=True)
    chainlit.config.FILES_DIRECTORY = own
    chainlit.server.FILES_DIRECTORY = own  # type: ignore[attr-defined]  # used by its shutdown cleanup


LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})


def origin_allowed(origin: str | None, environ: dict[str, Any], allowed: tuple[str, ...] = ()) -> bool:
    """Whether a websocket handshake from `origin` may proceed.

    With `allowed` set (ALLOWED_ORIGINS), exactly those origins. Otherwise the app's own origin
    (from the Host header, or X-Forwarded-Host/-Proto behind a proxy) and any localhost origin.
    Handshakes without an Origin header (non-browser clients) are not cross-site and pass.
    """
    from urllib.parse import urlsplit

    if not origin:
        return True
    origin = origin.rstrip("/")
    if allowed:
        return origin in allowed
    host = environ.get("HTTP_HOST", "")
    scheme = environ.get("wsgi.url_scheme", "http")
    own = {f"{scheme}://{host}", f"http://{host}", f"https://{host}"} if host else set()
    forwarded_host = environ.get("HTTP_X_FORWARDED_HOST", "").split(",")[0].strip()
    if forwarded_host:
        proto = environ.get("HTTP_X_FORWARDED_PROTO", scheme).split(",")[0].strip()
        own.add(f"{proto}://{forwarded_host}")
    if origin in own:
        return True
    try:
        parts = urlsplit(origin)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and (parts.hostname or "") in LOCAL_HOSTS


def install_origin_check(allowed: tuple[str, ...]) -> None:
    """Refuse websocket handshakes from foreign origins.

    Chainlit builds its socket.io server with `cors_allowed_origins=[]`, which disables the origin
    check entirely (its `allow_origins` setting governs HTTP CORS only), so any web page the user
    visits could open a chat session in their name. engine.io accepts a callable instead.
    """
    from chainlit.server import sio

    sio.eio.cors_allowed_origins = lambda origin, environ: origin_allowed(origin, environ, allowed)


def install_security(settings: Any, *, sign_in: bool, allowed_origins: tuple[str, ...] = (), app: Any = None) -> Any:
    """Put `security.middleware.SecurityMiddleware` in front of everything (idempotent); returns its policy.

    Outermost, so the Host check, the body limit and the headers cover Chainlit's routes, ours
    and the socket.io mount alike (its websocket and polling transports included). The page's
    inline scripts are allowed by hash, computed from the page Chainlit will serve.
    """
    from urllib.parse import urlsplit

    import chainlit.server
    from chainlit.config import config
    from starlette.middleware import Middleware

    from security.middleware import SecurityMiddleware, SecurityPolicy
    from security.policy import HostPolicy, content_security_policy, inline_script_hashes, security_headers

    app = chainlit.server.app if app is None else app
    try:
        page = chainlit.server.get_html_template(config.run.root_path or "")  # type: ignore[no-untyped-call]
    except Exception:  # no built frontend (a bare test app): no inline scripts to allow
        page = ""
    csp = content_security_policy(settings.frame_ancestors, inline_script_hashes(page))
    extra = [urlsplit(o).hostname or "" for o in allowed_origins]
    bind = (config.run.host or "").strip("[]").lower()
    if bind and bind not in ("0.0.0.0", "::"):
        extra.append(bind)
    limits = [(chainlit.server.SOCKET_IO_PATH, SOCKET_MESSAGE_BYTES)]  # socket.io polling carries whole messages
    # The history import (storage/history_routes.py, and the Import command's file prompt, which uploads
    # through /project/file) takes files up to MAX_IMPORT_BYTES and refuses larger ones itself.
    from storage.importer import MAX_IMPORT_BYTES

    file_bytes = MAX_IMPORT_BYTES
    upload = config.features.spontaneous_file_upload
    if upload is not None and upload.enabled:
        file_bytes = max(file_bytes, int((upload.max_size_mb or 500) * 1024 * 1024))
    limits.append(("/project/file", file_bytes + 1024 * 1024))  # + room for the multipart envelope
    limits.append(("/import", MAX_IMPORT_BYTES + 1024 * 1024))
    policy = SecurityPolicy(
        settings,
        HostPolicy.build(settings.allowed_hosts, extra),
        security_headers(csp, settings.frame_ancestors),
        tuple(limits),
        sign_in,
    )
    app.user_middleware[:] = [m for m in app.user_middleware if m.cls is not SecurityMiddleware]
    app.user_middleware.insert(0, Middleware(SecurityMiddleware, policy=policy))
    app.middleware_stack = None  # rebuilt on the next request (a `-w` reload may come after start)
    app.state.security = policy
    return policy


def install_sigterm_drain(runtime: Any, grace: float) -> None:
    """On SIGTERM: stop taking messages, let running answers finish (up to `grace` s) and their last
    frames reach the sockets (up to FLUSH_S more), then let uvicorn shut down (which runs the app's shutdown hook: unload the model, close clients).

    Uvicorn's own handler closes every websocket at once, cutting running answers off; ours runs
    first and hands over to it when the answers are done.
    """
    import asyncio
    import logging
    import signal
    from types import FrameType

    log = logging.getLogger("foundry_chat.server")
    loop = asyncio.get_running_loop()
    uvicorn_handler = signal.getsignal(signal.SIGTERM)
    state = {"draining": False}

    async def drain_then_exit() -> None:
        await runtime.drain(grace)
        if not await flush_sockets():
            log.warning("server: after %.0fs some sessions were still busy or had frames queued: shutting down", FLUSH_S)
        if callable(uvicorn_handler):
            uvicorn_handler(signal.SIGTERM, None)
        else:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            signal.raise_signal(signal.SIGTERM)

    def on_sigterm(signum: int, frame: FrameType | None) -> None:
        if state["draining"]:  # a second SIGTERM: stop waiting
            log.warning("server: second SIGTERM: shutting down now")
            if callable(uvicorn_handler):
                uvicorn_handler(signum, frame)
            return
        state["draining"] = True
        log.info("server: SIGTERM: draining before shutdown")
        loop.call_soon_threadsafe(lambda: asyncio.ensure_future(drain_then_exit()))

    signal.signal(signal.SIGTERM, on_sigterm)


FLUSH_S = 2.0
"""After a drain, how long the sessions' last frames (the final answer, `task_end`) get to reach the sockets."""


async def flush_sockets(within: float = FLUSH_S) -> bool:
    """Wait until every session's running Chainlit task has returned and every socket's queued frames
    have been handed to its transport; True if all were, within `within` seconds.

    The runtime counts a turn until its answer is shown, but Chainlit sends that turn's `task_end`
    after the handler returns, and Engine.IO writes frames from a queue in a task of its own. Uvicorn's
    shutdown closes every websocket at once, and a frame still in that queue is lost: the page keeps
    its spinner and never hears the turn end. Frames already handed to the transport are flushed on close.
    """
    import asyncio

    from chainlit.server import sio
    from chainlit.session import ws_sessions_id

    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    tasks = {s.current_task for s in list(ws_sessions_id.values()) if s.current_task is not None}
    running = {t for t in tasks if not t.done()}
    if running:
        _, pending = await asyncio.wait(running, timeout=within)
        if pending:
            return False
    queues = [s.queue for s in list(sio.eio.sockets.values()) if not s.closed]
    try:
        # task_done() is called as the writer takes a batch, which it then sends without waiting
        await asyncio.wait_for(asyncio.gather(*(q.join() for q in queues)), max(0.0, deadline - loop.time()))
    except TimeoutError:
        return False
    await asyncio.sleep(0)
    return True


def _valid_message_payload(payload: object) -> str | None:
    """None when `payload` is shaped like the page's `client_message`; else what is wrong."""
    import uuid

    if not isinstance(payload, dict) or not isinstance(payload.get("message"), dict):
        return "the message payload is not an object"
    message = payload["message"]
    try:
        if uuid.UUID(str(message.get("id"))).version != 4:
            return "the message id is not a UUID4"
    except ValueError:
        return "the message id is not a UUID"
    if not isinstance(message.get("output"), str):
        return "the message text is not a string"
    if not isinstance(payload.get("fileReferences", []), list):
        return "fileReferences is not a list"
    return None


SOCKET_MESSAGE_BYTES = 16 * 1024 * 1024
"""The largest socket.io frame accepted (Engine.IO's max_http_buffer_size); larger ones drop the connection."""


def install_message_guard() -> None:
    """Answer malformed `client_message` payloads with a clear error instead of a Chainlit traceback.

    The page always sends well-formed payloads; anything else comes from a hand-made client, and
    Chainlit would log a traceback and show the raw exception text. Well-formed payloads with
    odd text (empty, too long, control characters) pass through to the app, which explains them.
    """
    import logging

    from chainlit.context import init_ws_context
    from chainlit.message import ErrorMessage
    from chainlit.server import sio

    log = logging.getLogger("foundry_chat.server")
    # Engine.IO closes the socket, silently for the user and the log, on a frame over
    # max_http_buffer_size (1 MB by default): let messages up to SOCKET_MESSAGE_BYTES through, so an
    # over-long one reaches the input check and its user is told the limit (MAX_INPUT_CHARS).
    sio.eio.max_http_buffer_size = max(sio.eio.max_http_buffer_size, SOCKET_MESSAGE_BYTES)
    handlers = sio.handlers.setdefault("/", {})
    checks: dict[str, tuple[Callable[[object], str | None], str]] = {
        "client_message": (_valid_message_payload, "That message could not be read ({problem}). Please send it again."),
        # Chainlit iterates `settings.items()` before the app sees them: a string or a list was a traceback.
        "chat_settings_change": (_valid_settings_payload, "The settings could not be read ({problem}); nothing was changed."),
    }
    for event, (check, wording) in checks.items():
        original = handlers.get(event)
        if original is None or getattr(original, "_foundry_chat_guard", False):
            continue
        handlers[event] = _guarded(event, original, check, wording, log, init_ws_context, ErrorMessage)


def _valid_settings_payload(payload: object) -> str | None:
    return None if isinstance(payload, dict) else f"expected an object, got {type(payload).__name__}"


def _guarded(
    event: str,
    original: Callable[..., Awaitable[object]],
    check: Callable[[object], str | None],
    wording: str,
    log: Any,
    init_ws_context: Callable[[str], object],
    error_message: Any,
) -> Callable[..., Awaitable[object]]:
    async def guarded(sid: str, payload: object = None, *_: object) -> object:
        problem = check(payload)
        if problem is None:
            return await original(sid, payload)
        log.warning("server: refused a malformed %s from %s: %s", event, sid, problem)
        try:
            init_ws_context(sid)
            await error_message(content=wording.format(problem=problem)).send()
        except Exception as exc:  # the session may be gone; nothing else to tell
            log.info("server: could not answer the malformed %s: %s", event, exc)
        return None

    guarded._foundry_chat_guard = True  # type: ignore[attr-defined]
    return guarded
