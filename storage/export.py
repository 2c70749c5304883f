"""A conversation as a document: versioned JSON (docs/history.md, docs/history.schema.json) and Markdown.

Every answer carries its route — where it ran (local or cloud), which model, under which policy,
why, its timings, and whether it was continued on another target or interrupted — and its
feedback. The route comes from the answer's `metadata["route"]` (the router's decision record,
stored when the answer finishes); for answers stored before that existed, from the route line
the page shows under the answer. A conversation is `private` when any answer was kept local
because of private data (or because the privacy check could not run): an import keeps that, and
the resumed conversation stays local (see storage/importer.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from storage import _rows as rows

__all__ = [
    "CONVERSATION_FORMAT",
    "EXPORT_FORMAT",
    "EXPORT_VERSION",
    "conversation_document",
    "conversation_markdown",
    "export_header",
    "is_private_route",
]

EXPORT_FORMAT = "foundry-chat/export"
CONVERSATION_FORMAT = "foundry-chat/conversation"
EXPORT_VERSION = 1
_ROLES = {"user_message": "user", "assistant_message": "assistant"}
_ROUTE_KEYS = (
    "target",
    "model",
    "policy",
    "reason",
    "signals",
    "attempts",
    "ttft_ms",
    "duration_ms",
    "prompt_tokens",
    "completion_tokens",
    "tokens_per_second",
    "continued_on",
    "continued_model",
)


def _meta(value: object) -> dict[str, Any]:
    found = rows.json_out(value, {})
    return found if isinstance(found, dict) else {}


def is_private_route(route: Mapping[str, Any] | None) -> bool:
    """Whether an answer was kept local because of what the conversation holds."""
    if not route:
        return False
    signals = route.get("signals")
    reason = str(route.get("reason") or "")
    private_kinds = signals.get("private") if isinstance(signals, Mapping) else None
    return bool(private_kinds) or reason.startswith(("private data", "privacy check failed"))


def _route(step: Mapping[str, Any], route_lines: Mapping[str, str]) -> dict[str, Any] | None:
    stored = _meta(step.get("metadata")).get("route")
    if isinstance(stored, Mapping):
        route = {k: stored.get(k) for k in _ROUTE_KEYS}
        route["line"] = route_lines.get(str(step.get("id")))
        return route
    line = route_lines.get(str(step.get("id")))
    if line is None:
        return None
    target, _, rest = line.partition(" · ")  # an answer from before routes were stored: the line only
    return {"target": target, "line": line, "model": rest.split(" · ")[0] if rest else None}


def _feedback(step: Mapping[str, Any]) -> dict[str, Any] | None:
    feedback = step.get("feedback")
    if not isinstance(feedback, Mapping) or feedback.get("value") is None:
        return None
    return {"value": int(feedback["value"]), "comment": feedback.get("comment") or None}


def _message(step: Mapping[str, Any], route_lines: Mapping[str, str]) -> dict[str, Any]:
    role = _ROLES[str(step.get("type"))]
    turn = _meta(step.get("metadata")).get("turn")
    turn = turn if isinstance(turn, Mapping) else {}
    message: dict[str, Any] = {
        "id": step.get("id"),
        "role": role,
        "content": str(step.get("output") or ""),
        "created_at": step.get("createdAt"),
    }
    if role == "assistant":
        route = _route(step, route_lines)
        message.update(
            {
                "state": turn.get("state") or ("failed" if step.get("isError") else "done"),
                "reply": turn.get("reply") if isinstance(turn.get("reply"), str) else None,
                "route": route,
                "continued": bool(route and route.get("continued_on")),
                "interrupted": turn.get("state") == "interrupted",
                "private": is_private_route(route),
                "feedback": _feedback(step),
            }
        )
    return message


def conversation_document(thread: Mapping[str, Any]) -> dict[str, Any]:
    """One stored thread (a `ThreadDict` with steps) as a `foundry-chat/conversation` document."""
    steps: Sequence[Mapping[str, Any]] = [s for s in thread.get("steps") or [] if isinstance(s, Mapping)]
    route_lines = {
        str(s.get("parentId")): str(s.get("name") or "")
        for s in steps
        if s.get("type") == "tool" and s.get("parentId")
    }
    messages = [_message(s, route_lines) for s in steps if s.get("type") in _ROLES]
    metadata = _meta(thread.get("metadata"))
    options = metadata.get("options")
    imported = metadata.get("imported")
    return {
        "format": CONVERSATION_FORMAT,
        "version": EXPORT_VERSION,
        "id": thread.get("id"),
        "name": thread.get("name") or "",
        "created_at": thread.get("createdAt"),
        "private": bool(metadata.get("private")) or any(m.get("private") for m in messages),
        "options": dict(options) if isinstance(options, Mapping) else None,
        "imported": dict(imported) if isinstance(imported, Mapping) else None,
        "messages": messages,
    }


def export_header(user: str, exported_at: str) -> dict[str, Any]:
    """The envelope of an all-conversations export (the conversations follow in `conversations`)."""
    return {"format": EXPORT_FORMAT, "version": EXPORT_VERSION, "exported_at": exported_at, "user": user}


def _route_text(message: Mapping[str, Any]) -> str:
    route = message.get("route") or {}
    line = route.get("line")
    if not line and route.get("target"):
        line = " · ".join(str(route[k]) for k in ("target", "model", "reason") if route.get(k))
    parts = [f"route: {line}" if line else "route: not recorded"]
    if route.get("policy"):
        parts.append(f"policy {route['policy']}")
    if route.get("duration_ms") is not None:
        parts.append(f"{route['duration_ms']:.0f} ms in all")
    if message.get("interrupted"):
        parts.append("interrupted")
    elif message.get("state") == "stopped":
        parts.append("stopped")
    return " · ".join(parts)


def conversation_markdown(document: Mapping[str, Any]) -> str:
    """A readable transcript: each answer is followed by its route and feedback."""
    title = str(document.get("name") or "Conversation").replace("\n", " ")
    lines = [f"# {title}", ""]
    facts = [f"{len(document.get('messages') or [])} messages", f"started {document.get('created_at') or 'unknown'}"]
    if document.get("private"):
        facts.append("private: answered on this machine only, and stays local when resumed")
    lines += ["*" + " · ".join(facts) + "*", ""]
    for message in document.get("messages") or []:
        who = "You" if message.get("role") == "user" else "Assistant"
        lines += [f"## {who}", "", str(message.get("content") or ""), ""]
        if message.get("role") == "assistant":
            lines += [f"> {_route_text(message)}", ""]
            feedback = message.get("feedback")
            if feedback:
                verdict = "👍 helpful" if feedback.get("value") else "👎 not helpful"
                comment = f": {feedback['comment']}" if feedback.get("comment") else ""
                lines += [f"> feedback: {verdict}{comment}", ""]
    return "\n".join(lines).rstrip() + "\n"
