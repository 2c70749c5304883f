"""The router with scripted fakes for both targets: policies, privacy, retries, breakers, failover."""

from __future__ import annotations

from dataclasses import replace

import pytest

from config import RoutingSettings
from providers.base import ChatMessage, ChatOptions, Chunk
from providers.errors import (
    AuthenticationFailed,
    NoRouteAvailable,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)
from privacy import Verdict
from routing import Decision, Router
from routing.policies import decide
from routing.router import CONTINUE_INSTRUCTION
from tests.support.fake_provider import FakeProvider, Script

SYSTEM = ChatMessage("system", "sys")
SETTINGS = RoutingSettings(policy="auto", retries=2, backoff_initial=0.01, breaker_failures=3, breaker_cooldown=60)


async def no_sleep(_: float) -> None:
    return None


def make(settings: RoutingSettings = SETTINGS) -> tuple[Router, FakeProvider, FakeProvider]:
    local, cloud = FakeProvider("local-fake"), FakeProvider("cloud-fake", models=["gpt-cloud"])
    router = Router({"local": local, "cloud": cloud}, settings, models={"cloud": "gpt-cloud"}, sleep=no_sleep)
    return router, local, cloud


async def run(router: Router, text: str, history: list[ChatMessage] | None = None, **opts: object) -> tuple[str, list[Chunk], Decision]:
    messages = [SYSTEM, *(history or []), ChatMessage("user", text)]
    chunks = [c async for c in router.stream(messages, ChatOptions(**opts))]  # type: ignore[arg-type]
    decision = next(c.route for c in chunks if isinstance(c.route, Decision))
    return "".join(c.text for c in chunks), chunks, decision  # type: ignore[return-value]


# --- policies -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("policy", "prompt", "first"),
    [
        ("local", "Write a poem about autumn", "local"),
        ("cloud", "Write a Python function", "cloud"),
        ("local-first", "Write a poem", "local"),
        ("complexity", "short question", "local"),
        ("complexity", "word " * 101, "cloud"),
        ("task", "Write a Python function that parses CSV files", "local"),
        ("task", "Write a poem about the sea and the moon", "cloud"),
        ("task", "Write a literature review of studies comparing sleep research", "cloud"),
        ("task", "Analyze this CSV and compute the mean and median", "local"),
        ("auto", "Write a short story about a dragon", "cloud"),
        ("auto", "Write a Python function that reverses a list", "local"),
        ("auto", "hello there", "local"),
        ("auto", "please " * 150, "cloud"),
    ],
)
def test_policies(policy: str, prompt: str, first: str) -> None:
    plan = decide(policy, [SYSTEM, ChatMessage("user", prompt)], SETTINGS, has_cloud=True, available={}, privacy=Verdict())
    assert plan.targets[0] == first, plan
    if policy in ("local", "cloud"):
        assert plan.targets == (first,)
    else:
        assert set(plan.targets) == {"local", "cloud"} and plan.continuation


def test_threshold_is_configurable() -> None:
    s = replace(SETTINGS, complexity_threshold=3)
    assert decide("complexity", [ChatMessage("user", "one two three four")], s, has_cloud=True, available={}, privacy=Verdict()).targets[0] == "cloud"


def test_task_table_is_configurable() -> None:
    s = replace(SETTINGS, task_table=(("creative_writing", "local"),))
    plan = decide("task", [ChatMessage("user", "Write a poem about the sea")], s, has_cloud=True, available={}, privacy=Verdict())
    assert plan.targets[0] == "local"


def test_without_cloud_everything_is_local() -> None:
    plan = decide("auto", [ChatMessage("user", "Write a poem")], SETTINGS, has_cloud=False, available={}, privacy=Verdict())
    assert plan.targets == ("local",) and "no cloud" in plan.reason


def test_health_moves_a_down_target_last() -> None:
    plan = decide("auto", [ChatMessage("user", "hi")], SETTINGS, has_cloud=True, available={"local": False, "cloud": True}, privacy=Verdict())
    assert plan.targets == ("cloud", "local") and plan.reason == "local down"


