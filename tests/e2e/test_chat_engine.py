"""The real app on the real Foundry Local engine (bundled tiny model), over socket.io."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from tests.support.app_process import AppProcess
from tests.support.sio_client import ChatClient

pytestmark = pytest.mark.e2e


async def test_two_turns(engine_app: AppProcess) -> None:
    """Stop on the engine is covered in-process (tests/engine: the tiny model answers in ~3 ms, too fast
    to stop from a browser) and at the app level against the HTTP test server, which records the disconnect."""
    client = ChatClient(engine_app.url)
    welcome = await client.connect()
    assert not welcome.all_texts()  # all is well: no message, the welcome screen says it
    assert "on cpu (Foundry Local, in-process)" in await client.welcome()
    first = await client.send("Hello")
    reply = first.assistant_texts()[-1]
    assert reply.strip()
    route = first.route_lines()[-1]
    assert route.startswith("local · tiny-chat") and "TTFT" in route and "tok/s" in route
    assert "Answered by:** local" in first.route_details()[-1]
    second = await client.send("Write a haiku about the sea")
    assert second.assistant_texts()[-1].strip()
    assert not second.errors()
    await client.update_settings({"max_tokens": 4096, "temperature": 1.0})
    third = await client.send("Tell me a very long story about the sea")
    await client.close()
    assert third.assistant_texts() and not third.errors()  # sampled: may legitimately be empty, but is shown
    assert re.search(r"chat \w+: 4 messages", engine_app.log())


def test_byom_registration_is_reused_across_restarts(tmp_path: Path) -> None:
    from config import BUNDLED_MODEL_PATH

    env = {"MODEL_PATH": str(BUNDLED_MODEL_PATH), "FOUNDRY_CACHE_DIR": str(tmp_path)}
    with AppProcess(env) as first:
        assert "registered" in first.log()
    with AppProcess(env) as second:
        assert "reusing BYOM registration" in second.log()
        assert httpx.get(second.url + "/readyz").status_code == 200


async def test_offline_without_model_path_serves_the_demo_model(tmp_path: Path) -> None:
    """No MODEL_PATH, no BASE_URL, catalog unreachable: the bundled model answers, and says so."""
    env = {"MODEL": "phi-4-mini", "FOUNDRY_CACHE_DIR": str(tmp_path)}
    with AppProcess(env) as app:
        client = ChatClient(app.url)
        welcome = await client.connect()
        text = welcome.all_texts()[0]  # a warning is posted into the conversation too
        assert "Offline demo model" in text and "phi-4-mini" in text
        assert "Offline demo model" in await client.welcome()
        turn = await client.send("Hello")
        await client.close()
        assert turn.assistant_texts()[-1].strip()
        assert "falling back to the bundled offline demo model" in app.log()
