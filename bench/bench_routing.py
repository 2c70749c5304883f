"""Figure 4: routing decision latency for the policies that need no network.

    .venv/bin/python -m bench.bench_routing [--quick]

Times `routing.policies.decide` (privacy guard, classifier, complexity, health order: everything
the router does before it opens a stream) one call at a time over a corpus of prompts (the
detector benchmark's corpus: mostly clean prompts, some with personal data or secrets, one of ~200
words), for every policy, with a cloud target configured so that no policy short-cuts to "local".
The privacy verdict is the guard's fast tier computed in this thread (the name model and the
router's thread hops are timed in bench/bench_privacy.py, which times `Router.plan` whole).

`decide` caches each message's privacy scan (history is re-sent every turn), so each call gets a
message it has never seen: the prompt plus a unique suffix. "conversation" sends ten earlier turns
(cached, as on a real turn) and one new message.

If `routing.policies` is missing (older checkouts), it falls back to timing
`routing.privacy.is_private` + `routing.classifier.classify`, the two detectors a decision runs.
"""

from __future__ import annotations

import gc
import itertools
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import Figure, check, make_parser, median, percentile, report  # noqa: E402

COMMAND = ".venv/bin/python -m bench.bench_routing"
TARGET_P99_US = 50.0

_FALLBACK_CORPUS = (
    "Write a Python function that parses ISO 8601 dates and returns a datetime.",
    "Write a haiku about the first snow in Oslo.",
    "Analyze this CSV of monthly sales and report the mean, median and a trend line.",
    "What's the capital of Australia?",
    "Compare studies on intermittent fasting; cite peer-reviewed sources.",
    "My email is kari.nordmann@example.no, please reply there.",
    "export OPENAI_API_KEY=sk-proj-Ab3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5",
)


def corpus() -> tuple[str, ...]:
    try:
        from bench.bench_detectors import CORPUS

        return tuple(CORPUS)
    except Exception:  # the detector benchmark is another module's; never depend on it to run
        return _FALLBACK_CORPUS


def timed(fn: Callable[[str], object], prompts: tuple[str, ...], repeat: int) -> list[float]:
    """Microseconds per call, one call at a time, each with a message never seen before."""
    counter = itertools.count()
    clock = time.perf_counter_ns
    samples: list[float] = []
    for _ in range(repeat):
        for prompt in prompts:
            text = f"{prompt} ({next(counter)})"
            start = clock()
            fn(text)
            samples.append((clock() - start) / 1000)
    return samples


def stats(samples: list[float], n_prompts: int) -> dict[str, Any]:
    """Percentiles over all calls, plus the median of the slowest prompt (robust to the machine's noise:
    with one long prompt in a corpus of 50, the p99 over the corpus is that prompt's typical time)."""
    per_prompt = [median(samples[i::n_prompts]) for i in range(n_prompts)]
    return {
        "p50_us": round(percentile(samples, 50), 2),
        "p99_us": round(percentile(samples, 99), 2),
        "max_us": round(max(samples), 2),
        "slowest_prompt_median_us": round(max(per_prompt), 2),
        "slowest_prompt": int(per_prompt.index(max(per_prompt))),
        "n": len(samples),
    }


def measure_policies(prompts: tuple[str, ...], repeat: int) -> dict[str, dict[str, float]]:
    from config import POLICIES, RoutingSettings
    from privacy import PrivacyGuard
    from providers.base import ChatMessage
    from routing.policies import decide

    # The guard's fast tier, computed in this thread as the router's worker thread would; the name
    # model (slow tier) and the thread hops are in bench_privacy, which times Router.plan whole.
    guard = PrivacyGuard(slow=False)
    system = ChatMessage("system", "You are a helpful assistant running locally.")
    available = {"local": True, "cloud": True}
    results: dict[str, dict[str, float]] = {}
    for policy in POLICIES:
        settings = RoutingSettings(policy=policy)

        fresh = PrivacyGuard(slow=False)  # each policy scans its prompts itself, none from another's cache

        def one(text: str, settings: Any = settings, policy: str = policy, fresh: PrivacyGuard = fresh) -> object:
            messages = [system, ChatMessage("user", text)]
            verdict = fresh.assess_sync([m.content for m in messages]) if policy != "local" else None
            return decide(policy, messages, settings, has_cloud=True, available=available, privacy=verdict)

        results[policy] = stats(timed(one, prompts, repeat), len(prompts))

    # A turn deep into a conversation: earlier turns are cached, the new message is not.
    history = []
    for i, prompt in enumerate(prompts[:10]):
        history += [ChatMessage("user", prompt), ChatMessage("assistant", f"Answer {i}: " + prompt[::-1])]
    auto = RoutingSettings(policy="auto")
    guard.assess_sync([system.content, *(m.content for m in history)])

    def turn(text: str) -> object:
        messages = [system, *history, ChatMessage("user", text)]
        verdict = guard.assess_sync([m.content for m in messages])
        return decide("auto", messages, auto, has_cloud=True, available=available, privacy=verdict)

    results["auto, conversation (10 earlier turns)"] = stats(timed(turn, prompts, repeat), len(prompts))

    # Where the time goes: the two detectors a decision runs, alone.
    from privacy import scan_text
    from routing.classifier import classify

    def fast_scan(text: str) -> object:
        return scan_text(text, slow=False)

    results["component: privacy scan_text (fast tier)"] = stats(timed(fast_scan, prompts, repeat), len(prompts))
    results["component: classify"] = stats(timed(classify, prompts, repeat), len(prompts))
    return results


def measure_fallback(prompts: tuple[str, ...], repeat: int) -> dict[str, dict[str, float]]:
    from privacy.scan import is_private
    from routing.classifier import classify

    def both(text: str) -> object:
        return is_private([text]), classify(text)

    return {"is_private + classify": stats(timed(both, prompts, repeat), len(prompts))}


def main(argv: list[str] | None = None) -> None:
    parser = make_parser(__doc__)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    prompts = corpus()
    repeat = 5 if args.quick else 300
    try:
        import routing.policies  # noqa: F401

        measure = measure_policies
        source = "routing.policies.decide"
    except ImportError:
        measure = measure_fallback
        source = "routing.privacy.is_private + routing.classifier.classify (routing.policies missing)"
    measure(prompts, 2)  # warm-up: compiled regexes, vocabularies
    gc.collect()
    results = measure(prompts, repeat)
    policy_rows = {k: v for k, v in results.items() if not k.startswith(("auto,", "Router", "component"))}
    worst_name, worst = max(policy_rows.items(), key=lambda kv: kv[1]["p99_us"])
    others = "; ".join(
        f"{k} {v['p99_us']:.0f}" for k, v in results.items() if k != worst_name and not k.startswith("component")
    )
    figures = [
        Figure(
            "4", "Routing decision p99, non-network policies (worst policy)", worst["p99_us"], "µs",
            f"≤ {TARGET_P99_US:.0f} µs p99", check(worst["p99_us"] <= TARGET_P99_US, args.quick), COMMAND,
            f"{worst_name}: p50 {worst['p50_us']:.0f} µs, "
            f"slowest prompt's median {worst['slowest_prompt_median_us']:.0f} µs; p99 of the others, µs: {others}",
        ),
    ]  # fmt: skip
    details = {
        "source": source,
        "corpus_size": len(prompts),
        "repeat": repeat,
        "results": results,
        "median_p50_us": median([v["p50_us"] for v in results.values()]),
    }
    report("routing", figures, details, quick=args.quick, out=args.out, started=started)


if __name__ == "__main__":
    main()
