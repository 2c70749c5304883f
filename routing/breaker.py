"""A circuit breaker per target, so a dead backend costs no latency.

    closed ──(N consecutive failures)──▶ open ──(cooldown passed)──▶ half-open
      ▲                                   ▲                             │
      └──────────(probe succeeds)─────────┼─────────────────────────────┤
                                          └──────(probe fails)──────────┘

In half-open, exactly one request (the probe) is let through; the rest are refused until it
reports. The clock is injectable for tests.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Literal

__all__ = ["CircuitBreaker", "State"]

State = Literal["closed", "open", "half_open"]


class CircuitBreaker:
    def __init__(self, failures: int = 3, cooldown: float = 30.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold = failures
        self.cooldown = cooldown
        self._clock = clock
        self._state: State = "closed"
        self.consecutive_failures = 0
        self.opened_at: float | None = None
        self._probe_in_flight = False
        self.last_error: str | None = None

    @property
    def state(self) -> State:
        if self._state == "open" and self.opened_at is not None and self._clock() - self.opened_at >= self.cooldown:
            return "half_open"
        return self._state

    def allow(self) -> bool:
        """Whether a request may go to this target now (claims the probe slot when half-open)."""
        state = self.state
        if state == "closed":
            return True
        if state == "half_open" and not self._probe_in_flight:
            self._state = "half_open"
            self._probe_in_flight = True
            return True
        return False

    def retry_in(self) -> float:
        """Seconds until a probe will be allowed (0 when closed or half-open)."""
        if self.state != "open" or self.opened_at is None:
            return 0.0
        return max(0.0, self.cooldown - (self._clock() - self.opened_at))

    def record_success(self) -> None:
        self._state = "closed"
        self.consecutive_failures = 0
        self.opened_at = None
        self._probe_in_flight = False

    def record_failure(self, error: str | None = None) -> None:
        self.last_error = error
        self.consecutive_failures += 1
        if self._state == "half_open" or self.consecutive_failures >= self.threshold:
            self._state = "open"
            self.opened_at = self._clock()
        self._probe_in_flight = False

    def release(self) -> None:
        """The request ended without a verdict (e.g. stopped by the user): free the probe slot."""
        self._probe_in_flight = False
