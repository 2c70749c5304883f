"""Figure 9: a flood of bad sign-ins against a real one (docs/limits.md).

    .venv/bin/python -m bench.bench_login [--quick] [--flood N] [--repeat N]

The app runs with password sign-in and the default limits. Each run: N concurrent bad sign-ins
from one client address (X-Forwarded-For, as uvicorn applies it for a proxy on 127.0.0.1) for N
different accounts, and 0.3 s later (the guesses are in) a real sign-in from another address; the
figure is the real sign-in's latency, against its latency alone. Also reported: how many of the
flood's guesses reached the password hash (`foundry_chat_login_attempts_total`). Before the
limits (issue 19), 40 such guesses delayed a real sign-in by 6.2 s on this kind of machine.
Each run uses a fresh flood address, so the per-address window does not carry over.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from bench._common import Figure, check, make_parser, median, report  # noqa: E402
from bench._procs import Backend, BenchApp  # noqa: E402
from storage.users import add_or_update_user  # noqa: E402

COMMAND = ".venv/bin/python -m bench.bench_login"
SECRET = "bench-login-" + "b" * 52
FLOOD_HEAD_START_S = 0.3


async def _sign_in(http: httpx.AsyncClient, name: str, password: str, address: str) -> tuple[int, float]:
    started = time.perf_counter()
    r = await http.post("/login", data={"username": name, "password": password}, headers={"X-Forwarded-For": address})
    return r.status_code, time.perf_counter() - started


def _hashed(app: BenchApp) -> float:
    for line in httpx.get(app.url + "/metrics", timeout=10).text.splitlines():
        if line.startswith('foundry_chat_login_attempts_total{result="failed"}'):
            return float(line.split()[-1])
    return 0.0


async def _run(app: BenchApp, flood: int, i: int) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=app.url, timeout=300, limits=httpx.Limits(max_connections=flood + 5)) as http:
        alone = (await _sign_in(http, "alice", "alice-password", f"192.0.2.{i + 1}"))[1]
        before = _hashed(app)
        guesses = [
            asyncio.create_task(_sign_in(http, f"user{n}", "wrong-password", f"198.51.100.{i + 1}")) for n in range(flood)
        ]
        await asyncio.sleep(FLOOD_HEAD_START_S)  # the guesses are at the server first, as in an attack under way
        real_status, during = await _sign_in(http, "alice", "alice-password", f"192.0.2.{i + 100}")
        statuses = [s for s, _ in await asyncio.gather(*guesses)]
    if real_status != 200:
        raise RuntimeError(f"the real sign-in got {real_status}")
    return {"alone_s": alone, "during_s": during, "refused": statuses.count(429), "hashed": _hashed(app) - before}


async def main_async(quick: bool, flood: int, repeat: int) -> tuple[list[Figure], dict[str, Any]]:
    users = Path(tempfile.mkdtemp(prefix="bench-login-")) / "users.json"
    add_or_update_user(users, "alice", "alice-password")
    with Backend(tokens=10) as backend:
        env = {"BASE_URL": backend.base_url, "AUTH_USERS_FILE": str(users), "CHAINLIT_AUTH_SECRET": SECRET}
        with BenchApp(env) as app:
            runs = [await _run(app, flood, i) for i in range(repeat)]
    alone, during = median([r["alone_s"] for r in runs]), median([r["during_s"] for r in runs])
    hashed = max(r["hashed"] for r in runs)
    figures = [
        Figure("9a", f"Real sign-in during {flood} concurrent bad ones (alone: {alone * 1000:.0f} ms)", during * 1000,
               "ms", "< 3 × alone", check(during < 3 * alone, quick), COMMAND),
        Figure("9b", f"Bad sign-ins of the {flood} that reached the hash", hashed, "", "≤ 50 (the address limit)",
               check(hashed <= 50, quick), COMMAND),
    ]  # fmt: skip
    return figures, {"flood": flood, "runs": runs}


def main(argv: list[str] | None = None) -> int:
    parser = make_parser(__doc__)
    parser.add_argument("--flood", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=None, help="runs (default 5, quick 1)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    flood = 5 if args.quick and args.flood == 40 else args.flood
    figures, details = asyncio.run(main_async(args.quick, flood, args.repeat or (1 if args.quick else 5)))
    report("login", figures, details, quick=args.quick, out=args.out, started=started)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
