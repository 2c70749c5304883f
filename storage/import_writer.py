"""Write parsed imports (storage/importer.py) into one user's history, idempotently.

Every imported thread and message gets an id derived from the user, the source and the source's
own id (UUID5), so importing the same file twice finds the first import and skips it. An export
of this app's own threads that are still in the user's history is skipped too ("already in your
history"). Imported answers carry the same `turn` and `route` metadata as live ones, so a resumed
conversation gives the model the same history, the route line shows under each answer, and a
conversation that was private resumes with the routing policy `local` (it stays on this machine).
"""

from __future__ import annotations

import uuid
from typing import Any

from chainlit.types import Feedback

from storage import _rows as rows
from storage.guard import acting_as
from storage.importer import ImportedConversation, ImportedMessage, ParsedImport

__all__ = ["IMPORT_NAMESPACE", "import_conversations"]

IMPORT_NAMESPACE = uuid.UUID("5b0f7c1e-6a7e-4c1d-9d8e-17f0c0a1e5d2")
ASSISTANT = "Assistant"


def _id(user: str, *parts: str) -> str:
    return str(uuid.uuid5(IMPORT_NAMESPACE, "\x1f".join((user, *parts))))


def _at(message: ImportedMessage, fallback: str, i: int) -> str:
    """A createdAt that keeps the order of the messages (the page and resume sort by it)."""
    return message.created_at or f"{fallback.rstrip('Z')[:19]}.{i:06d}Z"


async def _exists(layer: Any, thread_id: str) -> bool:
    return bool(await layer._run('SELECT 1 FROM threads WHERE "id" = :id', {"id": thread_id}))


async def _write_one(layer: Any, user: Any, conv: ImportedConversation, thread_id: str) -> None:
    now = rows.now_iso()
    options = dict(conv.options or {})
    if conv.private:
        options["policy"] = "local"  # private data stays on this machine when the chat is resumed
    metadata: dict[str, Any] = {
        "imported": {"source": conv.source, "source_id": conv.source_id, "at": now},
        "private": conv.private or None,
        "options": options or None,
    }
    await layer.write_thread(thread_id, name=conv.name or "Imported conversation", user_id=user.id, metadata=metadata)
    base = conv.created_at or now
    last_user = ""
    for i, message in enumerate(conv.messages):
        step_id = _id(user.identifier, conv.source, conv.source_id, str(i))
        step: dict[str, Any] = {
            "id": step_id,
            "threadId": thread_id,
            "createdAt": _at(message, base, i),
            "output": message.content,
            "metadata": {},
        }
        if message.role == "user":
            last_user = message.content
            await layer.write_step({**step, "name": user.identifier, "type": "user_message"})
            continue
        step["metadata"] = {
            "turn": {"state": message.state, "user": last_user, "reply": message.content, "boot": "import", "at": now},
            **({"route": message.route} if message.route else {}),
        }
        await layer.write_step({**step, "name": ASSISTANT, "type": "assistant_message"})
        line = (message.route or {}).get("line")
        if isinstance(line, str) and line:
            await layer.write_step(
                {"id": _id(user.identifier, conv.source, conv.source_id, str(i), "route"), "threadId": thread_id,
                 "parentId": step_id, "name": line[:300], "type": "tool", "output": "", "showInput": False,
                 "createdAt": step["createdAt"], "metadata": {}}
            )
        feedback = message.feedback or {}
        if isinstance(feedback.get("value"), int | bool):
            await layer.upsert_feedback(
                Feedback(forId=step_id, threadId=thread_id, value=1 if feedback["value"] else 0,
                         comment=str(feedback.get("comment") or "")[:2000] or None)
            )


async def import_conversations(layer: Any, user: Any, parsed: ParsedImport) -> dict[str, Any]:
    """Import into `user`'s history (a Chainlit `PersistedUser`); the report says what was and was not."""
    imported: list[dict[str, Any]] = []
    skipped = [dict(s) for s in parsed.skipped]
    with acting_as(user):
        for conv in parsed.conversations:
            thread_id = _id(user.identifier, conv.source, conv.source_id)
            if await _exists(layer, thread_id):
                skipped.append({"name": conv.name, "reason": "already imported"})
                continue
            if conv.source == "foundry-chat" and rows.is_id(conv.source_id):
                _, _, owner = await layer._thread_owner(conv.source_id)
                if owner == user.identifier:
                    skipped.append({"name": conv.name, "reason": "already in your history"})
                    continue
            await _write_one(layer, user, conv, thread_id)
            imported.append({"id": thread_id, "name": conv.name, "messages": len(conv.messages), "private": conv.private})
    return {
        "format": parsed.format,
        "imported": imported,
        "skipped": skipped,
        "summary": f"{len(imported)} conversation{'s' if len(imported) != 1 else ''} imported, {len(skipped)} skipped",
    }
