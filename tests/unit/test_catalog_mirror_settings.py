"""FOUNDRY_CATALOG_URL / FOUNDRY_CATALOG_REGION, the download's progress text, gauge and /readyz body."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from prometheus_client import REGISTRY

from chat.present import progress_text
from chat.runtime import AppRuntime, Progress
from config import ConfigError, load_settings
from health.routes import _readiness
from providers.foundry_engine import DownloadStatus

URL = "http://127.0.0.1:8123/asset-gallery/v1.0/models"


def test_catalog_settings_default_to_none() -> None:
    settings = load_settings({})
    assert settings.catalog_url is None and settings.catalog_region is None


def test_catalog_settings_are_read() -> None:
    settings = load_settings({"FOUNDRY_CATALOG_URL": URL + "/", "FOUNDRY_CATALOG_REGION": "127.0.0.1:8443/shim"})
    assert settings.catalog_url == URL
    assert settings.catalog_region == "127.0.0.1:8443/shim"
    assert load_settings({"FOUNDRY_CATALOG_REGION": "westus2"}).catalog_region == "westus2"


@pytest.mark.parametrize(
    "value",
    ["ftp://mirror/asset-gallery/v1.0/models", "http://mirror.example.com/ux/v1.0/models", "mirror/asset-gallery/v1.0/models",
     "http://mirror example/asset-gallery/v1.0/models", "http:///asset-gallery/v1.0/models"],
)
def test_malformed_catalog_url_is_one_line_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({"FOUNDRY_CATALOG_URL": value})
    message = str(info.value)
    assert message.startswith("FOUNDRY_CATALOG_URL must be") and "/asset-gallery/v1.0/models" in message
    assert "\n" not in message


@pytest.mark.parametrize("value", ["west us", "a" * 101, "region?x=1", "r#1", "evil@host"])
def test_malformed_catalog_region_is_one_line_naming_the_variable(value: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({"FOUNDRY_CATALOG_REGION": value})
    assert str(info.value).startswith("FOUNDRY_CATALOG_REGION must be") and "\n" not in str(info.value)


def test_catalog_settings_appear_in_the_safe_summary() -> None:
    summary = load_settings({"FOUNDRY_CATALOG_URL": URL}).safe_summary()
    assert summary["catalog_url"] == URL and summary["catalog_region"] is None


def status(fraction: float, eta: float | None = 10.0, at: float = 100.0, total: int | None = 50_000_000) -> DownloadStatus:
    done = int(fraction * total) if total else None
    return DownloadStatus(fraction, done, total, eta, at)


def test_progress_text_shows_bar_percent_bytes_and_a_countdown() -> None:
    progress = Progress("Downloading phi-4-mini…", 0.4, status(0.4))
    text = progress_text(progress, now=100.0)
    assert text.count("█") == 8 and "40%" in text and "≈20.0 MB of 50.0 MB" in text and "about 10s left" in text
    assert "about 8s left" in progress_text(progress, now=102.0)  # the estimate counts down between reports


def test_progress_text_without_a_size_shows_percent_only() -> None:
    text = progress_text(Progress("Downloading x…", 0.5, status(0.5, total=None)), now=100.0)
    assert "50%" in text and "MB" not in text and "about 10s left" in text


def test_progress_text_says_retrying_when_the_download_stalls() -> None:
    text = progress_text(Progress("Downloading x…", 0.3, status(0.3)), now=106.0)
    assert "no progress for 6s" in text and "retrying" in text and "left" not in text


def test_progress_text_when_done_or_not_downloading() -> None:
    assert "left" not in progress_text(Progress("Downloading x…", 1.0, status(1.0)), now=100.0)
    assert "MB" not in progress_text(Progress("Loading…", None))


def gauge() -> float | None:
    return REGISTRY.get_sample_value("foundry_chat_model_download_progress")


def test_progress_reports_feed_the_gauge_and_readyz() -> None:
    runtime = AppRuntime(load_settings({}))
    runtime._on_progress("Downloading tiny…", 0.25, status(0.25, eta=3.0))
    assert gauge() == 0.25
    runtime._on_progress("Loading tiny…", None)  # a step without a download leaves the gauge alone
    assert gauge() == 0.25
    runtime._on_progress("Downloading tiny…", 0.5, status(0.5, eta=2.04))
    code, body = asyncio.run(_readiness(runtime))
    assert code == 503 and body["state"] == "starting" and body["progress"] == 0.5
    assert body["download"] == {"fraction": 0.5, "done_bytes": 25_000_000, "total_bytes": 50_000_000, "eta_seconds": 2.0}


def test_readyz_has_no_download_block_while_not_downloading() -> None:
    runtime = SimpleNamespace(state="starting", progress=Progress("Loading…", None), refusal=lambda: None)
    runtime.refusal = lambda: AppRuntime.refusal(runtime)  # type: ignore[arg-type]
    runtime.draining, runtime.router = False, None
    code, body = asyncio.run(_readiness(runtime))
    assert code == 503 and "download" not in body
