"""The chat's Export and Import commands: the page's door to `storage/history_routes.py`.

A signed-in user (persistence on) sees both in the message box's command menu. Export answers with
links to the export routes; Import asks for a file (a foundry-chat export or ChatGPT's
`conversations.json`) and reports what it added and what it skipped.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import chainlit as cl

if TYPE_CHECKING:
    from storage.data_layer import FoundryDataLayer

__all__ = ["COMMANDS", "IDS", "offer", "run"]

COMMANDS: list[dict[str, Any]] = [
    {"id": "Export", "icon": "download", "description": "Download this conversation (JSON or Markdown), or all of them"},
    {"id": "Import", "icon": "upload", "description": "Import a foundry-chat export or ChatGPT's conversations.json"},
]
IDS = frozenset(c["id"] for c in COMMANDS)


async def offer(store: FoundryDataLayer | None) -> None:
    """Show the commands to a signed-in user of a stored history; nobody else has one."""
    if store is not None and cl.user_session.get("user") is not None:
        await cl.context.emitter.set_commands(COMMANDS)  # type: ignore[arg-type]  # CommandDict is a TypedDict


async def run(command: str, store: FoundryDataLayer, *, author: str) -> None:
    """Answer `command` (one of `IDS`): links to the exports, or a file to import."""
    from storage.data_layer import IsolationError, PersistenceError
    from storage.history_routes import import_bytes
    from storage.importer import MAX_IMPORT_BYTES, ImportFileError

    if command == "Export":
        thread = cl.context.session.thread_id
        await cl.Message(
            content=f"Download this conversation as [JSON](/export/{thread}.json) or [Markdown](/export/{thread}.md), "
            "or [every conversation](/export/all.json) (each answer with the route it took).",
            author=author,
        ).send()
        return
    files = await cl.AskFileMessage(
        content="Choose a foundry-chat export (.json) or ChatGPT's `conversations.json`.",
        accept={"application/json": [".json"]},
        max_size_mb=MAX_IMPORT_BYTES // (1024 * 1024),
        timeout=600,
        author=author,
    ).send()
    if not files:
        return
    try:
        data = await asyncio.to_thread(_read, files[0].path, MAX_IMPORT_BYTES + 1)
        report = await import_bytes(store, cl.user_session.get("user"), data)
    except (ImportFileError, OSError) as exc:
        await cl.ErrorMessage(content=f"Nothing was imported: {exc}.").send()
        return
    except (PersistenceError, IsolationError) as exc:  # counted and logged by the data layer
        await cl.ErrorMessage(content=f"The import stopped part-way: {exc}. Import the file again.").send()
        return
    skipped = "".join(f"\n- skipped *{s['name']}*: {s['reason']}" for s in report["skipped"])
    names = "".join(f"\n- *{c['name']}* ({c['messages']} messages)" for c in report["imported"])
    await cl.Message(content=f"**{report['summary']}.** Reload to see them in the sidebar.{names}{skipped}", author=author).send()


def _read(path: str, limit: int) -> bytes:
    with open(path, "rb") as f:
        return f.read(limit)
