"""The privacy guard on the running app: the chat page (socket.io) and /v1, counted at a cloud stand-in.

ROUTING_POLICY=cloud, so every clean conversation goes to the cloud stand-in and every private one
must not. After each test, everything the cloud stand-in received is scanned again (all roles,
both tiers): nothing private may be there. A clean control per test proves the cloud is reachable,
so "stayed local" cannot pass by accident.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from privacy import PrivacyGuard
from tests.support.app_process import AppProcess
from tests.support.openai_server import Behaviour, OpenAIServer
from tests.support.sio_client import ChatClient

pytestmark = pytest.mark.e2e

KEY = "privacy-e2e-key-0123456789abcdef"
CLEAN = "Write a short poem about the sea."
# Disguised forms a careless user or an attacker types (value, a word the route line must show).
DISGUISED = [
    ("write to jane dot doe at example dot com about the invoice", "e-mail"),
    ("my address is jane[at]example[dot]com", "e-mail"),
    ("mail: ja\u200bne.doe@exam\u0440le.com", "e-mail"),  # zero-width space, Cyrillic р
    ("contact jane&#64;example.com", "e-mail"),
    ("card 4111.1111.1111.1111 exp 12/29", "payment card"),
    ("card ４１１１ １１１１ １１１１ １１１１", "payment card"),
    ("my iban is no93-8601-1117-947", "IBAN"),
    ("ring meg på 0047 912 34 567", "phone"),
    ("fødselsnummer 010190-12345 hjelp", "national ID"),
    ("my SSN is 078 05 1120", "national ID"),
    ("my password is hunter2, can you check it is strong?", "password"),
    ("passordet mitt er Sommer2024!", "password"),
    ("mail me: jane(at)example.com", "e-mail"),
    ("mail me: jane\uff20example.com", "e-mail"),  # full-width @
    ("card 4111/1111/1111/1111", "payment card"),
    ("card 4111-1111 1111.1111", "payment card"),
    ("card 4 1 1 1 1 1 1 1 1 1 1 1 1 1 1 1", "payment card"),
    ("card \u0664\u0661\u0661\u0661 \u0661\u0661\u0661\u0661 \u0661\u0661\u0661\u0661 \u0661\u0661\u0661\u0661", "payment card"),
    ("call me on 020 7946 0958 tomorrow", "phone"),
    ("ring meg på 91234567", "phone"),
    ("my number in Tokyo is 090-1234-5678", "phone"),
    ("fødselsnummer 01.01.90 12345", "national ID"),
    ("my SSN is 078.05.1120", "national ID"),
    ("the aws secret is q8Tz1Vb/Nw4Xk2LmR7pYc3Hs9dJf0GtUeA5iWoZ6 for prod", "API key"),
    ("-----begin rsa private key-----\nMIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n-----end rsa private key-----", "private key"),
    ("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\nMzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu", "private key"),
    ("pw: Xk7!pQ2#mZ", "password"),
    ("my name is jane doe and I need a CV", "person's name"),
    ("I live at 42 Maple Street, Springfield", "postal address"),
    ("born on 12 March 1985 in Bergen", "date of birth"),
]


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[OpenAIServer, OpenAIServer]]:
    local = OpenAIServer(Behaviour(reply="local answer", models=["local-model"])).start()
    cloud = OpenAIServer(Behaviour(reply="cloud answer", models=["cloud-model"])).start()
    yield local, cloud
    local.stop()
    cloud.stop()


def _env(local: OpenAIServer, cloud: OpenAIServer, **extra: str) -> dict[str, str]:
    return {
        "BASE_URL": local.base_url,
        "CLOUD_BASE_URL": cloud.base_url,
        "CLOUD_MODEL": "cloud-model",
        "ROUTING_POLICY": "cloud",
        "GATEWAY_API_KEYS": KEY,
        **extra,
    }


@pytest.fixture(scope="module")
def app(servers: tuple[OpenAIServer, OpenAIServer]) -> Iterator[AppProcess]:
    with AppProcess(_env(*servers)) as proc:
        yield proc


@pytest.fixture(scope="module")
def checker() -> Iterator[PrivacyGuard]:
    guard = PrivacyGuard()
    yield guard
    guard.close()


@pytest.fixture
def cloud(servers: tuple[OpenAIServer, OpenAIServer], app: AppProcess, checker: PrivacyGuard) -> Iterator[OpenAIServer]:
    for server in servers:
        server.received.clear()
    yield servers[1]
    for record in servers[1].received:  # the guarantee, counted where it matters
        texts = [m["content"] for m in record.body.get("messages", [])]
        assert not checker.assess_sync(texts).private, record.body


def sent_to(server: OpenAIServer) -> list[dict]:
    return [r.body for r in server.received if r.path == "/v1/chat/completions"]


async def chat(app: AppProcess, *texts: str) -> list[tuple[str, str]]:
    """(route line, route details) for each message sent in one conversation."""
    client = ChatClient(app.url)
    await client.connect()
    out = []
    for text in texts:
        turn = await client.send(text)
        lines, details = turn.route_lines(), turn.route_details()
        out.append((lines[-1] if lines else "", details[-1] if details else ""))
    await client.close()
    return out


def v1(app: AppProcess, messages: list[dict]) -> httpx.Response:
    body = {"model": "cloud", "messages": messages}
    return httpx.post(app.url + "/v1/chat/completions", json=body, headers={"Authorization": f"Bearer {KEY}"}, timeout=30)


async def test_clean_chat_reaches_the_cloud(app: AppProcess, cloud: OpenAIServer) -> None:
    ((line, details),) = await chat(app, CLEAN)
    assert line.startswith("cloud ·") and len(sent_to(cloud)) == 1
    assert "no personal data or secrets found" in details


@pytest.mark.parametrize(("text", "word"), DISGUISED)
async def test_disguised_personal_data_stays_local_in_the_chat(app: AppProcess, cloud: OpenAIServer, text: str, word: str) -> None:
    ((line, details),) = await chat(app, text)
    assert line.startswith("local ·") and "private data" in line and word.lower() in line.lower(), line
    assert "kept on this machine" in details
    assert not sent_to(cloud)


async def test_a_card_split_over_two_chat_messages_stays_local(app: AppProcess, cloud: OpenAIServer) -> None:
    (first, _), (second, details) = await chat(app, "my card number is 4111 1111 1111", "1111, sorry, it was cut off")
    assert first.startswith("cloud ·")  # half a number is no number
    assert second.startswith("local ·") and "payment card" in second and "split across messages" in details
    assert len(sent_to(cloud)) == 1


async def test_a_name_and_street_address_in_prose_stay_local(app: AppProcess, cloud: OpenAIServer) -> None:
    ((line, _),) = await chat(app, "Can you write a birthday card for Ingrid Solberg? She lives at 42 Maple Street.")
    assert line.startswith("local ·") and "person's name" in line
    assert not sent_to(cloud)


def test_v1_clean_control_reaches_the_cloud(app: AppProcess, cloud: OpenAIServer) -> None:
    r = v1(app, [{"role": "user", "content": CLEAN}])
    assert r.status_code == 200 and r.headers["x-route-target"] == "cloud" and len(sent_to(cloud)) == 1


@pytest.mark.parametrize("role", ["system", "developer"])
def test_v1_personal_data_in_a_system_or_developer_message_stays_local(app: AppProcess, cloud: OpenAIServer, role: str) -> None:
    profile = "User profile: Ola Nordmann, phone +47 912 34 567, prefers short answers."
    r = v1(app, [{"role": role, "content": profile}, {"role": "user", "content": CLEAN}])
    assert r.status_code == 200 and r.headers["x-route-target"] == "local"
    assert r.headers["x-route-reason"].startswith("private data") and "912" not in r.headers["x-route-reason"]
    assert not sent_to(cloud)


@pytest.mark.parametrize(("text", "word"), DISGUISED)
def test_v1_disguised_personal_data_stays_local(app: AppProcess, cloud: OpenAIServer, text: str, word: str) -> None:
    r = v1(app, [{"role": "user", "content": [{"type": "text", "text": text}]}])
    assert r.status_code == 200 and r.headers["x-route-target"] == "local", r.headers.get("x-route-reason")
    assert not sent_to(cloud)


def test_v1_a_number_split_across_messages_stays_local(app: AppProcess, cloud: OpenAIServer) -> None:
    messages = [
        {"role": "user", "content": "my card is 4111 1111 1111"},
        {"role": "assistant", "content": "Please send the rest."},
        {"role": "user", "content": "1111"},
    ]
    r = v1(app, messages)
    assert r.headers["x-route-target"] == "local" and "payment card" in r.headers["x-route-reason"]
    assert not sent_to(cloud)


def test_v1_a_secret_in_an_assistant_message_stays_local(app: AppProcess, cloud: OpenAIServer) -> None:
    messages = [
        {"role": "user", "content": "what did I paste earlier?"},
        {"role": "assistant", "content": "You pasted AWS_SECRET_ACCESS_KEY=q8Tz1Vb/Nw4Xk2LmR7pYc3Hs9dJf0GtUeA5iWoZ6"},
        {"role": "user", "content": "thanks"},
    ]
    r = v1(app, messages)
    assert r.headers["x-route-target"] == "local" and not sent_to(cloud)


def test_privacy_status_on_readyz(app: AppProcess) -> None:
    body = httpx.get(app.url + "/readyz", timeout=10).json()
    assert body["privacy"]["names"] == "ready" and body["privacy"]["ok"] is True


async def test_a_system_prompt_with_personal_data_keeps_every_chat_local(servers: tuple[OpenAIServer, OpenAIServer]) -> None:
    local, cloud = servers
    env = _env(local, cloud, SYSTEM_PROMPT="You assist Kari Nordmann (kari.nordmann@example.no) with her e-mail.")
    with AppProcess(env) as proc:
        cloud.received.clear()
        ((line, _),) = await chat(proc, CLEAN)
        assert line.startswith("local ·") and "e-mail address" in line and not sent_to(cloud)
        assert "SYSTEM_PROMPT" in proc.log() and "will stay local" in proc.log()
        assert "kari.nordmann@" not in proc.log()
