"""The `quality` policy: its model, calibration, route line, wiring and configuration."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from config import POLICIES, ConfigError, RoutingSettings, load_settings
from providers.base import ChatMessage
from routing.policies import decide
from routing.quality import DEFAULT_MODEL_PATH, FEATURES, QualityModel, dense_features, estimate, load_model
from routing.quality_fit import DATA_PATH, fit_approach, load_rows

CLOUD = {"CLOUD_BASE_URL": "http://127.0.0.1:9/v1", "CLOUD_MODEL": "gpt-cloud"}
AVAILABLE = {"local": True, "cloud": True}


@pytest.fixture(scope="module")
def rows() -> list[object]:
    return list(load_rows())  # 15,416 clean prompts; the shipped model scores them in well under a second


def quality(text: str, share: float = 0.3, **available: bool) -> tuple[str, ...] | str:
    settings = RoutingSettings(policy="quality", cloud_share=share, privacy_guard=False)
    plan = decide("quality", [ChatMessage("user", text)], settings, has_cloud=True, available=available or AVAILABLE)
    return plan.targets, plan.reason


def test_the_data_ships_in_the_repository() -> None:
    here = DATA_PATH.parent
    assert DATA_PATH.is_file() and (here / "README.md").is_file() and (here / "LICENSE.RouteLLM").is_file()


def test_the_shipped_model_loads_is_small_and_matches_the_features() -> None:
    assert DEFAULT_MODEL_PATH.stat().st_size < 2_000_000
    raw = json.loads(DEFAULT_MODEL_PATH.read_text())
    assert raw["features"] == list(FEATURES)
    model = load_model()
    assert len(model.quantiles) == 201 and list(model.quantiles) == sorted(model.quantiles)
    assert len(dense_features("What is 2 + 2?")) == len(FEATURES)


def test_the_shipped_model_is_what_the_build_script_builds() -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location("build_route_quality", DATA_PATH.parents[3] / "scripts" / "build_route_quality.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.build() == DEFAULT_MODEL_PATH.read_text(encoding="utf-8")


@pytest.mark.parametrize("share", [0.1, 0.3, 0.5])
def test_calibration_keeps_the_realised_share_near_the_setting(rows: list[object], share: float) -> None:
    model = load_model()
    threshold = model.threshold(share)
    by_bench: dict[str, list[bool]] = {}
    for r in rows:
        by_bench.setdefault(r.benchmark, []).append(model.score(r.text) >= threshold)  # type: ignore[attr-defined]
    # Calibrated with the benchmarks weighed equally: the equal-weight mean is what it promises.
    realised = sum(sum(v) / len(v) for v in by_bench.values()) / len(by_bench)
    assert abs(realised - share) <= 0.05, (share, realised)


def test_a_model_fitted_on_other_prompts_still_calibrates_its_share(rows: list[object]) -> None:
    train = [r for r in rows[::5] if r.benchmark != "gsm8k"]  # type: ignore[attr-defined]
    model = fit_approach(train, "length")
    scores = [model.score(r.text) for r in train if r.benchmark == "mmlu"]  # type: ignore[attr-defined]
    threshold = model.threshold(0.3)
    assert 0.15 <= sum(s >= threshold for s in scores) / len(scores) <= 0.45


def test_share_edges_send_all_or_nothing() -> None:
    model = load_model()
    assert model.threshold(0.0) == math.inf and model.threshold(1.0) == -math.inf
    long_prompt = "Explain, step by step, " + "why the sky is blue and " * 40
    assert quality(long_prompt, 0.0)[0] == ("local", "cloud")
    assert quality("hi", 1.0)[0] == ("cloud", "local")
    assert "+inf" in str(quality("hi", 0.0)[1])


def test_longer_harder_prompts_go_to_the_cloud_first() -> None:
    short = "What's the capital of Australia?"
    long = (
        "A train leaves the station at 3 pm travelling at 60 km per hour. Another leaves the same station at "
        "4 pm at 80 km per hour on a parallel track. The first train stops for twenty minutes at a town 90 km "
        "away, and the second does not stop at all. At what time does the second train overtake the first, "
        "and how far from the station are they when it does? Show every step of the calculation."
    )
    assert quality(short)[0] == ("local", "cloud")
    assert quality(long)[0] == ("cloud", "local")


def test_decisions_are_deterministic(rows: list[object]) -> None:
    texts = [r.text for r in rows[::75]]  # type: ignore[attr-defined]
    first = [quality(t) for t in texts]
    assert first == [quality(t) for t in texts]
    again = QualityModel.from_dict(json.loads(DEFAULT_MODEL_PATH.read_text()))
    assert [again.score(t) for t in texts] == [load_model().score(t) for t in texts]


def test_the_route_line_shows_the_gain_and_the_threshold() -> None:
    targets, reason = quality("Prove that there are infinitely many primes, step by step, for a student.")
    guess = estimate("Prove that there are infinitely many primes, step by step, for a student.", 0.3)
    assert f"est. gain {guess.gain:+.2f}" in str(reason)
    assert f"threshold {guess.threshold:+.2f}" in str(reason)
    assert "cloud share 30%" in str(reason)
    assert str(reason).isascii()  # it also goes out as the x-route-reason header
    assert (">=" in str(reason)) == (targets[0] == "cloud")


def test_health_still_reorders_and_privacy_still_comes_first() -> None:
    long = "Explain in detail " + "how the economy of medieval Europe worked and why " * 20
    assert quality(long, 1.0, local=True, cloud=False)[0] == ("local", "cloud")
    from privacy import Verdict

    settings = RoutingSettings(policy="quality", cloud_share=1.0)
    verdict = Verdict(kinds=("email",))
    plan = decide("quality", [ChatMessage("user", long)], settings, has_cloud=True, available=AVAILABLE, privacy=verdict)
    assert plan.targets == ("local",)


def test_quality_is_a_policy_everywhere_policies_are_listed() -> None:
    assert "quality" in POLICIES
    settings = load_settings({**CLOUD, "ROUTING_POLICY": "quality", "ROUTING_CLOUD_SHARE": " 0.25 "})
    assert settings.routing.policy == "quality" and settings.routing.cloud_share == 0.25
    assert load_settings(CLOUD).routing.policy == "auto"  # not the default: see docs/routing.md
    assert load_settings(CLOUD).routing.cloud_share == 0.3


@pytest.mark.parametrize("value", ["", "  ", "abc", "30%", "1.5", "-0.1", "nan", "inf"])
def test_bad_cloud_share_is_one_line_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({**CLOUD, "ROUTING_POLICY": "quality", "ROUTING_CLOUD_SHARE": value})
    message = str(info.value)
    assert "ROUTING_CLOUD_SHARE" in message and "\n" not in message


def test_a_model_file_for_other_features_is_refused(tmp_path: Path) -> None:
    raw = json.loads(DEFAULT_MODEL_PATH.read_text())
    raw["features"] = raw["features"][:-1]
    with pytest.raises(ValueError, match="other features"):
        QualityModel.from_dict(raw)


def test_quality_is_offered_in_the_chat_settings_and_as_a_v1_model() -> None:
    import asyncio
    from types import SimpleNamespace

    from chat.options import parse_session_options
    from config import available_policies
    from gateway import _catalog

    settings = load_settings(CLOUD)
    options, problems = parse_session_options({"policy": "quality"}, settings, ["a"], policies=available_policies(True))
    assert options.policy == "quality" and not problems
    catalog = asyncio.run(_catalog(SimpleNamespace(settings=settings, router=None)))
    assert catalog["quality"][0] == "quality"
    assert "quality" not in asyncio.run(_catalog(SimpleNamespace(settings=load_settings({}), router=None)))
