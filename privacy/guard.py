"""A conversation in, a verdict out: may any of it leave the machine?

Every text that would be sent is scanned: each message of every role, the trimmed-away history and
the seams between messages (a card number typed over two messages). Each text is scanned once per
process; its kinds are cached under a digest of the text, so a 20-turn history costs one lookup a
turn. The slow tier (names) runs only when asked — the router asks only when its plan could involve
the cloud — in one dedicated worker thread, never on the event loop.

Fail closed: a detector that raises, a scan that runs past the deadline, or a model that could not
load makes the verdict private, with the reason in `Verdict.failure` (shown on the route line).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Final

from . import people
from ._types import KINDS, Detector, describe
from .normalize import normalize
from .seams import SEAM, joins
from .scan import FAST_DETECTORS, SLOW_DETECTORS, resolve, run_detectors

__all__ = ["DEFAULT_TIMEOUT", "PrivacyGuard", "Verdict"]

log = logging.getLogger("foundry_chat.privacy")

DEFAULT_TIMEOUT: Final = 3.0
"""Seconds a scan may take before the conversation is treated as private."""
_ORDER: Final = {kind: rank for rank, kind in enumerate(KINDS)}


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the guard found: the kinds (never values), or why it could not tell."""

    kinds: tuple[str, ...] = ()
    failure: str | None = None
    """Set when a detector failed or timed out: the conversation is then treated as private."""
    seam: bool = False
    """Whether something was found only across a message boundary."""

    @property
    def private(self) -> bool:
        return bool(self.kinds) or self.failure is not None

    @property
    def reason(self) -> str:
        """For the route line: "private data: e-mail address, phone number"."""
        if self.failure is not None:
            return f"privacy check failed ({self.failure}): kept local"
        return "private data: " + ", ".join(describe(k) for k in self.kinds) if self.kinds else ""


class _Entry:
    __slots__ = ("fast", "slow")

    def __init__(self, fast: frozenset[str]) -> None:
        self.fast = fast
        self.slow: frozenset[str] | None = None


