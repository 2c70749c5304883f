"""Between Python values and database rows: ids, timestamps, JSON columns, thread/step/element dicts."""

from __future__ import annotations

import functools
import json
import re
from datetime import UTC, datetime
from typing import Any

from storage.schema import TABLES

__all__ = [
    "ELEMENT_COLUMNS",
    "ELEMENT_SELECT",
    "STEP_COLUMNS",
    "STEP_SELECT",
    "THREAD_GROUP",
    "THREAD_SELECT",
    "element_from_row",
    "fingerprint",
    "is_id",
    "json_in",
    "json_out",
    "now_iso",
    "step_from_row",
    "step_upsert",
    "storable",
    "tags_in",
    "thread_from_row",
    "thread_row",
    "thread_upsert",
]

_ID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
STEP_COLUMNS = frozenset(c.name for c in TABLES["steps"])
ELEMENT_COLUMNS = frozenset(c.name for c in TABLES["elements"])


def is_id(value: object) -> bool:
    """Whether `value` is a UUID string: every id Chainlit makes is one, and nothing else is accepted."""
    return isinstance(value, str) and bool(_ID.match(value))


def now_iso() -> str:
    """UTC, in the format of `chainlit.utils.utc_now` (Chainlit's own thread timestamp is local time marked Z)."""
    return datetime.now(UTC).replace(tzinfo=None).isoformat() + "Z"


_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
"""What no database column takes: a NUL (PostgreSQL text and JSONB refuse it) or a lone surrogate
(not encodable as UTF-8). Both arrive from clients; chat/inputs.py refuses them, but Chainlit
stores the user's message before the app sees it."""


_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(value: Any) -> Any:
    """`value` with every string (inside dicts and lists too) made storable: NULs and lone surrogates
    become U+FFFD, so one bad message can never fail a write (and turn /readyz to 503)."""
    if isinstance(value, str):
        if value.isascii():  # the common case, checked at C speed: only a NUL can be wrong in it
            return value.replace("\x00", "\ufffd") if "\x00" in value else value
        return _UNSTORABLE.sub("\ufffd", value) if _UNSTORABLE.search(value) else value
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    return value


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
PREVIEW_CHARS = 200


def capped_user_text(text: str, limit: int | None) -> str:
    """A user message over the input limit (MAX_INPUT_CHARS, measured as chat/inputs.py does) is refused
    and never sent anywhere: it is stored as a short preview and a note, not at its full size."""
    if limit is None or len(text) <= limit or len(_CONTROL.sub("", text)) <= limit:
        return text
    return (
        text[:PREVIEW_CHARS]
        + f"…\n\n*[not kept: this message was {len(text):,} characters long, over the limit of {limit:,}; "
        "it was not sent to any model]*"
    )


def json_in(value: Any) -> str | None:
    """`value` as JSON text, made storable. Encoded once and checked, rather than walked first: a NUL
    shows as the escape `\\u0000` in the text and a lone surrogate as itself, and only then is the
    value walked (`storable`) and encoded again (an escaped backslash before `u0000` takes the slow
    path too, with the same result)."""
    if value is None:
        return None
    text = json.dumps(value, ensure_ascii=False)
    if "\\u0000" in text or (not text.isascii() and _SURROGATE.search(text)):
        text = json.dumps(storable(value), ensure_ascii=False)
    return text


