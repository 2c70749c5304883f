"""Foundry Local in-process provider: the SDK's synchronous streaming, bridged to asyncio.

Each request gets a fresh `ChatSession` carrying the whole conversation (the router is
stateless), streams in its own thread, and hands text to the event loop through `ThreadBridge`.
When the consumer stops early (Stop, disconnect, error) the native request is cancelled and the
thread is awaited without blocking the loop.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from config import Settings

from ._bridge import ThreadBridge
from .base import ChatMessage, ChatOptions, Chunk, Health, ModelInfo, Usage, request_sent
from .errors import ChatError, map_foundry_errors
from .foundry_engine import LoadedModel

if TYPE_CHECKING:
    from foundry_local_sdk import Request

__all__ = ["FoundryLocalProvider"]

log = logging.getLogger("foundry_chat.providers.foundry")

SAMPLING_TOP_K = 50
_FINISH = {0: None, 1: "error", 2: "stop", 3: "length", 4: "tool_calls"}


class FoundryLocalProvider:
    """Serves one loaded Foundry Local model in this process."""

    name = "foundry-local"

    def __init__(self, loaded: LoadedModel, settings: Settings) -> None:
        self.loaded = loaded
        self._settings = settings
        self._active: set[threading.Thread] = set()
        self.cancelled_requests = 0
        """Native requests cancelled because the consumer stopped early (observable in tests)."""

    # --- building native requests -------------------------------------------------------------
    def _request(self, messages: Sequence[ChatMessage]) -> Request:
        from foundry_local_sdk import MessageItem, MessageRole, Request

        roles = {"system": MessageRole.SYSTEM, "user": MessageRole.USER, "assistant": MessageRole.ASSISTANT}
        request = Request()
        for message in messages:
            request.add_item(MessageItem(roles[message.role], message.content))
        return request

    def _request_options(self, options: ChatOptions, max_tokens: int | None) -> Any:
        from foundry_local_sdk import RequestOptions, SearchOptions

        temperature = options.temperature
        sampling = bool(temperature) if temperature is not None else None
        search = SearchOptions(
            temperature=temperature if temperature else None,
            do_sample=sampling,
            # Foundry models ship greedy defaults (top_k=1), which would make temperature a no-op.
            top_k=SAMPLING_TOP_K if sampling else None,
            top_p=options.top_p,
            max_output_tokens=max_tokens,
            seed=options.seed,
        )
        return RequestOptions(search=search)

    def _session(self) -> Any:
        from foundry_local_sdk import ChatSession

        return ChatSession(self.loaded.model)

    # --- the protocol ---------------------------------------------------------------------------
    async def stream(self, messages: Sequence[ChatMessage], options: ChatOptions) -> AsyncIterator[Chunk]:
        loop = asyncio.get_running_loop()
        bridge = ThreadBridge(loop)
        stop = threading.Event()
        finished = loop.create_future()
        result: dict[str, Any] = {}
        with map_foundry_errors(self.name):
            request = self._request(messages)
        stop_words = options.stop

        def work() -> None:
            error: BaseException | None = None
            try:
                with self._session() as session:
                    # Without an output limit the engine reserves the whole window and refuses every prompt;
                    # with one, it refuses prompt + limit beyond the window. So always set one that fits.
                    wanted = options.max_tokens or self._settings.max_tokens
                    budget = session.preflight_request(request)
                    room = budget.context_limit_tokens - budget.prompt_tokens
                    request.set_options(self._request_options(options, max(1, min(wanted, room))))
                    session.set_streaming(True)
                    with session.process_streaming_request(request) as streamed:
                        for item in streamed:
                            if stop.is_set():
                                break
                            text = getattr(item, "text", None)
                            if text and getattr(item, "type", 0) == 0:
                                bridge.put(text)
                        else:
                            with streamed.final_response as final:
                                result["finish"] = _FINISH.get(int(final.finish_reason))
                                usage = final.get_usage()
                                result["usage"] = Usage(usage.prompt_tokens, usage.completion_tokens)
            except BaseException as exc:  # handed to the loop, which maps it
                error = exc
            finally:
                request._close()
                bridge.finish(None if stop.is_set() else error)
                loop.call_soon_threadsafe(_resolve, finished)

        thread = threading.Thread(target=work, name="foundry-stream", daemon=True)
        self._active.add(thread)
        thread.start()
        request_sent()  # the engine's thread has it
        completed = failed = False
        try:
            with map_foundry_errors(self.name):
                pending = ""
                async for batch in bridge.batches():
                    text = pending + "".join(batch)
                    if stop_words:
                        cut = _stop_at(text, stop_words)
                        if cut is not None:
                            if cut:
                                yield Chunk(text=cut)
                            break
                        # hold back a tail that could be the start of a stop word
                        keep = max(len(s) for s in stop_words) - 1
                        text, pending = (text[:-keep], text[-keep:]) if keep and len(text) > keep else (text, "")
                    if text:
                        yield Chunk(text=text)
                else:
                    if pending:
                        yield Chunk(text=pending)
                    completed = True
                    yield Chunk(finish_reason=result.get("finish") or "stop", usage=result.get("usage"))
        except ChatError:
            failed = True
            raise
        finally:
            if not completed and not failed:
                stop.set()
                try:
                    request.cancel()
                except Exception:  # already finished or closed: nothing to cancel
                    pass
                self.cancelled_requests += 1
                log.info("foundry: request cancelled by consumer")
            await asyncio.shield(finished)
            self._active.discard(thread)

    async def count_tokens(self, messages: Sequence[ChatMessage], options: ChatOptions) -> int | None:
        def preflight() -> int:
            with map_foundry_errors(self.name):
                request = self._request(messages)
                try:
                    with self._session() as session:
                        return int(session.preflight_request(request).prompt_tokens)
                finally:
                    request._close()

        return await asyncio.to_thread(preflight)

    async def context_window(self, model: str | None) -> int:
        if self._settings.context_tokens:
            return self._settings.context_tokens
        return self.loaded.context_length or 4096

    async def list_models(self) -> list[ModelInfo]:
        # The display name (alias or directory), not the registration id: this is what users read.
        return [ModelInfo(self.loaded.display_name, self.loaded.context_length, self.loaded.device)]

    async def health(self) -> Health:
        try:
            loaded = await asyncio.to_thread(lambda: self.loaded.model.is_loaded)
        except Exception as exc:
            return Health(False, f"Foundry Local error: {exc}", self.loaded.display_name)
        if not loaded:
            return Health(False, f"{self.loaded.display_name} is not loaded", self.loaded.display_name)
        return Health(
            True,
            f"{self.loaded.display_name} on {self.loaded.device}",
            self.loaded.display_name,
            {
                "device": self.loaded.device,
                "source": self.loaded.source,
                "registration": self.loaded.model_id,
                "active_streams": len(self._active),
            },
        )

    async def aclose(self) -> None:
        def unload() -> None:
            try:
                self.loaded.model.unload()
            except Exception as exc:
                log.warning("foundry: unload failed: %s", exc)

        await asyncio.to_thread(unload)


def _resolve(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)


def _stop_at(text: str, stops: Sequence[str]) -> str | None:
    """The text before the first stop sequence, or None when there is none."""
    hits = [i for i in (text.find(s) for s in stops if s) if i >= 0]
    return text[: min(hits)] if hits else None
