"""The `quality` policy's model: how much better would the cloud answer this prompt than local?

A linear model over a prompt's difficulty signals (length, numbers, maths and code symbols,
reasoning cues, multiple-choice shape, long words) and, optionally, a bag of words. It is fitted
by `scripts/build_route_quality.py` on RouteLLM's per-prompt labels (tests/data/routing: MMLU,
GSM8K, MT-Bench; strong model = cloud, weak = local) and loaded from `routing/data/` as JSON: pure
Python at run time, no numpy, tens of microseconds a prompt.

The score is an estimate of the normalised gain (cloud score − local score, on the 0–1 scale), so
it ranks prompts; its absolute value is rough. `threshold(share)` reads the calibration quantiles
stored with the weights (the scores of the prompts the model was fitted on): sending the prompts
whose score is at least `threshold(s)` sends a share `s` of prompts like those to the cloud.
Real traffic differs from benchmark prompts, so the realised share drifts with the traffic.

How well it ranks, measured on subjects and benchmarks it was not fitted on: docs/routing.md.
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Final

__all__ = [
    "DEFAULT_MODEL_PATH",
    "FEATURES",
    "MAX_CHARS",
    "Estimate",
    "QualityModel",
    "dense_features",
    "estimate",
    "load_model",
    "words",
]

DEFAULT_MODEL_PATH: Final = Path(__file__).resolve().parent / "data" / "route_quality.json"
MAX_CHARS: Final = 4000
"""Only the first characters are read: the signals saturate long before, and p99 stays bounded."""

_WORD = re.compile(r"[a-z][a-z']+")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_MATH = re.compile(r"[=+^*/<>√π∑∫≤≥±×÷]|\\frac|\\sqrt|sqrt|\blog\b|\bsin\b|\bcos\b")
_CODE = re.compile(r"```|\bdef |\breturn\b|[{};]|\bprint\(|\bint\b|\bfunction\b|#include")
_OPTION = re.compile(r"^\s*[A-D][.)]\s*(.*)$", re.MULTILINE)
_REASONING = frozenset(
    "calculate compute how many much solve find value probability total remaining percent "
    "average ratio rate minimum maximum least greatest prove derive evaluate simplify".split()
)
_NEGATION = frozenset("not except false incorrect never least".split())
_KNOWLEDGE = frozenset("who which when where named known called according defined refers".split())

class _Prompt:
    """One prompt's text and the pieces several signals share, each computed on first use."""

    def __init__(self, text: str, tokens: Sequence[str] | None = None) -> None:
        self.text = text[:MAX_CHARS]
        self._tokens = list(tokens) if tokens is not None else None

    @cached_property
    def toks(self) -> list[str]:
        return self._tokens if self._tokens is not None else words(self.text)

    @cached_property
    def token_set(self) -> set[str]:
        return set(self.toks)

    @cached_property
    def raw_words(self) -> list[str]:
        return self.text.split()

    @cached_property
    def n_words(self) -> int:
        return max(1, len(self.raw_words))

    @cached_property
    def options(self) -> list[str]:
        return _OPTION.findall(self.text)


def _numeric_options(p: _Prompt) -> float:
    opts = [o.strip().rstrip(".%").replace(" ", "") for o in p.options]
    return sum(1 for o in opts if o and _NUMBER.fullmatch(o) is not None) / max(1, len(opts))


def _stem_words(p: _Prompt) -> float:
    stem = p.text.split("\nA.", 1)[0] if p.options else p.text
    return math.log1p(len(stem.split()) if p.options else p.n_words)


_UNITS = ("$", "%", " km", " kg", " cm", "hours", "minutes", "dollars")
_SIGNALS: Final[tuple[tuple[str, Callable[[_Prompt], float]], ...]] = (
    ("log_chars", lambda p: math.log1p(len(p.text))),
    ("log_words", lambda p: math.log1p(p.n_words)),
    ("digit_share", lambda p: sum(c.isdigit() for c in p.text) / max(1, len(p.text))),
    ("log_numbers", lambda p: math.log1p(len(_NUMBER.findall(p.text)))),
    ("math_density", lambda p: len(_MATH.findall(p.text)) / p.n_words),
    ("code_density", lambda p: len(_CODE.findall(p.text)) / p.n_words),
    ("options", lambda p: float(len(p.options))),
    ("numeric_options", _numeric_options),
    ("option_words", lambda p: math.log1p(sum(len(o.split()) for o in p.options) / max(1, len(p.options)))),
    ("stem_words_log", _stem_words),
    ("reasoning_cues", lambda p: float(len(p.token_set & _REASONING))),
    ("negation_cues", lambda p: float(len(p.token_set & _NEGATION))),
    ("knowledge_cues", lambda p: float(len(p.token_set & _KNOWLEDGE))),
    ("long_word_share", lambda p: sum(1 for t in p.toks if len(t) >= 9) / max(1, len(p.toks))),
    ("mean_word_len", lambda p: sum(len(t) for t in p.toks) / max(1, len(p.toks))),
    ("sentences_log", lambda p: math.log1p(p.text.count(". ") + p.text.count("? ") + p.text.count("\n"))),
    ("question_marks", lambda p: float(p.text.count("?"))),
    ("capital_share", lambda p: sum(1 for w in p.raw_words if w[:1].isupper()) / p.n_words),
    ("currency_units", lambda p: float(sum(p.text.count(u) for u in _UNITS))),
    ("statements", lambda p: float(p.text.count("Statement 1"))),
)
FEATURES: Final = tuple(name for name, _ in _SIGNALS)
"""The difficulty signals: length, numbers, maths and code symbols, cues, multiple-choice shape."""