# --- privacy guard ----------------------------------------------------------------------------------
PRIVATE = [
    "my email is ada.lovelace@example.com",
    "call me on +47 912 34 567",
    "card 4111 1111 1111 1111 exp 12/29",
    "IBAN NO93 8601 1117 947",
    "api_key = 'sk-proj-abcdefghijklmnopqrstuvwx1234567890'",
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
    "the server is at 10.2.3.4",
]


@pytest.mark.parametrize("secret", PRIVATE)
@pytest.mark.parametrize("policy", ["cloud", "auto", "task", "complexity", "local-first"])
async def test_private_conversations_never_reach_cloud(policy: str, secret: str) -> None:
    router, local, cloud = make()
    history = [ChatMessage("user", secret), ChatMessage("assistant", "noted")]
    _, _, decision = await run(router, "Write a long poem about the sea " + "word " * 120, history, policy=policy)
    assert decision.target == "local" and decision.reason.startswith("private data: ")
    assert cloud.history == [] and len(local.history) == 1


async def test_private_and_local_down_is_a_clear_error_never_cloud() -> None:
    router, local, cloud = make()
    local.enqueue(*[Script(error_before=ProviderUnavailable("refused", provider="local-fake"))] * 3)
    with pytest.raises(NoRouteAvailable) as info:
        await run(router, "my card is 4111 1111 1111 1111", policy="auto")
    assert cloud.history == []
    assert [t for t, _ in info.value.attempts] == ["local"]


async def test_trimmed_turns_still_count_for_privacy() -> None:
    router, _, cloud = make()
    await run(router, "Write a poem about the sea", policy="cloud", privacy_texts=("reach me at bob@example.org",))
    assert cloud.history == []


async def test_privacy_guard_off_lets_it_through() -> None:
    router, _, cloud = make(replace(SETTINGS, privacy_guard=False))
    _, _, decision = await run(router, "my email is a@example.com, write a poem", policy="cloud")
    assert decision.target == "cloud" and len(cloud.history) == 1 and decision.signals["privacy_guard"] == "off"


async def test_system_and_developer_messages_are_scanned() -> None:
    # Open WebUI and RAG clients put user profiles and documents in the system message.
    router, local, cloud = make()
    messages = [ChatMessage("system", "User profile: Kari's e-mail is kari@example.no"), ChatMessage("user", "Write a poem")]
    chunks = [c async for c in router.stream(messages, ChatOptions(policy="cloud"))]
    decision = next(c.route for c in chunks if isinstance(c.route, Decision))
    assert cloud.history == [] and len(local.history) == 1
    assert decision.reason == "private data: e-mail address" and "kari@" not in str(decision.as_dict())


async def test_a_number_split_across_messages_stays_local() -> None:
    router, _, cloud = make()
    history = [ChatMessage("user", "my card is 4111 1111"), ChatMessage("assistant", "Go on.")]
    _, _, decision = await run(router, "1111 1111 and it expires soon", history, policy="cloud")
    assert cloud.history == [] and decision.signals["private"] == ["card"]
    assert decision.signals.get("private_across_messages") is True


async def test_a_clean_conversation_goes_to_the_cloud_with_the_scan_recorded() -> None:
    router, _, cloud = make()
    _, _, decision = await run(router, "Write a poem about the sea", policy="cloud")
    assert decision.target == "cloud" and len(cloud.history) == 1 and decision.signals["private"] == []


async def test_local_policy_never_scans() -> None:
    router, _, _ = make()
    _, _, decision = await run(router, "my email is a@example.com", policy="local")
    assert decision.target == "local" and "private" not in decision.signals and router.guard.status()["cached_texts"] == 0


# --- retries, fallback, breaker -------------------------------------------------------------------
async def test_retries_retryable_errors_then_succeeds() -> None:
    router, local, cloud = make()
    local.enqueue(Script(error_before=ProviderRejected("HTTP 503", provider="l", status=503)), Script(tokens=["ok"]))
    text, _, decision = await run(router, "hello", policy="local-first")
    assert text == "ok" and decision.target == "local" and cloud.history == []
    assert [a.outcome for a in decision.attempts] == ["ProviderRejected", "ok"]


