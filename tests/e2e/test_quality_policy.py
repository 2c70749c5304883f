"""The `quality` policy on the running app: from the environment, from the chat settings and through /v1.

Counted at the two stand-ins: a long, reasoning-heavy prompt goes to the cloud and a short one stays
local (the length model ranks by the question's words), and the route line and the /v1 reason header
say the estimated gain and the threshold.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.support.app_process import AppProcess
from tests.support.openai_server import Behaviour, OpenAIServer
from tests.support.sio_client import ChatClient

pytestmark = pytest.mark.e2e

SHORT = "What is 2 + 2?"
LONG = (
    "A train leaves the station at 9:40 and travels at a constant speed for the first two hours, then slows "
    "down by a third for the rest of the journey because of track works. The total distance is 410 kilometres "
    "and the train arrives at 15:10. Work out the speed on the first part of the trip, explain each step of "
    "your reasoning carefully, check the answer by computing the arrival time again, and say which "
    "assumptions you made about stops along the way and why they do or do not change the result."
)


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[OpenAIServer, OpenAIServer]]:
    local = OpenAIServer(Behaviour(reply="local answer", models=["local-model"])).start()
    cloud = OpenAIServer(Behaviour(reply="cloud answer", models=["cloud-model"])).start()
    yield local, cloud
    local.stop()
    cloud.stop()


def _env(local: OpenAIServer, cloud: OpenAIServer, policy: str) -> dict[str, str]:
    return {
        "BASE_URL": local.base_url,
        "CLOUD_BASE_URL": cloud.base_url,
        "CLOUD_MODEL": "cloud-model",
        "ROUTING_POLICY": policy,
    }


def sent(server: OpenAIServer) -> int:
    return len([r for r in server.received if r.path == "/v1/chat/completions"])


async def _ask(app: AppProcess, text: str, settings: dict[str, object] | None = None) -> str:
    client = ChatClient(app.url)
    await client.connect()
    if settings:
        await client.update_settings(settings)
    turn = await client.send(text)
    await client.close()
    return turn.route_lines()[-1]


async def test_quality_from_the_environment(servers: tuple[OpenAIServer, OpenAIServer]) -> None:
    local, cloud = servers
    with AppProcess(_env(local, cloud, "quality")) as app:
        local.received.clear()
        cloud.received.clear()
        short, long = await _ask(app, SHORT), await _ask(app, LONG)
        assert short.startswith("local ·") and long.startswith("cloud ·"), (short, long)
        assert "est. gain" in long and "threshold" in long and "cloud share 30%" in long
        assert (sent(local), sent(cloud)) == (1, 1)

        # /v1: the policy as the model name, the decision in the reason header.
        r = httpx.post(
            app.url + "/v1/chat/completions",
            json={"model": "quality", "messages": [{"role": "user", "content": LONG}]},
            timeout=30,
        )
        assert r.status_code == 200 and r.headers["x-route-target"] == "cloud"
        assert "est. gain" in r.headers["x-route-reason"] and sent(cloud) == 2


async def test_quality_from_the_chat_settings(servers: tuple[OpenAIServer, OpenAIServer]) -> None:
    local, cloud = servers
    with AppProcess(_env(local, cloud, "local")) as app:
        cloud.received.clear()
        line = await _ask(app, LONG, settings={"policy": "quality"})
        assert line.startswith("cloud ·") and "est. gain" in line and sent(cloud) == 1
