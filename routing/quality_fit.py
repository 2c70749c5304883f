"""Fitting the `quality` policy's model (numpy; used by scripts/build_route_quality.py and the bench).

Never imported at run time: the app only loads the JSON this writes (`routing.quality`).

The data is RouteLLM's per-prompt evaluation (tests/data/routing/routellm.csv, Apache-2.0): for
each prompt, the score of a strong model (GPT-4, standing for the cloud) and a weak one (Mixtral
8x7B, standing for local). Scores are normalised to 0–1 (MT-Bench's 1–10 judge: (s − 1) / 9) and
the target is the gain, strong − weak. Rows RouteLLM marks as contaminated are left out.

Ridge regression, closed form, deterministic: the same rows give the same bytes.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Final

import numpy as np

from .quality import FEATURES, QualityModel, dense_features, words

__all__ = ["APPROACHES", "DATA_PATH", "KINDS", "SHIPPED", "Row", "fit", "fit_approach", "load_rows", "model_dict"]

DATA_PATH: Final = Path(__file__).resolve().parents[1] / "tests" / "data" / "routing" / "routellm.csv"
STRONG: Final = "score__gpt-4-1106-preview"
WEAK: Final = "score__mixtral-8x7b-instruct-v0.1"
KINDS: Final = ("signals", "words", "signals+words")
APPROACHES: Final[dict[str, dict[str, Any]]] = {
    "length": {"kind": "signals", "only": ("stem_words_log",)},
    "signals": {"kind": "signals"},
    "signals, strong prior": {"kind": "signals", "alpha": 1e4},
    "words": {"kind": "words"},
    "signals+words": {"kind": "signals+words"},
    "signals, weak-fails target": {"kind": "signals", "target": "weak"},
}
"""The approaches the bench compares on held-out data (docs/routing.md has the curves)."""
SHIPPED: Final = "length"
"""What scripts/build_route_quality.py ships: the best held-out approach (see docs/routing.md)."""
QUANTILE_POINTS: Final = 201


@dataclass(frozen=True, slots=True)
class Row:
    id: str
    benchmark: str
    category: str
    text: str
    strong: float
    weak: float

    @property
    def gain(self) -> float:
        return self.strong - self.weak


def load_rows(path: Path = DATA_PATH) -> list[Row]:
    """The clean rows (not `contaminated`), scores on 0–1, in file order."""
    out: list[Row] = []
    with path.open(newline="", encoding="utf-8") as handle:
        for r in csv.DictReader(handle):
            if r["contaminated"] == "1":
                continue
            strong, weak = float(r[STRONG]), float(r[WEAK])
            if r["score_scale"].startswith("1-10"):
                strong, weak = (strong - 1) / 9, (weak - 1) / 9
            out.append(Row(r["id"], r["benchmark"], r["category"], r["prompt"], strong, weak))
    return out


@lru_cache(maxsize=32_768)
def _features(text: str) -> tuple[tuple[float, ...], frozenset[str]]:
    """A prompt's signals and words, computed once per process (the folds refit many times)."""
    toks = words(text)
    return tuple(dense_features(text, toks)), frozenset(toks)


def _vocabulary(tokens: Sequence[frozenset[str]], groups: Sequence[str], min_docs: int, min_groups: int, size: int) -> list[str]:
    """Words seen in at least `min_docs` prompts spread over `min_groups` subjects: words that
    identify one subject cannot carry over to unseen subjects, so they are left out."""
    docs: dict[str, int] = {}
    where: dict[str, set[str]] = {}
    for toks, group in zip(tokens, groups, strict=True):
        for t in toks:
            docs[t] = docs.get(t, 0) + 1
            where.setdefault(t, set()).add(group)
    kept = [t for t, n in docs.items() if n >= min_docs and len(where[t]) >= min_groups]
    kept.sort(key=lambda t: (-docs[t], t))
    return sorted(kept[:size])