async def test_rate_limit_retry_honours_retry_after() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    local, cloud = FakeProvider("l"), FakeProvider("c")
    router = Router({"local": local, "cloud": cloud}, SETTINGS, sleep=sleep)
    local.enqueue(Script(error_before=RateLimited("slow down", provider="l", retry_after=0.5)), Script(tokens=["ok"]))
    await run(router, "hello", policy="local")
    assert waits and waits[0] >= 0.5


async def test_non_retryable_error_falls_back_at_once() -> None:
    router, local, cloud = make()
    local.enqueue(Script(error_before=AuthenticationFailed("bad key", provider="l", status=401)))
    text, _, decision = await run(router, "hello", policy="local-first")
    assert decision.target == "cloud" and len(local.history) == 1 and len(cloud.history) == 1
    assert decision.reason.startswith("local failed")


async def test_single_target_policy_does_not_fall_back() -> None:
    router, local, cloud = make()
    local.enqueue(*[Script(error_before=ProviderTimeout("slow", provider="l", phase="first_token"))] * 3)
    with pytest.raises(NoRouteAvailable):
        await run(router, "hello", policy="local")
    assert cloud.history == []


async def test_everything_failing_lists_every_attempt() -> None:
    router, local, cloud = make()
    local.enqueue(*[Script(error_before=ProviderUnavailable("refused", provider="l"))] * 3)
    cloud.enqueue(*[Script(error_before=ProviderRejected("HTTP 500", provider="c", status=500))] * 3)
    with pytest.raises(NoRouteAvailable) as info:
        await run(router, "hello", policy="local-first")
    assert [t for t, _ in info.value.attempts] == ["local", "cloud"]
    from chat.user_errors import user_text

    text = user_text(info.value)
    assert "- local:" in text and "- cloud:" in text


async def test_breaker_opens_and_dead_target_costs_nothing() -> None:
    router, local, cloud = make()
    local.enqueue(*[Script(error_before=ProviderUnavailable("refused", provider="l"))] * 3)
    _, _, first = await run(router, "hello", policy="local-first")
    assert first.target == "cloud" and router.targets["local"].breaker.state == "open"
    calls = len(local.history)
    _, _, second = await run(router, "hello again", policy="local-first")
    assert len(local.history) == calls  # not even tried
    assert second.target == "cloud" and second.reason == "local down"


async def test_fallback_only_before_first_token_then_continuation_with_seam() -> None:
    router, local, cloud = make()
    local.enqueue(Script(tokens=["Once", " upon", " a"], error_after=2, error_mid=ProviderUnavailable("died", provider="l")))
    cloud.enqueue(Script(tokens=[" time."]))
    text, chunks, decision = await run(router, "tell a story", policy="local-first")
    assert text == "Once upon time."
    assert any("continued on cloud" in c.notice for c in chunks)
    assert decision.continued_on == "cloud" and "continued on cloud" in decision.route_line()
    sent = cloud.history[0][0]
    assert sent[-2] == ChatMessage("assistant", "Once upon") and sent[-1].content == CONTINUE_INSTRUCTION


async def test_mid_stream_failure_on_single_target_keeps_error() -> None:
    router, local, cloud = make()
    local.enqueue(Script(tokens=["a", "b", "c"], error_after=2, error_mid=ProviderUnavailable("died", provider="l")))
    chunks: list[Chunk] = []
    with pytest.raises(ProviderUnavailable):
        async for c in router.stream([ChatMessage("user", "x")], ChatOptions(policy="local")):
            chunks.append(c)
    assert "".join(c.text for c in chunks) == "ab" and cloud.history == []


async def test_mid_stream_failure_of_private_conversation_does_not_continue_on_cloud() -> None:
    router, local, cloud = make()
    local.enqueue(Script(tokens=["a", "b"], error_after=1, error_mid=ProviderUnavailable("died", provider="l")))
    with pytest.raises(ProviderUnavailable):
        await run(router, "my email is x@example.com", policy="local-first")
    assert cloud.history == []


