"""The app's long-lived state: settings, the router once the model is up, and startup progress.

Created once when the server starts. Model resolution (which may download gigabytes) runs as a
background task so the UI is served meanwhile and can show progress.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from config import Settings
from health import heap, metrics
from privacy import PrivacyGuard
from providers.base import Provider
from providers.errors import Draining, NotReady, TurnRefused
from providers.factory import LocalTarget, open_cloud, open_local
from providers.foundry_engine import DownloadStatus
from routing import Router

__all__ = ["AppRuntime", "Progress"]

log = logging.getLogger("foundry_chat.runtime")

State = Literal["starting", "ready", "failed"]


@dataclass(slots=True)
class Progress:
    text: str = "Starting…"
    fraction: float | None = None
    download: DownloadStatus | None = None
    """Bytes and an estimate while a model downloads."""


class AppRuntime:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.state: State = "starting"
        self.progress = Progress()
        self.error: str | None = None
        self.router: Router | None = None
        self.guard = PrivacyGuard(timeout=settings.routing.privacy_timeout)
        """Scans what could leave the machine; loaded only when a cloud target can be used."""
        self.local: LocalTarget | None = None
        self.started_at = time.monotonic()
        self.ready_seconds: float | None = None
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self.draining = False
        """Set on SIGTERM: new messages are refused, running answers may finish."""
        self.active_streams = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self.health_checks: dict[str, Callable[[], Awaitable[dict[str, Any]]]] = {}
        """Extra readiness checks by name (each returns {"ok": bool, "detail": str, ...})."""

    def refusal(self) -> TurnRefused | None:
        """Why no turn may start now (draining, starting, failed), or None: the one readiness gate."""
        if self.draining:
            return Draining()
        if self.state == "starting":
            return NotReady(self.progress.text, state="starting", progress=self.progress.fraction)
        if self.state != "ready" or self.router is None:
            return NotReady(self.error or "no model", state="failed")
        return None

    def stream_started(self) -> None:
        """One answer began; the ACTIVE_STREAMS gauge is this count, whatever the door."""
        self.active_streams += 1
        metrics.ACTIVE_STREAMS.set(self.active_streams)
        self._idle.clear()

    def stream_ended(self) -> None:
        self.active_streams -= 1
        if self.active_streams <= 0:
            self.active_streams = 0
            self._idle.set()
        metrics.ACTIVE_STREAMS.set(self.active_streams)

    async def drain(self, deadline: float) -> bool:
        """Refuse new messages and wait up to `deadline` seconds for running answers; True if all ended."""
        self.draining = True
        log.info("runtime: draining: %d answer(s) running, waiting up to %.0fs", self.active_streams, deadline)
        try:
            await asyncio.wait_for(self._idle.wait(), deadline)
        except asyncio.TimeoutError:
            log.warning("runtime: drain deadline passed with %d answer(s) still running", self.active_streams)
            return False
        log.info("runtime: drained")
        return True

    def start(self) -> None:
        if self.settings.cloud is not None and self.settings.routing.privacy_guard:
            self.health_checks.setdefault("privacy", self.guard.check)
        if self._task is None:
            self._task = asyncio.create_task(self._open(), name="open-providers")

    def _on_progress(self, text: str, fraction: float | None, download: DownloadStatus | None = None, /) -> None:
        # Called from the engine's worker thread; one attribute write (and a gauge), read by the loop.
        self.progress = Progress(text, fraction, download)
        if download is not None:
            metrics.MODEL_DOWNLOAD_PROGRESS.set(download.fraction)

    async def _open(self) -> None:
        try:
            self.local = await open_local(self.settings, self._on_progress)
            targets: dict[str, Provider] = {"local": self.local.provider}
            models: dict[str, str | None] = {}
            if self.settings.cloud is not None:
                targets["cloud"] = open_cloud(self.settings.cloud)
                models["cloud"] = self.settings.cloud.model
            self.router = Router(targets, self.settings.routing, models=models, guard=self.guard)
            if self.local.load_seconds is not None:
                metrics.MODEL_LOAD_SECONDS.set(self.local.load_seconds)
            await self._check_system_prompt()
            if self.settings.cloud is not None and self.settings.routing.privacy_guard:
                # After the chat model, so the two loads don't share the GIL; a turn that arrives before
                # the name model is up waits for it within PRIVACY_TIMEOUT, else stays local.
                self.guard.start()
                self.guard.when_loaded(lambda: heap.settle("the name detector loaded", collect=False))
            metrics.MODEL_DOWNLOAD_PROGRESS.set(1.0)  # downloaded now, already cached, or nothing to fetch
            heap.settle("start-up")  # full collections no longer walk what was loaded (health/heap.py)
            self.state = "ready"
            self.ready_seconds = time.monotonic() - self.started_at
            log.info("runtime: ready in %.2fs: %s", self.ready_seconds, self.local.description)
            if self.local.notice:
                log.warning("runtime: %s", self.local.notice)
        except Exception as exc:
            self.state = "failed"
            self.error = str(exc) or type(exc).__name__
            log.error("runtime: no model can be served: %s", self.error)
        finally:
            self._ready.set()

    async def _check_system_prompt(self) -> None:
        """The operator's SYSTEM_PROMPT goes with every chat turn: say once if it keeps them all local."""
        if self.settings.cloud is None or not self.settings.routing.privacy_guard:
            return
        verdict = await self.guard.assess([self.settings.system_prompt], slow=False)  # names: on every turn
        if verdict.private:
            log.warning("runtime: SYSTEM_PROMPT: %s: every chat conversation will stay local", verdict.reason)

    async def wait_ready(self, timeout: float | None = None) -> bool:
        try:
            await asyncio.wait_for(self._ready.wait(), timeout)
        except asyncio.TimeoutError:
            return False
        return self.state == "ready"

    async def aclose(self) -> None:
        """Unload the model and close every client (after draining, at shutdown)."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
            # Awaited, so its cleanup runs before the clients below close; our own cancellation still propagates.
            await asyncio.gather(self._task, return_exceptions=True)
        if self.router is not None:
            router, self.router = self.router, None
            await router.aclose()
            log.info("runtime: model unloaded and clients closed")
