"""Open the real engine in a fresh process from the environment, optionally chat once, report as JSON.

Why a process of its own: the runtime reads `SSL_CERT_FILE` once, at the process's first
`FoundryLocalManager.initialize()`, and the engine is a per-process singleton; each run against a
catalog mirror needs the mirror's CA and its own configuration. Used by `run_engine_child`.

Writes one JSON line per progress report (`{"progress": ...}`) as it happens (a parent may stop the
process mid-download), then `{"result": ...}` or `{"error": ...}`. Logs go to stderr.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["ChildRun", "run_engine_child"]

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class ChildRun:
    returncode: int
    progress: list[dict[str, Any]] = field(default_factory=list)
    result: dict[str, Any] | None = None
    error: str | None = None
    stderr: str = ""

    @property
    def fractions(self) -> list[float]:
        return [p["fraction"] for p in self.progress if p["fraction"] is not None]

    @property
    def downloads(self) -> list[dict[str, Any]]:
        return [p for p in self.progress if p["download"]]


def run_engine_child(env: dict[str, str], *, chat: str | None = None, timeout: float = 120) -> ChildRun:
    """Run this module with `env` on top of a minimal environment; parse what it printed."""
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    args = [sys.executable, "-m", "tests.support.engine_child"] + (["--chat", chat] if chat else [])
    proc = subprocess.run(args, cwd=ROOT, env={**base, **env}, capture_output=True, text=True, timeout=timeout)
    return parse(proc.returncode, proc.stdout, proc.stderr)


def parse(returncode: int, stdout: str, stderr: str) -> ChildRun:
    run = ChildRun(returncode, stderr=stderr)
    for line in stdout.splitlines():
        if not line.startswith("{"):
            continue
        item = json.loads(line)
        if "progress" in item:
            run.progress.append(item["progress"])
        elif "result" in item:
            run.result = item["result"]
        elif "error" in item:
            run.error = item["error"]
    return run


def _emit(item: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(item) + "\n")
    sys.stdout.flush()


def main() -> int:
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(name)s %(levelname)s %(message)s")
    from config import load_settings
    from providers.base import ChatMessage, ChatOptions
    from providers.foundry import FoundryLocalProvider
    from providers.foundry_engine import DownloadStatus, open_engine

    started = time.monotonic()

    def on_progress(text: str, fraction: float | None, download: DownloadStatus | None = None, /) -> None:
        _emit({"progress": {
            "t": round(time.monotonic() - started, 3), "text": text, "fraction": fraction,
            "download": None if download is None else {
                "fraction": download.fraction, "done_bytes": download.done_bytes,
                "total_bytes": download.total_bytes, "eta_seconds": download.eta_seconds,
            },
        }})

    try:
        settings = load_settings(dict(os.environ))
        loaded = open_engine(settings, on_progress)
    except Exception as exc:
        _emit({"error": f"{type(exc).__name__}: {exc}"})
        return 1
    result: dict[str, Any] = {
        "seconds": round(time.monotonic() - started, 3), "source": loaded.source, "model_id": loaded.model_id,
        "display_name": loaded.display_name, "device": loaded.device, "execution_provider": loaded.execution_provider,
        "context_length": loaded.context_length, "notice": loaded.notice, "path": loaded.model.get_path(),
    }
    if "--chat" in sys.argv:
        prompt = sys.argv[sys.argv.index("--chat") + 1]
        provider = FoundryLocalProvider(loaded, settings)

        async def ask() -> str:
            messages = [ChatMessage("system", "You are a helpful assistant."), ChatMessage("user", prompt)]
            return "".join([c.text async for c in provider.stream(messages, ChatOptions(max_tokens=32, temperature=0))])

        result["answer"] = asyncio.run(ask())
    loaded.model.unload()
    _emit({"result": result})
    return 0


def _kill_after(args: list[str], env: dict[str, str], predicate: Any, timeout: float = 60) -> ChildRun:
    """Start the child and SIGKILL it as soon as `predicate(progress_item)` holds: an app dying mid-download."""
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    for line in proc.stdout:
        lines.append(line)
        if line.startswith('{"progress"') and predicate(json.loads(line)["progress"]):
            break
        if time.monotonic() > deadline:
            break
    proc.kill()
    proc.wait(10)
    proc.stdout.close()
    return parse(proc.returncode, "".join(lines), "")


def run_engine_child_until(env: dict[str, str], predicate: Any, timeout: float = 60) -> ChildRun:
    """Like `run_engine_child`, but killed (SIGKILL) once a progress report satisfies `predicate`."""
    base = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG", "TMPDIR")}
    return _kill_after([sys.executable, "-m", "tests.support.engine_child"], {**base, **env}, predicate, timeout)


if __name__ == "__main__":
    sys.exit(main())
