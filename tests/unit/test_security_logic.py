"""The pure rules of security/: URL masking, Host parsing, local callers, CSP, settings, the ASGI middleware."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from config import ConfigError
from security.masking import safe_url, scrub
from security.middleware import SecurityMiddleware, SecurityPolicy
from security.policy import (
    HostPolicy,
    content_security_policy,
    host_from_header,
    inline_script_hashes,
    is_local_caller,
    security_headers,
)
from security.settings import DEFAULT_MAX_REQUEST_BYTES, load_security_settings


# --- masking -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:pw@10.0.0.5:8000/v1", "http://user:***@10.0.0.5:8000/v1"),
        ("https://tok123@api.example.com/v1", "https://***@api.example.com/v1"),
        ("https://x.example/v1?api-key=abc&api-version=2024", "https://x.example/v1?api-key=***&api-version=2024"),
        ("https://acct.blob.example/c?sv=1&sig=abc%2Bdef&se=2", "https://acct.blob.example/c?sv=1&sig=***&se=2"),
        (
            "https://x.example/v1?key=k&token=t&access_token=a",
            "https://x.example/v1?key=***&token=***&access_token=***",
        ),
        ("postgresql+asyncpg://app:s3cret@db:5432/chat", "postgresql+asyncpg://app:***@db:5432/chat"),
        ("http://u:p@[::1]:80/x", "http://u:***@[::1]:80/x"),
        ("https://plain.example/v1", "https://plain.example/v1"),
        ("sqlite+aiosqlite:////data/chat.db", "sqlite+aiosqlite:////data/chat.db"),
        ("http://host:notaport/", "<unparseable URL>"),
    ],
)
def test_safe_url(url: str, shown: str) -> None:
    assert safe_url(url) == shown


def test_scrub_masks_every_url_and_bare_key_pairs_in_a_text() -> None:
    text = "GET http://a:SECRET1@h/v1?api-key=SECRET2 failed; retry with token=SECRET3 and api_key=SECRET4"
    cleaned = scrub(text)
    assert all(s not in cleaned for s in ("SECRET1", "SECRET2", "SECRET3", "SECRET4")), cleaned
    assert "http://a:***@h/v1" in cleaned
    assert scrub("nothing to see here") == "nothing to see here"


def test_storage_and_config_use_the_same_function() -> None:
    import storage.settings

    assert storage.settings.safe_url is safe_url


def test_settings_summary_masks_urls() -> None:
    from config import load_settings

    s = load_settings(
        {"BASE_URL": "http://u:PW1@h:1/v1", "CLOUD_BASE_URL": "https://c.example/v1?api-key=PW2", "CLOUD_MODEL": "m"}
    )
    summary = str(s.safe_summary())
    assert "PW1" not in summary and "PW2" not in summary and "http://u:***@h:1/v1" in summary


# --- hosts -----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("header", "host"),
    [
        ("localhost:8000", "localhost"),
        ("Chat.Example.COM", "chat.example.com"),
        ("chat.example.com.:443", "chat.example.com"),
        ("[::1]:8000", "[::1]"),
        ("[::1]", "[::1]"),
        ("127.0.0.1:1", "127.0.0.1"),
        ("", None),
        ("evil.example:80:80", None),
        ("evil.example:port", None),
        ("[::1", None),
        ("[evil]:80", None),
        ("a b", None),
        ("user@evil.example", None),
        ("evil.example/x", None),
    ],
)
def test_host_from_header(header: str, host: str | None) -> None:
    assert host_from_header(header) == host


def test_host_policy() -> None:
    policy = HostPolicy.build(("chat.example.com", "*.corp.example"), ("bind.example",))
    for ok in (
        "localhost:8000",
        "127.0.0.1:9",
        "[::1]:8000",
        "app.localhost",
        "chat.example.com",
        "a.corp.example:443",
        "bind.example",
        "host.docker.internal:8080",
        "10.1.2.3:8000",
        "[2001:db8::1]:80",
    ):
        assert policy.allows(ok), ok
    for bad in (
        "evil.example",
        "corp.example.evil",
        "chat.example.com.evil.example",
        "localhost.evil.example",
        "",
        None,
        "127.0.0.1.nip.io",
        "2001:db8::1",
    ):
        assert not policy.allows(bad), bad
    assert HostPolicy.build(("*",)).allows("anything.example")


# --- local callers ---------------------------------------------------------------------------------
def test_a_caller_is_local_only_directly_on_loopback() -> None:
    assert is_local_caller("127.0.0.1", ["host", "content-type"], bound_to_loopback=True)
    assert is_local_caller("::1", [], bound_to_loopback=True)
    for header in ("X-Forwarded-For", "forwarded", "x-real-ip"):
        assert not is_local_caller("127.0.0.1", ["host", header], bound_to_loopback=True), header
    assert not is_local_caller("127.0.0.1", [], bound_to_loopback=False)
    assert not is_local_caller("192.168.1.9", [], bound_to_loopback=True)
    assert not is_local_caller(None, [], bound_to_loopback=True)


# --- CSP -------------------------------------------------------------------------------------------
def test_inline_script_hashes_are_the_browsers() -> None:
    # Chromium's own hash of `<script>const global = globalThis;</script>`'s text.
    page = "<script>\n      const global = globalThis;\n    </script><script type=module src=/a.js></script>"
    (digest,) = inline_script_hashes(page)
    import base64
    import hashlib

    expected = base64.b64encode(hashlib.sha256(b"\n      const global = globalThis;\n    ").digest()).decode()
    assert digest == f"'sha256-{expected}'"


def test_csp_keeps_images_connections_and_scripts_on_this_origin() -> None:
    csp = content_security_policy("'none'", ("'sha256-x'",))
    directives = dict(d.split(" ", 1) for d in csp.split("; "))
    assert directives["img-src"] == "'self' data: blob:"
    assert directives["connect-src"] == "'self'"
    assert directives["script-src"] == "'self' 'sha256-x'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "unsafe-eval" not in csp and "*" not in csp
    names = dict(security_headers(csp, "'self'"))
    assert names[b"x-frame-options"] == b"SAMEORIGIN" and names[b"x-content-type-options"] == b"nosniff"
    assert b"x-frame-options" not in dict(security_headers(csp, "https://portal.example"))


# --- settings --------------------------------------------------------------------------------------
def test_security_defaults() -> None:
    s = load_security_settings({})
    assert s.gateway_keyless is False  # keyless /v1 is an opt-in
    assert s.max_request_bytes == DEFAULT_MAX_REQUEST_BYTES == 1_048_576
    assert s.frame_ancestors == "'none'" and s.allowed_hosts == () and not s.metrics_restricted


def test_security_settings_parse() -> None:
    s = load_security_settings(
        {
            "ALLOWED_HOSTS": "Chat.Example.com, *.corp.example,",
            "MAX_REQUEST_BYTES": "2048",
            "FRAME_ANCESTORS": "'self'  https://portal.example.com",
            "GATEWAY_KEYLESS": "on",
            "METRICS_ALLOWED": "10.0.0.0/8, ::1",
            "METRICS_TOKEN": "t" * 20,
        }
    )
    assert s.allowed_hosts == ("chat.example.com", "*.corp.example")
    assert s.max_request_bytes == 2048 and s.gateway_keyless
    assert s.frame_ancestors == "'self' https://portal.example.com"
    assert [str(n) for n in s.metrics_allowed] == ["10.0.0.0/8", "::1/128"]
    assert s.metrics_restricted and "t" * 20 not in repr(s)


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({"ALLOWED_HOSTS": "https://chat.example.com"}, "ALLOWED_HOSTS"),
        ({"ALLOWED_HOSTS": "chat.example.com:443"}, "ALLOWED_HOSTS"),
        ({"MAX_REQUEST_BYTES": "10"}, "MAX_REQUEST_BYTES"),
        ({"MAX_REQUEST_BYTES": "lots"}, "MAX_REQUEST_BYTES"),
        ({"FRAME_ANCESTORS": "'none' 'self'"}, "FRAME_ANCESTORS"),
        ({"FRAME_ANCESTORS": "javascript:alert(1)"}, "FRAME_ANCESTORS"),
        ({"GATEWAY_KEYLESS": "maybe"}, "GATEWAY_KEYLESS"),
        ({"METRICS_ALLOWED": "10.0.0.0/33"}, "METRICS_ALLOWED"),
        ({"METRICS_TOKEN": "short"}, "METRICS_TOKEN"),
    ],
)
def test_bad_security_settings_name_the_variable(env: dict[str, str], names: str) -> None:
    with pytest.raises(ConfigError, match=names):
        load_security_settings(env)


# --- the middleware, over a fake ASGI app ---------------------------------------------------------
def _policy(**settings: str) -> SecurityPolicy:
    s = load_security_settings({"MAX_REQUEST_BYTES": "1024", **settings})
    return SecurityPolicy(s, HostPolicy.build(()), security_headers("default-src 'self'", "'none'"), (("/big", 4096),))


async def _reading_app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.accept"})
        return
    body = b""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ConnectionError("client went away")  # what Starlette's ClientDisconnect does
        body += message.get("body", b"")
        if not message.get("more_body"):
            break
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/plain")]})
    await send({"type": "http.response.body", "body": str(len(body)).encode()})


def _run(policy: SecurityPolicy, scope: dict[str, Any], chunks: list[bytes]) -> tuple[list[dict[str, Any]], int]:
    sent: list[dict[str, Any]] = []
    pulled = {"n": 0}

    async def receive() -> dict[str, Any]:
        if pulled["n"] >= len(chunks):
            return {"type": "http.disconnect"}
        pulled["n"] += 1
        return {"type": "http.request", "body": chunks[pulled["n"] - 1], "more_body": pulled["n"] < len(chunks)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(SecurityMiddleware(_reading_app, policy)(scope, receive, send))
    return sent, pulled["n"]


def _scope(path: str = "/x", headers: dict[str, str] | None = None, kind: str = "http") -> dict[str, Any]:
    raw = [(k.encode(), v.encode()) for k, v in {"host": "127.0.0.1:8000", **(headers or {})}.items()]
    return {"type": kind, "path": path, "headers": raw, "client": ("127.0.0.1", 5555)}


def test_a_body_under_the_limit_passes_with_headers_added() -> None:
    sent, _ = _run(_policy(), _scope(), [b"a" * 500, b"b" * 500])
    assert sent[0]["status"] == 200 and sent[1]["body"] == b"1000"
    headers = dict(sent[0]["headers"])
    assert (
        headers[b"content-security-policy"] == b"default-src 'self'"
        and headers[b"x-content-type-options"] == b"nosniff"
    )


def test_a_streamed_body_is_cut_off_at_the_first_chunk_past_the_limit() -> None:
    sent, pulled = _run(_policy(), _scope(), [b"a" * 600, b"b" * 600, b"c" * 600, b"d" * 600])
    assert pulled == 2  # never asked the server for the rest
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"] and sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["error"]["code"] == "request_too_large"


def test_a_declared_length_over_the_limit_is_refused_unread() -> None:
    sent, pulled = _run(_policy(), _scope(headers={"content-length": "5000"}), [b"a" * 10])
    assert pulled == 0 and sent[0]["status"] == 413
    sent, pulled = _run(_policy(), _scope(headers={"content-length": "-1"}), [b"a"])
    assert pulled == 0 and sent[0]["status"] == 400


def test_a_route_may_have_a_larger_limit() -> None:
    sent, _ = _run(_policy(), _scope("/big/poll"), [b"a" * 3000])
    assert sent[0]["status"] == 200


def test_foreign_hosts_are_refused_on_http_and_websocket() -> None:
    sent, pulled = _run(_policy(), _scope(headers={"host": "evil.example"}), [b""])
    assert sent[0]["status"] == 421 and pulled == 0
    sent, _ = _run(_policy(), _scope(headers={"host": "evil.example"}, kind="websocket"), [])
    assert sent == [{"type": "websocket.close", "code": 1008}]
    ws = {**_scope(headers={"host": "evil.example"}, kind="websocket"), "extensions": {"websocket.http.response": {}}}
    sent, _ = _run(_policy(), ws, [])
    assert sent[0]["type"] == "websocket.http.response.start" and sent[0]["status"] == 421
    sent, _ = _run(_policy(), _scope(kind="websocket"), [])
    assert sent == [{"type": "websocket.accept"}]


def test_observability_routes_follow_metrics_allowed_and_token() -> None:
    policy = _policy(METRICS_ALLOWED="10.0.0.0/8", METRICS_TOKEN="m" * 20)
    assert _run(policy, _scope("/metrics"), [b""])[0][0]["status"] == 403  # 127.0.0.1 is not in 10/8
    assert _run(policy, _scope("/metrics", {"authorization": "Bearer " + "m" * 20}), [b""])[0][0]["status"] == 200
    assert _run(policy, _scope("/healthz"), [b""])[0][0]["status"] == 200
    inside = {**_scope("/readyz"), "client": ("10.1.1.1", 1)}
    assert _run(policy, inside, [b""])[0][0]["status"] == 200
    proxied = {**_scope("/readyz", {"x-forwarded-for": "10.1.1.1"}), "client": ("10.1.1.1", 1)}
    assert _run(policy, proxied, [b""])[0][0]["status"] == 403
    assert _run(_policy(), _scope("/metrics"), [b""])[0][0]["status"] == 200  # unrestricted by default


# --- who may use /v1 (gateway._authorize) ----------------------------------------------------------
def _gateway_request(security: SecurityPolicy | None, headers: dict[str, str] | None = None) -> Any:
    from types import SimpleNamespace

    from starlette.requests import Request

    app = SimpleNamespace(state=SimpleNamespace(security=security))
    raw = [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()]
    return Request(
        {"type": "http", "method": "POST", "path": "/v1/models", "headers": raw, "client": ("127.0.0.1", 1), "app": app}
    )


@pytest.mark.parametrize(
    ("keys", "keyless", "sign_in", "headers", "allowed"),
    [
        ("", "", False, {}, False),  # the default: no keys, keyless off
        ("", "on", False, {}, True),  # opted in, loopback, no proxy headers
        ("", "on", False, {"X-Forwarded-For": "203.0.113.7"}, False),
        ("", "on", True, {}, False),  # sign-in on: keyless never applies
        ("k" * 20, "on", False, {}, False),  # keys set: a key is needed
        ("k" * 20, "", False, {"Authorization": "Bearer " + "k" * 20}, True),
        ("k" * 20, "", True, {"Authorization": "Bearer " + "k" * 20}, True),
        ("k" * 20, "", True, {"Authorization": "Bearer " + "x" * 20}, False),
    ],
)
def test_gateway_access_rules(keys: str, keyless: str, sign_in: bool, headers: dict[str, str], allowed: bool) -> None:
    from config import load_settings
    from gateway import _authorize
    from gateway.errors import ApiError

    settings = load_settings({"GATEWAY_API_KEYS": keys} if keys else {})
    policy = _policy(GATEWAY_KEYLESS=keyless)
    policy.sign_in = sign_in
    request = _gateway_request(policy, headers)
    if allowed:
        _authorize(request, settings)
    else:
        with pytest.raises(ApiError) as info:
            _authorize(request, settings)
        assert info.value.status == 401


def test_every_log_line_is_scrubbed(capsys: pytest.CaptureFixture[str]) -> None:
    """The HTTP client logs each request's URL: the filter on the handlers masks it, whoever logs."""
    import logging

    from logs import _ScrubFilter

    handler = logging.StreamHandler()
    handler.addFilter(_ScrubFilter())
    logger = logging.getLogger("test.security.scrub")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("HTTP Request: GET %s %s", "http://u:LOGSECRET1@h/v1/models?api-key=LOGSECRET2", '"200 OK"')
        logger.warning("bad %s %s", "format")  # a broken record is left to the formatter, not dropped by us
    finally:
        logger.removeHandler(handler)
    err = capsys.readouterr().err
    assert "LOGSECRET1" not in err and "LOGSECRET2" not in err and "http://u:***@h/v1/models?api-key=***" in err