class PrivacyGuard:
    """Owns the scan cache and the NER worker; one per process, created at start-up."""

    def __init__(
        self,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        cache_size: int = 16_384,
        slow: bool = True,
        fast_detectors: Sequence[Detector] = FAST_DETECTORS,
        slow_detectors: Sequence[Detector] = SLOW_DETECTORS,
        load: Callable[[], None] = people.load,
    ) -> None:
        self.timeout = timeout
        self._fast = tuple(fast_detectors)
        self._slow = tuple(slow_detectors)
        self._load_model = load
        self.slow_enabled = slow and bool(self._slow)
        self._cache: OrderedDict[bytes, _Entry] = OrderedDict()
        self._cache_size = cache_size
        self._ner = ThreadPoolExecutor(max_workers=1, thread_name_prefix="privacy-ner")
        self._loaded: Future[None] | None = None
        self.load_error: str | None = None

    # --- lifecycle --------------------------------------------------------------------------------
    def start(self) -> None:
        """Begin loading the NER model in its worker thread (returns at once)."""
        if self.slow_enabled and self._loaded is None:
            self._loaded = self._ner.submit(self._load)

    def when_loaded(self, callback: Callable[[], object]) -> None:
        """Run `callback` in the event loop once the name model has loaded (not at all if it failed)."""
        if self._loaded is None:
            return
        loop = asyncio.get_running_loop()

        def done(future: Future[None]) -> None:
            if not future.cancelled() and future.exception() is None:
                with contextlib.suppress(RuntimeError):  # the loop closed first: nothing to do
                    loop.call_soon_threadsafe(callback)

        self._loaded.add_done_callback(done)

    def _load(self) -> None:
        started = time.perf_counter()
        try:
            self._load_model()
        except Exception as exc:  # reported on every verdict that needs it, never fatal
            self.load_error = f"name detector unavailable: {type(exc).__name__}"
            log.error("privacy: the name detector failed to load (%s): conversations stay local", exc)
            raise
        log.info("privacy: name detector loaded in %.2f s", time.perf_counter() - started)

    def status(self) -> dict[str, object]:
        """For /readyz: never failing readiness (a broken detector only keeps everything local)."""
        if not self.slow_enabled:
            names = "off"
        elif self._loaded is None:
            names = "not loaded (loads on the first scan)"
        elif not self._loaded.done():
            names = "loading"
        else:
            names = "ready" if self.load_error is None else self.load_error
        detail = "scanning every message" if self.load_error is None else "degraded: every conversation stays local"
        return {"ok": True, "detail": detail, "names": names, "cached_texts": len(self._cache)}

    async def check(self) -> dict[str, object]:
        return self.status()

    def close(self) -> None:
        self._ner.shutdown(wait=False, cancel_futures=True)

    # --- scanning ---------------------------------------------------------------------------------
    async def assess(self, texts: Sequence[str], *, slow: bool = True) -> Verdict:
        """The verdict for everything in `texts` (in conversation order), off the event loop."""
        try:
            return await asyncio.wait_for(self._assess(texts, slow), self.timeout)
        except TimeoutError:
            log.warning("privacy: scan ran past %.1f s: treated as private", self.timeout)
            return Verdict(failure=f"scan took longer than {self.timeout:g} s")

    async def _assess(self, texts: Sequence[str], slow: bool) -> Verdict:
        slow = slow and self.slow_enabled
        entries = [self._cache.get(key) for key in map(_digest, texts)]
        missing = [i for i, entry in enumerate(entries) if entry is None or (slow and entry.slow is None)]
        try:
            if missing:
                fresh = await asyncio.to_thread(self._fast_many, [texts[i] for i in missing], entries, missing)
                for i, entry in zip(missing, fresh, strict=True):
                    entries[i] = entry
            seam_kinds = await asyncio.to_thread(self._seams, texts) if len(texts) > 1 else frozenset()
            if slow:
                await self._slow_many(texts, entries)
        except Exception as exc:
            log.exception("privacy: a detector failed: treated as private")
            return Verdict(failure=f"{type(exc).__name__} in a detector")
        if slow and self.load_error is not None:
            return Verdict(self._sorted(entries, seam_kinds), failure=self.load_error)
        return self._verdict(entries, seam_kinds)

    def assess_sync(self, texts: Sequence[str], *, slow: bool = True) -> Verdict:
        """The same verdict, computed in the calling thread (benchmarks, tools, tests)."""
        slow = slow and self.slow_enabled
        if slow:
            self.start()
            assert self._loaded is not None
            if self._loaded.exception() is not None:
                return Verdict(failure=self.load_error)
        entries: list[_Entry | None] = [self._cache.get(_digest(t)) for t in texts]
        missing = [i for i, e in enumerate(entries) if e is None]
        for i, entry in zip(missing, self._fast_many([texts[i] for i in missing], entries, missing), strict=True):
            entries[i] = entry
        if slow:
            for text, known in zip(texts, entries, strict=True):
                assert known is not None
                if known.slow is None:
                    known.slow = self._slow_one(text)
        return self._verdict(entries, self._seams(texts) if len(texts) > 1 else frozenset())

    def _fast_many(self, texts: Sequence[str], entries: list[_Entry | None], where: list[int]) -> list[_Entry]:
        out = []
        for text, i in zip(texts, where, strict=True):
            known = entries[i]
            if known is None:
                known = _Entry(frozenset(h.kind for h in resolve(run_detectors(self._fast, normalize(text)))))
                self._remember(_digest(text), known)
            out.append(known)
        return out

    async def _slow_many(self, texts: Sequence[str], entries: list[_Entry | None]) -> None:
        self.start()
        assert self._loaded is not None
        if not self._loaded.done():
            # Waits inside the caller's deadline; a failed load is reported through load_error.
            await asyncio.wait([asyncio.wrap_future(self._loaded)])
        if self.load_error is not None:
            return
        loop = asyncio.get_running_loop()
        for text, entry in zip(texts, entries, strict=True):
            assert entry is not None
            if entry.slow is None:
                entry.slow = await loop.run_in_executor(self._ner, self._slow_one, text)

    def _slow_one(self, text: str) -> frozenset[str]:
        return frozenset(h.kind for h in run_detectors(self._slow, normalize(text)))

    def _seams(self, texts: Sequence[str]) -> frozenset[str]:
        """Kinds found only where one message ends and the next begins (see `privacy.seams`)."""
        found: set[str] = set()
        for a, b in _neighbours(texts):
            key = _digest("\x00seam\x00" + a[-SEAM:] + "\x00" + b[:SEAM])
            cached = self._cache.get(key)
            if cached is None:
                kinds: set[str] = set()
                for joined, cut in joins(normalize(a[-2 * SEAM :]), normalize(b[: 2 * SEAM])):
                    kinds.update(h.kind for h in resolve(run_detectors(self._fast, joined)) if h.start < cut < h.end)
                cached = _Entry(frozenset(kinds))
                self._remember(key, cached)
            found |= cached.fast
        return frozenset(found)

    def _remember(self, key: bytes, entry: _Entry) -> None:
        self._cache[key] = entry
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)

    def _sorted(self, entries: Sequence[_Entry | None], seam: frozenset[str]) -> tuple[str, ...]:
        kinds: set[str] = set(seam)
        for entry in entries:
            if entry is not None:
                kinds |= entry.fast
                kinds |= entry.slow or frozenset()
        return tuple(sorted(kinds, key=lambda k: _ORDER.get(k, len(_ORDER))))

    def _verdict(self, entries: Sequence[_Entry | None], seam: frozenset[str]) -> Verdict:
        kinds = self._sorted(entries, seam)
        alone = set(self._sorted(entries, frozenset()))
        return Verdict(kinds, seam=bool(seam - alone))


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _neighbours(texts: Sequence[str]) -> list[tuple[str, str]]:
    """Pairs whose boundary is scanned: each message with the next, and with the next non-empty one after it."""
    pairs = [(texts[i], texts[i + 1]) for i in range(len(texts) - 1)]
    pairs += [(texts[i], texts[i + 2]) for i in range(len(texts) - 2)]  # user, assistant, user
    return [(a, b) for a, b in pairs if a and b]
