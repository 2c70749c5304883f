from __future__ import annotations

from routing.breaker import CircuitBreaker


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_opens_after_n_consecutive_failures() -> None:
    b = CircuitBreaker(failures=3, cooldown=10, clock=Clock())
    for _ in range(2):
        b.record_failure("x")
        assert b.state == "closed" and b.allow()
    b.record_failure("x")
    assert b.state == "open" and not b.allow()


def test_success_resets_the_count() -> None:
    b = CircuitBreaker(failures=2, clock=Clock())
    b.record_failure()
    b.record_success()
    b.record_failure()
    assert b.state == "closed"


def test_half_open_lets_exactly_one_probe() -> None:
    clock = Clock()
    b = CircuitBreaker(failures=1, cooldown=10, clock=clock)
    b.record_failure()
    clock.now = 5
    assert not b.allow() and 4.9 < b.retry_in() <= 5
    clock.now = 10
    assert b.state == "half_open"
    assert b.allow()
    assert not b.allow()  # the probe is in flight


def test_probe_success_closes() -> None:
    clock = Clock()
    b = CircuitBreaker(failures=1, cooldown=1, clock=clock)
    b.record_failure()
    clock.now = 1
    assert b.allow()
    b.record_success()
    assert b.state == "closed" and b.allow() and b.allow()


def test_probe_failure_reopens_for_another_cooldown() -> None:
    clock = Clock()
    b = CircuitBreaker(failures=3, cooldown=1, clock=clock)
    for _ in range(3):
        b.record_failure()
    clock.now = 1
    assert b.allow()
    b.record_failure("still down")
    assert b.state == "open" and not b.allow() and b.last_error == "still down"
    clock.now = 2
    assert b.allow()


def test_released_probe_can_be_retried() -> None:
    clock = Clock()
    b = CircuitBreaker(failures=1, cooldown=1, clock=clock)
    b.record_failure()
    clock.now = 1
    assert b.allow()
    b.release()
    assert b.allow()