def words(text: str) -> list[str]:
    """Lower-cased word tokens of the (truncated) prompt."""
    return _WORD.findall(text[:MAX_CHARS].lower())


def dense_features(text: str, tokens: Sequence[str] | None = None) -> list[float]:
    """All the difficulty signals, in the order of `FEATURES`."""
    p = _Prompt(text, tokens)
    return [fn(p) for _, fn in _SIGNALS]


@dataclass(frozen=True, slots=True)
class QualityModel:
    """Weights and calibration, as built by scripts/build_route_quality.py."""

    bias: float
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    dense: tuple[float, ...]
    vocab: dict[str, float]
    """Word → weight; a prompt's words count once each, L2-normalised over its known words."""
    quantiles: tuple[float, ...]
    """Scores at the 0.0, 0.005, …, 1.0 quantiles of the calibration prompts (201 points)."""
    approach: str = "signals"

    def score(self, text: str) -> float:
        """Estimated normalised gain of the cloud over local for this prompt.

        Only the signals with a weight are computed (the shipped model uses few of them)."""
        p = _Prompt(text)
        s = self.bias
        for (_, fn), mu, sd, w in zip(_SIGNALS, self.mean, self.scale, self.dense, strict=True):
            if w:
                s += w * (fn(p) - mu) / sd
        if self.vocab:
            known = [self.vocab[t] for t in p.token_set if t in self.vocab]
            if known:
                s += sum(known) / math.sqrt(len(known))
        return s

    def threshold(self, share: float) -> float:
        """The score above which a share `share` of the calibration prompts lies."""
        if share <= 0.0:
            return math.inf
        if share >= 1.0:
            return -math.inf
        q = self.quantiles
        pos = (1.0 - share) * (len(q) - 1)
        low = int(pos)
        high = min(low + 1, len(q) - 1)
        return q[low] + (q[high] - q[low]) * (pos - low)

    def share_above(self, score: float) -> float:
        """The share of calibration prompts scoring at least `score` (for the route line)."""
        return 1.0 - bisect_left(self.quantiles, score) / (len(self.quantiles) - 1)

    @classmethod
    def from_dict(cls, raw: dict[str, object]) -> QualityModel:
        def floats(key: str) -> tuple[float, ...]:
            value = raw[key]
            if not isinstance(value, list):
                raise ValueError(f"route quality model: {key} must be a list")
            return tuple(float(v) for v in value)

        vocab = raw.get("vocab", {})
        if not isinstance(vocab, dict):
            raise ValueError("route quality model: vocab must be an object")
        features = raw.get("features")
        if features != list(FEATURES):
            raise ValueError("route quality model: built for other features; run scripts/build_route_quality.py")
        bias = raw["bias"]
        if not isinstance(bias, int | float):
            raise ValueError("route quality model: bias must be a number")
        return cls(
            bias=float(bias),
            mean=floats("mean"),
            scale=floats("scale"),
            dense=floats("dense"),
            vocab={str(k): float(v) for k, v in vocab.items()},
            quantiles=floats("quantiles"),
            approach=str(raw.get("approach", "signals")),
        )


@lru_cache(maxsize=4)
def load_model(path: Path = DEFAULT_MODEL_PATH) -> QualityModel:
    """The shipped model, read once per process."""
    return QualityModel.from_dict(json.loads(path.read_text(encoding="utf-8")))


@dataclass(frozen=True, slots=True)
class Estimate:
    """One `quality` decision: the prompt's estimated gain against the threshold for the share."""

    gain: float
    threshold: float
    share: float
    approach: str

    @property
    def to_cloud(self) -> bool:
        return self.gain >= self.threshold

    @property
    def reason(self) -> str:
        """For the route line, e.g. "est. gain +0.19 >= threshold +0.17 (cloud share 30%)"; ASCII, since it also goes into an HTTP header."""
        sign = ">=" if self.to_cloud else "<"
        return f"est. gain {self.gain:+.2f} {sign} threshold {_shown(self.threshold)} (cloud share {self.share:.0%})"

    def signals(self) -> dict[str, object]:
        return {
            "quality_gain": round(self.gain, 4),
            "quality_threshold": None if math.isinf(self.threshold) else round(self.threshold, 4),
            "cloud_share": self.share,
            "quality_model": self.approach,
        }


def _shown(threshold: float) -> str:
    if math.isinf(threshold):
        return "+inf" if threshold > 0 else "-inf"
    return f"{threshold:+.2f}"


def estimate(text: str, share: float, model: QualityModel | None = None) -> Estimate:
    """Score `text` with the shipped model (or `model`) and compare with the threshold for `share`."""
    m = model or load_model()
    return Estimate(m.score(text), m.threshold(share), share, m.approach)
