"""Read an import file: this app's own export (storage/export.py) or ChatGPT's `conversations.json`.

`parse_import(data)` checks the whole file before anything is written — size, encoding, JSON,
shape, every conversation — and raises `ImportFileError` (one line the user can act on) for a
file that cannot be imported as a whole. A conversation that cannot be read is skipped and said
so in the report; the others are imported. Writing is `storage.import_writer.import_conversations`.

ChatGPT's export (Settings → Data controls → Export) holds a list of conversations, each a tree:
`mapping` is {node id: {"message": {...} | null, "parent": id | null, "children": [ids]}} and
`current_node` is the leaf of the branch the user last saw. That branch is imported (edits and
regenerated answers on other branches are not), with the user's and the assistant's text
messages only (no system prompts, tool calls, or hidden messages).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from storage.export import CONVERSATION_FORMAT, EXPORT_FORMAT, EXPORT_VERSION, is_private_route

__all__ = [
    "MAX_CONVERSATIONS",
    "MAX_IMPORT_BYTES",
    "ImportFileError",
    "ImportedConversation",
    "ImportedMessage",
    "ParsedImport",
    "parse_import",
]

MAX_IMPORT_BYTES = 64 * 1024 * 1024
"""The largest import file accepted (a ChatGPT export of a few thousand conversations fits)."""
MAX_CONVERSATIONS = 10_000
MAX_MESSAGES = 10_000
MAX_MESSAGE_CHARS = 1_000_000


class ImportFileError(ValueError):
    """The file cannot be imported at all; nothing was written. The message is for the user."""


@dataclass
class ImportedMessage:
    role: str
    """"user" or "assistant"."""
    content: str
    created_at: str | None = None
    route: dict[str, Any] | None = None
    state: str = "done"
    feedback: dict[str, Any] | None = None


@dataclass
class ImportedConversation:
    source: str
    """"foundry-chat" or "chatgpt"."""
    source_id: str
    name: str
    created_at: str | None
    messages: list[ImportedMessage] = field(default_factory=list)
    private: bool = False
    options: dict[str, Any] | None = None


@dataclass
class ParsedImport:
    format: str
    conversations: list[ImportedConversation]
    skipped: list[dict[str, str]]
    """[{"name": ..., "reason": ...}] for conversations that could not be read."""


class _Skip(ValueError):
    """One conversation cannot be read: skipped, with this reason."""


def _iso(value: object) -> str | None:
    if isinstance(value, int | float) and 0 < value < 1e11:
        return datetime.fromtimestamp(value, UTC).replace(tzinfo=None).isoformat() + "Z"
    if isinstance(value, str) and value:
        return value[:40]
    return None


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise _Skip(f"{what} is not text")
    if len(value) > MAX_MESSAGE_CHARS:
        raise _Skip(f"{what} is longer than {MAX_MESSAGE_CHARS:,} characters")
    return value


def _ours(item: Mapping[str, Any]) -> ImportedConversation:
    if item.get("format") != CONVERSATION_FORMAT or not isinstance(item.get("messages"), list):
        raise _Skip(f"not a {CONVERSATION_FORMAT} document")
    if isinstance(item.get("version"), int) and item["version"] > EXPORT_VERSION:
        raise _Skip(f"written by a newer version of foundry-chat (format version {item['version']})")
    if not isinstance(item.get("id"), str) or not item["id"]:
        raise _Skip("it has no id")
    if len(item["messages"]) > MAX_MESSAGES:
        raise _Skip(f"more than {MAX_MESSAGES:,} messages")
    messages: list[ImportedMessage] = []
    for m in item["messages"]:
        if not isinstance(m, Mapping) or m.get("role") not in ("user", "assistant"):
            raise _Skip("a message has no role user or assistant")
        route = m.get("route") if isinstance(m.get("route"), Mapping) else None
        feedback = m.get("feedback") if isinstance(m.get("feedback"), Mapping) else None
        messages.append(
            ImportedMessage(
                role=m["role"],
                content=_text(m.get("content", ""), "a message"),
                created_at=_iso(m.get("created_at")),
                route=dict(route) if route else None,
                state=str(m.get("state") or "done")[:20],
                feedback=dict(feedback) if feedback else None,
            )
        )
    private = bool(item.get("private")) or any(is_private_route(m.route) for m in messages)
    options = item.get("options") if isinstance(item.get("options"), Mapping) else None
    return ImportedConversation(
        source="foundry-chat",
        source_id=item["id"][:100],
        name=str(item.get("name") or "")[:200],
        created_at=_iso(item.get("created_at")),
        messages=messages,
        private=private,
        options=dict(options) if options else None,
    )


def _chatgpt_branch(item: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The nodes from the root to `current_node` (the branch the user last saw), oldest first."""
    mapping = item.get("mapping")
    if not isinstance(mapping, Mapping) or not mapping:
        raise _Skip("it has no messages (no mapping)")
    node_id = item.get("current_node")
    if node_id not in mapping:  # no current node: follow the first child from the root
        roots = [k for k, v in mapping.items() if isinstance(v, Mapping) and not v.get("parent")]
        node_id = roots[0] if roots else next(iter(mapping))
        while isinstance(mapping.get(node_id), Mapping) and mapping[node_id].get("children"):
            node_id = mapping[node_id]["children"][-1]
    branch: list[Mapping[str, Any]] = []
    seen: set[str] = set()
    while isinstance(node_id, str) and node_id in mapping and node_id not in seen:
        seen.add(node_id)
        node = mapping[node_id]
        if not isinstance(node, Mapping):
            raise _Skip("a node of its mapping is not an object")
        branch.append(node)
        node_id = node.get("parent")
    return branch[::-1]


