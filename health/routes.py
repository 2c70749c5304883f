"""`/healthz` (the process serves), `/readyz` (the default route can answer) and `/metrics`.

Served ahead of Chainlit's catch-all page route (see server.py), as JSON or Prometheus text,
never the HTML page. Readiness is cached for a few seconds so probes don't hammer the engine.
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

__all__ = ["READY_CACHE_SECONDS", "bind", "router"]

router = APIRouter()
READY_CACHE_SECONDS = 2.0
NO_STORE = {"Cache-Control": "no-store"}
_cache: dict[str, Any] = {"at": -READY_CACHE_SECONDS, "status": 503, "body": {}}
_bound: dict[str, Any] = {}


def bind(runtime: Any) -> None:
    """Point the routes at the app's runtime (called by `server.install_routes`)."""
    _bound["runtime"] = runtime
    _cache["at"] = -READY_CACHE_SECONDS


@router.get("/healthz", include_in_schema=False)
async def healthz() -> JSONResponse:
    """Liveness: answers from memory, never touches a backend."""
    runtime = _bound.get("runtime")
    return JSONResponse({"status": "ok", "state": getattr(runtime, "state", "unknown")}, headers=NO_STORE)


async def _readiness() -> tuple[int, dict[str, Any]]:
    runtime = _bound["runtime"]
    body: dict[str, Any] = {"state": runtime.state}
    if runtime.draining:
        return 503, {**body, "state": "draining", "reason": "shutting down: finishing running answers"}
    if runtime.state == "starting":
        return 503, {**body, "reason": runtime.progress.text, "progress": runtime.progress.fraction}
    if runtime.state == "failed" or runtime.router is None:
        return 503, {**body, "reason": runtime.error}
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
        body["reason"] = "; ".join(problems) or health.detail
        return 503, body
    return 200, body


@router.get("/readyz", include_in_schema=False)
async def readyz() -> JSONResponse:
    now = time.monotonic()
    runtime = _bound["runtime"]
    # Only answers that probed the backends are cached: while starting, failed or draining the
    # answer comes from memory, and a cached "starting" would hide readiness for seconds.
    if now - _cache["at"] > READY_CACHE_SECONDS or runtime.state != "ready" or runtime.draining:
        status, body = await _readiness()
        probed = runtime.state == "ready" and not runtime.draining
        _cache.update(at=now if probed else -READY_CACHE_SECONDS, status=status, body=body)
    body = dict(_cache["body"])
    body["cached_for_s"] = round(max(0.0, READY_CACHE_SECONDS - (now - _cache["at"])), 2)
    return JSONResponse(body, status_code=_cache["status"], headers=NO_STORE)


@router.get("/metrics", include_in_schema=False)
async def metrics() -> Response:
    runtime = _bound.get("runtime")
    if runtime is not None and runtime.router is not None:
        runtime.router.export_breaker_states()
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST, headers=NO_STORE)
