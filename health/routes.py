"""`/healthz` (the process serves), `/readyz` (the default route can answer) and `/metrics`.

Served ahead of Chainlit's catch-all page route (see server.py), as JSON or Prometheus text,
never the HTML page. Readiness is cached for a few seconds so probes don't hammer the engine.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from providers.errors import Draining, NotReady

__all__ = ["READY_CACHE_SECONDS", "ReadyCache", "router"]

router = APIRouter()
READY_CACHE_SECONDS = 2.0
NO_STORE = {"Cache-Control": "no-store"}


@dataclass(slots=True)
class ReadyCache:
    """The last probed readiness answer; one per app, on `app.state.ready_cache`."""

    at: float = -READY_CACHE_SECONDS
    status: int = 503
    body: dict[str, Any] = field(default_factory=dict)


def _runtime(request: Request) -> Any:
    """Set on `app.state` by `server.install_routes`; None before that."""
    return getattr(request.app.state, "runtime", None)


@router.get("/healthz", include_in_schema=False)
async def healthz(request: Request) -> JSONResponse:
    """Liveness: answers from memory, never touches a backend."""
    return JSONResponse({"status": "ok", "state": getattr(_runtime(request), "state", "unknown")}, headers=NO_STORE)


async def _readiness(runtime: Any) -> tuple[int, dict[str, Any]]:
    body: dict[str, Any] = {"state": runtime.state}
    refusal = runtime.refusal()  # the same gate the turn service applies
    if isinstance(refusal, Draining):
        return 503, {**body, "state": "draining", "reason": str(refusal)}
    if isinstance(refusal, NotReady):
        extra: dict[str, Any] = {"progress": refusal.progress} if refusal.state == "starting" else {}
        download = getattr(runtime.progress, "download", None) if refusal.state == "starting" else None
        if download is not None:  # a model is downloading: bytes and an estimate (see DownloadStatus)
            extra["download"] = {
                "fraction": round(download.fraction, 4),
                "done_bytes": download.done_bytes,
                "total_bytes": download.total_bytes,
                "eta_seconds": None if download.eta_seconds is None else round(download.eta_seconds, 1),
            }
        return 503, {**body, "state": refusal.state, "reason": str(refusal), **extra}
    health = await runtime.router.health()
    body["policy"] = runtime.router.policy
    body["targets"] = health.extra.get("targets", {})
    problems = [f"{name}: {t['detail']}" for name, t in body["targets"].items() if not t["ok"]]
    ok = health.ok
    for name, check in runtime.health_checks.items():  # e.g. the database, once persistence is on
        result = await check()
        body[name] = result
        if not result.get("ok", True):
            ok = False
            problems.append(f"{name}: {result.get('detail', 'failing')}")
    if problems:
        body["problems"] = problems
    if not ok:
        # The body says what the status says: "ready" belongs to 200 only. Some target still answering
        # (another failing, or a health check such as the database) is "degraded"; none is "unavailable".
        any_target_ok = any(t.get("ok") for t in body["targets"].values())
        body["state"] = "degraded" if any_target_ok else "unavailable"
        body["reason"] = "; ".join(problems) or health.detail
        return 503, body
    return 200, body


@router.get("/readyz", include_in_schema=False)
async def readyz(request: Request) -> JSONResponse:
    now = time.monotonic()
    runtime = _runtime(request)
    cache: ReadyCache = request.app.state.ready_cache
    # Only answers that probed the backends are cached: while starting, failed or draining the
    # answer comes from memory, and a cached "starting" would hide readiness for seconds.
    probed = runtime.refusal() is None
    if now - cache.at > READY_CACHE_SECONDS or not probed:
        cache.status, cache.body = await _readiness(runtime)
        cache.at = now if probed else -READY_CACHE_SECONDS
    body = dict(cache.body)
    body["cached_for_s"] = round(max(0.0, READY_CACHE_SECONDS - (now - cache.at)), 2)
    return JSONResponse(body, status_code=cache.status, headers=NO_STORE)


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request) -> Response:
    runtime = _runtime(request)
    if runtime is not None and runtime.router is not None:
        runtime.router.export_breaker_states()
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST, headers=NO_STORE)
