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

from storage import _rows as rows
from sqlalchemy.ext.asyncio import AsyncConnection

__all__ = ["MAX_QUERY_CHARS", "MAX_TERMS", "ensure_search_on", "query_terms", "ranked_page", "ranked_thread_ids"]

MAX_QUERY_CHARS = 256
"""Longer search text is cut here (a search box, not a document)."""
MAX_TERMS = 8
MAX_TERM_CHARS = 64
INDEXED_TYPES = ("user_message", "assistant_message")
_TYPES_SQL = ", ".join(f"'{t}'" for t in INDEXED_TYPES)
_WORD = re.compile(r"[^\W_]+")

_OWNER = """COALESCE(REPLACE((SELECT "userId" FROM threads WHERE "id" = {thread}), '-', ''), '')"""
"""The thread owner's id as one token, so a search only ever walks the caller's own messages."""
_INSERT = (
    'INSERT INTO steps_fts (rowid, "output", owner, thread_id) SELECT {row}.rowid, COALESCE({row}."output", \'\'), '
    + _OWNER.format(thread='{row}."threadId"')
    + ', {row}."threadId"'
)
_INDEXED = (
    '{row}."type" IN (' + _TYPES_SQL + ') AND COALESCE(CASE WHEN json_valid({row}."metadata")'
    " THEN json_extract({row}.\"metadata\", '$.turn.state') END, '') NOT IN ('pending', 'streaming')"
)
"""Whether a step's text is in the index: a message, unless it is an answer still being written.

A streaming answer's checkpoint rewrites its whole text about once a second; indexing each one made a
long answer cost the square of its length in index work, on the writer every session shares. It is
indexed once it ends (done, stopped, failed, or marked interrupted at the next start)."""
_SQLITE_DDL: tuple[str, ...] = (
    f"""CREATE TRIGGER IF NOT EXISTS steps_fts_ai AFTER INSERT ON steps WHEN {_INDEXED.format(row="new")} BEGIN
        {_INSERT.format(row="new")};
    END""",
    """CREATE TRIGGER IF NOT EXISTS steps_fts_ad AFTER DELETE ON steps BEGIN
        DELETE FROM steps_fts WHERE rowid = old.rowid;
    END""",
    # Only when what is indexed changes: Chainlit rewrites an answer with the same text after the app has.
    f"""CREATE TRIGGER IF NOT EXISTS steps_fts_au AFTER UPDATE OF "output", "type", "threadId", "metadata" ON steps
        WHEN old."output" IS NOT new."output" OR old."type" IS NOT new."type" OR old."threadId" IS NOT new."threadId"
        OR ({_INDEXED.format(row="old")}) IS NOT ({_INDEXED.format(row="new")}) BEGIN
        DELETE FROM steps_fts WHERE rowid = old.rowid;
        {_INSERT.format(row="new")} WHERE {_INDEXED.format(row="new")};
    END""",
    # A thread is often created before it is claimed (Chainlit writes a step first): re-own its messages.
    f"""CREATE TRIGGER IF NOT EXISTS threads_fts_owner AFTER UPDATE OF "userId" ON threads
        WHEN old."userId" IS NOT new."userId" BEGIN
        DELETE FROM steps_fts WHERE rowid IN (SELECT rowid FROM steps WHERE "threadId" = new."id");
        {_INSERT.format(row="s")} FROM steps s WHERE s."threadId" = new."id" AND {_INDEXED.format(row="s")};
    END""",
)
_STEP_TRIGGERS_MARK = "json_valid"
"""In the steps triggers since answers are indexed when they end: a database with the earlier ones gets these."""
_NAME_INSERT = (
    'INSERT INTO steps_fts (rowid, "output", owner, thread_id) SELECT -{row}.rowid, {row}."name", '
    "COALESCE(REPLACE({row}.\"userId\", '-', ''), ''), {row}.\"id\""
)
_SQLITE_DDL += (
    # Thread names (a renamed chat is found by its new name) are rows with the thread's rowid negated.
    f"""CREATE TRIGGER IF NOT EXISTS threads_fts_ai AFTER INSERT ON threads WHEN new."name" IS NOT NULL BEGIN
        {_NAME_INSERT.format(row="new")};
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS threads_fts_au AFTER UPDATE OF "name", "userId" ON threads BEGIN
        DELETE FROM steps_fts WHERE rowid = -old.rowid;
        {_NAME_INSERT.format(row="new")} WHERE new."name" IS NOT NULL;
    END""",
    """CREATE TRIGGER IF NOT EXISTS threads_fts_ad AFTER DELETE ON threads BEGIN
        DELETE FROM steps_fts WHERE rowid = -old.rowid;
    END""",
)
_TRIGGERS = (
    "steps_fts_ai",
    "steps_fts_ad",
    "steps_fts_au",
    "threads_fts_owner",
    "threads_fts_ai",
    "threads_fts_au",
    "threads_fts_ad",
)
RANK_WINDOW = 200
"""Only the caller's newest this-many matching messages are ranked (BM25 costs ~0.1 ms a message):
a word found in nearly every message (a "the") answers in bounded time, with the best matches
among recent chats; a distinctive word (the usual search) has fewer matches and all are ranked."""

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
    found = (await conn.execute(text("SELECT sql FROM sqlite_master WHERE name = 'steps_fts'"))).first()
    changes: list[str] = []
    if found is not None and not all(
        mark in str(found[0]) for mark in ("owner", "prefix")
    ):  # an index of an earlier shape: rebuild it
        for trigger in _TRIGGERS:
            await conn.execute(text(f"DROP TRIGGER IF EXISTS {trigger}"))
        await conn.execute(text("DROP TABLE steps_fts"))
        found = None
    if found is None:
        await conn.execute(
            text(
                """CREATE VIRTUAL TABLE steps_fts USING fts5("output", owner, thread_id UNINDEXED,
                tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3')"""
            )
        )
        await conn.execute(text(f"""{_INSERT.format(row="s")} FROM steps s WHERE {_INDEXED.format(row="s")}"""))
        await conn.execute(text(f"""{_NAME_INSERT.format(row="t")} FROM threads t WHERE t."name" IS NOT NULL"""))
        changes.append("created the message search index")
    else:
        changes += await _replace_old_step_triggers(conn)
    for ddl in _SQLITE_DDL:
        await conn.execute(text(ddl))
    return changes