def json_out(value: Any, default: Any = None) -> Any:
    """A JSON column as Python: SQLite returns text, PostgreSQL (JSONB) returns the value."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return default
    return default if value is None else value


def tags_in(value: Any, dialect: str) -> Any:
    """Tags as the column wants them: a list on PostgreSQL (TEXT[]), JSON text on SQLite."""
    if value is None:
        return None
    tags = [str(t) for t in value] if isinstance(value, list | tuple) else [str(value)]
    return tags if dialect == "postgresql" else json.dumps(tags, ensure_ascii=False)


def _tags_out(value: Any) -> list[str] | None:
    parsed = json_out(value)
    return [str(t) for t in parsed] if isinstance(parsed, list) else None


def _bool(value: Any) -> bool | None:
    return None if value is None else bool(value)


def step_from_row(row: dict[str, Any]) -> dict[str, Any]:
    """A `StepDict` (with its feedback) from a row of `steps s LEFT JOIN feedbacks f`."""
    feedback = None
    if row.get("feedback_value") is not None:
        feedback = {
            "forId": row["step_id"],
            "id": row.get("feedback_id"),
            "threadId": row.get("step_threadid"),
            "value": int(row["feedback_value"]),
            "comment": row.get("feedback_comment"),
        }
    show_input = row.get("step_showinput")
    step: dict[str, Any] = {
        "id": row["step_id"],
        "name": row.get("step_name"),
        "type": row.get("step_type"),
        "threadId": row.get("step_threadid"),
        "parentId": row.get("step_parentid"),
        "command": row.get("step_command"),
        "modes": json_out(row.get("step_modes")),
        "metadata": json_out(row.get("step_metadata"), {}) or {},
        "tags": _tags_out(row.get("step_tags")),
        "input": (row.get("step_input") or "") if show_input not in (None, "false") else "",
        "output": row.get("step_output") or "",
        "createdAt": row.get("step_createdat"),
        "start": row.get("step_start"),
        "end": row.get("step_end"),
        "generation": json_out(row.get("step_generation")),
        "showInput": show_input,
        "language": row.get("step_language"),
        "defaultOpen": _bool(row.get("step_defaultopen")),
        "autoCollapse": _bool(row.get("step_autocollapse")),
        "streaming": bool(row.get("step_streaming")),
        "waitForAnswer": _bool(row.get("step_waitforanswer")),
        "isError": _bool(row.get("step_iserror")),
        "feedback": feedback,
    }
    return step


def element_from_row(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["element_id"],
        "threadId": row.get("element_threadid"),
        "type": row.get("element_type"),
        "chainlitKey": row.get("element_chainlitkey"),
        "url": row.get("element_url"),
        "objectKey": row.get("element_objectkey"),
        "name": row.get("element_name"),
        "display": row.get("element_display"),
        "size": row.get("element_size"),
        "language": row.get("element_language"),
        "autoPlay": _bool(row.get("element_autoplay")),
        "playerConfig": json_out(row.get("element_playerconfig")),
        "page": row.get("element_page"),
        "props": json_out(row.get("element_props"), {}) or {},
        "forId": row.get("element_forid"),
        "mime": row.get("element_mime"),
    }


def thread_from_row(row: dict[str, Any]) -> dict[str, Any]:
    """A `ThreadDict` without steps and elements."""
    return {
        "id": row["thread_id"],
        "createdAt": row.get("thread_createdat"),
        "name": row.get("thread_name"),
        "userId": row.get("user_id"),
        "userIdentifier": row.get("user_identifier"),
        "tags": _tags_out(row.get("thread_tags")),
        "metadata": json_out(row.get("thread_metadata"), {}) or {},
        "steps": [],
        "elements": [],
    }


STEP_SELECT = """
    SELECT
        s."id" AS step_id, s."name" AS step_name, s."type" AS step_type, s."threadId" AS step_threadid,
        s."parentId" AS step_parentid, s."streaming" AS step_streaming, s."waitForAnswer" AS step_waitforanswer,
        s."isError" AS step_iserror, s."metadata" AS step_metadata, s."tags" AS step_tags, s."input" AS step_input,
        s."output" AS step_output, s."createdAt" AS step_createdat, s."command" AS step_command,
        s."modes" AS step_modes, s."start" AS step_start, s."end" AS step_end, s."generation" AS step_generation,
        s."showInput" AS step_showinput, s."language" AS step_language, s."defaultOpen" AS step_defaultopen,
        s."autoCollapse" AS step_autocollapse,
        f."value" AS feedback_value, f."comment" AS feedback_comment, f."id" AS feedback_id
    FROM steps s LEFT JOIN feedbacks f ON s."id" = f."forId"
"""

ELEMENT_SELECT = """
    SELECT
        e."id" AS element_id, e."threadId" AS element_threadid, e."type" AS element_type,
        e."chainlitKey" AS element_chainlitkey, e."url" AS element_url, e."objectKey" AS element_objectkey,
        e."name" AS element_name, e."display" AS element_display, e."size" AS element_size,
        e."language" AS element_language, e."page" AS element_page, e."forId" AS element_forid,
        e."mime" AS element_mime, e."props" AS element_props, e."autoPlay" AS element_autoplay,
        e."playerConfig" AS element_playerconfig
    FROM elements e
