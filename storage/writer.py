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
- PostgreSQL (`AsyncpgWriter`): a dedicated thread running its own event loop with one asyncpg
  connection, one transaction a batch; the engine's pool serves reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import queue
import re
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

__all__ = ["MAX_BATCH", "AsyncpgWriter", "GroupFailed", "SqliteWriter", "Statement", "Writer"]

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


def _tell(jobs: list[_Job]) -> None:
    """Resolve a batch's jobs with one wake-up of each caller's loop, not one per job: a batch of fifty
    sessions' writes was fifty `call_soon_threadsafe`s (a self-pipe write and a loop pass each)."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
    for job in jobs:
        by_loop.setdefault(job.loop, []).append(job)
    for loop, waiting in by_loop.items():
        with contextlib.suppress(RuntimeError):  # the loop is closed: nobody to tell
            loop.call_soon_threadsafe(_resolve_all, waiting)


def _resolve_all(jobs: list[_Job]) -> None:
    for job in jobs:
        _resolve(job)


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
            _tell(jobs)
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


class AsyncpgWriter(Writer):
    """The same batching as `SqliteWriter`, in a thread with its own event loop and asyncpg connection.

    Plain asyncpg, not SQLAlchemy: its per-statement work on the event loop was what made batches
    of fifty sessions lag behind the one-second checkpoints. Statements keep their `:name`
    parameters (shared with the SQLite writer) and are rewritten to `$n` once per SQL text.
    """

    def __init__(self, url: str, *, connect_timeout_s: float) -> None:
        self.dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.connect_timeout_s = connect_timeout_s
        self.batches = 0
        self.groups = 0
        self._conn: Any = None
        self._positional: dict[str, tuple[str, tuple[str, ...]]] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._queue: asyncio.Queue[_Job | None] | None = None

    async def submit(self, group: Sequence[Statement]) -> list[int]:
        loop = asyncio.get_running_loop()
        job = _Job(group, loop, loop.create_future())
        writer_loop, jobs = self._start()
        writer_loop.call_soon_threadsafe(jobs.put_nowait, job)
        return await job.future

    def _start(self) -> tuple[asyncio.AbstractEventLoop, asyncio.Queue[_Job | None]]:
        """The writer's own thread and event loop: a busy app loop must not pace its round trips
        (one loop iteration per statement made a 50-session batch take seconds)."""
        with self._lock:
            if self._thread is None or not self._thread.is_alive() or self._loop is None or self._queue is None:
                started = threading.Event()

                def run() -> None:
                    self._loop = asyncio.new_event_loop()
                    self._queue = asyncio.Queue()
                    started.set()
                    try:
                        self._loop.run_until_complete(self._serve(self._queue))
                    finally:
                        self._loop.run_until_complete(self._drop())
                        self._loop.close()

                self._thread = threading.Thread(target=run, name="storage-writer", daemon=True)
                self._thread.start()
                started.wait()
            assert self._loop is not None and self._queue is not None
            return self._loop, self._queue

    async def _serve(self, jobs_in: asyncio.Queue[_Job | None]) -> None:
        while True:
            first = await jobs_in.get()
            if first is None:
                return
            jobs, stop = [first], False
            while len(jobs) < MAX_BATCH and not jobs_in.empty():
                more = jobs_in.get_nowait()
                if more is None:
                    stop = True
                    break
                jobs.append(more)
            try:
                await self._apply(jobs)
            except Exception as exc:  # cannot connect: every job fails with the reason
                for job in jobs:
                    job.result = job.result if isinstance(job.result, BaseException) else GroupFailed("BEGIN", exc)
                await self._drop()
            _tell(jobs)
            if stop:
                return

    async def _connection(self) -> Any:
        if self._conn is None or self._conn.is_closed():
            import asyncpg

            self._conn = await asyncpg.connect(self.dsn, timeout=self.connect_timeout_s)
        return self._conn

    async def _drop(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.terminate()

    def _to_positional(self, sql: str) -> tuple[str, tuple[str, ...]]:
        found = self._positional.get(sql)
        if found is None:
            names: list[str] = []

            def number(match: re.Match[str]) -> str:
                if match.group(1) not in names:
                    names.append(match.group(1))
                return f"${names.index(match.group(1)) + 1}"

            found = (_PARAM.sub(number, sql), tuple(names))
            if len(self._positional) < 1000:
                self._positional[sql] = found
        return found

    async def _apply(self, jobs: list[_Job]) -> None:
        self.batches += 1
        self.groups += len(jobs)
        conn = await self._connection()
        failed: GroupFailed | None = None
        try:
            async with conn.transaction():
                for job in jobs:
                    counts = []
                    for sql, params in job.group:
                        positional, names = self._to_positional(sql)
                        try:
                            status = await conn.execute(positional, *(params[n] for n in names))
                        except Exception as exc:
                            failed = GroupFailed(sql, exc)
                            raise
                        counts.append(_rowcount(status))
                    job.result = counts
            return
        except Exception as exc:
            if conn.is_closed():
                await self._drop()
            if len(jobs) == 1:
                jobs[0].result = failed or GroupFailed("COMMIT", exc)
                return
        for job in jobs:
            job.result = None
            await self._apply([job])

    async def close(self) -> None:
        thread, loop, jobs = self._thread, self._loop, self._queue
        if thread is None or not thread.is_alive() or loop is None or jobs is None:
            return
        loop.call_soon_threadsafe(jobs.put_nowait, None)  # after what is queued: it is committed first
        await asyncio.get_running_loop().run_in_executor(None, thread.join)


_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")


def _rowcount(status: str) -> int:
    """The row count in a command tag: "INSERT 0 1" → 1, "UPDATE 3" → 3."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0
