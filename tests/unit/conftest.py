"""Fixtures of the unit tier that need a real database."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

with warnings.catch_warnings():  # chainlit's dependencies (literalai, traceloop) warn on import
    warnings.simplefilter("ignore", DeprecationWarning)
    import chainlit  # noqa: F401

from storage.data_layer import FoundryDataLayer
from storage.schema import ensure_schema


@pytest.fixture(params=["sqlite", "postgresql"])
async def layer(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[FoundryDataLayer]:
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'chat.db'}"
    else:
        url = request.getfixturevalue("pg").create_database(f"db_{uuid.uuid4().hex[:8]}")
    await ensure_schema(url)
    layer = FoundryDataLayer(url)
    yield layer
    await layer.close()
