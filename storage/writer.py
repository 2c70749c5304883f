"""One writer per process: every session's database writes, batched into one transaction.

Measured before this existed (docs/performance.md): each statement ran in its own pooled
connection and transaction, ~1.5–2 ms of SQLAlchemy and driver work each on the event loop, ~25
statements per turn (Chainlit's own step and thread upserts included), and on SQLite up to 15
pooled connections queueing on the one write lock. Fifty sessions then spent seconds of the event
loop on bookkeeping, in front of their first tokens.

Here a write is a *group* of statements that must commit together (a step upsert and the thread
row it needs, say). `submit(group)` queues it and waits until it is committed; the writer takes
whatever groups are waiting, runs them all in **one** transaction and resolves them together. A
group that fails is isolated: the batch is rolled back and its groups are run again one by one, so
one bad write never takes the others with it, and each caller gets its own error.

- SQLite (`SqliteWriter`): a dedicated thread with its own `sqlite3` connection; the event loop
  only queues and is woken by the result. `synchronous=NORMAL` in write-ahead-log mode: a commit
  survives a crash or `kill -9` of the process; on power loss or an OS crash the last commits
  (those not yet checkpointed into the database file) can be lost, never corrupted.
- PostgreSQL (`SqlAlchemyWriter`): one asyncio task on the app's engine, one transaction a batch
  (at most `pool_size` connections remain for reads).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

__all__ = ["MAX_BATCH", "GroupFailed", "SqlAlchemyWriter", "SqliteWriter", "Statement", "Writer"]

log = logging.getLogger("foundry_chat.storage")

Statement = tuple[str, dict[str, Any]]
"""SQL with `:name` parameters, and the parameters."""
MAX_BATCH = 256
"""Groups in one transaction at most: bounds a transaction's size when a burst queues many."""


class GroupFailed(Exception):
    """A group's statement failed: `query` is the statement, `__cause__` the driver's error."""

    def __init__(self, query: str, exc: BaseException) -> None:
        super().__init__(f"{type(exc).__name__}: {exc}")
        self.query = query
        self.error = exc


@dataclass
class _Job:
    group: Sequence[Statement]
    loop: asyncio.AbstractEventLoop
    future: asyncio.Future[list[int]]
    result: list[int] | BaseException | None = field(default=None)


def _resolve(job: _Job) -> None:
    if job.future.done():
        return  # the caller gave up (cancelled): the write stands, nobody waits for it
    if isinstance(job.result, BaseException):
        job.future.set_exception(job.result)
    else:
        job.future.set_result(job.result or [])


