"""Resolve the local provider from the settings (the design's client factory).

`BASE_URL` set → that OpenAI-compatible server. Otherwise Foundry Local in-process: `MODEL_PATH`
if set, else `MODEL` from the catalog, else the bundled offline demo model.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from config import CloudSettings, Settings
from security.masking import safe_url

from .base import Provider
from .foundry_engine import ProgressCallback

__all__ = ["LocalTarget", "open_cloud", "open_local"]

log = logging.getLogger("foundry_chat.providers")


@dataclass(frozen=True)
class LocalTarget:
    provider: Provider
    description: str
    """For the welcome message, e.g. "tiny-chat on cpu (Foundry Local, in-process)"."""
    device: str | None
    notice: str | None
    load_seconds: float | None = None


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
        shown = safe_url(settings.base_url)  # the URL may carry credentials: user:pass@, ?api-key=
        log.info("provider: BASE_URL %s → %s", shown, "reachable" if health.ok else health.detail)
        model = health.model or "the server's first model"
        return LocalTarget(provider, f"{model} at {shown} (OpenAI-compatible)", None, None)

    from .foundry import FoundryLocalProvider
    from .foundry_engine import open_engine

    loaded = await asyncio.to_thread(open_engine, settings, on_progress)
    description = f"{loaded.display_name} on {loaded.device} (Foundry Local, in-process)"
    return LocalTarget(FoundryLocalProvider(loaded, settings), description, loaded.device, loaded.notice, loaded.load_seconds)


def open_cloud(cloud: CloudSettings) -> Provider:
    """The cloud target: Azure OpenAI (`AsyncAzureOpenAI`) or any OpenAI-compatible cloud."""
    import openai

    from .openai_compat import OpenAICompatProvider, http_client

    key = cloud.api_key.get() if cloud.api_key else None
    timeout = openai.Timeout(cloud.read_timeout, connect=cloud.connect_timeout)
    if cloud.kind == "azure":
        client: openai.AsyncOpenAI = openai.AsyncAzureOpenAI(
            azure_endpoint=cloud.endpoint,
            api_key=key,
            api_version=cloud.api_version,
            azure_deployment=cloud.model,
            timeout=timeout,
            max_retries=0,
            http_client=http_client(cloud.endpoint),
        )
        name = "azure-openai"
    else:
        client = openai.AsyncOpenAI(
            base_url=cloud.endpoint,
            api_key=key or "not-needed",
            timeout=timeout,
            max_retries=0,
            http_client=http_client(cloud.endpoint),
        )
        name = "cloud"
    log.info("provider: cloud target %s at %s, model %s", cloud.kind, safe_url(cloud.endpoint), cloud.model)
    return OpenAICompatProvider(
        client,
        name=name,
        default_model=cloud.model,
        context_tokens=cloud.context_tokens,
        first_token_timeout=cloud.first_token_timeout,
    )
