"""Latency of the per-turn detectors: privacy guard and task classifier.

Times ``is_private([prompt])`` and ``classify(prompt)`` one call at a time over
a corpus of mixed prompts (mostly clean, some with personal data), reports
p50/p99 in microseconds as a markdown table and writes the numbers to
``bench/results/detectors.json``.

    .venv/bin/python bench/bench_detectors.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from routing.classifier import classify  # noqa: E402
from privacy.scan import is_private  # noqa: E402

__all__ = ["CORPUS", "main"]

#: A clean ~200-word prompt: the common case the router must pass quickly.
TYPICAL_200_WORDS = (
    "I am preparing a short internal talk for our team about moving a small web service from "
    "a single virtual machine to a managed container platform. The service is written in "
    "Python, uses a relational database and a message queue, and handles a few thousand "
    "requests per hour with occasional spikes around the end of each month. Could you help "
    "me structure the talk? I would like an opening that explains why we are considering the "
    "move at all, followed by a fair comparison of the options: keeping the current setup and "
    "hardening it, moving to containers with an orchestrator, or going fully serverless. For "
    "each option, describe the operational effort, the expected cost profile, how deployments "
    "and rollbacks would work, and what changes for monitoring and on-call duties. Please also "
    "point out risks that teams often underestimate, such as data migration, secrets handling, "
    "network configuration and the learning curve for people who have never used the new "
    "tools. Finish with a suggested plan in phases, with clear checkpoints where we can stop "
    "and reconsider if things go badly. Keep the tone practical and avoid marketing language; "
    "the audience is experienced engineers who will ask hard questions. A slide-by-slide "
    "outline with speaker notes would be ideal."
)

CORPUS: tuple[str, ...] = (
    TYPICAL_200_WORDS,
    "Write a Python function that parses ISO 8601 dates and returns a datetime.",
    "Skriv en funksjon i Python som sorterer en liste med tupler etter andre element.",
    "```python\ndef add(a, b):\n    return a + b\n```\nWhy does this fail for strings?",
    "Refactor this React component to use hooks instead of a class.",
    "How do I fix 'TypeError: cannot read properties of undefined' in my Node 18.2.0 app?",
    "Our CI runs on Python 3.11.4 with numpy==1.26.0 and pandas 2.1.1; tests take 12 minutes.",
    "Analyze this CSV of monthly sales and report the mean, median and a trend line.",
    "month,revenue,cost\n2024-01,1200,800\n2024-02,1350,820\n2024-03,1500,900\n",
    "Analyser salgstallene for 2023 og lag en tabell med gjennomsnitt per kvartal.",
    "Compute the correlation between height and weight in this dataset of 10000 rows.",
    "Write a haiku about the first snow in Oslo.",
    "Skriv et dikt om havet og lyset i november.",
    "Tell me a bedtime story about a brave little fox who learns to swim.",
    "Write song lyrics in the style of a 1960s folk ballad about trains.",
    "Explain the history of the printing press and its effect on literacy in Europe.",
    "Compare studies on intermittent fasting; cite peer-reviewed sources.",
    "Hva sier forskningen om skjermtid og søvn hos barn? Oppgi kilder.",
    "Write a literature review outline on microplastics in drinking water.",
    "What's the capital of Australia?",
    "Thanks, that helped a lot!",
    "How long should I boil an egg for a soft yolk?",
    "Translate 'good morning, how are you?' into Norwegian and German.",
    "Give me three name ideas for a bakery on a quiet street.",
    "Is it better to rent or buy a flat when rates are at 5 percent?",
    "The meeting is on 2024-01-15 at 14:30; room 4B, building 12.",
    "Order #20231115-7781 shipped in 3 boxes weighing 12.5 kg total.",
    "Use std::vector<int> and std::map in C++17 to count word frequencies.",
    "My git remote is git@github.com:acme/widgets.git and HEAD is 3f2c1e9a7b8d4c6e5f1a2b3c4d5e6f7a8b9c0d1e.",
    "Request id 550e8400-e29b-41d4-a716-446655440000 failed with status 503.",
    "Decorate the method with @property and @functools.cache in Python.",
    "Section 1.2.3.4 of the spec says the field is optional.",
    "range(1000000) is slow in a loop; use numpy.arange instead.",
    "Set max_tokens = 4096 and temperature to 0.2 for the summary model.",
    "Call me at +47 912 34 567 after five.",
    "My email is kari.nordmann@example.no, please reply there.",
    "Card 4242 4242 4242 4242, expiry 12/29.",
    "Pay to NO93 8601 1117 947 before Friday.",
    "My SSN is 123-45-6789 and my fødselsnummer is 15038512363.",
    "export OPENAI_API_KEY=sk-proj-Ab3dE5fG7hI9jK1lM3nO5pQ7rS9tU1vW3xY5",
    "password: hunter2",
    "The database is postgres://admin:S3cr3t!@db.internal:5432/app",
    "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----",
    "ssh into 10.20.30.40 and check the logs",
    "The server listens on 2a01:79c:cebf:d688::1 port 443.",
    "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0."
    "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "Summarise the attached quarterly report in five bullet points for the board.",
    "Plan a three-day trip to Bergen in May with a modest budget.",
    "What is the difference between TCP and UDP?",
    "Write unit tests for the tokenizer module using pytest fixtures.",
)


def _percentiles(fn: Callable[[str], object], prompts: tuple[str, ...], repeat: int) -> tuple[float, float]:
    samples: list[float] = []
    clock = time.perf_counter_ns
    for _ in range(repeat):
        for prompt in prompts:
            start = clock()
            fn(prompt)
            samples.append((clock() - start) / 1000)
    cuts = statistics.quantiles(samples, n=100)
    return round(cuts[49], 2), round(cuts[98], 2)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and write ``bench/results/detectors.json``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 repeats instead of 2000")
    args = parser.parse_args(argv)
    repeat = 200 if args.quick else 2000

    def privacy(prompt: str) -> object:
        return is_private([prompt])

    rows = {
        "is_private (corpus)": _percentiles(privacy, CORPUS, repeat),
        "is_private (200-word clean)": _percentiles(privacy, (TYPICAL_200_WORDS,), repeat),
        "classify (corpus)": _percentiles(classify, CORPUS, repeat),
        "classify (200-word)": _percentiles(classify, (TYPICAL_200_WORDS,), repeat),
    }
    print("| detector | p50 µs | p99 µs |\n|---|---:|---:|")
    for name, (p50, p99) in rows.items():
        print(f"| {name} | {p50} | {p99} |")
    out = Path(__file__).resolve().parent / "results" / "detectors.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "python": platform.python_version(),
                "machine": platform.machine(),
                "corpus_size": len(CORPUS),
                "repeat": repeat,
                "results_us": {name: {"p50": p50, "p99": p99} for name, (p50, p99) in rows.items()},
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
