"""Nothing lost: the user's message is stored before the answer is shown, the answer while it streams.

A turn's answer step carries `metadata["turn"]`:

    {"state": "pending" | "streaming" | "done" | "stopped" | "failed" | "interrupted",
     "user": <the user's text as sent to the model>, "reply": <the model's text so far>,
     "boot": <the id of the process that wrote it>, "at": <UTC time of the write>}

`reply` is the model's text without the notices and the route line the page shows, so a resumed
thread gives the model exactly the history the live session had. A process killed mid-answer
leaves "pending"/"streaming" behind; `mark_interrupted` (run at startup) appends a visible mark and
sets "interrupted". `restore_session(thread)` rebuilds `history` and `options` for `on_chat_resume`.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any

from storage import _rows as rows
from storage.data_layer import FoundryDataLayer, IsolationError, PersistenceError
from storage.guard import caller_user

__all__ = [
    "BOOT_ID",
    "INTERRUPTED_MARK",
    "MAX_RESTORED_MESSAGES",
    "Restored",
    "TurnRecorder",
    "mark_interrupted",
    "restore_session",
]

log = logging.getLogger("foundry_chat.storage")

BOOT_ID = uuid.uuid4().hex
"""Identifies this process in the checkpoints it writes."""
INTERRUPTED_MARK = "*[interrupted: the server stopped before this answer finished]*"
CHECKPOINT_INTERVAL_S = 1.0
START_WAIT_S = 0.1
"""How long storing a question waits for its model request to go out, at most (`TurnRecorder.start`)."""
MAX_RESTORED_MESSAGES = 1000
_OPEN_STATES = ("pending", "streaming")
_FINAL_STATE = {"ok": "done", "stopped": "stopped", "interrupted": "interrupted", "error": "failed"}


def _problem_text(exc: Exception) -> str:
    if isinstance(exc, IsolationError):
        return "⚠️ This message could not be saved: the conversation belongs to another user."
    return (
        f"⚠️ This conversation is not being saved: {exc}. Answers still work, but after a restart "
        "this part of the conversation will be missing."
    )


class TurnRecorder:
    """Persist one question/answer turn from the `on_message` handler.

    `begin()` stores the user's message (and makes sure the thread exists, belongs to the caller and
    has a name), plus an empty answer marked "pending", in one commit; `start()` runs it beside the
    model call, from the moment the model request is out (`request_out()`, which the turn calls when
    its provider says so; at most `START_WAIT_S` later), and `ready()` waits for it before anything of
    the answer is shown. `progress(reply)` writes the answer at most every `interval` seconds, in the
    background, never more than one write at a time. `finish(...)` writes the final answer (or
    removes the placeholder when nothing was shown). Nothing raises: the first failure is kept in `problem`, for the handler to tell the user (`take_problem()`).
    """

    def __init__(
        self,
        layer: FoundryDataLayer,
        answer: Any,
        *,
        interval: float = CHECKPOINT_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.layer = layer
        self.answer = answer
        self.interval = interval
        self.clock = clock
        self.problem: str | None = None
        self.writes = 0
        self._user_text = ""
        self._last = float("-inf")
        self._inflight: asyncio.Task[None] | None = None
        self._begun: asyncio.Task[None] | None = None
        self._start: Callable[[], Coroutine[Any, Any, None]] | None = None
        self._deadline: asyncio.TimerHandle | None = None
        self._reported = False

    def take_problem(self) -> str | None:
        """The user-facing text of the first failure, once."""
        if self.problem is None or self._reported:
            return None
        self._reported = True
        return self.problem

    def _fail(self, exc: Exception) -> None:
        if self.problem is None:
            self.problem = _problem_text(exc)

    def _answer_dict(self, state: str, reply: str) -> dict[str, Any]:
        metadata = dict(self.answer.metadata or {})
        metadata["turn"] = {
            "state": state,
            "user": self._user_text,
            "reply": reply,
            "boot": BOOT_ID,
            "at": rows.now_iso(),
        }
        self.answer.metadata = metadata
        step = self.answer.to_dict()
        step["streaming"] = False
        return step  # type: ignore[no-any-return]

    def start(
        self, user_message: Any, user_text: str, *, session_metadata: Mapping[str, Any] | None = None
    ) -> None:
        """`begin` in the background, beside the model call, once the model request is out
        (`request_out`) and at most `START_WAIT_S` from now; `await ready()` before showing any answer."""
        self._start = lambda: self.begin(user_message, user_text, session_metadata=session_metadata)
        self._deadline = asyncio.get_running_loop().call_later(START_WAIT_S, self.request_out)

    def request_out(self) -> None:
        """The model request is on its way (or the wait is over): store the question now, once."""
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None
        if self._start is not None:
            self._begun = asyncio.create_task(self._start())
            self._start = None

    async def ready(self) -> None:
        """Wait until the user's message is stored (or its failure recorded): the answer may be shown."""
        self.request_out()
        if self._begun is not None:
            await asyncio.shield(self._begun)

    async def begin(
        self, user_message: Any, user_text: str, *, session_metadata: Mapping[str, Any] | None = None
    ) -> None:
        """Store the user's message and a placeholder for the answer, in one commit (with the thread's
        owner, name and settings)."""
        self._user_text = user_text
        if not self.answer.created_at:
            self.answer.created_at = rows.now_iso()
        try:
            thread = await self._thread_changes(user_text, session_metadata)
            steps = [user_message.to_dict(), self._answer_dict("pending", "")]
            await self.layer.write_together(user_message.thread_id, thread, steps)
            self.writes += 2
            # The placeholder is the answer's first checkpoint: the next is due one interval on, not
            # at the first text, which fifty answers starting at once would all write in the same
            # moments as they show it (+20-25 ms to the first token, p50; docs/performance.md, section 9).
            self._last = self.clock()
        except (PersistenceError, IsolationError) as exc:
            self._fail(exc)

    async def _thread_changes(self, name: str, session_metadata: Mapping[str, Any] | None) -> dict[str, Any]:
        user = caller_user()
        user_id = getattr(user, "id", None) if user is not None else None
        if user is not None and user_id is None and getattr(user, "identifier", None):
            persisted = await self.layer.get_user(user.identifier) or await self.layer.create_user(user)
            user_id = persisted.id if persisted is not None else None
        return {"name_if_missing": name[:200], "user_id": user_id, "metadata": dict(session_metadata or {}) or None}

    async def progress(self, reply: str | Sequence[str]) -> None:
        """Call after every piece of answer text (the text so far, or its pieces: joined only to write).

        Writes when `interval` has passed since the last write, in the background.
        """
        if self._inflight is not None and not self._inflight.done():
            return
        if self._start is not None or (self._begun is not None and not self._begun.done()):
            return  # the placeholder is not stored yet: a checkpoint must not overtake it
        self._collect()
        now = self.clock()
        if now - self._last < self.interval:
            return
        self._last = now
        text = reply if isinstance(reply, str) else "".join(reply)
        self._inflight = asyncio.create_task(self._write(self._answer_dict("streaming", text)))

    async def _write(self, step: dict[str, Any]) -> None:
        await self.layer.write_step(step)
        self.writes += 1

    def _collect(self) -> None:
        task, self._inflight = self._inflight, None
        if task is not None and task.done() and not task.cancelled() and task.exception() is not None:
            exc = task.exception()
            if isinstance(exc, PersistenceError | IsolationError):
                self._fail(exc)
            else:
                log.error("storage: checkpoint failed: %r", exc)
                self._fail(PersistenceError(type(exc).__name__))

    async def finish(self, reply: str, outcome: str, *, shown: bool = True) -> None:
        """After the answer's final content is set: `outcome` is "ok", "stopped" or "error".

        `shown=False` (an error before any text): the placeholder is removed, as the page shows no answer.
        """
        await self.ready()
        if self._inflight is not None:
            await asyncio.gather(self._inflight, return_exceptions=True)
            self._collect()
        try:
            if shown:
                await self._write(self._answer_dict(_FINAL_STATE.get(outcome, "failed"), reply))
            else:
                await self.layer.remove_step(self.answer.id)
        except (PersistenceError, IsolationError) as exc:
            self._fail(exc)


