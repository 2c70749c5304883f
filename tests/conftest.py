"""Shared fixtures: a clean environment per test, and the test servers."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import postgres
from tests.support.fake_provider import FakeProvider
from tests.support.openai_server import OpenAIServer

TESTS = Path(__file__).resolve().parent
TIER_MARKS = {"e2e": pytest.mark.e2e, "engine": pytest.mark.engine}


LONGEST_FIRST = ("tests/unit/test_tooling.py", "tests/e2e/test_bench_quick.py")
"""Files of a minute or more each: started first, so that neither of the two workers (pytest-xdist,
`--dist loadfile`) is left running one of them alone at the end."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test by its tier's folder (`-m "not e2e"` works). `pytestmark` in a conftest has no effect."""
    first = {TESTS.parent / name for name in LONGEST_FIRST}
    items.sort(key=lambda item: item.path.resolve() not in first)  # stable: the rest keep their order
    for item in items:
        try:
            tier = item.path.resolve().relative_to(TESTS).parts[0]
        except ValueError:
            continue
        if tier in TIER_MARKS:
            item.add_marker(TIER_MARKS[tier])


@pytest.fixture(autouse=True)
def _restore_environ() -> Iterator[None]:
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


@pytest.fixture
def fake() -> FakeProvider:
    return FakeProvider()


@pytest.fixture
def openai_server() -> Iterator[OpenAIServer]:
    with OpenAIServer() as server:
        yield server


@pytest.fixture(scope="session")
def pg() -> Iterator[postgres.TempPostgres]:
    """One PostgreSQL server per test process (each test makes its own database); setup.sh --dev
    installs Debian's server, so its absence is a failure, not a skip."""
    reason = postgres.unavailable_reason()
    if reason:
        pytest.fail(f"PostgreSQL not available: {reason}")
    with postgres.TempPostgres() as server:
        yield server