"""

THREAD_SELECT = """
    SELECT
        t."id" AS thread_id, t."createdAt" AS thread_createdat, t."name" AS thread_name, t."userId" AS user_id,
        t."userIdentifier" AS user_identifier, t."tags" AS thread_tags, t."metadata" AS thread_metadata,
        COALESCE(MAX(s."createdAt"), t."createdAt") AS "updatedAt"
    FROM threads t LEFT JOIN steps s ON t."id" = s."threadId"
"""

THREAD_GROUP = """
    GROUP BY t."id", t."createdAt", t."name", t."userId", t."userIdentifier", t."tags", t."metadata"
"""


# --- writes: the statements the data layer hands to the writer (storage/writer.py) -------------


def thread_row(thread_id: str) -> tuple[str, dict[str, Any]]:
    """The thread row a step needs, created empty if missing (its owner and name come later)."""
    return (
        'INSERT INTO threads ("id", "createdAt", "metadata") VALUES (:id, :at, :md) ON CONFLICT ("id") DO NOTHING',
        {"id": thread_id, "at": now_iso(), "md": "{}"},
    )


def thread_upsert(data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Create or update a thread with the non-None values of `data`; never moves an owned thread
    (row count 0 then)."""
    params = {k: v for k, v in data.items() if v is not None}
    columns = ", ".join(f'"{k}"' for k in params)
    values = ", ".join(f":{k}" for k in params)
    updates = ", ".join(f'"{k}" = EXCLUDED."{k}"' for k in params if k not in ("id", "createdAt"))
    return (
        f'INSERT INTO threads ({columns}) VALUES ({values}) ON CONFLICT ("id") DO UPDATE SET {updates}'
        ' WHERE threads."userId" IS NULL OR EXCLUDED."userId" IS NULL OR threads."userId" = EXCLUDED."userId"',
        params,
    )


def step_upsert(step_dict: dict[str, Any], dialect: str) -> tuple[str, dict[str, Any]]:
    """Create or update a step from Chainlit's `StepDict`; never moves a step to another thread
    (row count 0 then)."""
    params: dict[str, Any] = {}
    for key, value in step_dict.items():
        if key not in STEP_COLUMNS or value is None or key in ("metadata", "generation"):
            continue
        if isinstance(value, dict):
            if not value:
                continue
            value = json_in(value)
        elif key == "tags":
            value = tags_in(value, dialect)
        elif key == "showInput":
            value = str(value).lower()
        params[key] = value
    params["metadata"] = json_in(step_dict.get("metadata") or {})
    if step_dict.get("generation"):
        params["generation"] = json_in(step_dict["generation"])
    params.setdefault("createdAt", now_iso())
    params.setdefault("name", "")
    params.setdefault("type", "undefined")
    params.setdefault("streaming", False)
    return _step_sql(tuple(params)), params


@functools.lru_cache(maxsize=256)
def _step_sql(keys: tuple[str, ...]) -> str:
    """The step upsert for these columns (a handful of shapes: built once each)."""
    columns = ", ".join(f'"{k}"' for k in keys)
    values = ", ".join(f":{k}" for k in keys)
    updates = ", ".join(f'"{k}" = EXCLUDED."{k}"' for k in keys if k not in ("id", "threadId", "createdAt"))
    return (
        f'INSERT INTO steps ({columns}) VALUES ({values}) ON CONFLICT ("id") DO UPDATE SET {updates}'
        ' WHERE steps."threadId" = EXCLUDED."threadId"'
    )


def fingerprint(upsert: tuple[str, dict[str, Any]]) -> int:
    """What a step upsert stores, as a number: equal numbers, equal writes (Chainlit re-sends steps the
    app just stored). Taken over the statement's parameters, whose metadata is already JSON: no second
    encoding of the step (measured: two JSON encodings were a third of a write's CPU on the loop)."""
    sql, params = upsert
    # createdAt is never updated by the upsert (and defaults to now when the step has none)
    values = ((k, tuple(v) if isinstance(v, list) else v) for k, v in params.items() if k != "createdAt")
    return hash((sql, tuple(sorted(values))))
