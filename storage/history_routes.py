"""HTTP doors to the signed-in user's history: export (JSON, Markdown, everything) and import.

    GET  /export/all.json            every conversation of the signed-in user (streamed)
    GET  /export/{thread_id}.json    one conversation, versioned JSON (docs/history.md)
    GET  /export/{thread_id}.md      one conversation, readable Markdown
    POST /import                     a foundry-chat export or ChatGPT's conversations.json:
                                     the raw file as the body, or a multipart form field `file`

Owner only: another user's thread, a thread that does not exist and a malformed id all answer
the same 404. Without a signed-in user (sign-in off and history off: the server is bound beyond
loopback) every route answers 404, since there is no history that is this caller's.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Annotated, Any

from chainlit.auth import get_current_user
from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from storage import _rows as rows
from storage.data_layer import IsolationError, PersistenceError
from storage.export import conversation_document, conversation_markdown, export_header
from storage.guard import acting_as
from storage.import_writer import import_conversations
from storage.importer import MAX_IMPORT_BYTES, ImportFileError, parse_import

__all__ = ["EXPORT_BATCH", "router"]

router = APIRouter()
EXPORT_BATCH = 50
"""Threads loaded (with their messages) per query while streaming an export of everything."""
_NOT_FOUND = {"detail": "Not Found"}
_FORM_OVERHEAD = 64 * 1024
"""Room for a multipart form's headers and boundaries around the file."""
User = Annotated[Any, Depends(get_current_user)]


def _layer() -> Any:
    from chainlit.data import get_data_layer

    return get_data_layer()  # type: ignore[no-untyped-call]


def _filename(name: str, suffix: str) -> str:
    stem = re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.")[:60] or "conversation"
    return f'attachment; filename="{stem}{suffix}"'


async def _own_thread(user: Any, thread_id: str) -> dict[str, Any] | None:
    layer = _layer()
    if user is None or layer is None or not rows.is_id(thread_id):
        return None
    with acting_as(user):
        thread = await layer.get_thread(thread_id)
    if thread is None or thread.get("userIdentifier") != user.identifier:
        return None
    return dict(thread)


@router.get("/export/all.json")
async def export_all(current_user: User) -> Response:
    layer = _layer()
    if current_user is None or layer is None:
        return JSONResponse(_NOT_FOUND, status_code=404)
    persisted = await layer.get_user(current_user.identifier)
    ids: list[str] = []
    if persisted is not None:
        found = await layer._run(
            'SELECT "id" FROM threads WHERE "userId" = :u ORDER BY "createdAt" ASC', {"u": persisted.id}
        )
        ids = [r["id"] for r in found]
    header = export_header(current_user.identifier, rows.now_iso())
    position = {thread_id: n for n, thread_id in enumerate(ids)}

    async def body() -> AsyncIterator[bytes]:
        yield json.dumps(header, ensure_ascii=False)[:-1].encode() + b', "conversations": ['
        first = True
        for start in range(0, len(ids), EXPORT_BATCH):
            batch = ids[start : start + EXPORT_BATCH]
            params = {f"i{n}": thread_id for n, thread_id in enumerate(batch)}
            where = f'WHERE t."id" IN ({", ".join(f":i{n}" for n in range(len(batch)))})'
            with acting_as(current_user):
                threads = await layer.load_threads(where, params, with_steps=True)
            for thread in sorted(threads, key=lambda t: position[t["id"]]):
                yield (b"" if first else b", ") + json.dumps(conversation_document(thread), ensure_ascii=False).encode()
                first = False
        yield b"]}\n"

    return StreamingResponse(
        body(),
        media_type="application/json",
        headers={"Content-Disposition": _filename(f"foundry-chat-export-{header['exported_at'][:10]}", ".json")},
    )


@router.get("/export/{thread_id}.json")
async def export_json(thread_id: str, current_user: User) -> Response:
    thread = await _own_thread(current_user, thread_id)
    if thread is None:
        return JSONResponse(_NOT_FOUND, status_code=404)
    document = conversation_document(thread)
    return Response(
        json.dumps(document, ensure_ascii=False, indent=2),
        media_type="application/json",
        headers={"Content-Disposition": _filename(document["name"] or thread_id, ".json")},
    )


@router.get("/export/{thread_id}.md")
async def export_markdown(thread_id: str, current_user: User) -> Response:
    thread = await _own_thread(current_user, thread_id)
    if thread is None:
        return JSONResponse(_NOT_FOUND, status_code=404)
    document = conversation_document(thread)
    return Response(
        conversation_markdown(document),
        media_type="text/markdown; charset=utf-8",
        headers={"Content-Disposition": _filename(document["name"] or thread_id, ".md")},
    )


class _TooLarge(Exception):
    """The upload is over MAX_IMPORT_BYTES: 413, nothing read further."""


async def _read_upload(request: Request) -> bytes:
    """The file: a multipart field `file`, or the raw body; at most MAX_IMPORT_BYTES (+1, to tell)."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_IMPORT_BYTES + _FORM_OVERHEAD:
        raise _TooLarge  # refused before a byte is read (or spooled to disk)
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        form = await request.form(max_files=1, max_fields=4)
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise ImportFileError("send the file in a multipart form field named 'file'")
        content = await upload.read(MAX_IMPORT_BYTES + 1)
        if len(content) > MAX_IMPORT_BYTES:
            raise _TooLarge
        return content
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_IMPORT_BYTES:
            raise _TooLarge
    return bytes(body)


async def import_bytes(layer: Any, user: Any, data: bytes) -> dict[str, Any]:
    """Parse (in a thread: a large file never blocks the event loop), then write; ImportFileError if unreadable."""
    parsed = await asyncio.to_thread(parse_import, data)
    persisted = await layer.get_user(user.identifier) or await layer.create_user(user)
    if persisted is None:
        raise ImportFileError("your user could not be stored; try again")
    return await import_conversations(layer, persisted, parsed)


@router.post("/import")
async def import_file(request: Request, current_user: User) -> Response:
    layer = _layer()
    if current_user is None or layer is None:
        return JSONResponse(_NOT_FOUND, status_code=404)
    try:
        report = await import_bytes(layer, current_user, await _read_upload(request))
    except _TooLarge:
        return JSONResponse(
            {"error": f"the file is larger than the {MAX_IMPORT_BYTES // (1024 * 1024)} MiB import limit"},
            status_code=413,
        )
    except ImportFileError as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    except (PersistenceError, IsolationError) as exc:  # counted and logged by the data layer
        return JSONResponse({"error": f"the import stopped part-way: {exc}; import the file again"}, status_code=503)
    return JSONResponse(report)
