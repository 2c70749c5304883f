"""Reads without SQLAlchemy's per-statement bookkeeping: the data layer's `SELECT`s, one hop each.

Measured (docs/performance.md, figure 9): with 50 sessions asking at once, the reads a turn's
first write needs (who owns the thread, what it holds) took **2 s** through SQLAlchemy's pooled
`AsyncSession` + aiosqlite: per statement a pool checkout, a greenlet, `BEGIN`/`COMMIT` and three
thread hops, with fifteen aiosqlite threads competing for the GIL. The first text of every answer
waits for that write, so the whole two seconds landed on the time to first token.

- SQLite (`SqliteReader`): two threads, each with its own plain `sqlite3` connection
  (`query_only`; the database is in WAL mode, so reads never wait for the writer's transaction and
  see what it has committed). One statement is one hop to a thread and back.
- PostgreSQL (`AsyncpgReader`): an asyncpg pool on the caller's event loop; JSON and JSONB come back
  decoded, as SQLAlchemy returned them.

Statements use `:name` parameters, as everywhere in `storage/`; `expand` turns a list parameter into
`(:ids_0, :ids_1, …)` for `IN :ids`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
import sqlite3
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

__all__ = ["AsyncpgReader", "Reader", "SqliteReader", "expand", "positional"]

Rows = list[dict[str, Any]]
_PARAM = re.compile(r"(?<![:\w]):([A-Za-z_][A-Za-z0-9_]*)")


def expand(sql: str, params: dict[str, Any], names: Sequence[str]) -> tuple[str, dict[str, Any]]:
    """`IN :ids` with a list → `IN (:ids_0, :ids_1, …)` (an empty list → `IN (NULL)`: matches nothing)."""
    out = {k: v for k, v in params.items() if k not in names}
    for name in names:
        values = list(params[name])
        keys = [f"{name}_{i}" for i in range(len(values))]
        out.update(zip(keys, values, strict=True))
        listed = ", ".join(f":{k}" for k in keys) or "NULL"
        sql = re.sub(rf"(?<![:\w]):{name}\b", f"({listed})", sql)
    return sql, out


def positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """`:name` parameters → asyncpg's `$n`, and the names in order."""
    names: list[str] = []

    def number(match: re.Match[str]) -> str:
        if match.group(1) not in names:
            names.append(match.group(1))
        return f"${names.index(match.group(1)) + 1}"

    return _PARAM.sub(number, sql), tuple(names)


class Reader:
    async def fetch(self, sql: str, params: dict[str, Any]) -> Rows:
        """The rows of one read-only statement, as dicts."""
        raise NotImplementedError

    async def close(self) -> None:
        raise NotImplementedError


class SqliteReader(Reader):
    def __init__(self, path: Path, *, busy_timeout_s: float, threads: int = 2) -> None:
        self.path = path
        self.busy_timeout_s = busy_timeout_s
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="storage-reader")
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(
                self.path, timeout=self.busy_timeout_s, isolation_level=None, check_same_thread=False
            )
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA query_only=1")
            self._local.conn = conn
            with self._lock:
                self._opened.append(conn)
        return conn

    def _fetch(self, sql: str, params: dict[str, Any]) -> Rows:
        try:
            return [dict(row) for row in self._connection().execute(sql, params).fetchall()]
        except sqlite3.Error:
            self._forget()
            raise

    def _forget(self) -> None:
        """A failed statement may mean a broken connection: the next read opens a new one."""
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            with self._lock, contextlib.suppress(ValueError):
                self._opened.remove(conn)
            with contextlib.suppress(sqlite3.Error):
                conn.close()

    async def fetch(self, sql: str, params: dict[str, Any]) -> Rows:
        return await asyncio.get_running_loop().run_in_executor(self._pool, self._fetch, sql, params)

    async def close(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self._pool.shutdown)
        with self._lock:
            opened, self._opened = self._opened, []
        for conn in opened:
            with contextlib.suppress(sqlite3.Error):
                conn.close()


class AsyncpgReader(Reader):
    """A small asyncpg pool, made on first use in the running loop (and again if the loop changed)."""

    def __init__(self, url: str, *, connect_timeout_s: float, size: int = 4) -> None:
        self.dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.connect_timeout_s = connect_timeout_s
        self.size = size
        self._pool: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._opening: asyncio.Lock | None = None
        self._positional: dict[str, tuple[str, tuple[str, ...]]] = {}

    async def _get_pool(self) -> Any:
        loop = asyncio.get_running_loop()
        if self._pool is not None and self._loop is loop:
            return self._pool
        if self._opening is None or self._loop is not loop:
            self._opening, self._loop, self._pool = asyncio.Lock(), loop, None
        async with self._opening:
            if self._pool is None:
                import asyncpg

                self._pool = await asyncpg.create_pool(
                    self.dsn, min_size=1, max_size=self.size, timeout=self.connect_timeout_s, init=_decode_json
                )
        return self._pool

    def _to_positional(self, sql: str) -> tuple[str, tuple[str, ...]]:
        found = self._positional.get(sql)
        if found is None:
            found = positional(sql)
            if len(self._positional) < 1000:
                self._positional[sql] = found
        return found

    async def fetch(self, sql: str, params: dict[str, Any]) -> Rows:
        pool = await self._get_pool()
        query, names = self._to_positional(sql)
        found = await pool.fetch(query, *(params[n] for n in names))
        return [dict(row) for row in found]

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None and self._loop is asyncio.get_running_loop():
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pool.close(), 5)
        elif pool is not None:
            pool.terminate()


async def _decode_json(conn: Any) -> None:
    for name in ("json", "jsonb"):
        await conn.set_type_codec(
            name, encoder=lambda v: v if isinstance(v, str) else json.dumps(v), decoder=json.loads, schema="pg_catalog"
        )
