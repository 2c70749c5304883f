"""Routing policies: a pure function from a conversation to an ordered plan of targets.

No network, no clock: `decide` only reads the messages, the settings and which targets the
breakers currently allow, so it is cheap (benchmarked in bench/bench_routing.py) and testable.

    local        local only
    cloud        cloud only
    local-first  local, then cloud if local fails before its first token
    complexity   prompts longer than the threshold (words) to cloud, others local
    task         the classifier's label, mapped through the task table
    auto         privacy guard, then health, then task and complexity
    quality      the prompts with the largest estimated cloud gain to cloud, at ROUTING_CLOUD_SHARE
                 (routing/quality.py; measured in docs/routing.md)

Whatever the policy, a conversation with personal data or secrets is planned for local only. The
privacy verdict comes in from the guard (`privacy.PrivacyGuard`, which scans every message of every
role, trimmed history and message seams); `decide` only reads it. A verdict that could not be
reached (a detector failed or timed out) is private too: the guard fails closed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from config import POLICIES, RoutingSettings
from privacy import Verdict
from providers.base import ChatMessage

from .classifier import classify
from .quality import estimate

__all__ = ["POLICIES", "Plan", "cloud_possible", "decide"]


@dataclass(frozen=True, slots=True)
class Plan:
    targets: tuple[str, ...]
    """In order: the first answers; the others may take over before the first token."""
    reason: str
    """Short, for the route line: "private data", "creative writing", "long prompt (142 words)"."""
    signals: dict[str, object] = field(default_factory=dict)
    continuation: bool = False
    """Whether a failure mid-answer may continue on the next target in `targets`."""


def cloud_possible(policy: str, settings: RoutingSettings, *, has_cloud: bool) -> bool:
    """Whether a plan for `policy` could send anything to the cloud (then the guard must scan)."""
    return has_cloud and policy != "local" and settings.privacy_guard


def _other(target: str) -> str:
    return "cloud" if target == "local" else "local"


def decide(
    policy: str,
    messages: Sequence[ChatMessage],
    settings: RoutingSettings,
    *,
    has_cloud: bool,
    available: Mapping[str, bool],
    privacy: Verdict | None = None,
) -> Plan:
    """Plan who answers. `available[target]` is False while its breaker is open.

    `privacy` is the guard's verdict on everything that would be sent; None means no scan ran,
    which is only allowed when the plan cannot involve the cloud (see `cloud_possible`).
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown routing policy {policy!r}")
    if not has_cloud:
        return Plan(("local",), "local only (no cloud configured)" if policy != "local" else "", {"policy": policy})

    signals: dict[str, object] = {"policy": policy}
    if policy == "local":
        return Plan(("local",), "", signals)
    if settings.privacy_guard:
        if privacy is None:  # a caller that skipped the scan: never send unscanned text out
            return Plan(("local",), "privacy check failed (not scanned): kept local", {**signals, "private": []})
        signals["private"] = list(privacy.kinds)
        if privacy.failure is not None:
            signals["privacy_error"] = privacy.failure
        if privacy.seam:
            signals["private_across_messages"] = True
        if privacy.private:
            return Plan(("local",), privacy.reason, signals)
    else:
        signals["privacy_guard"] = "off"

    last_user = next((m.content for m in reversed(messages) if m.role == "user"), "")
    if policy == "cloud":
        return Plan(("cloud",), "", signals)
    if policy == "local-first":
        return _ordered(("local", "cloud"), "local first", signals, available)
    if policy == "quality":
        guess = estimate(last_user, settings.cloud_share)
        signals.update(guess.signals())
        first = "cloud" if guess.to_cloud else "local"
        return _ordered((first, _other(first)), guess.reason, signals, available)

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