async def _replace_old_step_triggers(conn: AsyncConnection) -> list[str]:
    """Drop the steps triggers of an earlier version (they indexed every checkpoint); `_SQLITE_DDL` makes
    them again. Answers those indexed mid-stream stay as they were until their text next changes."""
    found = await conn.execute(
        text(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN ('steps_fts_ai', 'steps_fts_au', 'threads_fts_owner')"
        )
    )
    old = [name for name, sql in found.all() if _STEP_TRIGGERS_MARK not in str(sql)]
    for name in old:
        await conn.execute(text(f"DROP TRIGGER {name}"))
    return ["updated the message search triggers"] if old else []


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
    return f'"output" : ({" AND ".join(quoted)})'


_SQLITE_FLOOR = """MAX(0, COALESCE((SELECT rowid FROM steps_fts WHERE steps_fts MATCH :owned
    ORDER BY rowid DESC LIMIT 1 OFFSET :window), 0))"""
"""The rowid below which messages are not ranked: that of the caller's RANK_WINDOW+1-th newest match.
The owner is matched here only: as a phrase in the ranking query, BM25 would read the owner's
whole posting list for every row."""


def _match_postgres(terms: list[str]) -> str:
    folded = [_fold(t) for t in terms]
    return " & ".join(folded[:-1] + [folded[-1] + ":*"])


async def ranked_thread_ids(layer: Any, user_id: str, search: str, limit: int) -> list[str]:
    """The ids of `user_id`'s threads that match `search`, best first (at most `limit`); one query."""
    await layer.settle()  # held writes first (storage/lane.py): a search finds what was just said
    terms = query_terms(search) if rows.is_id(user_id) else []  # ids are UUIDs: safe inside a match expression
    needle = search[:MAX_QUERY_CHARS].strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    params: dict[str, Any] = {"user_id": user_id, "limit": limit, "pattern": f"%{needle}%"}
    if layer.dialect == "sqlite":
        by_name = """SELECT thread_id AS id, -1 AS bonus, 0 AS score FROM steps_fts
            WHERE steps_fts MATCH :owned AND rowid < 0"""
        by_content = f"""SELECT m.thread_id AS id, 0 AS bonus, m.score AS score
            FROM (SELECT thread_id, rank AS score FROM steps_fts
                  WHERE steps_fts MATCH :match AND rowid > {_SQLITE_FLOOR}) m
            JOIN threads t ON t."id" = m.thread_id WHERE t."userId" = :user_id"""
        if not terms:
            return []
        params["match"] = _match_sqlite(terms)
        params["owned"] = f'owner : "{user_id.replace("-", "")}" AND {params["match"]}'
        params["window"] = RANK_WINDOW
        best, order = "MIN", "ASC"
    else:
        by_name = """SELECT t."id" AS id, 1 AS bonus, 0 AS score FROM threads t
            WHERE t."userId" = :user_id AND LOWER(t."name") LIKE :pattern ESCAPE '\\'"""
        by_content = f"""SELECT s."threadId" AS id, 0 AS bonus, ts_rank(s.search, q) AS score
            FROM steps s JOIN threads t ON t."id" = s."threadId", to_tsquery('simple', :match) q
            WHERE s.search @@ q AND s."type" IN ({_TYPES_SQL}) AND t."userId" = :user_id"""
        params["match"] = _match_postgres(terms) if terms else ""
        best, order = "MAX", "DESC"
    parts = [by_name] + ([by_content] if terms else [])
    query = f"""SELECT id FROM ({" UNION ALL ".join(parts)}) matches
        GROUP BY id ORDER BY {best}(bonus) {order}, {best}(score) {order}, id LIMIT :limit"""
    return [row["id"] for row in await layer._run(query, params)]


async def ranked_page(
    layer: Any, ranked: list[str], cursor: str | None, first: int
) -> tuple[list[dict[str, Any]], bool]:
    """One page of the ranked threads (after `cursor`), loaded without steps; and whether more follow."""
    start = ranked.index(cursor) + 1 if cursor in ranked else 0
    ids = ranked[start : start + first]
    if not ids:
        return [], False
    params = {f"s{i}": thread_id for i, thread_id in enumerate(ids)}
    where = f'WHERE t."id" IN ({", ".join(f":s{i}" for i in range(len(ids)))})'
    threads = await layer.load_threads(where, params, with_steps=False)
    order = {thread_id: i for i, thread_id in enumerate(ids)}
    threads.sort(key=lambda t: order[t["id"]])
    return threads, len(ranked) > start + first
