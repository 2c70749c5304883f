"""`/healthz` (the process serves) and `/readyz` (the default route can answer)."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

__all__ = ["bind", "router"]

router = APIRouter()
READY_CACHE_SECONDS = 2.0
_cache: dict[str, Any] = {"at": 0.0, "status": 503, "body": {}}
_bound: dict[str, Any] = {}


def bind(runtime: Any) -> None:
    """Point the routes at the app's runtime (called by `server.install_routes`)."""
    _bound["runtime"] = runtime
    _cache["at"] = 0.0


def _runtime() -> Any:
    return _bound["runtime"]


@router.get("/healthz", include_in_schema=False)
async def healthz() -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


@router.get("/readyz", include_in_schema=False)
async def readyz() -> JSONResponse:
    now = time.monotonic()
    if now - _cache["at"] > READY_CACHE_SECONDS:
        runtime = _runtime()
        body: dict[str, Any] = {"state": runtime.state}
        status = 503
        if runtime.state == "starting":
            body["reason"] = runtime.progress.text
        elif runtime.state == "failed":
            body["reason"] = runtime.error
        elif runtime.router is not None:
            health = await runtime.router.health()
            body["local"] = {"ok": health.ok, "detail": health.detail, "model": health.model}
            status = 200 if health.ok else 503
            if not health.ok:
                body["reason"] = health.detail
        _cache.update(at=now, status=status, body=body)
    return JSONResponse(_cache["body"], status_code=_cache["status"], headers={"Cache-Control": "no-store"})