async def mark_interrupted(layer: FoundryDataLayer, *, older_than: float = 0.0) -> int:
    """Mark answers left "pending"/"streaming" by an earlier process as interrupted; return how many.

    Only answers of processes that are gone (`storage.lease.live_owners`: no lease, an expired one,
    or a pid no longer running on this host) are touched: another live process's answers are left
    alone. `older_than` (seconds since the last checkpoint) additionally spares recent answers.
    """
    from storage.lease import live_owners

    alive = await live_owners(layer)
    found = await layer._run(
        """SELECT "id", "output", "metadata" FROM steps
        WHERE "type" = 'assistant_message' AND (CAST("metadata" AS TEXT) LIKE :streaming
        OR CAST("metadata" AS TEXT) LIKE :pending)""",
        {"streaming": "%streaming%", "pending": "%pending%"},
    )
    cutoff = time.time() - older_than
    marked = 0
    for row in found:
        metadata = rows.json_out(row["metadata"], {})
        turn = metadata.get("turn") if isinstance(metadata, dict) else None
        if not isinstance(turn, dict) or turn.get("state") not in _OPEN_STATES or turn.get("boot") in alive:
            continue
        if older_than and _epoch(turn.get("at")) > cutoff:
            continue
        output = row["output"] or ""
        turn["state"] = "interrupted"
        metadata["turn"] = turn
        await layer._run(
            'UPDATE steps SET "output" = :output, "metadata" = :metadata, "streaming" = :f WHERE "id" = :id',
            {
                "id": row["id"],
                "output": f"{output}\n\n{INTERRUPTED_MARK}" if output else INTERRUPTED_MARK,
                "metadata": rows.json_in(metadata),
                "f": False,
            },
        )
        marked += 1
    if marked:
        log.info("storage: marked %d answer%s interrupted by an earlier stop", marked, "" if marked == 1 else "s")
    return marked


