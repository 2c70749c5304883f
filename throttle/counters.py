"""Counting what one client takes: failed sign-ins in a moving window, work in flight per key.

Pure logic, no Chainlit: `throttle/hooks.py` wires it in. The sign-in windows use the `limits`
library (moving window over in-memory storage, one process); the concurrency caps are plain
counters, hand-written (a dict of ints is all they need).
"""

from __future__ import annotations

import math
import time

from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

__all__ = ["CONCURRENT_CHECKS_PER_ADDRESS", "InFlight", "LoginThrottle", "LoginVerdict"]

CONCURRENT_CHECKS_PER_ADDRESS = 1
"""Password checks one client address may have running at once; further attempts get 429 at once.

One: the app runs two checks at a time (storage.auth.MAX_CONCURRENT_CHECKS), so a flooding address
always leaves one free for everybody else; a browser signs in once at a time anyway."""


class InFlight:
    """Work in flight per key, at most `cap` per key (0: no cap)."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self._counts: dict[str, int] = {}

    def try_acquire(self, key: str) -> bool:
        held = self._counts.get(key, 0)
        if self.cap and held >= self.cap:
            return False
        self._counts[key] = held + 1
        return True

    def release(self, key: str) -> None:
        held = self._counts.get(key, 0) - 1
        if held > 0:
            self._counts[key] = held
        else:
            self._counts.pop(key, None)

    def count(self, key: str) -> int:
        return self._counts.get(key, 0)

    @property
    def total(self) -> int:
        return sum(self._counts.values())


class LoginVerdict:
    """`LoginThrottle.admit`'s answer: `refused` names the limit hit ("" when admitted)."""

    __slots__ = ("refused", "retry_after")

    def __init__(self, refused: str = "", retry_after: int = 0) -> None:
        self.refused = refused
        self.retry_after = retry_after

    def __bool__(self) -> bool:
        return not self.refused


class LoginThrottle:
    """Failed password sign-ins per account and per client address, in a moving window.

    `admit` runs before the hash check and counts the attempt as in flight, so a burst of
    concurrent guesses is refused before it reaches the hasher; `settle` then records a failure
    (or, on success, forgets the account's failures) and frees the slot.
    """

    def __init__(self, per_account: int, per_address: int, window: float) -> None:
        self.window = max(1, math.ceil(window))
        self._account = RateLimitItemPerSecond(per_account, self.window) if per_account else None
        self._address = RateLimitItemPerSecond(per_address, self.window) if per_address else None
        self._limiter = MovingWindowRateLimiter(MemoryStorage())
        self._accounts = InFlight(0)
        self._addresses = InFlight(CONCURRENT_CHECKS_PER_ADDRESS)

    def _wait(self, item: RateLimitItem | None, key: str, pending: int) -> int | None:
        """Seconds until `key` may try again, or None when it may try now."""
        if item is None:
            return None
        stats = self._limiter.get_window_stats(item, key)
        if stats.remaining - pending > 0:
            return None
        if stats.remaining > 0:  # only attempts still being checked fill the window: ask again shortly
            return 1
        return max(1, math.ceil(stats.reset_time - time.time()))

    def admit(self, account: str, address: str) -> LoginVerdict:
        wait = self._wait(self._account, "account:" + account, self._accounts.count(account))
        if wait is not None:
            return LoginVerdict("login_account", wait)
        wait = self._wait(self._address, "address:" + address, self._addresses.count(address))
        if wait is not None:
            return LoginVerdict("login_address", wait)
        if not self._addresses.try_acquire(address):
            return LoginVerdict("login_concurrent", 1)
        self._accounts.try_acquire(account)
        return LoginVerdict()

    def settle(self, account: str, address: str, *, ok: bool) -> None:
        """After an admitted attempt's check: record its result and free its slot."""
        self._accounts.release(account)
        self._addresses.release(address)
        if ok:
            if self._account is not None:
                self._limiter.clear(self._account, "account:" + account)
            return
        if self._account is not None:
            self._limiter.hit(self._account, "account:" + account)
        if self._address is not None:
            self._limiter.hit(self._address, "address:" + address)
