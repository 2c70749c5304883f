"""Step dicts as Chainlit hands them to the data layer, for the storage tests."""

from __future__ import annotations

import uuid
from typing import Any


def new_id() -> str:
    return str(uuid.uuid4())


def step(thread_id: str, output: str = "hi", *, step_id: str | None = None, **extra: Any) -> dict[str, Any]:
    return {
        "id": step_id or new_id(),
        "threadId": thread_id,
        "name": "User",
        "type": "user_message",
        "output": output,
        "streaming": False,
        "metadata": {},
        "createdAt": "2026-01-01T00:00:00.000000Z",
        **extra,
    }
