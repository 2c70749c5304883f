"""The database schema Chainlit 2.12's SQLAlchemy data layer reads and writes, created and migrated at startup.

Chainlit never creates tables, and the schema published in its docs lacks columns that 2.12 writes
(`steps.autoCollapse`, `steps.modes`, `elements.autoPlay`, `elements.playerConfig`): an INSERT
naming a missing column fails, and Chainlit would log it and carry on. The columns below are the
union of what `chainlit/data/sql_alchemy.py` INSERTs, UPDATEs and SELECTs, what `Message.to_dict`
and `Step.to_dict` produce, and the published schema.

`ensure_schema(url)` creates missing tables and indexes, adds missing columns to tables made by an
older version (or by hand from the docs), and records the version in `schema_version`. It refuses
to run against a database whose schema is newer than this code.

Ids are TEXT on both SQLite and PostgreSQL (the data layer only ever stores UUID strings, and a
TEXT id never turns a malformed id from a client into a database error). JSON is JSONB on
PostgreSQL and TEXT on SQLite; tag lists are TEXT[] on PostgreSQL and JSON text on SQLite.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

__all__ = [
    "SCHEMA_VERSION",
    "TABLES",
    "Column",
    "SchemaError",
    "create_engine_for",
    "ensure_schema",
    "ensure_schema_on",
    "sqlite_path",
]

log = logging.getLogger("foundry_chat.storage")

SCHEMA_VERSION = 1
SQLITE_BUSY_TIMEOUT_S = 15.0
PG_CONNECT_TIMEOUT_S = 10.0
PG_POOL_SIZE = 8
"""Connections kept open: one for the process's writer (storage/writer.py), the rest for reads."""
PG_POOL_OVERFLOW = 8
_PG_LOCK_KEY = 0x466F756E  # "Foun": serialises concurrent startups on one PostgreSQL database


class SchemaError(Exception):
    """The database cannot be brought to the schema this code needs (one line, for the operator)."""


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: str
    """One of: id, text, int, bool, json, tags."""
    constraint: str = ""
    """Only used when the table is created; columns added to an existing table are nullable."""


_TYPES = {
    "sqlite": {"id": "TEXT", "text": "TEXT", "int": "INTEGER", "bool": "BOOLEAN", "json": "TEXT", "tags": "TEXT"},
    "postgresql": {
        "id": "TEXT",
        "text": "TEXT",
        "int": "INTEGER",
        "bool": "BOOLEAN",
        "json": "JSONB",
        "tags": "TEXT[]",
    },
}

TABLES: dict[str, tuple[Column, ...]] = {
    "users": (
        Column("id", "id", "PRIMARY KEY"),
        Column("identifier", "text", "NOT NULL UNIQUE"),
        Column("metadata", "json", "NOT NULL"),
        Column("createdAt", "text"),
    ),
    "threads": (
        Column("id", "id", "PRIMARY KEY"),
        Column("createdAt", "text"),
        Column("name", "text"),
        Column("userId", "id", 'REFERENCES users("id") ON DELETE CASCADE'),
        Column("userIdentifier", "text"),
        Column("tags", "tags"),
        Column("metadata", "json"),
    ),
    "steps": (
        Column("id", "id", "PRIMARY KEY"),
        Column("name", "text", "NOT NULL"),
        Column("type", "text", "NOT NULL"),
        Column("threadId", "id", 'NOT NULL REFERENCES threads("id") ON DELETE CASCADE'),
        Column("parentId", "id"),
        Column("streaming", "bool", "NOT NULL DEFAULT FALSE"),
        Column("waitForAnswer", "bool"),
        Column("isError", "bool"),
        Column("metadata", "json"),
        Column("tags", "tags"),
        Column("input", "text"),
        Column("output", "text"),
        Column("createdAt", "text"),
        Column("command", "text"),
        Column("modes", "json"),
        Column("start", "text"),
        Column("end", "text"),
        Column("generation", "json"),
        Column("showInput", "text"),
        Column("language", "text"),
        Column("indent", "int"),
        Column("defaultOpen", "bool"),
        Column("autoCollapse", "bool"),
    ),
    "elements": (
        Column("id", "id", "PRIMARY KEY"),
        Column("threadId", "id", 'REFERENCES threads("id") ON DELETE CASCADE'),
        Column("type", "text"),
        Column("url", "text"),
        Column("chainlitKey", "text"),
        Column("name", "text", "NOT NULL"),
        Column("display", "text"),
        Column("objectKey", "text"),
        Column("size", "text"),
        Column("page", "int"),
        Column("language", "text"),
        Column("forId", "id"),
        Column("mime", "text"),
        Column("props", "json"),
        Column("autoPlay", "bool"),
        Column("playerConfig", "json"),
    ),
    "feedbacks": (
        Column("id", "id", "PRIMARY KEY"),
        Column("forId", "id", "NOT NULL"),
        Column("threadId", "id", 'NOT NULL REFERENCES threads("id") ON DELETE CASCADE'),
        Column("value", "int", "NOT NULL"),
        Column("comment", "text"),
    ),
}

