"""The scripted OpenAI-compatible server as a process: `python -m bench._backend --tokens 50 ...`.

Prints `serving <base_url>` once listening, then serves until its stdin closes or it gets SIGTERM.
Every answer is `--tokens` words (one streamed chunk each), after `--first-token-delay` seconds,
`--token-delay` seconds apart.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.support.openai_server import Behaviour, OpenAIServer  # noqa: E402

WORDS = (
    "Local models answer from your own machine, so the text streams as fast as the engine can "
    "produce it and nothing leaves the computer unless the router decides it should."
).split()


def reply(tokens: int) -> str:
    """`tokens` words of plain prose (the server streams one word per chunk)."""
    return " ".join(WORDS[i % len(WORDS)] for i in range(tokens))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tokens", type=int, default=50)
    parser.add_argument("--first-token-delay", type=float, default=0.0)
    parser.add_argument("--token-delay", type=float, default=0.0)
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    behaviour = Behaviour(
        reply=reply(args.tokens), first_token_delay=args.first_token_delay, token_delay=args.token_delay
    )
    server = OpenAIServer(behaviour).start(args.port)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())

    def wait_for_eof() -> None:
        sys.stdin.read()
        done.set()

    threading.Thread(target=wait_for_eof, daemon=True).start()
    print(f"serving {server.base_url}", flush=True)
    done.wait()
    server.stop()


if __name__ == "__main__":
    main()
