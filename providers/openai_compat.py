"""OpenAI-compatible HTTP provider (Foundry Local's service, Ollama, vLLM, llama.cpp, Azure, clouds).

One `AsyncOpenAI` (or `AsyncAzureOpenAI`) client per provider, created at startup. Timeouts are
explicit: connect and read through httpx, first token through `asyncio.wait_for` on the first
chunk. The response is closed in `finally`, so Stop frees the upstream connection at once.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from typing import Any
from urllib.parse import urlsplit

import openai
from openai import AsyncStream
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from security.masking import safe_url, scrub

from .base import ChatMessage, ChatOptions, Chunk, Health, ModelInfo, Usage, request_sent
from .errors import EngineError, ProviderTimeout, StreamUnreadable, map_openai_errors

__all__ = ["OpenAICompatProvider"]

log = logging.getLogger("foundry_chat.providers.openai")

MODELS_CACHE_SECONDS = 30.0


class OpenAICompatProvider:
    """Talks to any server speaking OpenAI's chat completions API."""

    def __init__(
        self,
        client: openai.AsyncOpenAI,
        *,
        name: str = "openai-compatible",
        default_model: str | None = None,
        context_tokens: int = 4096,
        first_token_timeout: float = 60.0,
    ) -> None:
        self.name = name
        self._client = client
        self._default_model = default_model
        self._context_tokens = context_tokens
        self._first_token_timeout = first_token_timeout
        self._models: tuple[float, list[ModelInfo]] | None = None

    @classmethod
    def create(
        cls,
        base_url: str,
        api_key: str | None,
        *,
        name: str = "openai-compatible",
        default_model: str | None = None,
        context_tokens: int = 4096,
        connect_timeout: float = 5.0,
        first_token_timeout: float = 60.0,
        read_timeout: float = 60.0,
    ) -> OpenAICompatProvider:
        client = openai.AsyncOpenAI(
            base_url=base_url,
            # Local servers ignore the key, but the SDK insists on one.
            api_key=api_key or "not-needed",
            timeout=openai.Timeout(read_timeout, connect=connect_timeout),
            max_retries=0,  # retries are the router's job, with its own backoff and breaker
            http_client=http_client(base_url),
        )
        return cls(
            client,
            name=name,
            default_model=default_model,
            context_tokens=context_tokens,
            first_token_timeout=first_token_timeout,
        )

    async def _model(self, options: ChatOptions) -> str:
        if options.model:
            return options.model
        if self._default_model:
            return self._default_model
        models = await self.list_models()
        if not models:
            from .errors import ModelNotFound

            raise ModelNotFound("the server lists no models; set MODEL to one it serves", provider=self.name, status=404)
        self._default_model = models[0].id
        return self._default_model

    async def stream(self, messages: Sequence[ChatMessage], options: ChatOptions) -> AsyncIterator[Chunk]:
        with map_openai_errors(self.name):
            model = await self._model(options)
            params: dict[str, Any] = {
                "model": model,
                "messages": [{"role": m.role, "content": m.content} for m in messages],
                "stream": True,
                "stream_options": {"include_usage": True},
            }
            for key in ("temperature", "max_tokens", "top_p", "seed"):
                value = getattr(options, key)
                if value is not None:
                    params[key] = value
            if options.stop:
                params["stop"] = list(options.stop)
            started = time.perf_counter()
            # Raw SSE lines instead of the SDK's per-chunk models: ~55 instead of ~180 us of event-loop
            # CPU per token (bench/bench_concurrency.py); errors before the stream still raise as usual.
            # `post` (the SDK's door to any endpoint, with the header `with_streaming_response` sets)
            # instead of `create`: the body is plain JSON already, and `create` walks it through the
            # SDK's typed transform first, ~1.5 of its ~4 ms of CPU a request (measured), which fifty
            # sessions asking at once pay one after another on the event loop.
            opening = asyncio.ensure_future(
                self._client.post(
                    "/chat/completions",
                    body=params,
                    cast_to=ChatCompletion,
                    stream=True,
                    stream_cls=AsyncStream[ChatCompletionChunk],
                    options={"headers": {"X-Stainless-Raw-Response": "stream"}},
                )
            )
            # Right after the request task's first step, which builds the request and hands it to the
            # transport, up to its first wait on the network: the request is out.
            asyncio.get_running_loop().call_soon(request_sent)
            try:
                # The first-token deadline runs from the request: a server may hang before its headers.
                response: Any = await asyncio.wait_for(opening, timeout=self._first_token_timeout)
            except asyncio.TimeoutError:
                raise ProviderTimeout(
                    f"no response within {self._first_token_timeout:g}s", provider=self.name, phase="first_token"
                ) from None
        try:
            with map_openai_errors(self.name):
                chunks = _chunks(_sse_events(response.iter_lines(), self.name))
                try:
                    # The deadline runs to the first *text*: a server may send its headers and an empty
                    # role chunk at once and then think (prefill) for minutes; that is still no first token.
                    remaining = self._first_token_timeout - (time.perf_counter() - started)
                    try:
                        first = await asyncio.wait_for(anext(chunks), timeout=max(0.001, remaining))
                    except StopAsyncIteration:
                        yield Chunk(finish_reason="stop")
                        return
                    except asyncio.TimeoutError:
                        raise ProviderTimeout(
                            f"the server accepted the request but sent no text within {self._first_token_timeout:g}s",
                            provider=self.name,
                            phase="first_token",
                        ) from None
                    chunk: Chunk | None = first
                    while chunk is not None:
                        yield chunk
                        chunk = await anext(chunks, None)
                finally:
                    await chunks.aclose()
        finally:
            await response.close()

    async def list_models(self) -> list[ModelInfo]:
        if self._models is not None and time.monotonic() - self._models[0] < MODELS_CACHE_SECONDS:
            return self._models[1]
        return await self._fetch_models()

    async def _fetch_models(self) -> list[ModelInfo]:
        now = time.monotonic()
        with map_openai_errors(self.name):
            page = await self._client.models.list()
        models = [ModelInfo(m.id, None, None) for m in page.data]
        self._models = (now, models)
        return models

    async def health(self) -> Health:
        try:
            models = await self._fetch_models()
        except Exception as exc:
            return Health(False, f"{self.name} unreachable: {scrub(str(exc))}", self._default_model)
        model = self._default_model or (models[0].id if models else None)
        return Health(True, f"{self.name} at {safe_url(str(self._client.base_url))}", model, {"models": len(models)})

    async def context_window(self, model: str | None) -> int:
        return self._context_tokens

    async def count_tokens(self, messages: Sequence[ChatMessage], options: ChatOptions) -> int | None:
        return None

    async def aclose(self) -> None:
        await self._client.close()


