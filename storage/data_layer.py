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
from storage import thread_reads
from storage.guard import caller
from storage.health import PersistenceError, StorageHealth, is_write
from storage.reader import AsyncpgReader, Reader, SqliteReader, expand
from storage.schema import PG_CONNECT_TIMEOUT_S, SQLITE_BUSY_TIMEOUT_S, create_engine_for, sqlite_path
from storage.thread_changes import THREAD_READ, Known, Refused, plan
from storage.writer import AsyncpgWriter, GroupFailed, SqliteWriter, Statement, Writer

__all__ = ["FoundryDataLayer", "IsolationError", "PersistenceError"]

log = logging.getLogger("foundry_chat.storage")
_OWNER_CACHE_MAX = 10_000


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
        self._written: dict[str, int] = {}
        """step id → hash of what was last stored: Chainlit upserts again what the app just stored."""
        self._threads: set[str] = set()
        self._reading: dict[str, asyncio.Future[dict[str, Any] | None]] = {}
        """thread id → its row's read in flight: writes that start together share one read."""
        """Threads whose row this process has committed: their steps need no "thread row" statement."""

    async def close(self) -> None:
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
        return await thread_reads.load_threads(self, where, params, with_steps=with_steps)

    async def list_threads(self, pagination: Pagination, filters: ThreadFilter) -> PaginatedResponse:  # type: ignore[type-arg]
        """The caller's threads only, newest activity first, without steps (`storage.thread_reads`)."""
        return await thread_reads.list_threads(self, pagination, filters)

    async def update_thread(
        self,
        thread_id: str,
        name: str | None = None,
        user_id: str | None = None,
        metadata: dict[str, Any] | None = None,
        tags: list[str] | None = None,
    ) -> None:
        try:
            await self.write_thread(thread_id, name=name, user_id=user_id, metadata=metadata, tags=tags)
        except (PersistenceError, IsolationError):
            pass  # counted and logged where raised

    async def write_thread(self, thread_id: str, **changes: Any) -> None:
        """Create or update a thread (Chainlit's `update_thread` semantics); raises on failure or refusal.

        `changes`: `name`, `name_if_missing`, `user_id`, `metadata`, `tags` (see `_thread_statement`).
        """
        await self.write_together(thread_id, changes, [])

    async def write_together(self, thread_id: str, thread: dict[str, Any] | None, steps: list[dict[str, Any]]) -> None:
        """A thread's changes (`write_thread`'s arguments; None: none) and steps of it, in one commit.

        The thread's row is read once, if this process does not know it already (`_thread_row`).
        """
        if not rows.is_id(thread_id):
            raise self._refuse(f"malformed thread id {thread_id[:60]!r}")
        existing = await self._thread_row(thread_id) if caller() is not None or thread is not None else None
        await self._check_access(thread_id, existing or {})
        group: list[Statement] = []
        claims = -1
        after: dict[str, Any] | None = None
        if thread is not None:
            statement, after = await self._thread_statement(thread_id, existing, thread)
            if statement is not None:
                group.append(statement)
                claims = 0
        checks: list[int] = []
        written: dict[str, int] = {}
        known = claims == 0 or existing is not None or thread_id in self._threads
        for step in steps:
            statements, fingerprint = self._step_statements(step, thread_id, thread_known=known)
            if statements:
                group += statements
                checks.append(len(group) - 1)
                written[step["id"]] = fingerprint
        if not group:
            return
        counts = await self._write(group)
        if claims == 0 and counts[0] == 0:  # another user claimed it between our read and this write
            self.known.forget(thread_id)
            raise self._refuse(f"thread {thread_id} already belongs to another user")
        for at in checks:
            if counts[at] == 0:
                raise self._refuse(f"step {group[at][1].get('id')} belongs to another thread")
        for step_id, fingerprint in written.items():
            self._remember(step_id, fingerprint)
        if after is not None:
            self.known.keep(thread_id, after)
        if len(self._threads) >= _OWNER_CACHE_MAX:
            self._threads.clear()
        self._threads.add(thread_id)

    async def _thread_statement(
        self, thread_id: str, existing: dict[str, Any] | None, changes: dict[str, Any]
    ) -> tuple[Statement | None, dict[str, Any]]:
        """`storage.thread_changes.plan`, with the new owner's identifier looked up (once per user)."""
        user_id = changes.get("user_id")
        identifier = None
        if user_id is not None:
            if existing is not None and existing["userId"] not in (None, user_id):
                raise self._refuse(f"thread {thread_id} already belongs to another user")
            identifier = self.known.identifier(user_id)
            if identifier is None:
                who = await self._run('SELECT "identifier" FROM users WHERE "id" = :id', {"id": user_id})
                if not who:
                    raise self._refuse(f"unknown user id {user_id}")
                identifier = who[0]["identifier"]
                self.known.keep_identifier(user_id, identifier)
        try:
            return plan(thread_id, existing, user_identifier=identifier, dialect=self.dialect, **changes)
        except Refused as exc:
            raise self._refuse(str(exc)) from exc

    async def delete_thread(self, thread_id: str) -> None:
        if not rows.is_id(thread_id):
            return
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

    def _step_statements(
        self, step_dict: dict[str, Any], thread_id: str, *, thread_known: bool
    ) -> tuple[list[Statement], int]:
        """The thread row the step needs (unless `thread_known`) and the step's upsert, after the checks
        (`write_together` checked the caller's access to `thread_id`), and the upsert's fingerprint;
        no statements when this very content is what was last stored for the step."""
        step_id = step_dict.get("id")
        if not rows.is_id(step_id) or step_dict.get("threadId") != thread_id:
            named = str(step_dict.get("threadId"))[:60]
            raise self._refuse(f"malformed step id or another thread {str(step_id)[:60]!r}/{named!r}")
        if step_dict.get("type") == "user_message" and isinstance(step_dict.get("output"), str):
            step_dict = {**step_dict, "output": rows.capped_user_text(step_dict["output"], self.max_message_chars)}
        upsert = rows.step_upsert(step_dict, self.dialect)
        fingerprint = rows.fingerprint(upsert)
        if self._written.get(step_id) == fingerprint:  # type: ignore[arg-type]
            return [], fingerprint
        return ([upsert] if thread_known else [rows.thread_row(thread_id), upsert]), fingerprint

    def _remember(self, step_id: str, fingerprint: int) -> None:
        if len(self._written) >= _OWNER_CACHE_MAX:
            self._written.clear()
        self._written[step_id] = fingerprint

    @_queued
    async def create_step(self, step_dict: dict[str, Any]) -> None:
        try:
            await self.write_step(step_dict)
        except (PersistenceError, IsolationError):
            pass

    @_queued
    async def update_step(self, step_dict: dict[str, Any]) -> None:
        try:
            await self.write_step(step_dict)
        except (PersistenceError, IsolationError):
            pass

    @_queued
    async def delete_step(self, step_id: str) -> None:
        try:
            await self.remove_step(step_id)
        except (PersistenceError, IsolationError):
            pass

    async def remove_step(self, step_id: str) -> None:
        if not rows.is_id(step_id):
            raise self._refuse(f"malformed step id {step_id[:60]!r}")
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
        return await thread_reads.favorite_steps(self, user_id)

    # --- feedback (storage/feedback.py) -----------------------------------------------------------
    async def upsert_feedback(self, feedback: Feedback) -> str:
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
