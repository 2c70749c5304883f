"""What real browsers do to a streaming answer (issue 14, items 3 and 9), on the running app:
a tab that closes mid-answer, a reload that comes back in time, and a reader that stops reading.
"""

from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.app_process import AppProcess
from tests.support.openai_server import Behaviour, OpenAIServer
from tests.support.sio_client import ChatClient
from tests.support.stalled_client import StalledClient
from tests.support.waiting import until

pytestmark = pytest.mark.e2e

GRACE = 3.0
LONG = " ".join(f"w{i}" for i in range(400))


@pytest.fixture(scope="module")
def server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as backend:
        yield backend


@pytest.fixture(scope="module")
def db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return Path(tmp_path_factory.mktemp("delivery-db")) / "chat.db"


@pytest.fixture(scope="module")
def app(server: OpenAIServer, db: Path) -> Iterator[AppProcess]:
    env = {
        "BASE_URL": server.base_url,
        "ROUTING_POLICY": "local",
        "DISCONNECT_GRACE": str(GRACE),
        "READ_TIMEOUT": "60",
        "CHAT_DB_URL": f"sqlite+aiosqlite:///{db}",
    }
    with AppProcess(env) as proc:
        yield proc


@pytest.fixture
def backend(server: OpenAIServer) -> Iterator[OpenAIServer]:
    server.behaviour = Behaviour()
    server.received.clear()
    yield server
    server.behaviour = Behaviour()


def answers(db: Path) -> list[dict]:
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            """SELECT "output", "metadata" FROM steps WHERE "type" = 'assistant_message' ORDER BY "createdAt" """
        ).fetchall()
    return [{"output": r[0] or "", **(json.loads(r[1] or "{}").get("turn") or {})} for r in rows]


def answer_to(db: Path, question: str) -> dict:
    found = [a for a in answers(db) if a.get("user") == question]
    return found[-1] if found else {}


async def test_a_tab_closed_mid_answer_stops_the_upstream_request_and_keeps_the_partial_answer(
    app: AppProcess, backend: OpenAIServer, db: Path
) -> None:
    backend.behaviour.reply, backend.behaviour.token_delay = LONG, 0.05  # 20 s of answer
    question = "a long story, then the tab closes"
    client = ChatClient(app.url)
    await client.connect()
    await client.send(question, wait=False)
    await client.wait_tokens(5)
    await client.sio.disconnect()  # the tab closes: no clear_session, the socket just goes
    closed_at = time.monotonic()
    upstream = backend.received[-1]
    await until(lambda: upstream.outcome != "pending", GRACE + 10, what="the upstream request ending")
    stopped_after = time.monotonic() - closed_at
    assert upstream.outcome == "disconnected", upstream
    assert upstream.tokens_sent < 400, upstream.tokens_sent
    stored = await until(lambda: answer_to(db, question).get("state") == "interrupted" and answer_to(db, question), 10,
                         what="the partial answer stored as interrupted")
    assert isinstance(stored, dict) and stored["output"].startswith("w0 w1 w2"), stored
    assert "browser went away" in stored["output"]
    assert "stopping its answer" in app.log()
    print(f"upstream closed {stopped_after:.1f} s after the tab (grace {GRACE:g} s), {upstream.tokens_sent}/400 tokens")


async def test_a_reload_within_the_grace_period_keeps_the_answer_going_and_shows_all_of_it(
    app: AppProcess, backend: OpenAIServer, db: Path
) -> None:
    backend.behaviour.reply, backend.behaviour.token_delay = LONG, 0.005  # 2 s of answer
    question = "a long story, with a reload in the middle"
    client = ChatClient(app.url)
    await client.connect()
    await client.send(question, wait=False)
    await client.wait_tokens(5)
    await client.sio.disconnect()
    again = ChatClient(app.url)
    again.session_id = client.session_id  # the page reconnects with its session id
    await again.connect(chat_start=False)
    await again.wait_task_end(30)
    await again.close()
    assert backend.received[-1].outcome == "completed"
    assert again.turn.assistant_texts()[-1] == LONG, again.turn.assistant_texts()[-1][-80:]
    assert answer_to(db, question).get("state") == "done"


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


async def test_a_reader_that_stops_reading_holds_no_backlog_and_gets_the_final_answer_when_it_returns(
    app: AppProcess, backend: OpenAIServer, db: Path
) -> None:
    word = "x" * 99
    backend.behaviour.reply = " ".join([word] * 20_000)  # a 2 MB answer, as fast as the backend can send it
    question = "a 2 MB answer to a reader that stops reading"
    assert app.proc is not None
    stalled = StalledClient(app.url)
    stalled.connect()
    before = _rss_kib(app.proc.pid)
    stalled.send_message(question)
    stalled.read_until_event("stream_start")  # the answer is on its way; from here nothing is read
    peak = before
    upstream = backend.received[-1]
    deadline = time.monotonic() + 60
    while answer_to(db, question).get("state") != "done":
        peak = max(peak, _rss_kib(app.proc.pid))
        assert time.monotonic() < deadline, f"the answer never finished: {upstream}"
        time.sleep(0.05)
    peak = max(peak, _rss_kib(app.proc.pid))
    stalled.abort()  # the frozen tab's connection finally drops, with frames still queued for it

    again = ChatClient(app.url)
    again.session_id = stalled.session_id
    await again.connect(chat_start=False)
    final = await until(lambda: [t for t in again.turn.assistant_texts() if len(t) > 1_000_000], 10,
                        what="the final answer resent after the reconnect")
    await again.close()
    grew_mib = (peak - before) / 1024
    print(f"app RSS {before / 1024:.0f} MiB before, {peak / 1024:.0f} MiB at peak (+{grew_mib:.1f} MiB) for a 2 MB answer")
    assert final[-1] == backend.behaviour.reply  # type: ignore[index]
    assert upstream.outcome == "completed"  # the stalled reader never held the answer up
    # Measured here: +4..17 MiB with the reader stalled, +41..48 MiB for the same answer read normally
    # (the backlog sits in the kernel's socket buffer; past it chat/delivery.py holds frames back).
    assert grew_mib < 100, f"the app grew {grew_mib:.1f} MiB for one stalled reader"


async def test_a_model_that_thinks_shows_that_it_is_still_working_then_its_answer(
    app: AppProcess, backend: OpenAIServer, db: Path
) -> None:
    backend.behaviour.release = threading.Event()  # headers and the role chunk, then prefill until released
    question = "a question the model reads for a while"
    client = ChatClient(app.url)
    await client.connect()
    await client.send(question, wait=False)
    waiting = await until(lambda: [t for t in client.turn.all_texts() if "Still working" in t], 15,
                          what="a line saying the model is still working")
    backend.behaviour.release.set()
    await client.wait_task_end(30)
    await client.close()
    assert isinstance(waiting, list) and "has not started its answer yet" in waiting[-1]
    answer = client.turn.assistant_texts()[-1]
    assert answer.startswith("Hello from the test server") and "Still working" not in answer, answer
    assert "Still working" not in answer_to(db, question).get("output", "x")