class Writer:
    """`submit(group)` → the row count of each statement, once committed; raises `GroupFailed`."""

    async def submit(self, group: Sequence[Statement]) -> list[int]:
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class SqliteWriter(Writer):
    def __init__(self, path: Path, *, busy_timeout_s: float) -> None:
        self.path = path
        self.busy_timeout_s = busy_timeout_s
        self.batches = 0
        self.groups = 0
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    async def submit(self, group: Sequence[Statement]) -> list[int]:
        loop = asyncio.get_running_loop()
        job = _Job(group, loop, loop.create_future())
        self._start()
        self._queue.put(job)
        return await job.future

    def _start(self) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._serve, name="storage-writer", daemon=True)
                self._thread.start()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=self.busy_timeout_s, isolation_level=None, check_same_thread=False)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    def _serve(self) -> None:
        conn: sqlite3.Connection | None = None
        while True:
            first = self._queue.get()
            if first is None:
                break
            jobs = [first]
            stop = False
            while len(jobs) < MAX_BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    stop = True
                    break
                jobs.append(more)
            try:
                if conn is None:
                    conn = self._connect()
                self._apply(conn, jobs)
            except Exception as exc:  # cannot even open the database: every job fails with the reason
                for job in jobs:
                    job.result = GroupFailed("BEGIN", exc)
                with contextlib.suppress(Exception):
                    if conn is not None:
                        conn.close()
                conn = None
            for job in jobs:
                with contextlib.suppress(RuntimeError):  # the loop is closed: nobody to tell
                    job.loop.call_soon_threadsafe(_resolve, job)
            if stop:
                break
        if conn is not None:
            conn.close()

    def _apply(self, conn: sqlite3.Connection, jobs: list[_Job]) -> None:
        self.batches += 1
        self.groups += len(jobs)
        try:
            conn.execute("BEGIN IMMEDIATE")
            for job in jobs:
                job.result = [self._execute(conn, sql, params) for sql, params in job.group]
            conn.execute("COMMIT")
            return
        except _Failed as failed:
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            if len(jobs) == 1:
                jobs[0].result = failed.error
                return
        except sqlite3.Error as exc:  # BEGIN or COMMIT: the whole batch, as one
            with contextlib.suppress(sqlite3.Error):
                conn.execute("ROLLBACK")
            if len(jobs) == 1:
                jobs[0].result = GroupFailed("COMMIT", exc)
                return
        for job in jobs:  # isolate the failure: each group alone
            self._apply(conn, [job])

    @staticmethod
    def _execute(conn: sqlite3.Connection, sql: str, params: dict[str, Any]) -> int:
        try:
            return conn.execute(sql, params).rowcount
        except sqlite3.Error as exc:
            raise _Failed(GroupFailed(sql, exc)) from exc

    async def close(self) -> None:
        thread = self._thread
        if thread is None or not thread.is_alive():
            return
        self._queue.put(None)
        await asyncio.get_running_loop().run_in_executor(None, thread.join)


class _Failed(Exception):
    def __init__(self, error: GroupFailed) -> None:
        super().__init__(str(error))
        self.error = error


class SqlAlchemyWriter(Writer):
    """The same batching as `SqliteWriter`, as one task on an async engine (PostgreSQL)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.batches = 0
        self.groups = 0
        self._queue: asyncio.Queue[_Job] | None = None
        self._task: asyncio.Task[None] | None = None

    async def submit(self, group: Sequence[Statement]) -> list[int]:
        loop = asyncio.get_running_loop()
        if self._queue is None or self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._queue = asyncio.Queue()
            self._task = loop.create_task(self._serve(self._queue), name="storage-writer")
        job = _Job(group, loop, loop.create_future())
        self._queue.put_nowait(job)
        return await job.future

    async def _serve(self, jobs_in: asyncio.Queue[_Job]) -> None:
        while True:
            jobs = [await jobs_in.get()]
            while len(jobs) < MAX_BATCH and not jobs_in.empty():
                jobs.append(jobs_in.get_nowait())
            try:
                await self._apply(jobs)
            except BaseException as exc:  # cancelled (shutdown) included: no caller is left waiting
                for job in jobs:
                    job.result = job.result if isinstance(job.result, BaseException) else GroupFailed("BEGIN", exc)
                    _resolve(job)
                if not isinstance(exc, Exception):
                    raise
                continue
            for job in jobs:
                _resolve(job)

    async def _apply(self, jobs: list[_Job]) -> None:
        self.batches += 1
        self.groups += len(jobs)
        failed: GroupFailed | None = None
        try:
            async with self.engine.begin() as conn:
                for job in jobs:
                    counts = []
                    for sql, params in job.group:
                        try:
                            result = await conn.execute(text(sql), params)
                        except Exception as exc:
                            failed = GroupFailed(sql, exc)
                            raise
                        counts.append(result.rowcount)
                    job.result = counts
            return
        except Exception as exc:
            if len(jobs) == 1:
                jobs[0].result = failed or GroupFailed("COMMIT", exc)
                return
        for job in jobs:
            job.result = None
            await self._apply([job])

    async def close(self) -> None:
        if self._task is not None and not self._task.done():
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, RuntimeError):
                await self._task
