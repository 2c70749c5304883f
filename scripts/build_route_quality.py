"""Build routing/data/route_quality.json, the `quality` policy's model, from the routing data.

    .venv/bin/python scripts/build_route_quality.py [--approach length] [--check]

Fits `routing.quality_fit.SHIPPED` (or `--approach`) on every clean row of
tests/data/routing/routellm.csv (RouteLLM's per-prompt labels, Apache-2.0; see the README there)
and writes the weights and the calibration quantiles as JSON. Deterministic: closed-form ridge, no
randomness, sorted keys, rounded floats; `--check` fails if the committed file is not what this
builds. How each approach does on held-out subjects and benchmarks: bench/bench_route_quality.py.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from routing.quality import DEFAULT_MODEL_PATH  # noqa: E402
from routing.quality_fit import APPROACHES, DATA_PATH, SHIPPED, fit_approach, load_rows, model_dict  # noqa: E402


def build(approach: str = SHIPPED, data: Path = DATA_PATH) -> str:
    """The JSON text for `approach` fitted on all clean rows of `data`."""
    rows = load_rows(data)
    model = fit_approach(rows, approach)
    payload = model_dict(model, source=f"{data.relative_to(ROOT) if data.is_relative_to(ROOT) else data.name}", rows=len(rows))
    return json.dumps(payload, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--approach", choices=sorted(APPROACHES), default=SHIPPED)
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_PATH)
    parser.add_argument("--check", action="store_true", help="fail if --out differs from what this builds")
    args = parser.parse_args(argv)
    text = build(args.approach)
    if args.check:
        same = args.out.is_file() and args.out.read_text(encoding="utf-8") == text
        print(f"{args.out}: {'up to date' if same else 'differs from a fresh build'}")
        return 0 if same else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"wrote {args.out} ({len(text.encode()):,} bytes, approach {args.approach})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
