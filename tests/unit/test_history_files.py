"""Export documents and import files (storage/export.py, storage/importer.py): the pure part."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from storage import importer
from storage.export import conversation_document, conversation_markdown, export_header
from storage.importer import ImportFileError, parse_import

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "docs" / "history.schema.json").read_text())
CHATGPT = ROOT / "tests" / "data" / "history" / "chatgpt-conversations.json"
ROUTE = {
    "target": "local", "model": "phi-4-mini", "policy": "cloud", "reason": "private data: e-mail address",
    "signals": {"policy": "cloud", "private": ["email"]}, "attempts": [], "ttft_ms": 12.5, "duration_ms": 80.0,
    "prompt_tokens": 20, "completion_tokens": 9, "tokens_per_second": 130.0, "continued_on": None,
    "continued_model": None,
}  # fmt: skip


def thread(**extra: Any) -> dict[str, Any]:
    answer_meta = {"turn": {"state": "done", "user": "mail me at a@b.no", "reply": "Sure."}, "route": ROUTE}
    return {
        "id": "0b5f2c3e-1111-4222-8333-444455556666",
        "name": "Mail",
        "createdAt": "2026-01-01T00:00:00Z",
        "metadata": json.dumps({"options": {"policy": "cloud"}}),
        "steps": [
            {"id": "u1", "type": "user_message", "output": "mail me at a@b.no", "createdAt": "2026-01-01T00:00:01Z"},
            {"id": "a1", "type": "assistant_message", "output": "Sure.", "metadata": answer_meta,
             "feedback": {"value": 0, "comment": "meh"}, "createdAt": "2026-01-01T00:00:02Z"},
            {"id": "r1", "type": "tool", "parentId": "a1", "name": "local · phi-4-mini · private data: e-mail address"},
            {"id": "u2", "type": "user_message", "output": "and again", "createdAt": "2026-01-01T00:00:03Z"},
            {"id": "a2", "type": "assistant_message", "output": "Old answer", "createdAt": "2026-01-01T00:00:04Z"},
            {"id": "r2", "type": "tool", "parentId": "a2", "name": "cloud · gpt-4o · short prompt (2 words)"},
        ],
        **extra,
    }  # fmt: skip


def test_a_conversation_document_carries_routes_feedback_and_privacy() -> None:
    document = conversation_document(thread())
    jsonschema.validate(document, SCHEMA)
    jsonschema.validate({**export_header("alice", "2026-01-02T00:00:00Z"), "conversations": [document]}, SCHEMA)
    first, second = (m for m in document["messages"] if m["role"] == "assistant")
    assert first["route"]["model"] == "phi-4-mini" and first["route"]["line"].startswith("local · phi-4-mini")
    assert first["feedback"] == {"value": 0, "comment": "meh"} and first["private"] is True
    assert second["route"] == {"target": "cloud", "model": "gpt-4o", "line": "cloud · gpt-4o · short prompt (2 words)"}
    assert document["private"] is True and document["options"] == {"policy": "cloud"}
    markdown = conversation_markdown(document)
    assert markdown.startswith("# Mail\n") and "> route: local · phi-4-mini · private data: e-mail address" in markdown
    assert "👎 not helpful: meh" in markdown and "stays local when resumed" in markdown


def test_our_export_reads_back_whole() -> None:
    document = conversation_document(thread())
    parsed = parse_import(json.dumps({**export_header("a", "now"), "conversations": [document]}).encode())
    (conversation,) = parsed.conversations
    assert parsed.format == "foundry-chat" and not parsed.skipped
    assert conversation.private and conversation.source_id == document["id"]
    assert [(m.role, m.content) for m in conversation.messages][:2] == [("user", "mail me at a@b.no"), ("assistant", "Sure.")]
    assert conversation.messages[1].route is not None and conversation.messages[1].route["ttft_ms"] == 12.5
    assert parse_import(json.dumps(document).encode()).conversations[0].name == "Mail"  # one conversation alone


def test_chatgpt_export_the_branch_the_user_saw() -> None:
    parsed = parse_import(CHATGPT.read_bytes())
    sourdough, norwegian = parsed.conversations
    assert parsed.format == "chatgpt" and not parsed.skipped
    assert [m.role for m in sourdough.messages] == ["user", "assistant", "user", "assistant"]
    assert "older draft" not in " ".join(m.content for m in sourdough.messages)  # a regenerated answer
    assert sourdough.messages[2].content.startswith("Here is a photo")  # the text of a multimodal message
    assert sourdough.messages[3].route == {
        "target": "cloud", "model": "gpt-4o-mini", "policy": None, "reason": "imported from ChatGPT",
        "line": "cloud · gpt-4o-mini · imported from ChatGPT",
    }  # fmt: skip
    assert sourdough.created_at == "2024-10-27T03:33:20.123456Z" and not sourdough.private
    assert norwegian.name == "Håndlaget smørbrød"


def test_one_unreadable_conversation_is_skipped_and_said() -> None:
    good = json.loads(CHATGPT.read_text())[1]
    parsed = parse_import(json.dumps([good, {"title": "Broken", "mapping": {}, "id": "c1"}, {**good, "conversation_id": None, "id": None}]).encode())
    assert [c.name for c in parsed.conversations] == ["Håndlaget smørbrød"]
    assert parsed.skipped == [
        {"name": "Broken", "reason": "it has no messages (no mapping)"},
        {"name": "Håndlaget smørbrød", "reason": "it has no conversation_id"},
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"   ", "the file is empty"),
        (b"[1, 2", "not valid JSON: Expecting"),
        (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
        (b"\x80\x81", "not UTF-8"),
        (b"[]", "the file holds no conversations"),
        (b'[{"title": "x"}]', "this is not a conversation export"),
        (b'"a string"', "this is not a conversation export"),
        (b'{"format": "foundry-chat/export", "version": 2, "conversations": []}', "format version 2"),
        (b'{"format": "foundry-chat/export", "version": 1, "conversations": {}}', "no list of conversations"),
    ],
)
def test_bad_files_have_one_clear_error(data: bytes, expected: str) -> None:
    with pytest.raises(ImportFileError, match=expected.replace("(", r"\(")):
        parse_import(data)


def test_size_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(importer, "MAX_IMPORT_BYTES", 1024)
    with pytest.raises(ImportFileError, match="larger than"):
        parse_import(b"[" + b" " * 2000 + b"]")
