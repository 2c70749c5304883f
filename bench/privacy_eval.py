"""Score the privacy guard on labelled corpora: recall and false-alarm rate per type.

A corpus is JSONL, one case a line, with at least ``text``, ``label`` ("positive"/"negative") and
a type (``type_hint`` in the development corpora, ``type`` in the project's own). A case counts as
caught when the guard's verdict on it is private (any kind): for a guard that keeps conversations
local, which kind it names matters less than whether it keeps the text home.

    .venv/bin/python -m bench.privacy_eval [--corpus presidio|gitleaks|chat] [--show TYPE] [--fast]
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from privacy import PrivacyGuard  # noqa: E402

DATA = ROOT / "tests" / "data" / "privacy"
CORPORA = {
    "presidio": DATA / "pii_presidio_recognizer_cases.jsonl",
    "gitleaks": DATA / "secrets_gitleaks_cases.jsonl",
    "chat": DATA / "chat_corpus.jsonl",
}

__all__ = ["CORPORA", "OUT_OF_SCOPE_TYPES", "POLICY_NEGATIVES", "Case", "Score", "in_scope", "load", "score"]

#: Negatives of the chat corpus that the guard flags on purpose (docs/privacy.md says why); scored
#: as their own rows so that they neither hide in nor inflate the prose false-alarm rate.
POLICY_NEGATIVES = {
    "private_ip": "policy_private_ip",  # RFC 1918 addresses: internal topology; Presidio labels them positive
    "company_org_number": "policy_business_id",  # sole traders' numbers identify a person
}


@dataclass(frozen=True, slots=True)
class Case:
    id: str
    text: str
    positive: bool
    type: str
    messages: tuple[str, ...] = ()
    """When set, the case is a conversation (e.g. a number split over two messages)."""
    in_scope: bool = True


@dataclass(slots=True)
class Score:
    positives: int = 0
    caught: int = 0
    negatives: int = 0
    false_alarms: int = 0
    misses: list[Case] = field(default_factory=list)
    alarms: list[Case] = field(default_factory=list)

    @property
    def recall(self) -> float | None:
        return self.caught / self.positives if self.positives else None

    @property
    def false_alarm_rate(self) -> float | None:
        return self.false_alarms / self.negatives if self.negatives else None


#: Development-corpus types that are not personal data, so the guard lets them pass by design
#: (docs/privacy.md): scored on their own rows, "(out of scope)", never hidden.
OUT_OF_SCOPE_TYPES = {
    "DATE_TIME": "a date or time on its own; dates of birth in context are in scope (date_of_birth)",
    "URL": "a plain web address; URLs carrying credentials are in scope (password)",
    "DE_PLZ": "a bare five-digit German postcode (thousands of households); postcodes in an address are in scope",
}
_NOBODYS = (
    ipaddress.ip_network("192.0.2.0/24"),
    ipaddress.ip_network("198.51.100.0/24"),
    ipaddress.ip_network("203.0.113.0/24"),
    ipaddress.ip_network("2001:db8::/32"),
)


def _nobodys_address(value: str) -> bool:
    """Loopback, unspecified, broadcast and documentation addresses identify no one."""
    candidate = value.strip("[]'\",.;").split("%")[0].split("/")[0]
    if candidate.lower().startswith("::ffff:"):
        candidate = candidate[7:]
    try:
        address = ipaddress.ip_address(candidate)
    except ValueError:
        return False
    return (
        address.is_loopback
        or address.is_unspecified
        or str(address) == "255.255.255.255"
        or any(address in net for net in _NOBODYS if net.version == address.version)
    )


def in_scope(row: dict[str, object]) -> bool:
    """Whether a development-corpus positive is personal data by the guard's definition."""
    kind = str(row.get("type_hint") or "")
    if kind in OUT_OF_SCOPE_TYPES:
        return False
    entities = row.get("entities") or []
    if kind == "IP_ADDRESS" and isinstance(entities, list) and entities:
        return not all(isinstance(e, dict) and _nobodys_address(str(e.get("value", ""))) for e in entities)
    return True


def load(path: Path) -> Iterator[Case]:
    for line in path.read_text("utf-8").splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        kind = row.get("type") or row.get("type_hint") or "?"
        if row["label"] == "negative" and row.get("form") in POLICY_NEGATIVES:
            kind = POLICY_NEGATIVES[row["form"]]
        scoped = row["label"] == "negative" or in_scope(row)
        if not scoped:
            kind += " (out of scope)"
        yield Case(
            id=row["id"],
            text=row.get("text", ""),
            positive=row["label"] == "positive",
            type=kind,
            messages=tuple(row.get("messages") or ()),
            in_scope=scoped,
        )


def score(cases: Iterable[Case], guard: PrivacyGuard | None = None, *, slow: bool = True) -> dict[str, Score]:
    guard = guard or PrivacyGuard()
    table: dict[str, Score] = defaultdict(Score)
    for case in cases:
        verdict = guard.assess_sync(case.messages or (case.text,), slow=slow)
        row = table[case.type]
        if case.positive:
            row.positives += 1
            row.caught += verdict.private
            if not verdict.private:
                row.misses.append(case)
        else:
            row.negatives += 1
            row.false_alarms += verdict.private
            if verdict.private:
                row.alarms.append(case)
    return dict(table)


def _fmt(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", choices=sorted(CORPORA), action="append")
    parser.add_argument(
        "--show", action="append", default=[], help="print misses and false alarms of this type (or 'all')"
    )
    parser.add_argument("--fast", action="store_true", help="fast tier only (no NER)")
    args = parser.parse_args(argv)
    guard = PrivacyGuard()
    for name in args.corpus or sorted(CORPORA):
        if not CORPORA[name].exists():
            print(f"## {name}: {CORPORA[name]} not found")
            continue
        table = score(load(CORPORA[name]), guard, slow=not args.fast)
        total = Score()
        print(f"## {name}\n\n| type | positives | recall | negatives | false alarms |\n|---|---:|---:|---:|---:|")
        for kind, row in sorted(table.items()):
            print(f"| {kind} | {row.positives} | {_fmt(row.recall)} | {row.negatives} | {_fmt(row.false_alarm_rate)} |")
            total.positives += row.positives
            total.caught += row.caught
            total.negatives += row.negatives
            total.false_alarms += row.false_alarms
        print(
            f"| **all** | {total.positives} | {_fmt(total.recall)} "
            f"| {total.negatives} | {_fmt(total.false_alarm_rate)} |\n"
        )
        for kind, row in sorted(table.items()):
            if kind in args.show or "all" in args.show:
                for case in row.misses:
                    print(f"MISS  {kind} {case.id}: {(case.messages or case.text)!r:.300}")
                for case in row.alarms:
                    print(f"ALARM {kind} {case.id}: {(case.messages or case.text)!r:.300}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
