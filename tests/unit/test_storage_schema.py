"""The schema: created from nothing, migrated from the published one, and what Chainlit 2.12 writes fits it."""

from __future__ import annotations

import logging
import sqlite3
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():  # chainlit's dependencies (literalai, traceloop) warn on import
    warnings.simplefilter("ignore", DeprecationWarning)
    import chainlit  # noqa: F401

from chainlit.context import init_http_context
from chainlit.data.sql_alchemy import SQLAlchemyDataLayer
from chainlit.message import Message
from chainlit.step import Step

from storage.schema import SCHEMA_VERSION, TABLES, SchemaError, create_table_sql, ensure_schema

# The schema on Chainlit's docs site (data layers → SQLAlchemy), as people created it by hand.
DOCS_SCHEMA = """
CREATE TABLE users ("id" UUID PRIMARY KEY, "identifier" TEXT NOT NULL UNIQUE, "metadata" JSONB NOT NULL,
    "createdAt" TEXT);
CREATE TABLE IF NOT EXISTS threads ("id" UUID PRIMARY KEY, "createdAt" TEXT, "name" TEXT, "userId" UUID,
    "userIdentifier" TEXT, "tags" TEXT[], "metadata" JSONB,
    FOREIGN KEY ("userId") REFERENCES users("id") ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS steps ("id" UUID PRIMARY KEY, "name" TEXT NOT NULL, "type" TEXT NOT NULL,
    "threadId" UUID NOT NULL, "parentId" UUID, "streaming" BOOLEAN NOT NULL, "waitForAnswer" BOOLEAN,
    "isError" BOOLEAN, "metadata" JSONB, "tags" TEXT[], "input" TEXT, "output" TEXT, "createdAt" TEXT,
    "command" TEXT, "start" TEXT, "end" TEXT, "generation" JSONB, "showInput" TEXT, "language" TEXT,
    "indent" INT, "defaultOpen" BOOLEAN, FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS elements ("id" UUID PRIMARY KEY, "threadId" UUID, "type" TEXT, "url" TEXT,
    "chainlitKey" TEXT, "name" TEXT NOT NULL, "display" TEXT, "objectKey" TEXT, "size" TEXT, "page" INT,
    "language" TEXT, "forId" UUID, "mime" TEXT, "props" JSONB,
    FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE);
CREATE TABLE IF NOT EXISTS feedbacks ("id" UUID PRIMARY KEY, "forId" UUID NOT NULL, "threadId" UUID NOT NULL,
    "value" INT NOT NULL, "comment" TEXT, FOREIGN KEY ("threadId") REFERENCES threads("id") ON DELETE CASCADE);
INSERT INTO threads ("id", "name", "metadata") VALUES ('11111111-1111-4111-8111-111111111111', 'old thread', '{}');
"""


def _columns(db: Path, table: str) -> set[str]:
    with sqlite3.connect(db) as conn:
        return {row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')}


def _url(db: Path) -> str:
    return f"sqlite+aiosqlite:///{db}"


async def test_creates_every_table_in_a_new_directory(tmp_path: Path) -> None:
    db = tmp_path / "nested" / "dir" / "chat.db"
    await ensure_schema(_url(db))
    for table, columns in TABLES.items():
        assert _columns(db, table) == {c.name for c in columns}, table
    assert "autoCollapse" in _columns(db, "steps")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert (db.parent.stat().st_mode & 0o777) == 0o700


async def test_second_run_changes_nothing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    db = tmp_path / "chat.db"
    await ensure_schema(_url(db))
    caplog.set_level(logging.INFO, "foundry_chat.storage")
    await ensure_schema(_url(db))
    assert not [r for r in caplog.records if "schema" in r.getMessage()]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1


async def test_migrates_the_published_schema_keeping_data(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    with sqlite3.connect(db) as conn:
        conn.executescript(DOCS_SCHEMA)
    assert "autoCollapse" not in _columns(db, "steps")
    await ensure_schema(_url(db))
    assert {"autoCollapse", "modes"} <= _columns(db, "steps")
    assert {"autoPlay", "playerConfig"} <= _columns(db, "elements")
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT name FROM threads").fetchall() == [("old thread",)]


async def test_refuses_a_newer_schema(tmp_path: Path) -> None:
    db = tmp_path / "chat.db"
    await ensure_schema(_url(db))
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO schema_version VALUES (?, 'later')", (SCHEMA_VERSION + 1,))
    with pytest.raises(SchemaError, match="newer than this app"):
        await ensure_schema(_url(db))


async def test_unusable_database_is_one_line(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(SchemaError, match="cannot create the directory") as info:
        await ensure_schema(_url(blocker / "chat.db"))
    assert "\n" not in str(info.value)
    (tmp_path / "garbage.db").write_bytes(b"this is not a database" * 100)
    with pytest.raises(SchemaError, match="cannot prepare the chat database") as info:
        await ensure_schema(_url(tmp_path / "garbage.db"))
    assert "\n" not in str(info.value)
    with pytest.raises(SchemaError, match="unsupported database"):
        await ensure_schema("mysql+aiomysql://u:p@localhost/db")


def test_postgres_ddl_uses_native_types() -> None:
    ddl = create_table_sql("steps", "postgresql")
    assert '"metadata" JSONB' in ddl and '"tags" TEXT[]' in ddl and '"autoCollapse" BOOLEAN' in ddl


async def test_what_chainlit_itself_writes_fits(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """Chainlit's own SQLAlchemyDataLayer (not ours) writes a message and a step: no warning, rows there."""
    db = tmp_path / "chat.db"
    url = _url(db)
    await ensure_schema(url)
    init_http_context()
    caplog.set_level(logging.WARNING)
    layer = SQLAlchemyDataLayer(url, storage_provider=object())  # type: ignore[arg-type]  # silences the no-storage warning
    try:
        message = Message(content="hello", author="Assistant", metadata={"k": 1})
        message.created_at = "2026-01-01T00:00:00Z"
        step = Step(name="tool", type="tool", default_open=True, show_input="json")
        step.output = "result"
        create = SQLAlchemyDataLayer.create_step.__wrapped__  # type: ignore[attr-defined]  # skip the queueing decorator
        await create(layer, message.to_dict())
        await create(layer, step.to_dict())
    finally:
        await layer.engine.dispose()
    assert not [r for r in caplog.records if r.name.startswith("chainlit")], [r.getMessage() for r in caplog.records]
    with sqlite3.connect(db) as conn:
        rows = dict(conn.execute('SELECT "type", "autoCollapse" FROM steps').fetchall())
    assert set(rows) == {"assistant_message", "tool"}
    assert rows["tool"] == 0  # Step.to_dict writes autoCollapse=False: the column the docs schema lacks
