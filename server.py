"""Our HTTP routes on Chainlit's FastAPI app, placed ahead of its catch-all page route.

Importing `chainlit.server` registers `GET /{full_path:path}` for the single-page app; a route
added later the plain way is shadowed and answers 200 with the HTML page. We add ours and move
them to the front of the route list (idempotent, so `chainlit run -w` reloads keep working).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, FastAPI

__all__ = ["install_routes", "routers"]


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
