"""The router in the real app, with two real OpenAI-compatible servers standing for local and cloud.

Every test asserts which server received what; the cloud stand-in must never receive a private
conversation (checked after every test by scanning everything it was sent).
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from privacy.scan import is_private
from tests.support.app_process import AppProcess, free_port
from tests.support.openai_server import Behaviour, OpenAIServer
from tests.support.sio_client import ChatClient
from tests.support.waiting import until

pytestmark = pytest.mark.e2e

CODE = "Write a Python function that reverses a linked list."
POEM = "Write a short poem about the sea and the moon."


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[OpenAIServer, OpenAIServer]]:
    local = OpenAIServer(Behaviour(reply="local answer here", models=["local-model"])).start()
    cloud = OpenAIServer(Behaviour(reply="cloud answer here", models=["cloud-model"])).start()
    yield local, cloud
    local.stop()
    cloud.stop()


def env_for(local: OpenAIServer, cloud: OpenAIServer, **extra: str) -> dict[str, str]:
    return {
        "BASE_URL": local.base_url,
        "CLOUD_BASE_URL": cloud.base_url,
        "CLOUD_MODEL": "cloud-model",
        "CLOUD_API_KEY": "sk-cloud-test-key-never-logged-0123456789",
        "ROUTING_POLICY": "auto",
        "ROUTER_BACKOFF": "0.05",
        "BREAKER_COOLDOWN": "2",
        "FIRST_TOKEN_TIMEOUT": "1.5",
        **extra,
    }


@pytest.fixture(scope="module")
def app(servers: tuple[OpenAIServer, OpenAIServer]) -> Iterator[AppProcess]:
    local, cloud = servers
    with AppProcess(env_for(local, cloud)) as proc:
        yield proc


@pytest.fixture
def pair(servers: tuple[OpenAIServer, OpenAIServer], app: AppProcess) -> Iterator[tuple[OpenAIServer, OpenAIServer]]:
    local, cloud = servers
    for server, reply, model in ((local, "local answer here", "local-model"), (cloud, "cloud answer here", "cloud-model")):
        server.behaviour = Behaviour(reply=reply, models=[model])
        server.received.clear()
    yield local, cloud
    # The guarantee, counted at the cloud stand-in: nothing private ever reached it.
    for record in cloud.received:
        texts = [m["content"] for m in record.body.get("messages", [])]  # every role, the system prompt too
        assert not is_private(texts), record.body


def chats(server: OpenAIServer) -> list[dict]:
    return [r.body for r in server.received if r.path == "/v1/chat/completions"]


async def ask(app: AppProcess, *texts: str, settings: dict | None = None) -> list[str]:
    client = ChatClient(app.url)
    await client.connect()
    if settings:
        await client.update_settings(settings)
    answers = []
    for text in texts:
        turn = await client.send(text)
        answers.append(turn.answer() if turn.assistant_texts() else (turn.errors() or [""])[-1])
    await client.close()
    return answers


async def test_auto_routes_by_task_and_says_why(app: AppProcess, pair: tuple[OpenAIServer, OpenAIServer]) -> None:
    local, cloud = pair
    code, poem = await ask(app, CODE, POEM)
    assert code.startswith("local answer here") and "local · local-model · code generation" in code
    assert poem.startswith("cloud answer here") and "cloud · cloud-model · creative writing" in poem
    assert len(chats(local)) == 1 and len(chats(cloud)) == 1
    assert chats(cloud)[0]["model"] == "cloud-model"


async def test_long_prompt_goes_to_cloud(app: AppProcess, pair: tuple[OpenAIServer, OpenAIServer]) -> None:
    _, cloud = pair
    (answer,) = await ask(app, "Please summarise this. " + "The plan has many parts. " * 30)
    assert "cloud ·" in answer and "long prompt" in answer and len(chats(cloud)) == 1


async def test_policy_from_the_ui(app: AppProcess, pair: tuple[OpenAIServer, OpenAIServer]) -> None:
    local, cloud = pair
    (answer,) = await ask(app, POEM, settings={"policy": "local"})
    assert "local ·" in answer and not chats(cloud)
    (answer,) = await ask(app, CODE, settings={"policy": "cloud"})
    assert "cloud ·" in answer and len(chats(cloud)) == 1


async def test_private_conversation_stays_local_whatever_the_policy(app: AppProcess, pair: tuple[OpenAIServer, OpenAIServer]) -> None:
    local, cloud = pair
    answers = await ask(
        app, "My card is 4111 1111 1111 1111, remember it.", POEM, "word " * 150, settings={"policy": "cloud"}
    )
    assert all("local ·" in a and "private data" in a for a in answers), answers
    assert not chats(cloud) and len(chats(local)) == 3


async def test_local_500_falls_back_to_cloud_before_first_token(app: AppProcess, pair: tuple[OpenAIServer, OpenAIServer]) -> None:
    local, cloud = pair
    local.behaviour.status = 500
    local.behaviour.fail_times = 3
    (answer,) = await ask(app, CODE, settings={"policy": "local-first"})
    assert answer.startswith("cloud answer here") and "local failed" in answer
    assert len(chats(local)) == 3 and len(chats(cloud)) == 1
    await recover_local(app, local)


async def recover_local(app: AppProcess, local: OpenAIServer) -> None:
    """Failures opened the local breaker: after its cooldown the half-open probe succeeds and closes it."""
    local.behaviour = Behaviour(reply="local answer here", models=["local-model"])

    async def breaker_cooled() -> bool:
        async with httpx.AsyncClient(base_url=app.url, timeout=5) as h:
            targets = (await h.get("/readyz")).json().get("targets", {})
        return targets.get("local", {}).get("breaker") != "open"

    await until(breaker_cooled, 15, what="the local breaker's cooldown")
    (answer,) = await ask(app, CODE, settings={"policy": "local"})
    assert answer.startswith("local answer here"), answer


async def test_429_is_retried_on_the_same_target(app: AppProcess, pair: tuple[OpenAIServer, OpenAIServer]) -> None:
    local, cloud = pair
    local.behaviour.status = 429
    local.behaviour.fail_times = 1
    (answer,) = await ask(app, CODE)
    assert answer.startswith("local answer here") and len(chats(local)) == 2 and not chats(cloud)


async def test_hang_before_first_token_times_out_and_falls_back(app: AppProcess, pair: tuple[OpenAIServer, OpenAIServer]) -> None:
    local, cloud = pair
    local.behaviour.hang = True
    (answer,) = await ask(app, CODE)
    assert answer.startswith("cloud answer here"), answer
    assert local.wait_for(lambda: all(r.outcome == "disconnected" for r in local.received if r.path != "/v1/models"))
    await recover_local(app, local)


async def test_death_mid_stream_continues_on_cloud_with_a_visible_seam(app: AppProcess, pair: tuple[OpenAIServer, OpenAIServer]) -> None:
    local, cloud = pair
    local.behaviour.reply = "one two three four five six seven"
    local.behaviour.die_after_tokens = 3
    local.behaviour.token_delay = 0.02
    (answer,) = await ask(app, CODE)
    assert answer.startswith("one ")
    assert "continued on cloud" in answer and "cloud answer here" in answer
    sent = chats(cloud)[0]["messages"]
    assert sent[-2]["role"] == "assistant" and sent[-2]["content"].startswith("one ")
    assert "Continue" in sent[-1]["content"]
    await recover_local(app, local)


async def test_private_death_mid_stream_keeps_partial_and_errors(app: AppProcess, pair: tuple[OpenAIServer, OpenAIServer]) -> None:
    local, cloud = pair
    local.behaviour.reply = "one two three four five six seven"
    local.behaviour.die_after_tokens = 3
    local.behaviour.token_delay = 0.02
    client = ChatClient(app.url)
    await client.connect()
    turn = await client.send("my email is ada@example.com; " + CODE)
    await client.close()
    # What arrived before the connection dropped stays (the last bytes may be lost with the socket).
    assert turn.assistant_texts() and turn.assistant_texts()[-1].startswith("one ")
    assert "private data" in turn.route_lines()[-1]
    assert turn.errors() and "Could not reach" in turn.errors()[-1]
    assert not chats(cloud)
    await recover_local(app, local)


async def test_local_killed_mid_conversation_next_message_falls_back(pair: tuple[OpenAIServer, OpenAIServer]) -> None:
    local_port = free_port()
    local = OpenAIServer(Behaviour(reply="local answer here", models=["local-model"])).start(local_port)
    _, cloud = pair
    with AppProcess(env_for(local, cloud, ROUTING_POLICY="local-first")) as app:
        client = ChatClient(app.url)
        await client.connect()
        first = await client.send(CODE)
        assert "local ·" in first.answer()
        local.stop()  # the local backend dies between two messages
        second = await client.send("And in Rust?")
        answer = second.answer()
        assert answer.startswith("cloud answer here") and "local failed" in answer
        third = await client.send("And in Go?")
        assert "local down" in third.answer()  # the breaker skips local: no latency
        await client.close()
        def local_reported_down() -> httpx.Response | None:  # readiness is cached for 2 s
            r = httpx.get(app.url + "/readyz")
            return r if r.json()["targets"]["local"]["ok"] is False else None

        r = await until(local_reported_down, 10, what="/readyz reporting local down")  # type: ignore[assignment]
        ready = r.json()
        # the default route (local-first) can still answer through the cloud: ready, local reported down
        assert r.status_code == 200 and ready["targets"]["local"]["ok"] is False
        assert ready["targets"]["local"]["breaker"] == "open" and ready["targets"]["cloud"]["ok"] is True
        assert ready["problems"] and ready["targets"]["local"]["last_error"]


async def test_no_cloud_configured_says_local_only(pair: tuple[OpenAIServer, OpenAIServer]) -> None:
    local, _ = pair
    with AppProcess({"BASE_URL": local.base_url}) as app:
        client = ChatClient(app.url)
        await client.connect()
        assert "local only" in await client.welcome()
        await client.close()


def test_cloud_key_never_reaches_logs_or_browser(app: AppProcess) -> None:
    assert "sk-cloud-test-key" not in app.log()
    settings = httpx.get(app.url + "/project/settings", params={"language": "en-US"}).text
    assert "sk-cloud-test-key" not in settings
