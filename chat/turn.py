"""One chat turn, whatever the door: the chat page (`app.py`) and `/v1` (`gateway/`) are adapters over it.

    TurnService.prepare   clean the input and apply its limits (chat/inputs.py), then the readiness
                          gate (`AppRuntime.refusal`): raises a `TurnRefused` before anything else runs
    Turn.stream           fit the history to the context window (chat/history.py), handing the trimmed
                          turns' texts on to the privacy guard (`ChatOptions.privacy_texts`); the router's
                          stream; the recorder's checkpoints; and, when it ends however it ends, every
                          per-answer metric, once, from the finished decision
    Sending               the turns whose model request is not out yet (providers say when it is:
                          `providers.request_sent`); the chat stores a question once none is left

A door translates its protocol to a `prepare` call and the chunks back to its protocol; it never
counts, trims, cleans or gates on its own, so both doors meet the same rules.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from contextlib import aclosing
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

from health import metrics
from logs import REQUEST_ID
from providers.base import ChatMessage, ChatOptions, Chunk, on_request_sent
from routing.decision import Decision

from .history import Fitted, fit_history
from .inputs import InputRejected, clean_text, clean_user_text

if TYPE_CHECKING:
    from routing import Router

    from .runtime import AppRuntime

__all__ = ["Recorder", "Turn", "TurnService"]

log = logging.getLogger("foundry_chat.turn")


class Recorder(Protocol):
    """Persistence of a turn while it streams (the chat's `storage.TurnRecorder`; /v1 has none)."""

    def request_out(self) -> None:
        """The model request is on its way (`providers.request_sent`): storing may start without delaying it."""

    async def progress(self, reply: str | Sequence[str]) -> None: ...


@dataclass(eq=False)
class Turn:
    """One prepared turn. Iterate `stream()` once; afterwards `outcome`, `decision` and `reply` tell how it went."""

    service: TurnService
    door: str
    """"chat" or "gateway": the log prefix, nothing else differs."""
    request_id: str
    system: ChatMessage | None
    history: list[ChatMessage]
    newest: ChatMessage
    options: ChatOptions
    recorder: Recorder | None = None
    on_trimmed: Callable[[int], Awaitable[None]] | None = None
    """Told how many earlier messages were left out (the chat shows a note), before the first token."""
    fitted: Fitted | None = None
    decision: Decision | None = None
    outcome: str = "pending"
    """"ok", "stopped", "interrupted" or "error" once the stream has ended."""
    abandoned: bool = False
    """Set (by `abandon`) before the door cancels a turn whose client went away: it ends "interrupted"."""
    parts: list[str] = field(default_factory=list)
    _held: bool = False
    _sending: bool = False

    async def __aenter__(self) -> Turn:
        """Hold the turn open past its stream: the chat still shows and stores the answer after the
        last chunk, and a SIGTERM drain must wait for that too (the runtime counts the turn till exit)."""
        self.service.runtime.stream_started()
        self._held = True
        return self

    async def __aexit__(self, *_: object) -> None:
        self._held = False
        self.service.runtime.stream_ended()

    def abandon(self) -> None:
        self.abandoned = True

    @property
    def reply(self) -> str:
        return "".join(self.parts)

    @property
    def dropped(self) -> int:
        return self.fitted.dropped if self.fitted is not None else 0

    async def stream(self) -> AsyncGenerator[Chunk, None]:
        """The router's chunks for this turn; errors propagate (the door words them via the error table)."""
        runtime = self.service.runtime
        router = runtime.router
        if router is None:  # closed between prepare and now (shutdown)
            raise runtime.refusal() or RuntimeError("no router")
        started = time.perf_counter()
        outcome = "error"
        counted = not self._held  # held: `async with turn` counts it
        if counted:
            runtime.stream_started()
        self.service.sending.opened()
        self._sending = True
        try:
            messages = await self._fit(router)
            with on_request_sent(self._request_out):
                async with aclosing(router.stream(messages, self.options)) as chunks:  # type: ignore[type-var]
                    async for chunk in chunks:
                        if isinstance(chunk.route, Decision):
                            self.decision = chunk.route
                        if chunk.text:
                            self.parts.append(chunk.text)
                            if self.recorder is not None:
                                await self.recorder.progress(self.parts)
                        yield chunk
            outcome = "ok"
        except (asyncio.CancelledError, GeneratorExit):
            outcome = "interrupted" if self.abandoned else "stopped"
            raise
        finally:
            self._request_out()  # ended before its request went out (failed, stopped): no longer sending
            self.outcome = outcome
            if counted:
                runtime.stream_ended()
            self._record()
            log.info(
                "%s %s: %s in %.0f ms, %d chars",
                self.door,
                self.request_id,
                outcome,
                (time.perf_counter() - started) * 1000,
                sum(len(p) for p in self.parts),
            )

    def _request_out(self) -> None:
        """This turn's request is out (its provider said so, the first time): what yields to requests may go."""
        if not self._sending:
            return
        self._sending = False
        self.service.sending.out()
        if self.recorder is not None:
            self.service.sending.after(self.recorder.request_out)

    async def _fit(self, router: Router) -> list[ChatMessage]:
        settings = self.service.runtime.settings
        options = self.options
        window = await router.context_window(options.model)
        self.fitted = await fit_history(
            self.system,
            self.history,
            self.newest,
            context_window=window,
            # Room for the answer, but never so much that no history fits: the engine stops at the window anyway.
            reserve=min(options.max_tokens or settings.max_tokens, window // 2),
            exact_count=lambda msgs: router.count_tokens(msgs, options),
        )
        if self.fitted.dropped:
            # Not sent, but part of the conversation: the privacy guard still reads them.
            left_out = tuple(m.content for m in self.history[: self.fitted.dropped])
            self.options = replace(options, privacy_texts=(*options.privacy_texts, *left_out))
            if self.on_trimmed is not None:
                await self.on_trimmed(self.fitted.dropped)
        log.info(
            "%s %s: %d messages (%d left out), ~%d prompt tokens",
            self.door,
            self.request_id,
            len(self.fitted.messages),
            self.fitted.dropped,
            self.fitted.prompt_tokens,
        )
        if settings.log_prompts:
            log.info("%s %s: prompt %r", self.door, self.request_id, self.newest.content)
        return self.fitted.messages

    def _record(self) -> None:
        """Every per-answer metric, once, from the finished decision (routing/ records only its own)."""
        decision, outcome = self.decision, self.outcome
        target = decision.target if decision is not None else "none"
        metrics.MESSAGES.labels(target=target, outcome=outcome).inc()
        if decision is not None and outcome == "ok":
            if decision.ttft_ms is not None:
                metrics.TTFT_SECONDS.labels(target=target).observe(decision.ttft_ms / 1000)
            if decision.tokens_per_second is not None:
                metrics.TOKENS_PER_SECOND.labels(target=target).observe(decision.tokens_per_second)


class Sending:
    """Turns whose model request is not out yet, process-wide, and what waits until there are none.

    Storing a question yields to them: fifty questions' commits prepared in the same loop turns as
    fifty model requests sent those requests 10–20 ms later (p50; docs/performance.md, section 9).
    `after(callback)` calls back at once when no request is waiting to go out, else when the last
    one is out. Whoever waits keeps a deadline of their own (`storage.turns.START_WAIT_S`), so under
    load that never lets the count reach zero, past `MAX_WAITING` callbacks all are called at once.
    """

    MAX_WAITING = 256

    def __init__(self) -> None:
        self.count = 0
        self._waiting: list[Callable[[], None]] = []

    def opened(self) -> None:
        self.count += 1

    def out(self) -> None:
        self.count -= 1
        if self.count <= 0:
            self.count = 0
            self._release()

    def after(self, callback: Callable[[], None]) -> None:
        self._waiting.append(callback)
        if self.count == 0 or len(self._waiting) >= self.MAX_WAITING:
            self._release()

    def _release(self) -> None:
        waiting, self._waiting = self._waiting, []
        for callback in waiting:
            callback()


class TurnService:
    """Owns the chat turn for both doors; built once with the runtime."""

    def __init__(self, runtime: AppRuntime) -> None:
        self.runtime = runtime
        self.sending = Sending()

    def prepare(
        self,
        door: str,
        messages: Sequence[ChatMessage],
        options: ChatOptions,
        *,
        system: str | None = None,
        checked: int = 0,
        recorder: Recorder | None = None,
        on_trimmed: Callable[[int], Awaitable[None]] | None = None,
        request_id: str | None = None,
    ) -> Turn:
        """Clean and gate a turn; raises `InputRejected`, `Draining` or `NotReady`.

        `messages` is the conversation, newest last. `system` is the server's system prompt (the
        chat's SYSTEM_PROMPT); without it a leading system message of the client's takes its place.
        The first `checked` messages were cleaned and limited when they were sent (the chat's own
        history), so a resumed thread stays usable after MAX_INPUT_CHARS is lowered; /v1 checks all.
        """
        request_id = request_id or uuid.uuid4().hex[:12]
        REQUEST_ID.set(request_id)
        try:
            cleaned = [m if i < checked else self._clean(m, i) for i, m in enumerate(messages)]
        except InputRejected as exc:
            log.info("%s %s: input rejected: %s", door, request_id, exc)
            raise
        if (refusal := self.runtime.refusal()) is not None:
            raise refusal
        head: ChatMessage | None = ChatMessage("system", system) if system is not None else None
        if head is None and len(cleaned) > 1 and cleaned[0].role == "system":
            head, cleaned = cleaned[0], cleaned[1:]
        return Turn(self, door, request_id, head, cleaned[:-1], cleaned[-1], options, recorder, on_trimmed)

    def _clean(self, message: ChatMessage, index: int) -> ChatMessage:
        """What a user types meets the limit; other roles are cleaned of control characters only."""
        if message.role == "user":
            text = clean_user_text(message.content, self.runtime.settings.max_input_chars, index=index)
        else:
            text = clean_text(message.content, index=index)
        return message if text == message.content else ChatMessage(message.role, text)
