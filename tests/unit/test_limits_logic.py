"""The limits' counting (throttle/counters.py), without an app: sign-in windows and in-flight caps."""

from __future__ import annotations

import time

import pytest

from config import ConfigError, LimitSettings, load_settings
from throttle import CONCURRENT_CHECKS_PER_ADDRESS, InFlight, LoginThrottle, client_address


def test_in_flight_caps_per_key_and_frees_on_release() -> None:
    cap = InFlight(2)
    assert cap.try_acquire("a") and cap.try_acquire("a") and not cap.try_acquire("a")
    assert cap.try_acquire("b") and cap.total == 3
    cap.release("a")
    assert cap.count("a") == 1 and cap.try_acquire("a")
    for key in ("a", "a", "b", "b"):  # a release too many never goes negative
        cap.release(key)
    assert cap.total == 0 and cap.try_acquire("b")
    unlimited = InFlight(0)
    assert all(unlimited.try_acquire("k") for _ in range(1000))


def fail(throttle: LoginThrottle, account: str, address: str) -> None:
    verdict = throttle.admit(account, address)
    assert verdict, verdict.refused
    throttle.settle(account, address, ok=False)


def test_failures_lock_the_account_with_a_retry_time_within_the_window() -> None:
    throttle = LoginThrottle(per_account=3, per_address=100, window=900)
    for i in range(3):
        fail(throttle, "alice", f"10.0.0.{i}")
    verdict = throttle.admit("alice", "10.0.0.99")
    assert not verdict and verdict.refused == "login_account" and 890 <= verdict.retry_after <= 900
    assert throttle.admit("bob", "10.0.0.99")  # another account is not locked


def test_a_success_forgets_the_accounts_failures_but_not_the_addresses() -> None:
    throttle = LoginThrottle(per_account=3, per_address=4, window=900)
    for _ in range(2):
        fail(throttle, "alice", "10.0.0.1")
    assert throttle.admit("alice", "10.0.0.1")
    throttle.settle("alice", "10.0.0.1", ok=True)
    for _ in range(2):
        fail(throttle, "alice", "10.0.0.1")
    assert throttle.admit("alice", "10.0.0.2")  # 2 failures since the success: not locked
    throttle.settle("alice", "10.0.0.2", ok=True)
    verdict = throttle.admit("carol", "10.0.0.1")  # the address's 4 failures still count
    assert not verdict and verdict.refused == "login_address"


def test_attempts_being_checked_count_before_their_result() -> None:
    throttle = LoginThrottle(per_account=2, per_address=100, window=900)
    assert throttle.admit("alice", "10.0.0.1") and throttle.admit("alice", "10.0.0.2")
    verdict = throttle.admit("alice", "10.0.0.3")  # two guesses in flight fill alice's window
    assert not verdict and verdict.refused == "login_account" and verdict.retry_after == 1
    throttle.settle("alice", "10.0.0.1", ok=False)
    throttle.settle("alice", "10.0.0.2", ok=False)
    assert throttle.admit("alice", "10.0.0.3").retry_after > 1  # now they are failures: the window's time


def test_one_address_has_at_most_a_few_checks_running() -> None:
    throttle = LoginThrottle(per_account=0, per_address=0, window=900)  # both windows off
    admitted = [throttle.admit(f"user{i}", "10.0.0.1") for i in range(10)]
    assert sum(bool(v) for v in admitted) == CONCURRENT_CHECKS_PER_ADDRESS
    assert {v.refused for v in admitted if not v} == {"login_concurrent"}
    assert throttle.admit("user99", "10.0.0.2")  # other addresses are not affected
    throttle.settle("user0", "10.0.0.1", ok=False)
    assert throttle.admit("user10", "10.0.0.1")


def test_failures_leave_the_window_after_it(monkeypatch: pytest.MonkeyPatch) -> None:
    throttle = LoginThrottle(per_account=1, per_address=100, window=60)
    fail(throttle, "alice", "10.0.0.1")
    assert not throttle.admit("alice", "10.0.0.1")
    later = time.time() + 61
    monkeypatch.setattr(time, "time", lambda: later)
    assert throttle.admit("alice", "10.0.0.1")


def test_client_address_from_the_asgi_scope() -> None:
    assert client_address({"client": ("203.0.113.9", 5555)}) == "203.0.113.9"
    for scope in ({}, {"client": None}, None, {"client": ("", 0)}):
        assert client_address(scope) == "unknown"


def test_limit_settings_defaults_and_values() -> None:
    assert load_settings({}).limits == LimitSettings(10, 50, 900.0, 100, 16)
    s = load_settings(
        {
            "LIMIT_LOGIN_FAILURES": "5",
            "LIMIT_LOGIN_FAILURES_PER_ADDRESS": "0",
            "LIMIT_LOGIN_WINDOW": "60",
            "LIMIT_SESSIONS_PER_CLIENT": "1000",
            "LIMIT_V1_CONCURRENCY": "0",
        }
    ).limits
    assert s == LimitSettings(5, 0, 60.0, 1000, 0)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("LIMIT_LOGIN_FAILURES", "-1"),
        ("LIMIT_LOGIN_FAILURES", "ten"),
        ("LIMIT_LOGIN_WINDOW", "0"),
        ("LIMIT_SESSIONS_PER_CLIENT", "1.5"),
        ("LIMIT_V1_CONCURRENCY", "999999999"),
    ],
)
def test_bad_limit_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        load_settings({name: value})