def http_client(base_url: str) -> Any:
    """The SDK's HTTP client for `base_url`: on aiohttp's transport (the SDK's `DefaultAioHttpClient`).

    Reading a stream through httpx's default transport (httpcore, anyio, h11: a timeout scope,
    an expiry check and a pure-Python parse per read) cost ~25 % of the event loop's CPU with fifty
    streams; aiohttp's C parser reads the same chunks for a fraction (docs/performance.md, section
    9). Its session is made on the first request, so on the loop that serves the requests. The
    vendored transport maps a refused or dropped connection to `ConnectTimeout`: `map_openai_errors`
    looks at the cause and says "cannot connect" / "connection lost" instead of "timed out".

    A URL with credentials in it (`http://user:pass@proxy/v1`) keeps httpx's transport, which sends
    them as Basic auth in place of the SDK's bearer key; aiohttp refuses the two together.
    """
    if "@" in (urlsplit(base_url).netloc or ""):
        return None  # the SDK's default httpx client
    return openai.DefaultAioHttpClient()


async def _chunks(events: AsyncIterator[dict[str, Any]]) -> AsyncGenerator[Chunk, None]:
    """The answer's text chunks, then one chunk with the finish reason, usage and answering model.

    Events without text (the role chunk, keep-alives, usage) yield nothing, so the first chunk out
    is the first text (or the end).
    """
    finish: str | None = None
    usage: Usage | None = None
    answered: str | None = None
    async for event in events:
        if isinstance(event.get("model"), str) and event["model"]:
            answered = event["model"]  # who answered, which an alias or a deployment may hide
        raw_usage = event.get("usage")
        if isinstance(raw_usage, dict):
            usage = Usage(raw_usage.get("prompt_tokens"), raw_usage.get("completion_tokens"))
        # Some servers end with a chunk whose `choices` is empty: never index blindly.
        for choice in event.get("choices") or ():
            if not isinstance(choice, dict):
                continue
            delta = choice.get("delta")
            text = delta.get("content") if isinstance(delta, dict) else None
            if text and isinstance(text, str):
                yield Chunk(text=text)
            if choice.get("finish_reason"):
                finish = str(choice["finish_reason"])
    yield Chunk(finish_reason=finish or "stop", usage=usage, model=answered)


async def _sse_events(lines: AsyncIterator[str], provider: str) -> AsyncIterator[dict[str, Any]]:
    """Server-sent `data:` events as dicts, until `[DONE]`; an `error` event raises (servers such as
    Foundry Local's report failures as HTTP 200 with a single error event)."""
    async for line in lines:
        if not line.startswith("data:"):
            continue
        data = line[5:].strip()
        if data == "[DONE]":
            # Read to the end of the response, as the SDK's own stream does: an HTTP stream left
            # half-read is finalized later by the garbage collector, noisily.
            async for _ in lines:
                pass
            return
        try:
            event = json.loads(data)
        except (json.JSONDecodeError, RecursionError, ValueError):
            raise StreamUnreadable(f"malformed stream event: {data[:80]!r}", provider=provider) from None
        if not isinstance(event, dict):
            raise StreamUnreadable(f"malformed stream event: {data[:80]!r}", provider=provider)
        if "error" in event:
            error = event["error"]
            message = error.get("message") if isinstance(error, dict) else error
            raise EngineError(f"server error: {str(message)[:200]}", provider=provider)
        yield event
