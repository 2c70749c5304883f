from __future__ import annotations

from types import SimpleNamespace

from chat.present import progress_text, route_details, welcome_text
from chat.runtime import Progress
from config import load_settings
from routing.decision import Attempt, Decision


def test_progress_bar() -> None:
    assert progress_text(Progress("Downloading phi-4-mini…", 0.45)).count("█") == 9
    assert "45%" in progress_text(Progress("Downloading phi-4-mini…", 0.45))
    assert "█" not in progress_text(Progress("Loading…", None))


def runtime(env: dict[str, str], notice: str | None = None, state: str = "ready") -> SimpleNamespace:
    local = SimpleNamespace(description="tiny-chat on cpu (Foundry Local, in-process)", notice=notice)
    return SimpleNamespace(state=state, settings=load_settings(env), local=local, error="boom", progress=Progress())


def test_welcome_local_only_and_with_cloud() -> None:
    assert "local only" in welcome_text(runtime({}))
    text = welcome_text(runtime({"CLOUD_BASE_URL": "http://127.0.0.1:9/v1", "CLOUD_MODEL": "gpt"}))
    assert "auto" in text and "gpt" in text and "privacy guard **on**" in text
    off = welcome_text(runtime({"CLOUD_BASE_URL": "http://127.0.0.1:9/v1", "CLOUD_MODEL": "gpt", "PRIVACY_GUARD": "off"}))
    assert "OFF" in off


def test_welcome_failure_and_notice() -> None:
    assert "No model can answer" in welcome_text(runtime({}, state="failed"))
    assert "Offline demo" in welcome_text(runtime({}, notice="Offline demo model: …"))


def test_route_details_lists_attempts() -> None:
    d = Decision("cloud", "gpt", "local-first", "local failed", {"private": []})
    d.attempts = [Attempt("local", "p", "ProviderUnavailable", "refused", 0, 3.0), Attempt("cloud", "c", "ok", None, 3, 40.0)]
    d.ttft_ms, d.duration_ms, d.completion_tokens = 50.0, 250.0, 20
    text = route_details(d)
    assert "| 1 | local | ProviderUnavailable | 3 ms | refused |" in text and "| 2 | cloud | ok |" in text
    assert "first token 50 ms" in text and "100 tok/s" in text
