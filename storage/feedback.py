"""Thumbs up/down and comments: one feedback per message, only on the caller's own messages.

Functions of a `FoundryDataLayer`, whose `upsert_feedback` / `delete_feedback` (Chainlit's names) call
into here. Chainlit's own versions write any step's feedback for any user; here the message's thread is
checked against the caller, ids must be UUIDs, and a feedback id cannot be moved to another message.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict
from typing import TYPE_CHECKING

from chainlit.types import Feedback

from storage import _rows as rows

if TYPE_CHECKING:
    from storage.data_layer import FoundryDataLayer

__all__ = ["delete_feedback", "upsert_feedback"]

_UPSERT = (
    'INSERT INTO feedbacks ("id", "forId", "threadId", "value", "comment")'
    " VALUES (:id, :forId, :threadId, :value, :comment)"
    ' ON CONFLICT ("id") DO UPDATE SET "value" = EXCLUDED."value", "comment" = EXCLUDED."comment"'
)


async def upsert_feedback(layer: FoundryDataLayer, feedback: Feedback) -> str:
    """Store `feedback` for one of the caller's messages; its id. Raises IsolationError, PersistenceError."""
    if not rows.is_id(feedback.forId) or (feedback.id is not None and not rows.is_id(feedback.id)):
        raise layer._refuse("malformed feedback id")
    step = await layer._run('SELECT "threadId" FROM steps WHERE "id" = :id', {"id": feedback.forId})
    if not step:
        raise layer._refuse(f"message {feedback.forId} not found")
    thread_id = step[0]["threadId"]
    await layer._check_access(thread_id)
    if feedback.threadId not in (None, thread_id):
        raise layer._refuse("feedback names another thread than its message's")
    same = await layer._run(
        'SELECT "id", "forId" FROM feedbacks WHERE "forId" = :for_id OR "id" = :id',
        {"for_id": feedback.forId, "id": feedback.id or ""},
    )
    if any(r["forId"] != feedback.forId for r in same):
        raise layer._refuse("feedback id belongs to another message")
    feedback.threadId = thread_id
    feedback.id = feedback.id or (same[0]["id"] if same else str(uuid.uuid4()))
    params = dict(asdict(feedback))
    params["value"] = int(params["value"])
    await layer._run(_UPSERT, params)
    return feedback.id


async def delete_feedback(layer: FoundryDataLayer, feedback_id: str) -> bool:
    """Remove one of the caller's feedbacks; False when there is none with that id."""
    if not rows.is_id(feedback_id):
        raise layer._refuse("malformed feedback id")
    found = await layer._run('SELECT "threadId" FROM feedbacks WHERE "id" = :id', {"id": feedback_id})
    if not found:
        return False
    await layer._check_access(found[0]["threadId"])
    await layer._run('DELETE FROM feedbacks WHERE "id" = :id', {"id": feedback_id})
    return True
