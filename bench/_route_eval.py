"""Cost-versus-quality arithmetic for bench_route_quality: curves, PGR, bootstrap, held-out splits.

Conventions (RouteLLM's): cost = share of prompts sent to the strong model (the cloud); quality =
mean score of the model each prompt was sent to; PGR (performance gap recovered) =
(quality − weak) ÷ (strong − weak). Random routing at share s has PGR s in expectation: the straight
line from weak to strong. A ranking router at share s sends the top s of prompts by its score.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from routing.quality import QualityModel
from routing.quality_fit import Row, fit

__all__ = ["SHARES", "bootstrap_gain", "default_fitter", "held_out_scores", "pgr", "point", "ranked_quality", "subject_folds"]

SHARES = (0.1, 0.2, 0.3, 0.4, 0.5)


def pgr(quality: float, strong: float, weak: float) -> float:
    gap = strong - weak
    return (quality - weak) / gap if gap else math.nan


def ranked_quality(scores: Any, strong: Any, weak: Any, share: float) -> float:
    """Mean quality when the top `share` of prompts by score go to strong (ties: file order)."""
    n = len(scores)
    k = round(share * n)
    order = np.argsort(-np.asarray(scores), kind="stable")
    sent = np.zeros(n, dtype=bool)
    sent[order[:k]] = True
    return float(np.where(sent, strong, weak).mean())


def point(sent: Any, strong: Any, weak: Any) -> tuple[float, float]:
    """(share, PGR) of a fixed yes/no routing."""
    quality = float(np.where(sent, strong, weak).mean())
    return float(np.mean(sent)), pgr(quality, float(strong.mean()), float(weak.mean()))


def bootstrap_gain(
    scores: Any, strong: Any, weak: Any, share: float, *, samples: int, seed: int = 16
) -> tuple[float, float, float]:
    """PGR minus random's PGR at `share`, with a 95 % percentile interval over prompt resamples.

    Within a resample the router still sends its top `share` (by the same scores)."""
    order = np.argsort(-np.asarray(scores), kind="stable")
    s, w = np.asarray(strong)[order], np.asarray(weak)[order]
    n = len(s)
    k = share * n
    rng = np.random.default_rng(seed)
    out: list[float] = []
    for start in range(0, samples, 100):
        counts = rng.multinomial(n, np.full(n, 1.0 / n), size=min(100, samples - start)).astype(np.float64)
        before = np.cumsum(counts, axis=1) - counts
        to_strong = np.clip(k - before, 0.0, counts)  # the top k draws, partial at the boundary
        total_s, total_w = counts @ s, counts @ w
        quality = (to_strong @ s + (counts - to_strong) @ w) / n
        strong_mean, weak_mean = total_s / n, total_w / n
        gap = np.where(np.abs(strong_mean - weak_mean) > 1e-12, strong_mean - weak_mean, np.nan)
        out.extend(((quality - weak_mean) / gap - share).tolist())
    arr = np.array([v for v in out if math.isfinite(v)])
    base = pgr(ranked_quality(scores, strong, weak, share), float(np.mean(strong)), float(np.mean(weak))) - share
    return base, float(np.percentile(arr, 2.5)), float(np.percentile(arr, 97.5))


def subject_folds(rows: Sequence[Row], folds: int) -> list[set[str]]:
    """MMLU subjects dealt round-robin into `folds` groups (sorted, so the split is fixed)."""
    subjects = sorted({r.category for r in rows if r.benchmark == "mmlu"})
    return [set(subjects[i::folds]) for i in range(folds)]


def held_out_scores(
    rows: Sequence[Row],
    fitter: Callable[[Sequence[Row]], QualityModel],
    *,
    folds: int = 5,
) -> dict[str, np.ndarray]:
    """Out-of-sample scores per benchmark: MMLU by subject folds (fitted on the other subjects and
    the other benchmarks), GSM8K and MT-Bench each from a model fitted without that benchmark."""
    out: dict[str, np.ndarray] = {}
    mmlu = [i for i, r in enumerate(rows) if r.benchmark == "mmlu"]
    scores = np.zeros(len(rows))
    for held in subject_folds(rows, folds):
        train = [r for r in rows if not (r.benchmark == "mmlu" and r.category in held)]
        model = fitter(train)
        for i in mmlu:
            if rows[i].category in held:
                scores[i] = model.score(rows[i].text)
    out["mmlu"] = scores[mmlu]
    for bench in ("gsm8k", "mt_bench"):
        model = fitter([r for r in rows if r.benchmark != bench])
        out[bench] = np.array([model.score(r.text) for r in rows if r.benchmark == bench])
    return out


def default_fitter(approach: str, **kw: Any) -> Callable[[Sequence[Row]], QualityModel]:
    def go(train: Sequence[Row]) -> QualityModel:
        return fit(train, approach, **kw)

    return go
