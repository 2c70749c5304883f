"""Our HTTP routes on Chainlit's FastAPI app, placed ahead of its catch-all page route.

Importing `chainlit.server` registers `GET /{full_path:path}` for the single-page app; a route
added later the plain way is shadowed and answers 200 with the HTML page. We add ours and move
them to the front of the route list (idempotent, so `chainlit run -w` reloads keep working).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI

__all__ = ["install_routes", "isolate_files_dir", "routers"]


def routers() -> list[APIRouter]:
    """Every router the app serves besides Chainlit's own."""
    from health.routes import router as health_router

    found: list[APIRouter] = [health_router]
    try:
        import webgpu

        found.append(webgpu.router)
    except ImportError:
        pass
    return found


def install_routes(runtime: Any, app: FastAPI | None = None) -> None:
    from health.routes import bind

    bind(runtime)
    if app is None:
        from chainlit.server import app as chainlit_app

        app = chainlit_app
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
