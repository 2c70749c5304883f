"""Resolve the local provider from the settings (the design's client factory).

`BASE_URL` set → that OpenAI-compatible server. Otherwise Foundry Local in-process: `MODEL_PATH`
if set, else `MODEL` from the catalog, else the bundled offline demo model.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from config import Settings

from .base import Provider
from .foundry_engine import ProgressCallback

__all__ = ["LocalTarget", "open_local"]

log = logging.getLogger("foundry_chat.providers")


@dataclass(frozen=True)
class LocalTarget:
    provider: Provider
    description: str
    """For the welcome message, e.g. "tiny-chat on cpu (Foundry Local, in-process)"."""
    device: str | None
    notice: str | None


async def open_local(settings: Settings, on_progress: ProgressCallback) -> LocalTarget:
    if settings.base_url:
        from .openai_compat import OpenAICompatProvider

        provider = OpenAICompatProvider.create(
            settings.base_url,
            settings.api_key.get() if settings.api_key else None,
            name="local",
            default_model=settings.model if settings.model_set else None,
            context_tokens=settings.context_tokens or 4096,
            connect_timeout=settings.connect_timeout,
            first_token_timeout=settings.first_token_timeout,
            read_timeout=settings.read_timeout,
        )
        health = await provider.health()
        log.info("provider: BASE_URL %s → %s", settings.base_url, "reachable" if health.ok else health.detail)
        model = health.model or "the server's first model"
        return LocalTarget(provider, f"{model} at {settings.base_url} (OpenAI-compatible)", None, None)

    from .foundry import FoundryLocalProvider
    from .foundry_engine import open_engine

    loaded = await asyncio.to_thread(open_engine, settings, on_progress)
    provider = FoundryLocalProvider(loaded, settings)
    description = f"{loaded.display_name} on {loaded.device} (Foundry Local, in-process)"
    return LocalTarget(provider, description, loaded.device, loaded.notice)
