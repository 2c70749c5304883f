"""Chainlit's SQLAlchemy data layer, made to report failed writes and to keep every user to their own threads.

What `chainlit/data/sql_alchemy.py` (2.12) does that this class changes:

- `execute_sql` logs any database error as a warning and returns None, so every write "succeeds".
  Here each failure is counted (`storage.health`), logged once per burst on `foundry_chat.storage`, and
  the app's own writes (`storage.turns`) raise, so the user is told.
- It authorizes nothing itself: `PUT`/`DELETE /feedback` reach it for any step of any user, a step
  upsert with another thread's step id moves that step, `delete_step` deletes by id alone, and
  `update_thread(user_id=...)` re-assigns a thread. Here every read and write is checked against
  the caller (`storage.guard`), ids must be UUIDs, and upserts never cross threads.
- `get_all_user_threads` pastes thread ids into SQL (`IN ('a','b')`); a client picks its thread
  id when it connects, so that is an injection. Here every value is a bound parameter.
- It binds Python lists (thread tags, which Chainlit sets on the first message because
  `auto_tag_thread` is on) and dicts (`modes`) as parameters, which SQLite rejects, losing the
  thread's owner and name. Here they are stored as JSON text on SQLite.
- It writes the whole user session into thread metadata; here it passes `sanitize_session_metadata`.
- Its `__init__` logs a warning when no file storage is configured, and `create_element` another
  for every element; attachments are not stored here (no file storage), said once at INFO.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, TypeVar, cast

from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.data.utils import queue_until_user_message
from chainlit.types import Feedback, PaginatedResponse, Pagination, ThreadDict, ThreadFilter
from chainlit.user import PersistedUser, User
from sqlalchemy import bindparam, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import sessionmaker

from storage import _rows as rows
from storage import feedback as feedback_rows
from storage import thread_reads, thread_writes
from storage.guard import acting_as, caller, caller_user
from storage.health import PersistenceError, StorageHealth, is_write
from storage.lane import Held, Lane
from storage.reader import AsyncpgReader, Reader, SqliteReader, expand
from storage.schema import PG_CONNECT_TIMEOUT_S, SQLITE_BUSY_TIMEOUT_S, create_engine_for, sqlite_path
from storage.thread_changes import THREAD_READ, Known
from storage.writer import AsyncpgWriter, GroupFailed, SqliteWriter, Statement, Writer

__all__ = ["FoundryDataLayer", "IsolationError", "PersistenceError"]

log = logging.getLogger("foundry_chat.storage")


_F = TypeVar("_F", bound=Callable[..., Any])


def _queued(method: _F) -> _F:
    """Chainlit's `queue_until_user_message`: a session's writes wait for its first message (no empty threads)."""
    return cast(_F, queue_until_user_message()(method))  # type: ignore[no-untyped-call]


class IsolationError(PermissionError):
    """A caller tried to touch a thread, step or feedback that is not theirs (or used a malformed id)."""


class FoundryDataLayer(SQLAlchemyDataLayer):
    """`@cl.data_layer` for SQLite (aiosqlite) or PostgreSQL (asyncpg); the schema comes from `ensure_schema`."""

    def __init__(self, url: str, *, user_thread_limit: int = 1000, max_message_chars: int | None = None) -> None:
        # Not super().__init__: it logs a warning when no file storage is configured.
        self._conninfo = url
        self.max_message_chars = max_message_chars
        """MAX_INPUT_CHARS: a longer user message is refused by the app, so only a preview is stored."""
        self.dialect = make_url(url).get_backend_name()
        self.user_thread_limit = user_thread_limit
        self.show_logger = False
        self.storage_provider = None
        self.engine = create_engine_for(url)
        self.async_session = sessionmaker(bind=self.engine, expire_on_commit=False, class_=AsyncSession)  # type: ignore[call-overload]
        self.stats = StorageHealth()
        self.skipped_elements = 0
        self.known = Known()
        """Owned threads' rows and users' identifiers: a turn's writes need no reads (storage/thread_changes.py)."""
        path = sqlite_path(url)
        self.writer: Writer = (
            SqliteWriter(path, busy_timeout_s=SQLITE_BUSY_TIMEOUT_S)
            if path is not None
            else AsyncpgWriter(url, connect_timeout_s=PG_CONNECT_TIMEOUT_S)
        )
        self.reader: Reader = (
            SqliteReader(path, busy_timeout_s=SQLITE_BUSY_TIMEOUT_S)
            if path is not None
            else AsyncpgReader(url, connect_timeout_s=PG_CONNECT_TIMEOUT_S)
        )
        self.lane = Lane(self._write_held)
        """Chainlit's own writes, held until the app's next write to the thread (storage/lane.py)."""
        self._written: dict[str, int] = {}
        """step id → hash of what was last stored: Chainlit upserts again what the app just stored."""
        self._threads: set[str] = set()
        """Threads whose row this process has committed: their steps need no "thread row" statement."""
        self._reading: dict[str, asyncio.Future[dict[str, Any] | None]] = {}
        """thread id → its row's read in flight: writes that start together share one read."""

    async def close(self) -> None:
        await self.lane.flush()
        await self.writer.close()
        await self.reader.close()
        await self.engine.dispose()

    # --- health ---------------------------------------------------------------------------------
    def health(self) -> dict[str, Any]:
        """`ok`, a `detail` line, failure counters and the last error (see `StorageHealth.summary`)."""
        return self.stats.summary()

    async def check(self) -> dict[str, Any]:
        """Probe the database (`SELECT 1`) and return `health()`: for `/readyz`."""
        try:
            await self._run("SELECT 1", {})
        except PersistenceError:
            pass
        return self.health()

    def _refuse(self, what: str) -> IsolationError:
        self.stats.refused += 1
        log.warning("storage: refused: %s (caller %r)", what, caller())
        return IsolationError(what)

    # --- SQL ------------------------------------------------------------------------------------
    async def _run(self, query: str, parameters: dict[str, Any], *, expanding: tuple[str, ...] = ()) -> Any:
        """Run one statement; rows as dicts, or the row count. Raises PersistenceError.

        `SELECT`s go to the reader (`storage.reader`: plain sqlite3 threads, or an asyncpg pool), other
        reads to the engine's pool; writes go to the process's one writer (`storage.writer`),
        which commits them with whatever other sessions are writing at the same moment.
        """
        if is_write(query) and not expanding:
            return (await self._write([(query, parameters)]))[0]
        parameters = {k: rows.storable(v) if isinstance(v, str) else v for k, v in parameters.items()}
        if query.lstrip()[:6].lower() == "select":  # the fast path: storage/reader.py
            try:
                sql, params = expand(query, parameters, expanding) if expanding else (query, parameters)
                out: Any = await self.reader.fetch(sql, params)
            except Exception as exc:
                raise self.stats.failure(query, exc) from exc
            self.stats.success(query)
            return out
        statement = text(query)
        if expanding:
            statement = statement.bindparams(*(bindparam(name, expanding=True) for name in expanding))
        try:
            async with self.async_session() as session:
                async with session.begin():
                    result = await session.execute(statement, parameters)
                    out = (
                        self.clean_result([dict(r._mapping) for r in result.fetchall()])  # type: ignore[no-untyped-call]
                        if result.returns_rows
                        else result.rowcount
                    )
        except Exception as exc:
            raise self.stats.failure(query, exc) from exc
        self.stats.success(query)
        return out

    async def execute_sql(self, query: str, parameters: dict) -> Any:  # type: ignore[type-arg]
        """Chainlit's contract (None on failure), with the failure recorded instead of only logged."""
        try:
            return await self._run(query, parameters)
        except PersistenceError:
            return None

    async def _write(self, group: list[Statement]) -> list[int]:
        """Commit `group` as one unit (batched with other sessions' writes); each statement's row count."""
        group = [(q, {k: rows.storable(v) if isinstance(v, str) else v for k, v in p.items()}) for q, p in group]
        try:
            counts = await self.writer.submit(group)
        except GroupFailed as exc:
            raise self.stats.failure(exc.query, exc.error) from exc
        except Exception as exc:
            raise self.stats.failure(group[0][0], exc) from exc
        self.stats.success(group[0][0])
        return counts

    async def get_current_timestamp(self) -> str:
        return rows.now_iso()

    # --- ownership ------------------------------------------------------------------------------
    async def _thread_row(self, thread_id: str) -> dict[str, Any] | None:
        """The stored row of a thread ("userId", "userIdentifier", "name", "metadata"), or None; owned
        threads come from what this process knows (`storage.thread_changes.Known`) without a read."""
        cached, known = self.known.lookup(thread_id)
        if cached:
            return known
        if (reading := self._reading.get(thread_id)) is not None:  # a first message's writes start together
            return await asyncio.shield(reading)
        reading = self._reading[thread_id] = asyncio.ensure_future(self._read_thread_row(thread_id))
        return await asyncio.shield(reading)

    async def _read_thread_row(self, thread_id: str) -> dict[str, Any] | None:
        try:
            found = await self._run(THREAD_READ, {"id": thread_id})
        finally:
            self._reading.pop(thread_id, None)
        row = dict(found[0]) if found else None
        self.known.keep(thread_id, row)
        return row

    async def _thread_owner(self, thread_id: str) -> tuple[bool, str | None, str | None]:
        """(exists, userId, userIdentifier) of a thread."""
        row = await self._thread_row(thread_id)
        return (False, None, None) if row is None else (True, row["userId"], row["userIdentifier"])

    async def _check_access(self, thread_id: str, row: dict[str, Any] | None = None) -> None:
        """Raise IsolationError when a known caller is not the owner of an existing, owned thread
        (`row`: the thread's row when the caller has just read it)."""
        who = caller()
        if who is None:
            return
        owner = (row if row is not None else await self._thread_row(thread_id) or {}).get("userIdentifier")
        if owner is not None and owner != who:
            raise self._refuse(f"thread {thread_id} belongs to another user")

    async def _may_read(self, thread: dict[str, Any] | None) -> bool:
        who = caller()
        return thread is not None and (who is None or thread.get("userIdentifier") == who)

    # --- users and threads ----------------------------------------------------------------------
    async def get_user(self, identifier: str) -> PersistedUser | None:
        """Chainlit's read, answered from what this process read or wrote in the last `USER_FOR_S`."""
        if (known := self.known.user(identifier)) is not None:
            return cast(PersistedUser, known)
        user = await super().get_user(identifier)
        if user is not None:
            self.known.keep_user(user)
        return user

    async def create_user(self, user: User) -> PersistedUser | None:
        """Chainlit's create-or-update (every connect), with no write and no read when nothing changed."""
        known = self.known.user(user.identifier)
        if known is not None and known.metadata == (user.metadata or {}):
            return cast(PersistedUser, known)
        self.known.forget_user(user.identifier)
        await super().create_user(user)  # its last read may be the cached row from before its own write
        self.known.forget_user(user.identifier)
        return await self.get_user(user.identifier)

    async def get_thread_author(self, thread_id: str) -> str:
        """The owner's identifier; "" for a thread that does not exist (Chainlit's ACL answers 404)."""
        if not rows.is_id(thread_id):
            return ""
        try:
            await self.settle()
            _, _, owner = await self._thread_owner(thread_id)
        except PersistenceError:
            return ""
        return owner or ""

    async def get_thread(self, thread_id: str) -> ThreadDict | None:
        if not rows.is_id(thread_id):
            return None
        try:
            threads = await self.load_threads('WHERE t."id" = :id', {"id": thread_id}, with_steps=True)
        except PersistenceError:
            return None
        thread = threads[0] if threads else None
        return cast(ThreadDict, thread) if await self._may_read(thread) else None

    async def get_all_user_threads(
        self, user_id: str | None = None, thread_id: str | None = None
    ) -> list[ThreadDict] | None:
        """Chainlit's helper, with bound parameters instead of ids pasted into SQL."""
        try:
            return await self.load_threads(  # type: ignore[return-value]  # ThreadDict is a TypedDict
                'WHERE t."userId" = :user_id OR t."id" = :thread_id',
                {"user_id": user_id, "thread_id": thread_id},
                with_steps=True,
            )
        except PersistenceError:
            return None

    async def load_threads(self, where: str, params: dict[str, Any], *, with_steps: bool) -> list[dict[str, Any]]:
        """Threads matching `where` (a condition on `t`), newest first (`storage.thread_reads`)."""
        await self.settle()
        return await thread_reads.load_threads(self, where, params, with_steps=with_steps)

    async def list_threads(self, pagination: Pagination, filters: ThreadFilter) -> PaginatedResponse:  # type: ignore[type-arg]
        """The caller's threads only, newest activity first, without steps (`storage.thread_reads`)."""
        await self.settle()
        return await thread_reads.list_threads(self, pagination, filters)

    async def update_thread(
        self,
        thread_id: str,
        name: str | None = None,
        user_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
    ) -> None:
        """Chainlit's call: held (storage/lane.py), written with the app's next write to the thread."""
        changes = {"name": name, "user_id": user_id, "metadata": dict(metadata) if metadata else metadata, "tags": tags}
        user = caller_user()
        self.lane.hold_thread(thread_id, changes, caller(), user)

    async def settle(self) -> None:
        """Commit what the lane holds (and wait for its flushes under way): before any read of threads
        or steps, so that a read sees every write asked for before it."""
        if self.lane.pending:
            await self.lane.flush()

    async def write_thread(self, thread_id: str, **changes: Any) -> None:
        """Create or update a thread (Chainlit's `update_thread` semantics); raises on failure or refusal.

        `changes`: `name`, `name_if_missing`, `user_id`, `metadata`, `tags` (see `storage.thread_changes.plan`).
        """
        await self.write_together(thread_id, changes, [])

    async def write_together(self, thread_id: str, thread: dict[str, Any] | None, steps: list[dict[str, Any]]) -> None:
        """A thread's changes (`write_thread`'s arguments; None: none) and steps of it, in one commit,
        with whatever of Chainlit's the lane holds for the thread and caller. Raises on failure or refusal.

        The thread's row is read once, if this process does not know it already (`_thread_row`).
        """
        if own := {str(step.get("id")) for step in steps}:
            self.lane.supersede(own)  # the app's copies are the newer
        held = self.lane.take(thread_id, caller())
        mine = [thread] if thread is not None else []
        if held is not None:
            try:
                await thread_writes.commit(self, thread_id, [*held.changes, *mine], held, steps)
                return
            except (PersistenceError, IsolationError):
                # Chainlit's part may be what failed: it alone, as it would have been, then the app's alone
                with contextlib.suppress(PersistenceError, IsolationError):
                    await thread_writes.commit(self, thread_id, held.changes, held, [])
        await thread_writes.commit(self, thread_id, mine, None, steps)

    async def _write_held(self, held: Held) -> None:
        """The lane's flush of one thread: as the user who asked for it."""
        with acting_as(held.user):
            await thread_writes.commit(self, held.thread_id, held.changes, held, [])

    async def delete_thread(self, thread_id: str) -> None:
        if not rows.is_id(thread_id):
            return
        self.lane.forget_thread(thread_id)
        try:
            await self._check_access(thread_id)
            for query in (
                'DELETE FROM feedbacks WHERE "threadId" = :id'
                ' OR "forId" IN (SELECT "id" FROM steps WHERE "threadId" = :id)',
                'DELETE FROM elements WHERE "threadId" = :id',
                'DELETE FROM steps WHERE "threadId" = :id',
                'DELETE FROM threads WHERE "id" = :id',
            ):
                await self._run(query, {"id": thread_id})
        except (PersistenceError, IsolationError):
            return
        self.known.forget(thread_id)
        self._written.clear()
        self._threads.discard(thread_id)

    # --- steps ----------------------------------------------------------------------------------
    async def write_step(self, step_dict: dict[str, Any]) -> None:
        """Upsert one step; raises PersistenceError / IsolationError (the app's own writes use this)."""
        await self.write_together(str(step_dict.get("threadId")), None, [step_dict])

    @_queued
    async def create_step(self, step_dict: dict[str, Any]) -> None:
        """Chainlit's call: held (storage/lane.py), written with the app's next write to the thread."""
        self.lane.hold_step(step_dict, caller(), caller_user())

    @_queued
    async def update_step(self, step_dict: dict[str, Any]) -> None:
        self.lane.hold_step(step_dict, caller(), caller_user())

    @_queued
    async def delete_step(self, step_id: str) -> None:
        try:
            await self.remove_step(step_id)
        except (PersistenceError, IsolationError):
            pass

    async def remove_step(self, step_id: str) -> None:
        if not rows.is_id(step_id):
            raise self._refuse(f"malformed step id {step_id[:60]!r}")
        self.lane.supersede({step_id})  # a held create must not bring it back
        found = await self._run('SELECT "threadId" FROM steps WHERE "id" = :id', {"id": step_id})
        if not found:
            return
        await self._check_access(found[0]["threadId"])
        self._written.pop(step_id, None)
        for query in (
            'DELETE FROM feedbacks WHERE "forId" = :id',
            'DELETE FROM elements WHERE "forId" = :id',
            'DELETE FROM steps WHERE "id" = :id',
        ):
            await self._run(query, {"id": step_id})

    async def get_favorite_steps(self, user_id: str) -> list[dict[str, Any]]:  # type: ignore[override]
        await self.settle()
        return await thread_reads.favorite_steps(self, user_id)

    # --- feedback (storage/feedback.py) -----------------------------------------------------------
    async def upsert_feedback(self, feedback: Feedback) -> str:
        await self.settle()  # the step it is for may still be held
        return await feedback_rows.upsert_feedback(self, feedback)

    async def delete_feedback(self, feedback_id: str) -> bool:
        return await feedback_rows.delete_feedback(self, feedback_id)

    # --- elements -------------------------------------------------------------------------------
    async def get_element(self, thread_id: str, element_id: str) -> Any:
        if not rows.is_id(thread_id) or not rows.is_id(element_id):
            return None
        try:
            await self._check_access(thread_id)
        except (IsolationError, PersistenceError):
            return None
        return await super().get_element(thread_id, element_id)

    @_queued
    async def create_element(self, element: Any) -> None:
        if self.storage_provider is None:
            self.skipped_elements += 1
            if self.skipped_elements == 1:
                log.info("storage: attachments and side elements are not stored (no file storage configured)")
            return
        await super().create_element(element)
