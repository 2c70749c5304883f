"""Poll a URL until stdin closes, then print the latencies as one JSON line.

    python -m bench._probe http://127.0.0.1:8080/healthz --interval 0.02

Runs in its own process so that the probe's own event loop is not slowed by the socket.io clients
of the benchmark: what it measures is the app's answer time (plus loopback). One keep-alive
connection, like a load balancer's health checker.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time

import httpx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("url")
    parser.add_argument("--interval", type=float, default=0.02)
    args = parser.parse_args()
    done = threading.Event()

    def wait_for_eof() -> None:
        sys.stdin.read()
        done.set()

    threading.Thread(target=wait_for_eof, daemon=True).start()
    latencies: list[float] = []
    failures = 0
    with httpx.Client(timeout=5.0) as client:
        try:
            client.get(args.url)  # connect first, so that the samples time the answer, not the TCP handshake
        except httpx.HTTPError:
            pass
        print("probing", flush=True)
        while True:  # at least one sample, however short the run
            started = time.perf_counter()
            try:
                ok = client.get(args.url).status_code == 200
            except httpx.HTTPError:
                ok = False
            if ok:
                latencies.append((time.perf_counter() - started) * 1000)
            else:
                failures += 1
            if done.wait(args.interval):
                break
    print(json.dumps({"latencies_ms": [round(x, 3) for x in latencies], "failures": failures}), flush=True)


if __name__ == "__main__":
    main()
