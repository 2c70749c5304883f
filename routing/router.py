"""The router: a provider over the "local" and (optional) "cloud" targets.

Per request it plans who answers (`policies.decide`: privacy guard, health, task, complexity),
then opens the stream on the first target, retrying retryable failures with backoff and falling
back to the next target only before the first token. A breaker per target skips dead backends.
A failure mid-answer continues on the other target when policy and privacy allow (the partial
answer goes as the assistant's prefix, and a visible seam is streamed), otherwise it propagates.
When every attempt fails, one `NoRouteAvailable` lists them all.

The first chunk carries the `Decision`; the last carries it completed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import aclosing
from dataclasses import dataclass, replace
from typing import Any

from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from config import RoutingSettings
from health import metrics
from privacy import PrivacyGuard, Verdict
from providers.base import ChatMessage, ChatOptions, Chunk, Health, ModelInfo, Provider
from providers.errors import ChatError, NoRouteAvailable, ProviderUnavailable

from ._streams import close_stream as _close
from ._streams import first_chunk as _first_chunk
from ._streams import ms as _ms
from ._streams import outgoing_texts as _outgoing_texts
from ._streams import retry_wait as _wait
from ._streams import summary as _summary
from .breaker import CircuitBreaker
from .decision import Attempt, Decision
from .policies import Plan, cloud_possible, decide

__all__ = ["CONTINUE_INSTRUCTION", "Router", "Target"]

log = logging.getLogger("foundry_chat.router")

CONTINUE_INSTRUCTION = (
    "Your previous answer was cut off. Continue it exactly where it stopped, "
    "without repeating anything and without mentioning the interruption."
)


@dataclass
class Target:
    name: str
    provider: Provider
    breaker: CircuitBreaker
    model: str | None = None
    """The model this target answers with, for the route line (cloud: the configured one)."""


class Router:
    """Implements the provider protocol; `app.py` only ever sees this."""

    name = "router"

    def __init__(
        self,
        targets: Mapping[str, Provider],
        settings: RoutingSettings | None = None,
        *,
        models: Mapping[str, str | None] | None = None,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
        guard: PrivacyGuard | None = None,
    ) -> None:
        if "local" not in targets:
            raise ValueError("the router needs a 'local' target")
        self.settings = settings or RoutingSettings()
        self.guard = guard or PrivacyGuard(timeout=self.settings.privacy_timeout)
        self.targets = {
            name: Target(
                name,
                provider,
                CircuitBreaker(self.settings.breaker_failures, self.settings.breaker_cooldown),
                (models or {}).get(name),
            )
            for name, provider in targets.items()
        }
        self._sleep = sleep

    @property
    def has_cloud(self) -> bool:
        return "cloud" in self.targets

    @property
    def policy(self) -> str:
        return self.settings.policy

    # --- planning ---------------------------------------------------------------------------------
    async def plan(self, messages: Sequence[ChatMessage], options: ChatOptions) -> Plan:
        policy = options.policy or self.settings.policy
        available = {name: t.breaker.state != "open" for name, t in self.targets.items()}
        verdict = None
        if cloud_possible(policy, self.settings, has_cloud=self.has_cloud):
            started = time.perf_counter()
            verdict = await self.guard.assess(_outgoing_texts(messages, options))
            metrics.PRIVACY_SCAN_SECONDS.observe(time.perf_counter() - started)
            result = "failed" if verdict.failure else "private" if verdict.private else "clean"
            metrics.PRIVACY_VERDICTS.labels(result=result).inc()
            for kind in verdict.kinds:
                metrics.PRIVACY_FINDINGS.labels(kind=kind).inc()
        return decide(policy, messages, self.settings, has_cloud=self.has_cloud, available=available, privacy=verdict)

    async def _may_continue_on(self, target: Target, partial: str, messages: Sequence[ChatMessage], options: ChatOptions) -> Verdict | None:
        """A continuation sends the partial answer too: the cloud gets it only if it is clean."""
        if target.name == "local" or not self.settings.privacy_guard:
            return None
        verdict = await self.guard.assess([*_outgoing_texts(messages, options), partial])
        return verdict if verdict.private else None

    # --- streaming --------------------------------------------------------------------------------
    async def stream(self, messages: Sequence[ChatMessage], options: ChatOptions) -> AsyncIterator[Chunk]:
        started = time.perf_counter()
        plan = await self.plan(messages, options)
        decision = Decision(
            target=plan.targets[0],
            model=None,
            policy=str(plan.signals.get("policy", self.settings.policy)),
            reason=plan.reason,
            signals=dict(plan.signals),
        )
        failures: list[tuple[str, ChatError]] = []
        outcome = "error"
        # With every planned target's breaker open there is nothing faster to fall back to: probe the
        # first one anyway rather than refuse everyone until a cooldown ends.
        last_resort = all(self.targets[n].breaker.state == "open" for n in plan.targets)
        if last_resort:
            decision.signals["last_resort"] = True
        try:
            for index, name in enumerate(plan.targets):
                target = self.targets[name]
                force = last_resort and index == 0
                opened = await self._open(target, messages, options, decision, failures, started, force=force)
                if opened is None:
                    continue
                stream, first = opened
                decision.target, decision.model = name, await self._model_of(target, options)
                if index > 0:
                    metrics.FALLBACKS.labels(from_target=plan.targets[0], to_target=name).inc()
                    decision.reason = f"{plan.targets[0]} failed" + (f" · {plan.reason}" if plan.reason else "")
                rest = plan.targets[index + 1 :] if plan.continuation else ()
                relay = self._relay(target, stream, first, messages, options, decision, rest, started, continuing=False)
                async with aclosing(relay):  # a stopped consumer must close the inner generators too
                    async for chunk in relay:
                        yield chunk
                outcome = "ok"
                return
            if not failures:
                raise NoRouteAvailable("no target may take this conversation")
            raise NoRouteAvailable(_summary(failures), attempts=failures)
        except (asyncio.CancelledError, GeneratorExit):
            outcome = "stopped"
            raise
        finally:
            if decision.duration_ms is None:
                decision.duration_ms = (time.perf_counter() - started) * 1000
            metrics.ROUTE_DECISIONS.labels(target=decision.target, policy=decision.policy, outcome=outcome).inc()
            log.info("route decision %s", json.dumps({"outcome": outcome, **decision.as_dict()}, default=str))

    async def _model_of(self, target: Target, options: ChatOptions) -> str | None:
        """The model `target` is asked to answer with (a stream that names its model corrects it later)."""
        if target.name == "local" and options.model:
            return options.model
        if target.model is None:
            try:
                models = await target.provider.list_models()
                target.model = models[0].id if models else None
            except ChatError:
                return None
        return target.model

    def _options_for(self, target: Target, options: ChatOptions) -> ChatOptions:
        # The model picked in the UI is one of local's; the cloud answers with its configured model.
        return options if target.name == "local" else replace(options, model=target.model)

    async def _open(
        self,
        target: Target,
        messages: Sequence[ChatMessage],
        options: ChatOptions,
        decision: Decision,
        failures: list[tuple[str, ChatError]],
        started: float,
        *,
        force: bool = False,
    ) -> tuple[AsyncIterator[Chunk], Chunk] | None:
        """Open a stream and read up to its first chunk, with retries; None when the target failed."""
        if not force and not target.breaker.allow():
            error = ProviderUnavailable(
                f"skipped: circuit open after repeated failures (retry in {target.breaker.retry_in():.0f} s)",
                provider=target.name,
            )
            decision.attempts.append(Attempt(target.name, target.provider.name, "skipped", str(error), _ms(started)))
            failures.append((target.name, error))
            return None
        target_options = self._options_for(target, options)
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.settings.retries + 1),
            wait=_wait(self.settings),
            retry=retry_if_exception(lambda e: isinstance(e, ChatError) and e.retryable and target.breaker.allow()),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            async for attempt_state in retrying:
                with attempt_state:
                    attempt = Attempt(target.name, target.provider.name, started_ms=_ms(started))
                    decision.attempts.append(attempt)
                    stream = target.provider.stream(messages, target_options)
                    try:
                        first = await _first_chunk(stream)
                    except ChatError as exc:
                        attempt.outcome, attempt.error = type(exc).__name__, str(exc)
                        attempt.duration_ms = _ms(started) - attempt.started_ms
                        target.breaker.record_failure(str(exc))
                        metrics.ERRORS.labels(target=target.name, kind=type(exc).__name__).inc()
                        await _close(stream)
                        raise
                    except BaseException:
                        target.breaker.release()
                        await _close(stream)
                        raise
                    decision.ttft_ms = _ms(started)
                    return stream, first
        except ChatError as exc:
            failures.append((target.name, exc))
        return None

    async def _relay(
        self,
        target: Target,
        stream: AsyncIterator[Chunk],
        first: Chunk,
        messages: Sequence[ChatMessage],
        options: ChatOptions,
        decision: Decision,
        rest: tuple[str, ...],
        started: float,
        *,
        continuing: bool,
    ) -> AsyncGenerator[Chunk, None]:
        attempt = decision.attempts[-1]
        partial: list[str] = []
        chunk: Chunk | None = first
        try:
            while chunk is not None:
                partial.append(chunk.text)
                if chunk.model:  # the backend names who answered: credit that target with it
                    if continuing:
                        decision.continued_model = chunk.model
                    else:
                        decision.model = chunk.model
                if chunk.usage is not None:
                    decision.prompt_tokens = chunk.usage.prompt_tokens
                    decision.completion_tokens = chunk.usage.completion_tokens
                if chunk.finish_reason is not None:
                    attempt.outcome = "ok"
                    attempt.duration_ms = _ms(started) - attempt.started_ms
                    decision.duration_ms = _ms(started)
                    target.breaker.record_success()
                is_edge = chunk is first or chunk.finish_reason is not None
                yield replace(chunk, route=decision) if is_edge else chunk
                chunk = await anext(stream, None)
        except ChatError as exc:
            attempt.outcome, attempt.error = type(exc).__name__, str(exc)
            attempt.duration_ms = _ms(started) - attempt.started_ms
            target.breaker.record_failure(str(exc))
            metrics.ERRORS.labels(target=target.name, kind=type(exc).__name__).inc()
            nxt = next((self.targets[n] for n in rest if self.targets[n].breaker.state != "open"), None)
            if nxt is None:
                raise
            continuation = self._continue(nxt, "".join(partial), messages, options, decision, exc, started)
            async with aclosing(continuation):
                async for more in continuation:
                    yield more
        except BaseException:
            if attempt.outcome == "pending":
                attempt.outcome = "stopped"
                target.breaker.release()
            raise
        finally:
            await _close(stream)

    async def _continue(
        self,
        target: Target,
        partial: str,
        messages: Sequence[ChatMessage],
        options: ChatOptions,
        decision: Decision,
        cause: ChatError,
        started: float,
    ) -> AsyncGenerator[Chunk, None]:
        """Continue a broken answer on `target`, with the partial answer as the assistant's prefix."""
        if (verdict := await self._may_continue_on(target, partial, messages, options)) is not None:
            log.warning("router: not continuing on %s: the partial answer holds %s", target.name, verdict.reason)
            decision.signals["continuation_refused"] = verdict.reason
            raise cause
        log.warning("router: %s failed mid-answer (%s); continuing on %s", decision.target, cause, target.name)
        metrics.FALLBACKS.labels(from_target=decision.target, to_target=target.name).inc()
        decision.continued_on = target.name
        yield Chunk(notice=f"\n\n*⟳ {decision.target} failed mid-answer ({type(cause).__name__}); continued on {target.name}:*\n\n")
        continued = [
            *messages,
            ChatMessage("assistant", partial),
            ChatMessage("user", CONTINUE_INSTRUCTION),
        ]
        failures: list[tuple[str, ChatError]] = []
        ttft = decision.ttft_ms  # the answer's first token came from the original target
        opened = await self._open(target, continued, options, decision, failures, started)
        decision.ttft_ms = ttft
        if opened is None:
            raise cause
        stream, first = opened
        decision.continued_model = await self._model_of(target, options)  # `model` stays the first target's
        relay = self._relay(target, stream, first, continued, options, decision, (), started, continuing=True)
        async with aclosing(relay):
            async for chunk in relay:
                yield chunk

    # --- the rest of the protocol -----------------------------------------------------------------
    async def list_models(self) -> list[ModelInfo]:
        return await self.targets["local"].provider.list_models()

    async def health(self) -> Health:
        """The default route's health: ok when the first target of the default policy can answer."""
        details = await self.target_health()
        local = details["local"]
        cloud = details.get("cloud")
        usable = [name for name, d in details.items() if d["ok"]]
        ok = bool(usable) if self.settings.policy not in ("local", "cloud") else bool(details[self.settings.policy]["ok"])
        detail = "; ".join(f"{name}: {d['detail']}" for name, d in details.items())
        return Health(ok, detail, str(local.get("model")) if local.get("model") else None, {"targets": details, "cloud": bool(cloud)})

    async def target_health(self) -> dict[str, dict[str, object]]:
        async def one(target: Target) -> dict[str, object]:
            try:
                health = await target.provider.health()
            except Exception as exc:  # a health probe must never take readiness down with it
                health = Health(False, f"health check failed: {exc}")
            return {
                "ok": health.ok and target.breaker.state != "open",
                "detail": health.detail,
                "model": health.model or target.model,
                "breaker": target.breaker.state,
                "consecutive_failures": target.breaker.consecutive_failures,
                "last_error": target.breaker.last_error,
            }

        names = list(self.targets)
        results = await asyncio.gather(*(one(self.targets[n]) for n in names))
        self.export_breaker_states()
        return dict(zip(names, results, strict=True))

    def export_breaker_states(self) -> None:
        for name, target in self.targets.items():
            metrics.BREAKER_STATE.labels(target=name).set(_BREAKER_GAUGE[target.breaker.state])

    async def context_window(self, model: str | None) -> int:
        # Trimming happens before routing, so fit the smallest window among the targets.
        windows = [await t.provider.context_window(model if t.name == "local" else t.model) for t in self.targets.values()]
        return min(windows)

    async def count_tokens(self, messages: Sequence[ChatMessage], options: ChatOptions) -> int | None:
        return await self.targets["local"].provider.count_tokens(messages, options)

    async def aclose(self) -> None:
        """Close every provider and the guard, even when one fails; the first failure is raised after."""
        errors: list[BaseException] = []
        for target in self.targets.values():
            try:
                await target.provider.aclose()
            except Exception as exc:
                log.warning("router: closing %s failed: %s", target.name, exc)
                errors.append(exc)
        try:
            self.guard.close()
        except Exception as exc:
            errors.append(exc)
        if errors:
            raise errors[0]


_BREAKER_GAUGE = {"closed": 0, "half_open": 1, "open": 2}
