from __future__ import annotations

import pytest

import gateway
from gateway.requests import parse_completion_request


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.0.0.2", True), ("localhost", True), ("::1", True), ("[::1]", True),
     ("0.0.0.0", False), ("192.168.1.10", False), ("chat.example.com", False)],
)
def test_bound_to_loopback(monkeypatch: pytest.MonkeyPatch, host: str, loopback: bool) -> None:
    from chainlit.config import config

    monkeypatch.setattr(config.run, "host", host)
    assert gateway.bound_to_loopback() is loopback


def test_developer_role_and_text_parts() -> None:
    req = parse_completion_request(
        b'{"model": "m", "messages": [{"role": "developer", "content": "rules"},'
        b' {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}],'
        b' "max_completion_tokens": 5, "max_tokens": 9, "stop": "END"}'
    )
    assert [m.role for m in req.messages] == ["system", "user"] and req.messages[1].content == "ab"
    assert req.max_tokens == 5 and req.stop == ("END",)
