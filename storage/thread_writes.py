"""How a `FoundryDataLayer` commits a thread's changes and steps: checked, in one group, read-free when known.

`commit` is the one path every write of threads and steps takes (the app's, and Chainlit's held
ones from `storage.lane`): it reads the thread's row once if this process does not know it
(`FoundryDataLayer._thread_row`), checks the caller may write there, turns the thread's changes
into one upsert (`storage.thread_changes.plan`) and each step into its upsert, leaves out a step
whose content is exactly what was last stored, and hands the group to the writer as one commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from storage import _rows as rows
from storage.guard import caller
from storage.lane import Held, merge_changes
from storage.thread_changes import Refused, plan
from storage.writer import Statement

if TYPE_CHECKING:
    from storage.data_layer import FoundryDataLayer

__all__ = ["CACHE_MAX", "commit", "step_statements", "thread_statement"]

CACHE_MAX = 10_000
"""Entries of the layer's per-process sets (threads written, steps' fingerprints) at most."""


async def commit(
    layer: FoundryDataLayer,
    thread_id: str,
    changes: list[dict[str, Any]],
    held: Held | None,
    steps: list[dict[str, Any]],
) -> None:
    """`changes` (`update_thread` argument sets, applied in order), `held`'s steps, then `steps`, in one
    commit. Raises `IsolationError` (refused) or `PersistenceError` (the database failed)."""
    if not rows.is_id(thread_id):
        raise layer._refuse(f"malformed thread id {thread_id[:60]!r}")
    thread = merge_changes(changes)
    existing = await layer._thread_row(thread_id) if caller() is not None or thread is not None else None
    await layer._check_access(thread_id, existing or {})
    group: list[Statement] = []
    claims = -1
    after: dict[str, Any] | None = None
    if thread is not None:
        statement, after = await thread_statement(layer, thread_id, existing, thread)
        if statement is not None:
            group.append(statement)
            claims = 0
    checks: list[int] = []
    written: dict[str, int] = {}
    known = claims == 0 or existing is not None or thread_id in layer._threads
    # the held steps as they are now, after the awaits: copies the app wrote meanwhile are gone
    for step in [*(held.step_list() if held is not None else []), *steps]:
        statements, fingerprint = step_statements(layer, step, thread_id, thread_known=known)
        if statements:
            group += statements
            checks.append(len(group) - 1)
            written[step["id"]] = fingerprint
    if not group:
        return
    counts = await layer._write(group)
    if claims == 0 and counts[0] == 0:  # another user claimed it between our read and this write
        layer.known.forget(thread_id)
        raise layer._refuse(f"thread {thread_id} already belongs to another user")
    for at in checks:
        if counts[at] == 0:
            raise layer._refuse(f"step {group[at][1].get('id')} belongs to another thread")
    if len(layer._written) + len(written) > CACHE_MAX:
        layer._written.clear()
    layer._written.update(written)
    if after is not None:
        layer.known.keep(thread_id, after)
    if len(layer._threads) >= CACHE_MAX:
        layer._threads.clear()
    layer._threads.add(thread_id)


async def thread_statement(
    layer: FoundryDataLayer, thread_id: str, existing: dict[str, Any] | None, changes: dict[str, Any]
) -> tuple[Statement | None, dict[str, Any]]:
    """`storage.thread_changes.plan`, with the new owner's identifier looked up (once per user)."""
    user_id = changes.get("user_id")
    identifier = None
    if user_id is not None:
        if existing is not None and existing["userId"] not in (None, user_id):
            raise layer._refuse(f"thread {thread_id} already belongs to another user")
        identifier = layer.known.identifier(user_id)
        if identifier is None:
            who = await layer._run('SELECT "identifier" FROM users WHERE "id" = :id', {"id": user_id})
            if not who:
                raise layer._refuse(f"unknown user id {user_id}")
            identifier = who[0]["identifier"]
            layer.known.keep_identifier(user_id, identifier)
    try:
        return plan(thread_id, existing, user_identifier=identifier, dialect=layer.dialect, **changes)
    except Refused as exc:
        raise layer._refuse(str(exc)) from exc


def step_statements(
    layer: FoundryDataLayer, step_dict: dict[str, Any], thread_id: str, *, thread_known: bool
) -> tuple[list[Statement], int]:
    """The thread row the step needs (unless `thread_known`) and the step's upsert, after the checks
    (`commit` checked the caller's access to `thread_id`), and the upsert's fingerprint; no
    statements when this very content is what was last stored for the step."""
    step_id = step_dict.get("id")
    if not rows.is_id(step_id) or step_dict.get("threadId") != thread_id:
        named = str(step_dict.get("threadId"))[:60]
        raise layer._refuse(f"malformed step id or another thread {str(step_id)[:60]!r}/{named!r}")
    if step_dict.get("type") == "user_message" and isinstance(step_dict.get("output"), str):
        step_dict = {**step_dict, "output": rows.capped_user_text(step_dict["output"], layer.max_message_chars)}
    upsert = rows.step_upsert(step_dict, layer.dialect)
    fingerprint = rows.fingerprint(upsert)
    if layer._written.get(step_id) == fingerprint:  # type: ignore[arg-type]
        return [], fingerprint
    return ([upsert] if thread_known else [rows.thread_row(thread_id), upsert]), fingerprint