def _chatgpt_text(message: Mapping[str, Any]) -> str | None:
    content = message.get("content")
    if not isinstance(content, Mapping) or content.get("content_type") not in ("text", "multimodal_text"):
        return None
    parts = content.get("parts")
    if not isinstance(parts, list):
        return None
    text = "\n\n".join(p for p in parts if isinstance(p, str)).strip()
    return text or None


def _chatgpt(item: Mapping[str, Any]) -> ImportedConversation:
    source_id = item.get("conversation_id") or item.get("id")
    if not isinstance(source_id, str) or not source_id:
        raise _Skip("it has no conversation_id")
    messages: list[ImportedMessage] = []
    for node in _chatgpt_branch(item):
        message = node.get("message")
        if not isinstance(message, Mapping):
            continue
        author = message.get("author")
        role = author.get("role") if isinstance(author, Mapping) else None
        found_metadata = message.get("metadata")
        metadata: Mapping[str, Any] = found_metadata if isinstance(found_metadata, Mapping) else {}
        if role not in ("user", "assistant") or metadata.get("is_visually_hidden_from_conversation"):
            continue
        if role == "assistant" and message.get("recipient") not in (None, "all"):
            continue  # a tool call
        text = _chatgpt_text(message)
        if text is None:
            continue
        route = None
        if role == "assistant":
            model = metadata.get("model_slug") or metadata.get("default_model_slug")
            route = {"target": "cloud", "model": str(model) if model else None, "policy": None,
                     "reason": "imported from ChatGPT", "line": f"cloud · {model or 'ChatGPT'} · imported from ChatGPT"}
        messages.append(ImportedMessage(role, _text(text, "a message"), _iso(message.get("create_time")), route))
        if len(messages) > MAX_MESSAGES:
            raise _Skip(f"more than {MAX_MESSAGES:,} messages")
    if not messages:
        raise _Skip("it has no text messages")
    return ImportedConversation(
        source="chatgpt",
        source_id=source_id[:100],
        name=str(item.get("title") or "")[:200] or messages[0].content[:60],
        created_at=_iso(item.get("create_time")),
        messages=messages,
    )


def _conversations(document: Any) -> tuple[str, list[Any], Any]:
    """(format, the conversation items, how to read one) of a decoded file; ImportFileError if neither."""
    if isinstance(document, Mapping) and document.get("format") == EXPORT_FORMAT:
        version = document.get("version")
        if not isinstance(version, int) or version > EXPORT_VERSION:
            raise ImportFileError(
                f"this export is format version {version!r}; this app reads version {EXPORT_VERSION}: update the app"
            )
        if not isinstance(document.get("conversations"), list):
            raise ImportFileError("this foundry-chat export has no list of conversations")
        return "foundry-chat", document["conversations"], _ours
    if isinstance(document, Mapping) and document.get("format") == CONVERSATION_FORMAT:
        return "foundry-chat", [document], _ours
    if isinstance(document, Mapping) and "mapping" in document:
        return "chatgpt", [document], _chatgpt
    if isinstance(document, list) and not document:
        raise ImportFileError("the file holds no conversations")
    if isinstance(document, list) and all(isinstance(c, Mapping) and "mapping" in c for c in document):
        return "chatgpt", document, _chatgpt
    raise ImportFileError(
        "this is not a conversation export: expected a foundry-chat export (format "
        f"{EXPORT_FORMAT!r}) or ChatGPT's conversations.json (a list of conversations with a 'mapping')"
    )


def parse_import(data: bytes) -> ParsedImport:
    """Decode and check a whole import file; ImportFileError when it cannot be imported at all."""
    if not data.strip():
        raise ImportFileError("the file is empty")
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportFileError(f"the file is larger than the {MAX_IMPORT_BYTES // (1024 * 1024)} MiB import limit")
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ImportFileError("the file is not UTF-8 text (an export is a .json file)") from None
    except json.JSONDecodeError as exc:
        raise ImportFileError(f"the file is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise ImportFileError("the file is not valid JSON: it is nested too deeply") from None
    source, items, read = _conversations(document)
    if len(items) > MAX_CONVERSATIONS:
        raise ImportFileError(f"the file holds {len(items):,} conversations; import at most {MAX_CONVERSATIONS:,} at a time")
    conversations: list[ImportedConversation] = []
    skipped: list[dict[str, str]] = []
    for i, item in enumerate(items):
        name = str((item.get("name") or item.get("title") or f"conversation {i + 1}") if isinstance(item, Mapping) else f"conversation {i + 1}")[:200]
        try:
            if not isinstance(item, Mapping):
                raise _Skip("it is not an object")
            conversations.append(read(item))
        except _Skip as why:
            skipped.append({"name": name, "reason": str(why)})
    return ParsedImport(source, conversations, skipped)
