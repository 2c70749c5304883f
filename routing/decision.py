"""The decision record: which target answered, why, and how it went."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["Attempt", "Decision"]


@dataclass(slots=True)
class Attempt:
    target: str
    provider: str
    outcome: str = "pending"
    """"ok", "stopped", or the error's class name."""
    error: str | None = None
    started_ms: float = 0.0
    duration_ms: float | None = None


@dataclass(slots=True)
class Decision:
    """Filled in as the answer streams; the first chunk carries it, the last one completes it."""

    target: str
    model: str | None
    policy: str
    reason: str
    signals: dict[str, object] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)
    ttft_ms: float | None = None
    duration_ms: float | None = None
    completion_tokens: int | None = None
    prompt_tokens: int | None = None
    continued_on: str | None = None
    """Set when a failed answer was continued on another target after a visible seam."""
    continued_model: str | None = None
    """The model the continuing target answered with (`model` stays the first target's)."""

    @property
    def tokens_per_second(self) -> float | None:
        if not self.completion_tokens or not self.duration_ms or self.ttft_ms is None:
            return None
        generating = (self.duration_ms - self.ttft_ms) / 1000
        return self.completion_tokens / generating if generating > 0 else None

    def route_line(self) -> str:
        """Compact, e.g. `local · phi-4-mini · private data · TTFT 120 ms · 35 tok/s`; a continuation
        adds `continued on cloud · gpt-4o`, so each model is named next to the target that ran it."""
        parts = [self.target]
        if self.model:
            parts.append(self.model)
        if self.reason:
            parts.append(self.reason)
        if self.ttft_ms is not None:
            parts.append(f"TTFT {self.ttft_ms:.0f} ms")
        rate = self.tokens_per_second
        if rate is not None:
            parts.append(f"{rate:.0f} tok/s")
        if self.continued_on:
            parts.append(f"continued on {self.continued_on}")
            if self.continued_model:
                parts.append(self.continued_model)
        return " · ".join(parts)

    def as_dict(self) -> dict[str, object]:
        return {
            "target": self.target,
            "model": self.model,
            "policy": self.policy,
            "reason": self.reason,
            "signals": dict(self.signals),
            "attempts": [
                {
                    "target": a.target,
                    "provider": a.provider,
                    "outcome": a.outcome,
                    "error": a.error,
                    "duration_ms": None if a.duration_ms is None else round(a.duration_ms, 1),
                }
                for a in self.attempts
            ],
            "ttft_ms": None if self.ttft_ms is None else round(self.ttft_ms, 1),
            "duration_ms": None if self.duration_ms is None else round(self.duration_ms, 1),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "tokens_per_second": None if self.tokens_per_second is None else round(self.tokens_per_second, 1),
            "continued_on": self.continued_on,
            "continued_model": self.continued_model,
        }