async def test_a_partial_answer_with_private_data_does_not_continue_on_cloud() -> None:
    # The prompt is clean, but the local model's partial answer (sent along on a continuation) is not.
    router, local, cloud = make()
    tokens = ["Write to", " ola.nordmann@example.no", " today"]
    local.enqueue(Script(tokens=tokens, error_after=2, error_mid=ProviderUnavailable("died", provider="l")))
    with pytest.raises(ProviderUnavailable):
        await run(router, "draft a short note", policy="local-first")
    assert cloud.history == []


async def test_decision_records_timings_and_tokens() -> None:
    router, _, _ = make()
    _, chunks, decision = await run(router, "hello", policy="local")
    assert chunks[0].route is decision and chunks[-1].route is decision
    assert decision.ttft_ms is not None and decision.duration_ms is not None
    assert decision.completion_tokens == 2 and decision.model == "fake-model"
    assert decision.as_dict()["attempts"][0]["outcome"] == "ok"


async def test_stopping_releases_the_probe_and_records_stopped() -> None:
    router, local, _ = make()
    local.enqueue(Script(tokens=["a"] * 50))
    stream = router.stream([ChatMessage("user", "x")], ChatOptions(policy="local"))
    async for _ in stream:
        break
    await stream.aclose()
    assert local.closed_streams == 1
    assert router.targets["local"].breaker.state == "closed"


async def test_when_every_breaker_is_open_the_primary_is_probed_anyway() -> None:
    router, local, _ = make(replace(SETTINGS, breaker_failures=1, retries=0))
    local.enqueue(Script(error_before=ProviderUnavailable("refused", provider="l")))
    with pytest.raises(NoRouteAvailable):
        await run(router, "hello", policy="local")
    assert router.targets["local"].breaker.state == "open"
    text, _, decision = await run(router, "hello again", policy="local")
    assert text == "Hello world" and decision.signals["last_resort"] is True
    assert router.targets["local"].breaker.state == "closed"


async def test_a_continuation_names_who_answered_and_who_continued() -> None:
    router, local, cloud = make()
    local.enqueue(Script(tokens=["Once", " upon", " a"], error_after=2, error_mid=ProviderUnavailable("died", provider="l")))
    cloud.enqueue(Script(tokens=[" time."]))
    _, chunks, _ = await run(router, "tell a story", policy="local-first")
    final = [c.route for c in chunks if isinstance(c.route, Decision)][-1]
    assert isinstance(final, Decision)
    assert (final.target, final.model, final.continued_on, final.continued_model) == ("local", "fake-model", "cloud", "gpt-cloud")
    line = final.route_line()
    assert line.startswith("local · fake-model ·") and line.endswith("continued on cloud · gpt-cloud")
    from chat.present import route_details

    details = route_details(final)
    assert "**Answered by:** local · fake-model" in details and "**Continued on:** cloud · gpt-cloud" in details


async def test_the_model_a_stream_names_is_credited_to_its_target() -> None:
    router, local, _ = make()

    async def named(messages: object, options: object) -> object:
        yield Chunk(text="hi")
        yield Chunk(finish_reason="stop", model="phi-4-mini-instruct-cuda")

    local.stream = named  # type: ignore[assignment,method-assign]
    _, chunks, _ = await run(router, "hello", policy="local")
    final = [c.route for c in chunks if isinstance(c.route, Decision)][-1]
    assert isinstance(final, Decision) and final.model == "phi-4-mini-instruct-cuda"


async def test_aclose_closes_every_provider_even_when_one_fails() -> None:
    router, local, cloud = make()
    closed: list[str] = []

    async def broken() -> None:
        closed.append("local")
        raise RuntimeError("native close failed")

    async def fine() -> None:
        closed.append("cloud")

    local.aclose = broken  # type: ignore[method-assign]
    cloud.aclose = fine  # type: ignore[method-assign]
    with pytest.raises(RuntimeError, match="native close failed"):
        await router.aclose()
    assert closed == ["local", "cloud"]
