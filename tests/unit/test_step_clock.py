"""Chainlit's steps and messages keep distinct, ordered stamps without stopping the event loop."""

from __future__ import annotations

import importlib
import time
from datetime import datetime

import pytest

from chat import step_clock


def test_stamps_strictly_increase_and_sort_as_text_even_when_the_clock_stands_still(monkeypatch: pytest.MonkeyPatch) -> None:
    frozen = datetime(2026, 12, 1, 12, 0, 0)  # a whole second: Chainlit's own format would drop the fraction

    class Still(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
            return frozen.replace(tzinfo=tz)

    monkeypatch.setattr(step_clock, "datetime", Still)
    monkeypatch.setattr(step_clock, "_last", datetime.min)
    stamps = [step_clock.stamp() for _ in range(1000)]
    assert stamps[0] == "2026-12-01T12:00:00.000000Z"
    assert stamps == sorted(stamps) and len(set(stamps)) == 1000
    assert {len(s) for s in stamps} == {len("2026-12-01T12:00:00.000000Z")}


def test_a_clock_that_goes_back_never_gives_an_earlier_stamp(monkeypatch: pytest.MonkeyPatch) -> None:
    times = iter([datetime(2026, 12, 1, 12, 0, 1), datetime(2026, 12, 1, 12, 0, 0), datetime(2026, 12, 1, 12, 0, 2)])

    class Back(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
            return next(times).replace(tzinfo=tz)

    monkeypatch.setattr(step_clock, "datetime", Back)
    monkeypatch.setattr(step_clock, "_last", datetime.min)
    first, second, third = (step_clock.stamp() for _ in range(3))
    assert first < second < third
    assert second == "2026-12-01T12:00:01.000001Z" and third == "2026-12-01T12:00:02.000000Z"


async def test_install_takes_the_sleep_out_of_the_constructors_and_nothing_else(monkeypatch: pytest.MonkeyPatch) -> None:
    message, step, emitter = (importlib.import_module(f"chainlit.{n}") for n in ("message", "step", "emitter"))
    for module in (message, step, emitter):  # undone after the test
        monkeypatch.setattr(module, "utc_now", module.utc_now)
    for module in (message, step):
        monkeypatch.setattr(module, "time", module.time)
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    step_clock.install()
    step_clock.install()  # idempotent
    for module in (message, step):
        module.time.sleep(0.001)
        assert module.time.monotonic is time.monotonic  # the rest of `time` is the real one
    assert slept == []
    assert all(module.utc_now is step_clock.stamp for module in (message, step, emitter))
    from chainlit.context import init_http_context

    init_http_context()
    made = [step.Step(name="run"), message.Message(content="hi"), step.Step(name="run")]
    assert slept == []  # the constructors ran without the real sleep
    stamps = [made[0].created_at, made[2].created_at]
    assert stamps[0] < stamps[1] and stamps[0].endswith("Z")
