"""Figure 5: routing quality, measured: the cost-versus-quality curve of every policy.

    .venv/bin/python -m bench.bench_route_quality [--quick] [--plot docs/routing-quality.png]

Data: tests/data/routing/routellm.csv, RouteLLM's per-prompt scores of a strong model (GPT-4,
standing for the cloud) and a weak one (Mixtral 8x7B, standing for local) on MMLU, GSM8K and
MT-Bench; contaminated rows left out. Cost = share of prompts sent to the cloud; PGR = share of
the quality gap recovered; random routing at share s has PGR s.

* The fixed policies (`complexity`, `task`, `auto`, …) run through `routing.policies.decide` on
  every prompt (privacy guard off: the benchmark prompts hold no personal data, and the guard is
  measured in bench_privacy) and give one point each.
* Each learned approach in `routing.quality_fit.APPROACHES` is scored held-out: MMLU by five
  folds of subjects (fitted on the other subjects and benchmarks), GSM8K and MT-Bench each by a
  model fitted without that benchmark. Its curve is PGR at 10–50 % share; the gain over random
  has a 95 % bootstrap interval over prompts.
* The shipped model (`routing/data/route_quality.json`, all rows) is timed through `decide` and
  its realised share at ROUTING_CLOUD_SHARE=0.3 is reported per benchmark (in-sample: it was
  fitted on these prompts, so only the share is meaningful there, not its quality).

--quick uses every fourth prompt, two approaches and 100 bootstrap resamples.
"""

from __future__ import annotations

import sys
import time
import zlib
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from bench._common import Figure, check, make_parser, percentile, report  # noqa: E402
from bench._route_eval import SHARES, bootstrap_gain, held_out_scores, pgr, point, ranked_quality  # noqa: E402

COMMAND = ".venv/bin/python -m bench.bench_route_quality"
BENCHES = ("mmlu", "gsm8k", "mt_bench")
FIXED = ("local", "cloud", "local-first", "complexity", "task", "auto")
TARGET_PGR_30 = 0.5
TARGET_P99_MS = 2.0


def fixed_points(rows: list[Any]) -> dict[str, dict[str, tuple[float, float]]]:
    """(share, PGR) per benchmark for each non-learned policy, through decide()."""
    from config import RoutingSettings
    from providers.base import ChatMessage
    from routing.policies import decide

    out: dict[str, dict[str, tuple[float, float]]] = {}
    available = {"local": True, "cloud": True}
    for policy in FIXED:
        settings = RoutingSettings(policy=policy, privacy_guard=False)
        sent = np.array(
            [decide(policy, [ChatMessage("user", r.text)], settings, has_cloud=True, available=available).targets[0]
             == "cloud" for r in rows]
        )  # fmt: skip
        out[policy] = {}
        for bench in BENCHES:
            mask = np.array([r.benchmark == bench for r in rows])
            s, w = arrays(rows, mask)
            out[policy][bench] = point(sent[mask], s, w)
    return out


def arrays(rows: list[Any], mask: Any = None) -> tuple[Any, Any]:
    s = np.array([r.strong for r in rows])
    w = np.array([r.weak for r in rows])
    return (s[mask], w[mask]) if mask is not None else (s, w)


def tiebreak(rows: list[Any]) -> Any:
    """A nudge far below any score difference, from a hash of the prompt's id: equal scores (a
    length model has many) are then ordered at random but reproducibly, not by file order, which
    sorts MMLU by subject and would let the tie-break pick subjects."""
    return np.array([zlib.crc32(r.id.encode()) / 2**32 * 1e-9 for r in rows])


def curves(rows: list[Any], approaches: list[str], samples: int) -> dict[str, dict[str, Any]]:
    """Held-out curve per approach and benchmark, plus random and oracle."""
    from routing.quality_fit import fit_approach

    out: dict[str, dict[str, Any]] = {}
    by_bench = {b: [r for r in rows if r.benchmark == b] for b in BENCHES}
    for name in approaches:
        started = time.perf_counter()
        scores = held_out_scores(rows, lambda train, name=name: fit_approach(train, name))
        scores = {b: v + tiebreak(by_bench[b]) for b, v in scores.items()}
        out[name] = {"fit_and_score_s": round(time.perf_counter() - started, 1)}
        for bench in BENCHES:
            s, w = arrays(by_bench[bench])
            rows_out = []
            for share in SHARES:
                gain, low, high = bootstrap_gain(scores[bench], s, w, share, samples=samples)
                rows_out.append({"share": share, "pgr": round(share + gain, 4), "gain_vs_random": round(gain, 4),
                                 "ci95": [round(low, 4), round(high, 4)]})  # fmt: skip
            out[name][bench] = rows_out
    out["oracle"] = {}
    for bench in BENCHES:
        s, w = arrays(by_bench[bench])
        out["oracle"][bench] = [
            {"share": share, "pgr": round(pgr(ranked_quality(s - w + tiebreak(by_bench[bench]), s, w, share), s.mean(), w.mean()), 4)}
            for share in SHARES
        ]
    return out