def _epoch(at: object) -> float:
    if not isinstance(at, str):
        return 0.0
    try:
        from datetime import datetime

        return datetime.fromisoformat(at.rstrip("Z")).replace(tzinfo=UTC).timestamp()
    except ValueError:
        return 0.0


@dataclass
class Restored:
    history: list[dict[str, str]] = field(default_factory=list)
    """[{"role": "user"|"assistant", "content": ...}], oldest first, as the live session kept it."""
    options: dict[str, Any] | None = None
    """The session's settings (`cl.user_session["options"]`) as last stored, unvalidated."""


def restore_session(thread: Mapping[str, Any], *, limit: int = MAX_RESTORED_MESSAGES) -> Restored:
    """History and settings of a stored thread, for `on_chat_resume`.

    Turns recorded by `TurnRecorder` give back exactly what the model saw; threads stored before
    (no turn metadata) fall back to pairing each user message with the next non-error answer.
    """
    steps = [s for s in thread.get("steps") or [] if isinstance(s, Mapping)]
    history: list[dict[str, str]] = []
    turns = [s for s in steps if isinstance(_meta(s).get("turn"), dict)]
    if turns:
        for step in turns:
            turn = _meta(step)["turn"]
            reply = turn.get("reply") if isinstance(turn.get("reply"), str) else ""
            if not reply and turn.get("state") not in ("done", "stopped"):
                continue  # nothing was answered: the live session kept no pair either
            history += [
                {"role": "user", "content": str(turn.get("user") or "")},
                {"role": "assistant", "content": reply},
            ]
    else:
        pending: str | None = None
        for step in steps:
            if step.get("type") == "user_message":
                pending = str(step.get("output") or "")
            elif step.get("type") == "assistant_message" and pending is not None and not step.get("isError"):
                history += [
                    {"role": "user", "content": pending},
                    {"role": "assistant", "content": str(step.get("output") or "")},
                ]
                pending = None
    metadata = rows.json_out(thread.get("metadata"), {})
    options = metadata.get("options") if isinstance(metadata, dict) else None
    return Restored(history=history[-limit:], options=dict(options) if isinstance(options, Mapping) else None)


def _meta(step: Mapping[str, Any]) -> dict[str, Any]:
    metadata = rows.json_out(step.get("metadata"), {})
    return metadata if isinstance(metadata, dict) else {}
