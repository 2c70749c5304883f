"""One real Foundry Local engine per test session, serving the bundled tiny model."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from config import BUNDLED_MODEL_PATH, load_settings
from providers.foundry import FoundryLocalProvider
from providers.foundry_engine import LoadedModel, open_engine


@pytest.fixture(scope="session")
def engine_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("engine-cache")


@pytest.fixture(scope="session")
def loaded(engine_cache: Path) -> Iterator[LoadedModel]:
    from foundry_local_sdk import FoundryLocalManager

    settings = load_settings({"MODEL_PATH": str(BUNDLED_MODEL_PATH), "FOUNDRY_CACHE_DIR": str(engine_cache)})
    steps: list[str] = []
    model = open_engine(settings, lambda text, _: steps.append(text))
    yield model
    model.model.unload()
    if FoundryLocalManager.instance is not None:
        FoundryLocalManager.instance.close()


@pytest_asyncio.fixture
async def provider(loaded: LoadedModel, engine_cache: Path) -> AsyncIterator[FoundryLocalProvider]:
    settings = load_settings({"MODEL_PATH": str(BUNDLED_MODEL_PATH), "FOUNDRY_CACHE_DIR": str(engine_cache)})
    yield FoundryLocalProvider(loaded, settings)
