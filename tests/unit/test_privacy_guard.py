"""The conversation-level guard: caching, seams, fail-closed verdicts (fake detectors for the faults)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from privacy import Hit, PrivacyGuard, Verdict
from privacy.guard import DEFAULT_TIMEOUT


def _boom(text: str) -> Iterator[Hit]:
    raise RuntimeError("detector bug")
    yield  # pragma: no cover


def _names(text: str) -> Iterator[Hit]:
    at = text.find("Kari Nordmann")
    if at != -1:
        yield Hit(at, at + 13, "person_name", "person's name", "K*** N***")


async def test_finds_kinds_never_values() -> None:
    verdict = await PrivacyGuard(slow=False).assess(["hello", "mail me: ola@example.no"])
    assert verdict == Verdict(("email",)) and verdict.reason == "private data: e-mail address"
    assert "ola" not in repr(verdict)


async def test_a_clean_conversation_is_not_private() -> None:
    verdict = await PrivacyGuard(slow=False).assess(["Write a haiku about Oslo in winter", "Sure!"])
    assert not verdict.private and verdict.reason == ""


async def test_a_detector_that_raises_fails_closed() -> None:
    verdict = await PrivacyGuard(fast_detectors=[_boom], slow=False).assess(["a perfectly clean text"])
    assert verdict.private and verdict.failure == "RuntimeError in a detector"
    assert verdict.reason == "privacy check failed (RuntimeError in a detector): kept local"


async def test_a_scan_past_the_deadline_fails_closed() -> None:
    release = threading.Event()

    def slow(text: str) -> Iterator[Hit]:
        release.wait(5)
        return iter(())

    guard = PrivacyGuard(timeout=0.05, slow_detectors=[slow], load=lambda: None)
    try:
        verdict = await guard.assess(["clean text"])
    finally:
        release.set()
        guard.close()
    assert verdict.private and verdict.failure is not None and "longer than 0.05 s" in verdict.failure


async def test_a_model_that_cannot_load_fails_closed_on_every_scan() -> None:
    def broken() -> None:
        raise OSError("weights missing")

    guard = PrivacyGuard(slow_detectors=[_names], load=broken)
    first, second = await guard.assess(["clean"]), await guard.assess(["also clean"])
    assert first.failure == second.failure == "name detector unavailable: OSError"
    assert guard.status()["names"] == "name detector unavailable: OSError"


async def test_the_slow_tier_runs_only_when_asked_and_is_cached() -> None:
    calls: list[str] = []

    def names(text: str) -> Iterator[Hit]:
        calls.append(text)
        return _names(text)

    guard = PrivacyGuard(slow_detectors=[names], load=lambda: None)
    assert not (await guard.assess(["I met Kari Nordmann"], slow=False)).private and calls == []
    assert (await guard.assess(["I met Kari Nordmann"])).kinds == ("person_name",)
    assert (await guard.assess(["I met Kari Nordmann", "and then?"])).kinds == ("person_name",)
    assert calls == ["I met Kari Nordmann", "and then?"]  # each text scanned once


@pytest.mark.parametrize(
    "messages",
    [
        ["my card is 4111 1111", "1111 1111"],
        ["my card is 4111 1111", "Please go on.", "1111 1111"],  # the assistant's reply in between
        ["ring meg på +47 912", "34 567"],
    ],
)
async def test_values_split_across_messages_are_found(messages: list[str]) -> None:
    verdict = await PrivacyGuard(slow=False).assess(messages)
    assert verdict.private and verdict.seam


async def test_seams_do_not_invent_findings_from_two_clean_halves() -> None:
    verdict = await PrivacyGuard(slow=False).assess(["Order 4111", "is ready, ticket 1111 closed"])
    assert not verdict.private


def test_default_deadline_is_a_few_seconds() -> None:
    assert 1 <= DEFAULT_TIMEOUT <= 10
