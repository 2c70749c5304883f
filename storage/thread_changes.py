"""A thread's changes as one upsert, from what is stored; and what this process knows of threads.

`plan(thread_id, existing, changes, …)` is pure: given the stored row (or None) and Chainlit's
`update_thread` arguments, the statement to run and the row as it will be once committed. The data
layer reads the row once per write (or not at all: `Known` keeps the rows of owned threads this
process has read or written), so a turn's writes cost no reads after its thread is claimed.

`Known` is per process. An owner never changes once set (the upsert refuses to move an owned
thread), so a cached owner is always right; the cached name and metadata are this process's view:
a second process writing session metadata into the same thread at the same time could have a key
it added replaced by this process's next merge (the metadata is the session's settings, rewritten
by every turn).

A thread that is missing or has no owner may be claimed by anyone, so `Known` keeps such a read only
`UNOWNED_FOR_S` (half a second): long enough for the burst of writes around a thread's first message
(Chainlit's queued `on_chat_start` steps, the question, the thread's name, the run step, the
app's claim: up to six reads before, one now), no longer than the window a read-then-write already
has under load (the write waits for its batch).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from storage import _rows as rows
from storage.sanitize import sanitize_session_metadata
from storage.writer import Statement

__all__ = ["KNOWN_MAX", "UNOWNED_FOR_S", "USER_FOR_S", "Known", "Refused", "plan"]

KNOWN_MAX = 10_000
"""Entries per cache at most; a full cache starts again empty (a read brings an entry back)."""
USER_FOR_S = 30.0
"""How long a user's row read (or written) answers for the next reads: Chainlit reads it twice and
rewrites its metadata on every connect, the app once more per turn's claim."""
UNOWNED_FOR_S = 0.5
"""How long a read that found a thread missing or unowned answers for the next ones."""
THREAD_READ = 'SELECT "userId", "userIdentifier", "name", "metadata" FROM threads WHERE "id" = :id'


class Refused(Exception):
    """The change would move an owned thread (the data layer turns this into an IsolationError)."""


@dataclass
class Known:
    threads: dict[str, dict[str, Any]] = field(default_factory=dict)
    """thread id → {"userId", "userIdentifier", "name", "metadata"}, for owned threads only."""
    identifiers: dict[str, str] = field(default_factory=dict)
    """user id → identifier (both fixed once a user exists)."""
    unowned: dict[str, tuple[float, dict[str, Any] | None]] = field(default_factory=dict)
    """thread id → (when read, its row or None when missing), for `UNOWNED_FOR_S`."""
    users: dict[str, tuple[float, Any]] = field(default_factory=dict)
    """user identifier → (when read, Chainlit's `PersistedUser`), for `USER_FOR_S`."""
    clock: Callable[[], float] = time.monotonic

    def thread(self, thread_id: str) -> dict[str, Any] | None:
        """The row of an owned thread this process knows, or None."""
        return self.threads.get(thread_id)

    def lookup(self, thread_id: str) -> tuple[bool, dict[str, Any] | None]:
        """(known, row): an owned thread's row, or a recent read of a missing (None) or unowned one."""
        if (row := self.threads.get(thread_id)) is not None:
            return True, row
        recent = self.unowned.get(thread_id)
        if recent is not None and self.clock() - recent[0] < UNOWNED_FOR_S:
            return True, recent[1]
        return False, None

    def keep(self, thread_id: str, row: dict[str, Any] | None) -> None:
        if row is None or row.get("userIdentifier") is None:
            # an unowned thread may still be claimed, by anyone: kept only briefly
            if len(self.unowned) >= KNOWN_MAX:
                self.unowned.clear()
            self.unowned[thread_id] = (self.clock(), row)
            return
        if len(self.threads) >= KNOWN_MAX:
            self.threads.clear()
        self.unowned.pop(thread_id, None)
        self.threads[thread_id] = row

    def forget(self, thread_id: str) -> None:
        self.threads.pop(thread_id, None)
        self.unowned.pop(thread_id, None)

    def user(self, identifier: str) -> Any:
        """A copy of the user's recent row (`PersistedUser`), or None."""
        recent = self.users.get(identifier)
        if recent is None or self.clock() - recent[0] >= USER_FOR_S:
            return None
        return replace(recent[1], metadata=dict(recent[1].metadata or {}))

    def keep_user(self, user: Any) -> None:
        if len(self.users) >= KNOWN_MAX:
            self.users.clear()
        self.users[user.identifier] = (self.clock(), replace(user, metadata=dict(user.metadata or {})))

    def forget_user(self, identifier: str) -> None:
        self.users.pop(identifier, None)

    def identifier(self, user_id: str) -> str | None:
        return self.identifiers.get(user_id)

    def keep_identifier(self, user_id: str, identifier: str) -> None:
        if len(self.identifiers) >= KNOWN_MAX:
            self.identifiers.clear()
        self.identifiers[user_id] = identifier


def plan(
    thread_id: str,
    existing: dict[str, Any] | None,
    *,
    user_identifier: str | None = None,
    name: str | None = None,
    name_if_missing: str | None = None,
    user_id: str | None = None,
    metadata: dict[str, Any] | None = None,
    tags: list[str] | None = None,
    dialect: str = "sqlite",
) -> tuple[Statement | None, dict[str, Any]]:
    """(the upsert, or None when nothing changes; the row once committed).

    Metadata is merged into what is stored (a None value removes a key) and sanitized. A thread
    that has an owner keeps it: `user_id` may claim an unowned thread, never move an owned one
    (`Refused`). `user_identifier` is the identifier of `user_id`.
    """
    stored_row = existing or {}
    if existing is not None and name is None and user_id is None and metadata is None and tags is None:
        if name_if_missing is None or existing.get("name"):
            return None, dict(existing)
    if user_id is not None and existing is not None and existing.get("userId") not in (None, user_id):
        raise Refused(f"thread {thread_id} already belongs to another user")
    stored = rows.json_out(stored_row.get("metadata"), {})
    incoming = metadata or {}
    removed = {k for k, v in incoming.items() if v is None}
    merged = {k: v for k, v in (stored if isinstance(stored, dict) else {}).items() if k not in removed}
    merged.update({k: v for k, v in incoming.items() if v is not None})
    merged = sanitize_session_metadata(merged)
    if name is None and isinstance(incoming.get("name"), str):
        name = incoming["name"]
    if name is None and name_if_missing is not None and not stored_row.get("name"):
        name = name_if_missing
    encoded = json.dumps(merged, ensure_ascii=False)
    data = {
        "id": thread_id,
        "createdAt": rows.now_iso() if existing is None else None,
        "name": name,
        "userId": user_id,
        "userIdentifier": user_identifier if user_id is not None else None,
        "tags": rows.tags_in(tags, dialect),
        "metadata": encoded,
    }
    after = {
        "userId": stored_row.get("userId") or user_id,
        "userIdentifier": stored_row.get("userIdentifier") or data["userIdentifier"],
        "name": name if name is not None else stored_row.get("name"),
        "metadata": encoded,
    }
    return rows.thread_upsert(data), after
