"""Processes the benchmarks run: the app (ours or the baseline), a scripted backend, a /healthz probe.

Each runs as its own subprocess on 127.0.0.1 so that the benchmark process (the socket.io clients)
does not share an interpreter, and a GIL, with what it measures. Everything is a context manager
and is stopped by its own PID on exit.
"""

from __future__ import annotations

import json
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench._common import PYTHON, ROOT
from tests.support.app_process import CHAINLIT, AppProcess

__all__ = ["Backend", "BenchApp", "HealthProbe", "make_long_model", "rss_kib"]

BUNDLED_MODEL = ROOT / "models" / "tiny-chat"


def rss_kib(pid: int) -> int:
    """Resident set size of a process (VmRSS in /proc/<pid>/status), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


class BenchApp(AppProcess):
    """`AppProcess` for any Chainlit app file (ours: app.py; the baseline: bench/baseline/app.py).

    Each instance gets its own Chainlit app root (CHAINLIT_APP_ROOT: a temporary directory linking
    to the repository's `.chainlit/`, `public/` and `chainlit.md`), because Chainlit keeps per-session
    files under `<app root>/.files` and deletes that whole directory when a server shuts down: a
    benchmark app stopping would otherwise break any other app running from this checkout.
    """

    def __init__(self, env: dict[str, str] | None = None, *, target: str = "app.py", wait_ready: bool = True) -> None:
        super().__init__(env, wait_ready=wait_ready)
        self.target = target
        self.launched_at = 0.0
        self.app_root = temp_dir("approot")
        for name in (".chainlit", "public", "chainlit.md"):
            if (ROOT / name).exists():
                (self.app_root / name).symlink_to(ROOT / name)

    def start(self) -> BenchApp:
        import os

        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "LITERAL_API_KEY"}}
        # As the e2e tests do: persistence off (never the checkout's data/chat.db), so that the figures are
        # about streaming and serving; a benchmark may pass CHAT_DB_URL in `env` to measure with it.
        env.update(
            {
                "PYTHONUNBUFFERED": "1",
                "OFFLINE_FALLBACK": "on",
                "CHAT_DB_URL": "off",
                "CHAINLIT_APP_ROOT": str(self.app_root),
                # Every load test connects from 127.0.0.1: lift the per-client caps (docs/limits.md).
                "LIMIT_SESSIONS_PER_CLIENT": "100000",
                "LIMIT_V1_CONCURRENCY": "0",
                "GATEWAY_KEYLESS": "on",  # the /v1 load comes from this machine without a key (docs/security.md)
            }
        )
        env.update(self.env)
        self.launched_at = time.perf_counter()
        self.proc = subprocess.Popen(
            [str(CHAINLIT), "run", self.target, "--host", "127.0.0.1", "--port", str(self.port), "--headless"],
            cwd=ROOT,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if self.wait_ready:
            try:
                self.wait_until_ready()
            except BaseException:
                # `with` never calls __exit__ when __enter__ raises: stop the process here, or it outlives us.
                self.stop()
                raise
        return self

    def stop(self) -> None:
        try:
            super().stop()
        finally:
            shutil.rmtree(self.app_root, ignore_errors=True)

    def __enter__(self) -> BenchApp:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
        if exc[0] is None:
            self.log_path.unlink(missing_ok=True)
        else:
            print(f"bench: the app's log is kept at {self.log_path}", file=sys.stderr)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def rss_kib(self) -> int:
        return rss_kib(self.pid)


def make_long_model(parent: Path) -> Path:
    """A benchmark-only copy of the tiny model whose answers always run to max_tokens.

    The bundled model stops after ~19 tokens (~3 ms): far too short to measure a rate. In the copy,
    the end-of-sequence id is `<|endoftext|>` (id 0), which this chat-trained model never produces, so
    generation runs to the limit; and `<|im_end|>`, which greedy decoding then repeats, is made an
    ordinary token so that every generated token carries text (~10 characters) to the browser. The
    weights are untouched: the engine does exactly the same work per token.
    """
    dest = parent / "tiny-chat-long"
    shutil.copytree(BUNDLED_MODEL, dest)
    config_path = dest / "genai_config.json"
    config = json.loads(config_path.read_text())
    config["model"]["eos_token_id"] = [0]
    config_path.write_text(json.dumps(config, indent=2))
    tokenizer_path = dest / "tokenizer.json"
    tokenizer = json.loads(tokenizer_path.read_text())
    for token in tokenizer["added_tokens"]:
        token["special"] = False
    tokenizer_path.write_text(json.dumps(tokenizer))
    return dest


class Backend:
    """The scripted OpenAI-compatible test server (tests/support/openai_server.py) in a subprocess."""

    def __init__(self, *, tokens: int, first_token_delay: float = 0.0, token_delay: float = 0.0) -> None:
        self.args = [
            "--tokens", str(tokens),
            "--first-token-delay", str(first_token_delay),
            "--token-delay", str(token_delay),
        ]  # fmt: skip
        self.proc: subprocess.Popen[str] | None = None
        self.base_url = ""

    def start(self) -> Backend:
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "bench._backend", *self.args],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("serving "):
            self.stop()
            raise RuntimeError(f"backend did not start: {line!r}")
        self.base_url = line.split(" ", 1)[1]
        return self

    def stop(self) -> None:
        _end(self.proc)

    def __enter__(self) -> Backend:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


class HealthProbe:
    """Polls a URL from its own process (bench/_probe.py) until stopped; `stop()` returns the latencies."""

    def __init__(self, url: str, interval: float = 0.02) -> None:
        self.url = url
        self.interval = interval
        self.proc: subprocess.Popen[str] | None = None

    def start(self) -> HealthProbe:
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "bench._probe", self.url, "--interval", str(self.interval)],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert self.proc.stdout is not None
        if self.proc.stdout.readline().strip() != "probing":
            self.stop()
            raise RuntimeError("probe did not start")
        return self

    def stop(self) -> dict[str, Any]:
        """Close the probe's stdin (its signal to finish) and read what it measured."""
        assert self.proc is not None
        try:
            out, _ = self.proc.communicate(input="", timeout=30)
        except subprocess.TimeoutExpired:
            _end(self.proc)
            raise
        result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
        return result


def _end(proc: subprocess.Popen[Any] | None) -> None:
    """Stop a subprocess we started, by its own PID: SIGTERM, then SIGKILL if it lingers."""
    if proc is None or proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)


def temp_dir(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"foundry-chat-bench-{prefix}-"))
