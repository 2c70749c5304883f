"""Validate chat settings coming from the browser (untrusted: any JSON may arrive over socket.io)."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from config import MAX_MAX_TOKENS, Settings

__all__ = ["SessionOptions", "parse_session_options"]


@dataclass(frozen=True, slots=True)
class SessionOptions:
    model: str | None
    temperature: float
    max_tokens: int
    policy: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {"model": self.model, "temperature": self.temperature, "max_tokens": self.max_tokens, "policy": self.policy}


def _number(raw: object, lo: float, hi: float) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if math.isfinite(value) and lo <= value <= hi else None


def parse_session_options(
    raw: Mapping[str, object] | None,
    settings: Settings,
    models: Sequence[str],
    current: SessionOptions | None = None,
    *,
    policies: Sequence[str] = ("local",),
) -> tuple[SessionOptions, list[str]]:
    """Apply what is valid in `raw` over `current` (or the defaults); return problems as user text."""
    base = current or SessionOptions(
        models[0] if models else None, settings.temperature, settings.max_tokens, settings.routing.policy
    )
    if not isinstance(raw, Mapping):
        return base, ["The settings could not be read; nothing was changed."] if raw is not None else []
    problems: list[str] = []
    model = base.model
    if "model" in raw:
        if isinstance(raw["model"], str) and raw["model"] in models:
            model = raw["model"]
        else:
            problems.append("Unknown model; kept " + (model or "the default") + ".")
    temperature = base.temperature
    if "temperature" in raw:
        value = _number(raw["temperature"], 0.0, 2.0)
        if value is None:
            problems.append("Temperature must be between 0 and 2; kept the previous value.")
        else:
            temperature = value
    max_tokens = base.max_tokens
    if "max_tokens" in raw:
        value = _number(raw["max_tokens"], 1, MAX_MAX_TOKENS)
        if value is None or value != int(value):
            problems.append(f"Max tokens must be a whole number from 1 to {MAX_MAX_TOKENS}; kept the previous value.")
        else:
            max_tokens = int(value)
    policy = base.policy
    if "policy" in raw:
        if isinstance(raw["policy"], str) and raw["policy"] in policies:
            policy = raw["policy"]
        else:
            problems.append(f"Unknown routing policy; kept {policy}. Choose one of: {', '.join(policies)}.")
    return SessionOptions(model, temperature, max_tokens, policy), problems
