"""Privacy guard: how much it catches, what it costs a turn, and start-up with it on.

    .venv/bin/python -m bench.bench_privacy [--quick] [--show TYPE]

Accuracy: recall (share of positives kept local) and false-alarm rate (share of negatives flagged)
per type on the development corpora (Presidio's recognizer cases, gitleaks' rule cases; see
tests/data/privacy/README-dev-corpus.md) and the project's own chat corpus
(tests/data/privacy/README.md). A case is caught when the guard's verdict is private, whatever
kind it names. Types the guard leaves out of scope by design are listed apart (`OUT_OF_SCOPE`).
The full per-type tables go to `<out>/privacy.md` (docs/privacy.md publishes them).

Cost per turn, as the router pays it (`Router.plan`, fake providers, default settings): 20-turn
conversations of ~2,000-character messages; on each turn the history is already scanned (cached)
and the new message is not. "adds" = plan time with the guard on − the same with PRIVACY_GUARD=off.
A turn that stays local (policy local) never scans; one whose plan includes the cloud runs both
tiers (names included) on the new message.

Start-up: the app launched with a cloud target (the tiny model locally, a scripted stand-in as the
cloud), from launch to /readyz 200, and to the name model reported ready on /readyz.
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import Figure, check, make_parser, percentile, report  # noqa: E402
from bench.privacy_eval import CORPORA, Score, load, score  # noqa: E402

COMMAND = ".venv/bin/python -m bench.bench_privacy"
PROSE_NEGATIVES = ("negative_prose", "negative_numbers", "negative_code")
SECRET_LOOKALIKES = ("secret_lookalike",)

_PARAGRAPHS = (
    "I am preparing a short internal talk for our team about moving a small web service from a single "
    "virtual machine to a managed container platform. The service is written in Python, uses PostgreSQL "
    "and a message queue, and handles a few thousand requests per hour with spikes at the end of each month.",
    "Could you help me structure the talk? I would like an opening that explains why we are considering "
    "the move at all, followed by a fair comparison of the options: hardening the current setup, moving to "
    "Kubernetes, or going serverless on Azure Functions.",
    "For each option, describe the operational effort, the expected cost profile, how deployments and "
    "rollbacks would work, and what changes for monitoring and on-call duties. Our CI runs on GitHub "
    "Actions with Python 3.11.4 and takes 12 minutes; builds are tagged v2.14.0 and pushed at 09:30 UTC.",
    "Vi har også et spørsmål om budsjettet for neste år. Prosjektet startet i mars 2023, og styret ønsker "
    "en oversikt over kostnader per kvartal før møtet på torsdag. Kan du lage en tabell med anslag?",
    "Last week Maria and the platform group reviewed the incident from Tuesday: the queue filled up after "
    "a deploy, order 48392017 was processed twice, and the dashboard in Grafana showed the lag too late.",
    "Please also point out risks that teams often underestimate, such as data migration, secrets handling, "
    "network configuration and the learning curve for people who have never used the new tools. Finish "
    "with a plan in phases, with checkpoints where we can stop and reconsider if things go badly.",
    "The meeting with Jonas Berg and Dr. Amelia Carter is moved to Thursday; they asked for the slides and "
    "the risk register before then, and for a short summary of what the pilot in Bergen taught us.",
)


def message(rng: random.Random, size: int = 2000) -> str:
    parts: list[str] = []
    while sum(map(len, parts)) < size:
        parts.append(rng.choice(_PARAGRAPHS))
    return " ".join(parts)[:size] + f" (ref {rng.randrange(10**6)})"


def conversations(count: int, turns: int, seed: int = 7) -> list[list[str]]:
    rng = random.Random(seed)
    return [[message(rng) for _ in range(2 * turns)] for _ in range(count)]


async def _plan_times(convs: list[list[str]], policy: str, guard_on: bool) -> list[float]:
    from config import RoutingSettings
    from privacy import PrivacyGuard
    from providers.base import ChatMessage, ChatOptions
    from routing import Router
    from tests.support.fake_provider import FakeProvider

    settings = replace(RoutingSettings(), privacy_guard=guard_on, policy=policy)
    guard = PrivacyGuard()
    guard.start()
    router = Router({"local": FakeProvider("l"), "cloud": FakeProvider("c")}, settings, guard=guard)
    await router.plan([ChatMessage("user", "warm up: hello Kari Nordmann")], ChatOptions())
    times: list[float] = []
    for conv in convs:
        for turn in range(1, len(conv) // 2 + 1):
            history = [
                ChatMessage("user" if i % 2 == 0 else "assistant", t) for i, t in enumerate(conv[: 2 * turn - 1])
            ]
            messages = [ChatMessage("system", "You are a helpful assistant."), *history]
            started = time.perf_counter()
            await router.plan(messages, ChatOptions())
            times.append((time.perf_counter() - started) * 1000)
    await router.aclose()
    return times


def turn_costs(quick: bool) -> dict[str, Any]:
    convs = conversations(1 if quick else 10, 3 if quick else 20)
    out: dict[str, Any] = {}
    for label, policy in (("local", "local"), ("cloud", "cloud")):
        on = asyncio.run(_plan_times(convs, policy, True))
        off = asyncio.run(_plan_times(convs, policy, False))
        out[label] = {
            "on_p50_ms": percentile(on, 50),
            "on_p99_ms": percentile(on, 99),
            "off_p99_ms": percentile(off, 99),
            "added_p99_ms": max(0.0, percentile(on, 99) - percentile(off, 99)),
            "turns": len(on),
        }
    return out


def startup(quick: bool) -> dict[str, Any]:
    from bench._procs import Backend, BenchApp

    with Backend(tokens=5) as cloud:
        env = {"MODEL_PATH": "models/tiny-chat", "CLOUD_BASE_URL": cloud.base_url, "CLOUD_MODEL": "stub"}
        app = BenchApp(env, wait_ready=False)
        app.start()
        ready = names = None
        try:
            with httpx.Client(timeout=2.0) as http:
                while (ready is None or names is None) and time.perf_counter() - app.launched_at < 120:
                    try:
                        r = http.get(app.url + "/readyz")
                        now = time.perf_counter() - app.launched_at
                        if r.status_code == 200:
                            ready = ready or now
                            if r.json().get("privacy", {}).get("names") == "ready":
                                names = now
                    except httpx.HTTPError:
                        pass
                    time.sleep(0.01)
            rss = app.rss_kib()
        finally:
            app.stop()
            app.log_path.unlink(missing_ok=True)
    return {"readyz_200_s": ready, "names_ready_s": names, "rss_mib": rss / 1024}


def accuracy(quick: bool) -> tuple[dict[str, dict[str, Score]], str]:
    tables: dict[str, dict[str, Score]] = {}
    lines: list[str] = []
    for name, path in CORPORA.items():
        if not path.exists():
            raise SystemExit(f"bench_privacy: corpus {path} is missing")
        cases = list(load(path))
        if quick:
            cases = cases[::25]
        table = score(cases)
        tables[name] = table
        lines += [
            f"### {name} ({len(cases)} cases)\n",
            "| type | positives | recall | negatives | false alarms |",
            "|---|---:|---:|---:|---:|",
        ]
        for kind, row in sorted(table.items()):
            recall = "—" if row.recall is None else f"{row.recall:.2f}"
            fa = "—" if row.false_alarm_rate is None else f"{row.false_alarm_rate:.2f}"
            lines.append(f"| {kind} | {row.positives} | {recall} | {row.negatives} | {fa} |")
        lines.append("")
    return tables, "\n".join(lines)


def _pooled(table: dict[str, Score], types: tuple[str, ...] | None, positives: bool) -> float | None:
    rows = [r for k, r in table.items() if not k.endswith("(out of scope)") and (types is None or k in types)]
    if positives:
        total = sum(r.positives for r in rows)
        return sum(r.caught for r in rows) / total if total else None
    total = sum(r.negatives for r in rows)
    return sum(r.false_alarms for r in rows) / total if total else None


def _min_recall(table: dict[str, Score]) -> float | None:
    values = [r.recall for k, r in table.items() if not k.endswith("(out of scope)") and r.recall is not None]
    return min(values) if values else None


def _figures(
    tables: dict[str, dict[str, Score]], costs: dict[str, Any], boot: dict[str, Any], quick: bool
) -> list[Figure]:
    out: list[Figure] = []

    def add(fid: str, name: str, value: float | None, unit: str, target: str, ok: bool | None, note: str = "") -> None:
        if value is not None:
            out.append(Figure(fid, name, value, unit, target, None if ok is None else check(ok, quick), COMMAND, note))

    for i, corpus in enumerate(("presidio", "gitleaks", "chat"), 1):
        table = tables.get(corpus, {})
        recall, low = _pooled(table, None, True), _min_recall(table)
        add(f"P{i}a", f"privacy recall, {corpus} (all in-scope positives)", recall, "", "≥ 0.97", (recall or 0) >= 0.97)
        add(f"P{i}b", f"privacy recall, {corpus} (worst in-scope type)", low, "", "≥ 0.97", (low or 0) >= 0.97)
    chat = tables.get("chat", {})
    prose, lookalikes = _pooled(chat, PROSE_NEGATIVES, False), _pooled(chat, SECRET_LOOKALIKES, False)
    add("P4a", "false alarms, chat corpus prose negatives", prose, "", "≤ 0.05", (prose or 0) <= 0.05)
    add("P4b", "false alarms, chat corpus secret look-alikes", lookalikes, "", "≤ 0.10", (lookalikes or 0) <= 0.10)
    gitleaks = _pooled(tables.get("gitleaks", {}), None, False)
    add("P4c", "false alarms, gitleaks negatives", gitleaks, "", "≤ 0.10", (gitleaks or 0) <= 0.10)
    local, cloud = costs["local"]["added_p99_ms"], costs["cloud"]["added_p99_ms"]
    add("P5a", "guard adds to a turn that stays local (p99)", local, "ms", "≤ 5 ms", local <= 5)
    add("P5b", "guard adds to a turn whose plan includes the cloud (p99)", cloud, "ms", "≤ 50 ms", cloud <= 50)
    ready = boot["readyz_200_s"]
    add("P6a", "start-up with a cloud target: launch → /readyz 200", ready, "s", "< 4 s", (ready or 99) < 4)
    rss = f"RSS {boot['rss_mib']:.0f} MiB"
    add("P6b", "launch → name detector ready (after /readyz)", boot["names_ready_s"], "s", "", None, rss)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = make_parser(__doc__)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    tables, markdown = accuracy(args.quick)
    costs = turn_costs(args.quick)
    boot = startup(args.quick)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    (out / "privacy.md").write_text(markdown + "\n")
    details = {"turn_costs": costs, "startup": boot}
    report("privacy", _figures(tables, costs, boot, args.quick), details, quick=args.quick, out=out, started=started)


if __name__ == "__main__":
    main()
