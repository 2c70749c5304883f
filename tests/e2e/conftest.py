"""Fixtures that run the real app as a subprocess against real backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from config import BUNDLED_MODEL_PATH
from tests.support.app_process import AppProcess
from tests.support.openai_server import OpenAIServer


@pytest.fixture(scope="session")
def foundry_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("foundry-cache")


@pytest.fixture(scope="module")
def http_backend() -> Iterator[OpenAIServer]:
    with OpenAIServer() as server:
        yield server


@pytest.fixture(scope="module")
def http_app(http_backend: OpenAIServer, foundry_cache: Path) -> Iterator[AppProcess]:
    """The app with BASE_URL pointing at the scripted OpenAI-compatible test server."""
    env = {"BASE_URL": http_backend.base_url, "FOUNDRY_CACHE_DIR": str(foundry_cache), "CONTEXT_TOKENS": "4096"}
    with AppProcess(env) as app:
        yield app


@pytest.fixture(scope="module")
def engine_app(foundry_cache: Path) -> Iterator[AppProcess]:
    """The app on the real Foundry Local engine, serving the bundled tiny model through BYOM."""
    env = {"MODEL_PATH": str(BUNDLED_MODEL_PATH), "FOUNDRY_CACHE_DIR": str(foundry_cache), "MAX_TOKENS": "200"}
    with AppProcess(env) as app:
        yield app


@pytest.fixture
def backend(http_backend: OpenAIServer) -> Iterator[OpenAIServer]:
    """The module's test server, with its script reset and its record cleared for this test."""
    from tests.support.openai_server import Behaviour

    http_backend.behaviour = Behaviour()
    http_backend.received.clear()
    yield http_backend
    http_backend.behaviour = Behaviour()
