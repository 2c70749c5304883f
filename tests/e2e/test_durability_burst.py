"""A burst of 50 sessions, the app killed (`kill -9`) while all of them are answering.

After a restart on the same database, every user message is there, and every answer is there
with the text that streamed before the kill, marked interrupted. The default configuration
(SQLite, no login) and PostgreSQL. The writes of all sessions go through one batching writer
per process (storage/writer.py): this is what it must never lose.
"""

from __future__ import annotations

import asyncio
import json
import signal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.support import postgres
from tests.support.app_process import AppProcess
from tests.support.openai_server import OpenAIServer
from tests.support.sio_client import ChatClient
from tests.support.waiting import until

pytestmark = pytest.mark.e2e

SESSIONS = 50
INTERRUPTED = "*[interrupted: the server stopped before this answer finished]*"  # storage.turns.INTERRUPTED_MARK


class ThreadClient(ChatClient):
    """Learns the id of the thread its messages go to (Chainlit's `first_interaction`)."""

    def __init__(self, base_url: str) -> None:
        super().__init__(base_url)
        self.thread_id: str | None = None
        self.sio.on("first_interaction", self._on_first_interaction)

    async def _on_first_interaction(self, data: dict[str, Any]) -> None:
        self.thread_id = data.get("thread_id")


async def stored_steps(db_url: str) -> dict[str, list[tuple[str, str, Any]]]:
    """thread id → [(type, output, metadata)] of every stored step, oldest first."""
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            found = (
                await conn.execute(
                    text('SELECT "threadId", "type", "output", "metadata" FROM steps ORDER BY "createdAt"')
                )
            ).all()
    finally:
        await engine.dispose()
    threads: dict[str, list[tuple[str, str, Any]]] = {}
    for thread_id, kind, output, metadata in found:
        parsed = json.loads(metadata) if isinstance(metadata, str) else metadata
        threads.setdefault(thread_id, []).append((kind, output or "", parsed or {}))
    return threads


async def burst_killed_mid_answer(env: dict[str, str], backend: OpenAIServer) -> None:
    backend.behaviour.reply = " ".join(f"word{i}" for i in range(2000))
    backend.behaviour.token_delay = 0.02
    with AppProcess(env) as first:
        clients = [ThreadClient(first.url) for _ in range(SESSIONS)]
        for i in range(0, SESSIONS, 10):
            await asyncio.gather(*(c.connect(timeout=60) for c in clients[i : i + 10]))
        await asyncio.gather(*(c.send(f"question {i}", wait=False) for i, c in enumerate(clients)))
        # Every answer has streamed for 1.8 s (20 ms a token): its first checkpoint with text, due one
        # second after the placeholder was stored (before the first text), has had time to commit.
        await asyncio.gather(*(c.wait_tokens(90, timeout=120) for c in clients))
        await until(lambda: all(c.thread_id for c in clients), timeout=30, what="every thread id")
        first.signal(signal.SIGKILL)
        assert first.proc is not None
        first.proc.wait(10)
        await asyncio.gather(*(c.close() for c in clients), return_exceptions=True)
    backend.behaviour.reply = "Understood."
    backend.behaviour.token_delay = 0.0

    with AppProcess(env):  # its start-up sweep marks what the killed process left streaming
        threads = await stored_steps(env["CHAT_DB_URL"])
    for i, client in enumerate(clients):
        assert client.thread_id is not None
        steps = threads.get(client.thread_id, [])
        questions = [output for kind, output, _ in steps if kind == "user_message"]
        answers = [(output, meta) for kind, output, meta in steps if kind == "assistant_message"]
        assert questions == [f"question {i}"], steps
        assert len(answers) == 1, steps
        partial, metadata = answers[0]
        assert partial.startswith("word0") and partial.endswith(INTERRUPTED), partial[:200]
        assert "word1999" not in partial
        assert metadata["turn"]["state"] == "interrupted" and metadata["turn"]["reply"].startswith("word0")


async def test_burst_of_50_killed_mid_answer_sqlite(backend: OpenAIServer, foundry_cache: Path, tmp_path: Path) -> None:
    """The default configuration: SQLite, no login."""
    env = {
        "BASE_URL": backend.base_url,
        "FOUNDRY_CACHE_DIR": str(foundry_cache),
        "CONTEXT_TOKENS": "4096",
        "CHAT_DB_URL": f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}",
        "LIMIT_SESSIONS_PER_CLIENT": "1000",
    }
    await burst_killed_mid_answer(env, backend)


async def test_burst_of_50_killed_mid_answer_postgres(
    pg: postgres.TempPostgres, backend: OpenAIServer, foundry_cache: Path
) -> None:
    env = {
        "BASE_URL": backend.base_url,
        "FOUNDRY_CACHE_DIR": str(foundry_cache),
        "CONTEXT_TOKENS": "4096",
        "CHAT_DB_URL": pg.create_database("burst"),
        "LIMIT_SESSIONS_PER_CLIENT": "1000",
    }
    await burst_killed_mid_answer(env, backend)
