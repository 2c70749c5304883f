"""Full-text search over what was said, for the sidebar's search box (Chainlit passes `filters.search`).

The index is kept by the database itself, so it is in step with every write whoever makes it
(Chainlit's own step writes, `storage.turns` checkpoints while an answer streams, imports, a
future batching writer), and a search never reads a table scan's worth of text:

- SQLite: an FTS5 table `steps_fts` (tokenizer `unicode61 remove_diacritics 2`: case- and
  accent-insensitive for Latin, Greek and Cyrillic scripts), filled by triggers on `steps`;
  ranked by BM25.
- PostgreSQL: a stored generated `tsvector` column `steps.search` (the `simple` configuration: no
  stemming, so it works for any language) over `foundry_fold(output)`, which is `unaccent` when
  the extension is available and a `translate` table of Latin accents otherwise; a GIN index;
  ranked by `ts_rank`.

Only user messages and answers are indexed (not route lines, tool steps or runs). A query is
split into words (letters and digits); every word must match, the last one as a prefix so results
appear while typing. A thread whose name contains the text comes first (a renamed chat is found
by its new name), then threads by their best-matching message.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["MAX_QUERY_CHARS", "MAX_TERMS", "ensure_search_on", "query_terms", "ranked_thread_ids"]

MAX_QUERY_CHARS = 256
"""Longer search text is cut here (a search box, not a document)."""
MAX_TERMS = 8
MAX_TERM_CHARS = 64
INDEXED_TYPES = ("user_message", "assistant_message")
_TYPES_SQL = ", ".join(f"'{t}'" for t in INDEXED_TYPES)
_WORD = re.compile(r"[^\W_]+")

_SQLITE_DDL = (
    f"""CREATE TRIGGER IF NOT EXISTS steps_fts_ai AFTER INSERT ON steps WHEN new."type" IN ({_TYPES_SQL}) BEGIN
        INSERT INTO steps_fts (rowid, "output", thread_id) VALUES (new.rowid, COALESCE(new."output", ''), new."threadId");
    END""",
    """CREATE TRIGGER IF NOT EXISTS steps_fts_ad AFTER DELETE ON steps BEGIN
        DELETE FROM steps_fts WHERE rowid = old.rowid;
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS steps_fts_au AFTER UPDATE OF "output", "type", "threadId" ON steps BEGIN
        DELETE FROM steps_fts WHERE rowid = old.rowid;
        INSERT INTO steps_fts (rowid, "output", thread_id)
            SELECT new.rowid, COALESCE(new."output", ''), new."threadId" WHERE new."type" IN ({_TYPES_SQL});
    END""",
)

_ACCENTED = "ÀÁÂÃÄÅĀĂĄÇĆĈĊČĎĐÈÉÊËĒĔĖĘĚĜĞĠĢĤĦÌÍÎÏĨĪĬĮİĴĶĹĻĽĿŁÑŃŅŇÒÓÔÕÖØŌŎŐŔŖŘŚŜŞŠŢŤŦÙÚÛÜŨŪŬŮŰŲŴÝŸŶŹŻŽ"
_PLAIN = "AAAAAAAAACCCCCDDEEEEEEEEEGGGGHHIIIIIIIIIJKLLLLLNNNNOOOOOOOOORRRSSSSTTTUUUUUUUUUUWYYYZZZ"
assert len(_ACCENTED) == len(_PLAIN)
_PG_FOLD_UNACCENT = """CREATE OR REPLACE FUNCTION foundry_fold(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, value)) $$"""
_PG_FOLD_TRANSLATE = f"""CREATE OR REPLACE FUNCTION foundry_fold(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT translate(lower(value), '{_ACCENTED.lower()}ß', '{_PLAIN.lower()}s') $$"""


def _fold(word: str) -> str:
    """Lower case without accents, as the PostgreSQL index folds (SQLite's tokenizer does it itself)."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ß", "s")


def query_terms(search: str) -> list[str]:
    """The words of a search text: letters and digits only (nothing else can reach the query syntax)."""
    words = _WORD.findall(search[:MAX_QUERY_CHARS])
    return [w[:MAX_TERM_CHARS] for w in words[:MAX_TERMS]]


async def ensure_search_on(conn: AsyncConnection, dialect: str) -> list[str]:
    """Create the index (and fill it from what is stored) if missing; return what was changed."""
    if dialect == "sqlite":
        return await _ensure_sqlite(conn)
    return await _ensure_postgres(conn)


async def _ensure_sqlite(conn: AsyncConnection) -> list[str]:
    exists = (await conn.execute(text("SELECT 1 FROM sqlite_master WHERE name = 'steps_fts'"))).first()
    changes: list[str] = []
    if exists is None:
        await conn.execute(
            text(
                """CREATE VIRTUAL TABLE steps_fts USING fts5("output", thread_id UNINDEXED,
                tokenize = 'unicode61 remove_diacritics 2')"""
            )
        )
        await conn.execute(
            text(
                f"""INSERT INTO steps_fts (rowid, "output", thread_id)
                SELECT rowid, COALESCE("output", ''), "threadId" FROM steps WHERE "type" IN ({_TYPES_SQL})"""
            )
        )
        changes.append("created the message search index")
    for ddl in _SQLITE_DDL:
        await conn.execute(text(ddl))
    return changes


async def _ensure_postgres(conn: AsyncConnection) -> list[str]:
    found = await conn.execute(
        text("SELECT 1 FROM information_schema.columns WHERE table_name = 'steps' AND column_name = 'search'")
    )
    if found.first() is not None:
        return []
    available = await conn.execute(text("SELECT 1 FROM pg_available_extensions WHERE name = 'unaccent'"))
    fold = _PG_FOLD_TRANSLATE
    if available.first() is not None:
        try:
            async with conn.begin_nested():
                await conn.execute(text("CREATE EXTENSION IF NOT EXISTS unaccent"))
                await conn.execute(text(_PG_FOLD_UNACCENT))
            fold = ""
        except Exception:  # no privilege to create it: the translate table below
            pass
    if fold:
        await conn.execute(text(fold))
    await conn.execute(
        text(
            """ALTER TABLE steps ADD COLUMN search tsvector GENERATED ALWAYS AS
            (to_tsvector('simple'::regconfig, foundry_fold(COALESCE("output", '')))) STORED"""
        )
    )
    await conn.execute(
        text(f'CREATE INDEX IF NOT EXISTS ix_steps_search ON steps USING GIN (search) WHERE "type" IN ({_TYPES_SQL})')
    )
    return [f"created the message search index ({'translate' if fold else 'unaccent'})"]


def _match_sqlite(terms: list[str]) -> str:
    quoted = [f'"{t}"' for t in terms]
    quoted[-1] += "*"
    return " ".join(quoted)


def _match_postgres(terms: list[str]) -> str:
    folded = [_fold(t) for t in terms]
    return " & ".join(folded[:-1] + [folded[-1] + ":*"])


async def ranked_thread_ids(layer: Any, user_id: str, search: str, limit: int) -> list[str]:
    """The ids of `user_id`'s threads that match `search`, best first (at most `limit`)."""
    terms = query_terms(search)
    needle = search[:MAX_QUERY_CHARS].strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    params: dict[str, Any] = {"user_id": user_id, "limit": limit, "pattern": f"%{needle}%"}
    by_name = await layer._run(
        """SELECT "id" FROM threads WHERE "userId" = :user_id AND LOWER("name") LIKE :pattern ESCAPE '\\'
        ORDER BY "createdAt" DESC LIMIT :limit""",
        params,
    )
    ids = [r["id"] for r in by_name]
    if not terms:
        return ids
    if layer.dialect == "sqlite":
        query = """SELECT m.thread_id AS id, MIN(m.score) AS score
            FROM (SELECT thread_id, rank AS score FROM steps_fts WHERE steps_fts MATCH :match) m
            JOIN threads t ON t."id" = m.thread_id WHERE t."userId" = :user_id
            GROUP BY m.thread_id ORDER BY score LIMIT :limit"""
        params["match"] = _match_sqlite(terms)
    else:
        query = f"""SELECT s."threadId" AS id, MAX(ts_rank(s.search, q)) AS score
            FROM steps s JOIN threads t ON t."id" = s."threadId", to_tsquery('simple', :match) q
            WHERE s.search @@ q AND s."type" IN ({_TYPES_SQL}) AND t."userId" = :user_id
            GROUP BY s."threadId" ORDER BY score DESC LIMIT :limit"""
        params["match"] = _match_postgres(terms)
    seen = set(ids)
    for row in await layer._run(query, params):
        if row["id"] not in seen:
            seen.add(row["id"])
            ids.append(row["id"])
    return ids[:limit]