def shipped(rows: list[Any], repeat: int) -> dict[str, Any]:
    """Latency of decide("quality") and the realised share at the default setting, per benchmark."""
    from config import RoutingSettings
    from providers.base import ChatMessage
    from routing.policies import decide
    from routing.quality import load_model

    model = load_model()
    settings = RoutingSettings(policy="quality", privacy_guard=False)
    available = {"local": True, "cloud": True}
    prompts = [r.text for r in rows[:: max(1, len(rows) // 400)]]
    prompts += ["What's the capital of Australia?", "Write a haiku about snow.", "word " * 3000]
    decide("quality", [ChatMessage("user", "warm-up")], settings, has_cloud=True, available=available)
    samples: list[float] = []
    for _ in range(repeat):
        for text in prompts:
            messages = [ChatMessage("user", text)]
            start = time.perf_counter_ns()
            decide("quality", messages, settings, has_cloud=True, available=available)
            samples.append((time.perf_counter_ns() - start) / 1e6)
    threshold = model.threshold(settings.cloud_share)
    realised = {b: float(np.mean([model.score(r.text) >= threshold for r in rows if r.benchmark == b])) for b in BENCHES}
    return {
        "approach": model.approach,
        "p50_ms": round(percentile(samples, 50), 4),
        "p99_ms": round(percentile(samples, 99), 4),
        "max_ms": round(max(samples), 4),
        "n": len(samples),
        "threshold_at_0.3": round(threshold, 4),
        "realised_share_at_0.3": {b: round(v, 3) for b, v in realised.items()},
        "realised_share_at_0.3_balanced": round(float(np.mean(list(realised.values()))), 3),
    }


def plot(path: Path, result: dict[str, Any], fixed: dict[str, Any]) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(BENCHES), figsize=(15, 4.6), sharey=True)
    for ax, bench in zip(axes, BENCHES, strict=True):
        ax.plot([0, 1], [0, 1], color="grey", linestyle="--", label="random")
        for name, curve in result.items():
            xs = [0.0] + [p["share"] for p in curve[bench]]
            ys = [0.0] + [p["pgr"] for p in curve[bench]]
            style = {"linewidth": 2.5} if name in ("length", "oracle") else {"linewidth": 1, "alpha": 0.8}
            ax.plot(xs, ys, marker="o", markersize=3, label=name, **style)
        for policy in ("complexity", "task", "auto"):
            share, value = fixed[policy][bench]
            ax.scatter([share], [value], marker="x", s=60, label=f"{policy} (fixed)", zorder=5)
        ax.set_title(f"{bench} (held out)")
        ax.set_xlabel("share sent to cloud (cost)")
        ax.set_xlim(0, 0.6)
        ax.set_ylim(-0.1, 1.05)
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("PGR (share of quality gap recovered)")
    axes[-1].legend(fontsize=7, loc="lower right")
    fig.suptitle("Routing quality on RouteLLM labels: strong = cloud, weak = local")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(fig)


def main(argv: list[str] | None = None) -> None:
    parser = make_parser(__doc__)
    parser.add_argument("--plot", type=Path, default=None, help="write the curve as a PNG here")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    from routing.quality_fit import APPROACHES, SHIPPED, load_rows

    rows = load_rows()
    if args.quick:
        rows = rows[::4]
    approaches = [SHIPPED, "signals"] if args.quick else list(APPROACHES)
    fixed = fixed_points(rows)
    result = curves(rows, approaches, samples=100 if args.quick else 500)
    timing = shipped(rows, repeat=2 if args.quick else 20)
    if args.plot:
        plot(args.plot, result, fixed)

    best = result[SHIPPED]
    at30 = {b: next(p for p in best[b] if p["share"] == 0.3) for b in BENCHES}
    worst_low = min(at30[b]["ci95"][0] for b in BENCHES)
    worst_gain = min(p["gain_vs_random"] for b in BENCHES for p in best[b])
    pgr30 = {b: at30[b]["pgr"] for b in BENCHES}
    note = ", ".join(f"{b} {at30[b]['pgr']:.2f} [{0.3 + at30[b]['ci95'][0]:.2f}, {0.3 + at30[b]['ci95'][1]:.2f}]"
                     for b in BENCHES)  # fmt: skip
    figures = [
        Figure("5a", f"`quality` ({SHIPPED}) held-out PGR at 30 % cloud share, worst benchmark", min(pgr30.values()), "",
               f"≥ {TARGET_PGR_30} (random 0.30)", check(min(pgr30.values()) >= TARGET_PGR_30, args.quick), COMMAND,
               f"PGR [95 % CI]: {note}"),
        Figure("5b", "…gain over random at 30 %, lower 95 % bound, worst benchmark", worst_low, "PGR",
               "> 0", check(worst_low > 0, args.quick), COMMAND),
        Figure("5c", "…worst gain over random at any share 10–50 %, any benchmark", worst_gain, "PGR",
               "≥ 0", check(worst_gain >= 0, args.quick), COMMAND),
        Figure("5d", "`quality` decision p99 (decide, guard off)", timing["p99_ms"], "ms", f"≤ {TARGET_P99_MS:g} ms",
               check(timing["p99_ms"] <= TARGET_P99_MS, args.quick), COMMAND, f"p50 {timing['p50_ms']:.3f} ms"),
        Figure("5e", "realised cloud share at ROUTING_CLOUD_SHARE=0.3 (benchmarks weighed equally)",
               timing["realised_share_at_0.3_balanced"], "", "0.30 ± 0.05",
               check(abs(timing["realised_share_at_0.3_balanced"] - 0.3) <= 0.05, args.quick), COMMAND,
               ", ".join(f"{b} {v:.2f}" for b, v in timing["realised_share_at_0.3"].items())),
    ]  # fmt: skip
    details = {
        "rows": len(rows),
        "shipped": SHIPPED,
        "fixed_policies": {p: {b: {"share": round(v[0], 4), "pgr": round(v[1], 4)} for b, v in d.items()}
                           for p, d in fixed.items()},  # fmt: skip
        "curves": result,
        "shipped_model": timing,
    }
    report("route_quality", figures, details, quick=args.quick, out=args.out, started=started)


if __name__ == "__main__":
    main()