def fit(
    rows: Sequence[Row],
    approach: str = "signals",
    *,
    alpha: float = 10.0,
    vocab_size: int = 3000,
    min_groups: int = 5,
    balance: bool = True,
    target: str = "gain",
    only: Sequence[str] | None = None,
) -> QualityModel:
    """Fit on `rows`. `balance` weighs each benchmark equally (MMLU is 90 % of the rows)."""
    if approach not in KINDS:
        raise ValueError(f"unknown approach {approach!r}")
    cached = [_features(r.text) for r in rows]
    tokens = [c[1] for c in cached]
    dense = np.array([c[0] for c in cached], dtype=np.float64)
    y = np.array([r.gain if target == "gain" else 1.0 - r.weak for r in rows], dtype=np.float64)
    counts: dict[str, int] = {}
    for r in rows:
        counts[r.benchmark] = counts.get(r.benchmark, 0) + 1
    weight = np.array([len(rows) / (len(counts) * counts[r.benchmark]) if balance else 1.0 for r in rows])
    weight = np.minimum(weight, 20.0)  # MT-Bench's 72 prompts must not outweigh thousands

    use_dense = approach != "words"
    use_words = approach != "signals"
    mean = np.average(dense, axis=0, weights=weight)
    scale = np.sqrt(np.average((dense - mean) ** 2, axis=0, weights=weight))
    scale[scale < 1e-9] = 1.0
    standard = (dense - mean) / scale
    if only is not None:  # a subset of the signals: the others get weight 0
        standard[:, [i for i, f in enumerate(FEATURES) if f not in only]] = 0.0
    blocks = [standard] if use_dense else []
    vocab: list[str] = []
    if use_words:
        groups = [f"{r.benchmark}.{r.category}" for r in rows]
        vocab = _vocabulary(tokens, groups, 5, min_groups, vocab_size)
        index = {t: i for i, t in enumerate(vocab)}
        bow = np.zeros((len(rows), len(vocab)))
        for i, toks in enumerate(tokens):
            cols = [index[t] for t in toks if t in index]
            if cols:
                bow[i, cols] = 1.0 / math.sqrt(len(cols))
        blocks.append(bow)
    x = np.hstack(blocks)
    y_mean = float(np.average(y, weights=weight))
    xw = x * weight[:, None]
    gram = x.T @ xw + alpha * np.eye(x.shape[1])
    coef = np.linalg.solve(gram, xw.T @ (y - y_mean))

    n_dense = len(FEATURES) if use_dense else 0
    dense_w = coef[:n_dense].tolist() if use_dense else [0.0] * len(FEATURES)
    word_w = {t: float(w) for t, w in zip(vocab, coef[n_dense:], strict=True) if abs(w) >= 1e-4}
    model = QualityModel(
        bias=y_mean,
        mean=tuple(float(v) for v in mean),
        scale=tuple(float(v) for v in scale),
        dense=tuple(float(v) for v in dense_w),
        vocab=word_w,
        quantiles=(0.0,) * QUANTILE_POINTS,
        approach=approach,
    )
    scores = np.array([model.score(r.text) for r in rows])
    # Calibrate on every benchmark weighed equally, as the fit was.
    quantiles = _weighted_quantiles(scores, weight, np.linspace(0.0, 1.0, QUANTILE_POINTS))
    return QualityModel(model.bias, model.mean, model.scale, model.dense, model.vocab, tuple(quantiles), approach)


def fit_approach(rows: Sequence[Row], name: str) -> QualityModel:
    """Fit one of `APPROACHES` by name."""
    kw = dict(APPROACHES[name])
    model = fit(rows, kw.pop("kind"), **kw)
    return QualityModel(model.bias, model.mean, model.scale, model.dense, model.vocab, model.quantiles, name)


def _weighted_quantiles(values: Any, weight: Any, qs: Any) -> list[float]:
    order = np.argsort(values, kind="stable")
    v, w = values[order], weight[order]
    cum = (np.cumsum(w) - 0.5 * w) / w.sum()
    return [float(q) for q in np.interp(qs, cum, v)]


def model_dict(model: QualityModel, *, source: str, rows: int) -> dict[str, object]:
    """The JSON the app loads, floats rounded so that the file is small and stable."""

    def r(v: float) -> float:
        return float(f"{v:.6g}")

    return {
        "format": 1,
        "approach": model.approach,
        "source": source,
        "rows": rows,
        "features": list(FEATURES),
        "bias": r(model.bias),
        "mean": [r(v) for v in model.mean],
        "scale": [r(v) for v in model.scale],
        "dense": [r(v) for v in model.dense],
        "vocab": {t: r(w) for t, w in sorted(model.vocab.items())},
        "quantiles": [r(v) for v in model.quantiles],
    }