TABLES["app_processes"] = (  # storage/lease.py: which processes are alive, so a sweep spares their answers
    Column("id", "id", "PRIMARY KEY"),
    Column("host", "text"),
    Column("pid", "int"),
    Column("startedAt", "int"),
    Column("heartbeatAt", "int"),
)

TABLES["revoked_tokens"] = (  # storage/revocation.py: signed-out login tokens, until they expire
    Column("digest", "id", "PRIMARY KEY"),
    Column("expiresAt", "int", "NOT NULL"),
)

INDEXES = (
    'CREATE INDEX IF NOT EXISTS "ix_threads_userId" ON threads ("userId")',
    'CREATE INDEX IF NOT EXISTS "ix_steps_threadId" ON steps ("threadId", "createdAt")',
    'CREATE INDEX IF NOT EXISTS "ix_elements_threadId" ON elements ("threadId")',
    'CREATE INDEX IF NOT EXISTS "ix_feedbacks_forId" ON feedbacks ("forId")',
)


def _dialect(url: str) -> str:
    name = make_url(url).get_backend_name()
    if name not in _TYPES:
        raise SchemaError(
            f"unsupported database {name!r}: use SQLite (sqlite+aiosqlite) or PostgreSQL (postgresql+asyncpg)"
        )
    return name


def create_table_sql(table: str, dialect: str) -> str:
    types = _TYPES[dialect]
    cols = ",\n    ".join(f'"{c.name}" {types[c.kind]} {c.constraint}'.rstrip() for c in TABLES[table])
    return f'CREATE TABLE IF NOT EXISTS "{table}" (\n    {cols}\n)'


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL (None for other databases)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def create_engine_for(url: str) -> AsyncEngine:
    """An async engine with the settings this app needs (SQLite: wait on locks instead of failing at once)."""
    if _dialect(url) == "sqlite":
        return create_async_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_S})
    return create_async_engine(
        url,
        pool_pre_ping=True,
        pool_size=PG_POOL_SIZE,
        max_overflow=PG_POOL_OVERFLOW,
        connect_args={"timeout": PG_CONNECT_TIMEOUT_S},
    )


def _columns(sync_conn: Connection, table: str) -> set[str] | None:
    insp = inspect(sync_conn)
    if not insp.has_table(table):
        return None
    return {c["name"] for c in insp.get_columns(table)}


async def ensure_schema_on(conn: AsyncConnection, dialect: str) -> list[str]:
    """Create or migrate the schema inside `conn`'s transaction; return what was changed."""
    changes: list[str] = []
    if dialect == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    await conn.execute(
        text('CREATE TABLE IF NOT EXISTS schema_version ("version" INTEGER NOT NULL, "appliedAt" TEXT NOT NULL)')
    )
    found = (await conn.execute(text('SELECT MAX("version") FROM schema_version'))).scalar()
    if found is not None and int(found) > SCHEMA_VERSION:
        raise SchemaError(
            f"the database schema is version {found}, newer than this app's {SCHEMA_VERSION}: "
            "upgrade the app or point CHAT_DB_URL at another database"
        )
    types = _TYPES[dialect]
    for table, columns in TABLES.items():
        existing = await conn.run_sync(_columns, table)
        if existing is None:
            await conn.execute(text(create_table_sql(table, dialect)))
            changes.append(f"created {table}")
            continue
        for col in columns:
            if col.name not in existing:
                await conn.execute(text(f'ALTER TABLE "{table}" ADD COLUMN "{col.name}" {types[col.kind]}'))
                changes.append(f"added {table}.{col.name}")
    for ddl in INDEXES:
        await conn.execute(text(ddl))
    from storage.search import ensure_search_on

    changes += await ensure_search_on(conn, dialect)  # full-text search, kept in step by the database
    if found is None or int(found) < SCHEMA_VERSION:
        now = datetime.now(UTC).isoformat()
        await conn.execute(
            text('INSERT INTO schema_version ("version", "appliedAt") VALUES (:v, :at)'),
            {"v": SCHEMA_VERSION, "at": now},
        )
        changes.append(f"schema version {found or 0} -> {SCHEMA_VERSION}")
    return changes


async def ensure_schema(url: str) -> None:
    """Create the tables Chainlit 2.12 needs if missing, add missing columns, record the schema version.

    Creates the parent directory of a SQLite file (mode 0700) and turns on SQLite's write-ahead log
    (readers never wait for a writer; a killed process loses no committed write).
    """
    dialect = _dialect(url)
    path = sqlite_path(url)
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise SchemaError(
                f"cannot create the directory of the chat database {path}: {exc.strerror or exc}"
            ) from None
    engine = create_engine_for(url)
    try:
        if dialect == "sqlite":
            async with engine.connect() as conn:
                await conn.exec_driver_sql("PRAGMA journal_mode=WAL")
        async with engine.begin() as conn:
            changes = await ensure_schema_on(conn, dialect)
    except SchemaError:
        raise
    except Exception as exc:
        safe = make_url(url).render_as_string(hide_password=True)
        raise SchemaError(
            f"cannot prepare the chat database {safe}: {type(exc).__name__}: {exc}".splitlines()[0]
        ) from exc
    finally:
        await engine.dispose()
    if changes:
        log.info("storage: schema: %s", "; ".join(changes))
