"""Run the real app (`chainlit run app.py`) as a subprocess on a free port, for end-to-end tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

__all__ = ["AppProcess", "free_port"]

ROOT = Path(__file__).resolve().parents[2]
CHAINLIT = Path(sys.executable).with_name("chainlit")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class AppProcess:
    """`with AppProcess(env) as app:` starts the app and waits for /readyz; the log is kept."""

    def __init__(
        self,
        env: dict[str, str] | None = None,
        *,
        wait_ready: bool = True,
        port: int | None = None,
        root: Path | None = None,
    ) -> None:
        self.port = port or free_port()
        self.env = env or {}
        # The app directory (default: this checkout; FOUNDRY_CHAT_APP_ROOT runs the tests against another copy).
        self.root = root or Path(os.environ.get("FOUNDRY_CHAT_APP_ROOT") or ROOT)
        self.wait_ready = wait_ready
        self.proc: subprocess.Popen[bytes] | None = None
        self._log = tempfile.NamedTemporaryFile(prefix="foundry-chat-app-", suffix=".log", delete=False)
        self.log_path = Path(self._log.name)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def start(self) -> AppProcess:
        env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "LITERAL_API_KEY"}}
        # Persistence off unless a test asks for it: never the checkout's data/chat.db. The tests act as
        # a developer on this machine who opted in to keyless /v1 (GATEWAY_KEYLESS, off by default).
        env.update({"PYTHONUNBUFFERED": "1", "OFFLINE_FALLBACK": "on", "CHAT_DB_URL": "off", "GATEWAY_KEYLESS": "on"})
        env.update(self.env)
        self.proc = subprocess.Popen(
            [str(CHAINLIT), "run", "app.py", "--host", "127.0.0.1", "--port", str(self.port), "--headless"],
            cwd=self.root,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if self.wait_ready:
            try:
                self.wait_until_ready()
            except BaseException:
                # `with` never calls __exit__ when __enter__ raises: stop the process here, or it outlives the
                # test run (an app that started but never got ready stayed up after `pytest -x`).
                self.stop()
                raise
        return self

    def wait_until_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"app exited with {self.proc.returncode}:\n{self.log()[-4000:]}")
            try:
                r = httpx.get(self.url + "/readyz", timeout=2)
                if r.status_code == 200:
                    return
                last = r.text
            except httpx.HTTPError as exc:
                last = repr(exc)
            time.sleep(0.1)
        raise RuntimeError(f"app not ready after {timeout}s ({last}):\n{self.log()[-4000:]}")

    def signal(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait_until_serving(self, timeout: float = 60.0) -> None:
        """Wait for /healthz only (for apps whose backend is meant to be down)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.url + "/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"app not serving after {timeout}s:\n{self.log()[-4000:]}")

    def stop(self) -> None:
        self._log.close()
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)

    def __enter__(self) -> AppProcess:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()
