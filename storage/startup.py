"""Startup: make the database ready before the app serves (schema, then interrupted answers)."""

from __future__ import annotations

import asyncio
import logging

from storage.data_layer import FoundryDataLayer
from storage.lease import register
from storage.schema import SchemaError, ensure_schema
from storage.settings import safe_url
from storage.turns import mark_interrupted

__all__ = ["prepare_database", "prepare_database_sync"]

log = logging.getLogger("foundry_chat.storage")


async def prepare_database(url: str) -> int:
    """Create/migrate the schema, then mark answers a killed process left streaming; return how many."""
    await ensure_schema(url)
    layer = FoundryDataLayer(url)
    try:
        await register(layer)  # before the sweep: a process starting now sees this one alive
        marked = await mark_interrupted(layer)
        if layer.health()["failed_writes"] or layer.health()["failed_reads"]:
            raise SchemaError(f"cannot use the chat database {safe_url(url)}: {layer.health()['last_error']}")
        return marked
    finally:
        await layer.close()


def prepare_database_sync(url: str) -> int | None:
    """`prepare_database` from import time (before Chainlit's loop runs). SchemaError is one line.

    Returns None without doing anything when a loop is already running (a `chainlit run -w`
    reload): the database was prepared when the process started.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(prepare_database(url))
    return None
