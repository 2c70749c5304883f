"""Fixtures that run the real app as a subprocess against real backends."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from config import BUNDLED_MODEL_PATH
from storage.users import add_or_update_user
from tests.support.app_process import AppProcess
from tests.support.openai_server import OpenAIServer
from tests.support.persisted import PASSWORDS, REFUSALS, app_env, data_layer_complaints


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


# --- persistence (tests/e2e/test_persistence*.py; helpers: tests/support/persisted.py) ---------------
@pytest.fixture(scope="module")
def users_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("auth") / "users.json"
    for name, password in PASSWORDS.items():
        add_or_update_user(path, name, password)
    return path


@pytest.fixture
def auth_env(backend: OpenAIServer, users_file: Path, foundry_cache: Path, tmp_path: Path) -> dict[str, str]:
    return app_env(
        backend, f"sqlite+aiosqlite:///{tmp_path / 'db' / 'chat.db'}", foundry_cache, AUTH_USERS_FILE=str(users_file)
    )


@pytest.fixture
def auth_app(auth_env: dict[str, str]) -> Iterator[AppProcess]:
    with AppProcess(auth_env) as app:
        yield app
    assert not data_layer_complaints(app.log(), REFUSALS), app.log()[-3000:]
