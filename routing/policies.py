"""Routing policies: a pure function from a conversation to an ordered plan of targets.

No network, no clock: `decide` only reads the messages, the settings and which targets the
breakers currently allow, so it is cheap (benchmarked in bench/bench_routing.py) and testable.

    local        local only
    cloud        cloud only
    local-first  local, then cloud if local fails before its first token
    complexity   prompts longer than the threshold (words) to cloud, others local
    task         the classifier's label, mapped through the task table
    auto         privacy guard, then health, then task and complexity

Whatever the policy, a conversation with personal data or secrets is planned for local only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from config import POLICIES, RoutingSettings
from providers.base import ChatMessage

from .classifier import classify
from privacy import scan_text

__all__ = ["POLICIES", "Plan", "decide", "private_kinds"]


@dataclass(frozen=True, slots=True)
class Plan:
    targets: tuple[str, ...]
    """In order: the first answers; the others may take over before the first token."""
    reason: str
    """Short, for the route line: "private data", "creative writing", "long prompt (142 words)"."""
    signals: dict[str, object] = field(default_factory=dict)
    continuation: bool = False
    """Whether a failure mid-answer may continue on the next target in `targets`."""


@lru_cache(maxsize=4096)
def _kinds(text: str) -> tuple[str, ...]:
    # Each message is scanned once per process: history grows, but old turns hit the cache.
    return tuple(sorted({f.kind for f in scan_text(text)}))


def private_kinds(texts: Sequence[str]) -> list[str]:
    """The kinds of personal data or secrets found anywhere in `texts` (empty: none)."""
    found: set[str] = set()
    for text in texts:
        found.update(_kinds(text))
    return sorted(found)


def _other(target: str) -> str:
    return "cloud" if target == "local" else "local"


def decide(
    policy: str,
    messages: Sequence[ChatMessage],
    settings: RoutingSettings,
    *,
    has_cloud: bool,
    available: Mapping[str, bool],
    extra_private_texts: Sequence[str] = (),
) -> Plan:
    """Plan who answers. `available[target]` is False while its breaker is open."""
    if policy not in POLICIES:
        raise ValueError(f"unknown routing policy {policy!r}")
    if not has_cloud:
        return Plan(("local",), "local only (no cloud configured)" if policy != "local" else "", {"policy": policy})

    signals: dict[str, object] = {"policy": policy}
    if settings.privacy_guard:
        texts = [m.content for m in messages if m.role != "system"]
        kinds = private_kinds([*texts, *extra_private_texts])
        signals["private"] = kinds
        if kinds:
            return Plan(("local",), "private data", signals)
    else:
        signals["privacy_guard"] = "off"

    last_user = next((m.content for m in reversed(messages) if m.role == "user"), "")
    if policy == "local":
        return Plan(("local",), "", signals)
    if policy == "cloud":
        return Plan(("cloud",), "", signals)
    if policy == "local-first":
        return _ordered(("local", "cloud"), "local first", signals, available)

    words = len(last_user.split())
    signals["words"] = words
    long_prompt = words > settings.complexity_threshold
    if policy == "complexity":
        if long_prompt:
            return _ordered(("cloud", "local"), f"long prompt ({words} words)", signals, available)
        return _ordered(("local", "cloud"), f"short prompt ({words} words)", signals, available)

    result = classify(last_user)
    signals["task"] = result.label
    signals["task_confidence"] = round(result.confidence, 2)
    signals["task_cues"] = list(result.signals[:5])
    table = dict(settings.task_table)
    by_task = table.get(result.label, "local")
    label = result.label.replace("_", " ")
    if policy == "task":
        return _ordered((by_task, _other(by_task)), label, signals, available)

    # auto: the task table, lifted to cloud for long prompts; then health reorders.
    if long_prompt and by_task == "local":
        return _ordered(("cloud", "local"), f"long prompt ({words} words)", signals, available)
    return _ordered((by_task, _other(by_task)), label, signals, available)


def _ordered(targets: tuple[str, str], reason: str, signals: dict[str, object], available: Mapping[str, bool]) -> Plan:
    first, second = targets
    if not available.get(first, True) and available.get(second, True):
        signals["unavailable"] = first
        return Plan((second, first), f"{first} down", signals, continuation=True)
    return Plan(targets, reason, signals, continuation=True)
