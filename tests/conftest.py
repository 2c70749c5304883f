"""Shared fixtures: a clean environment per test, and the test servers."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.support.fake_provider import FakeProvider
from tests.support.openai_server import OpenAIServer


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
