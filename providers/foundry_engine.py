"""Start Foundry Local in-process and get a model loaded: BYOM path, catalog alias, or the demo model.

Everything here is synchronous and slow (catalog probe ~4 s offline, downloads, loads): callers
run `open_engine` in a worker thread. Each step is logged with its outcome and reported to
`on_progress(text, fraction)` so the UI can show a progress bar while a model downloads.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol

from config import BUNDLED_MODEL_PATH, Settings

if TYPE_CHECKING:
    from foundry_local_sdk import FoundryLocalManager, IModel

__all__ = ["DownloadStatus", "EngineStartError", "LoadedModel", "ProgressCallback", "open_engine"]

log = logging.getLogger("foundry_chat.engine")

APP_NAME = "foundry-chat"
MIB = 1024 * 1024
DISK_MARGIN_BYTES = 64 * MIB
"""Free space kept beyond the model's size (resume sidecars, the catalog cache, logs)."""
Source = Literal["model_path", "catalog", "bundled"]


@dataclass(frozen=True, slots=True)
class DownloadStatus:
    """Where a model download stands. The runtime reports only a percentage (per finished chunk);
    bytes come from the catalog's size, which it rounds down to whole MiB, so they are estimates."""

    fraction: float
    done_bytes: int | None
    total_bytes: int | None
    """None when the catalog gives no size (or under 1 MiB)."""
    eta_seconds: float | None
    """From the average rate so far; None until some progress was made."""
    at: float
    """`time.monotonic()` when this was reported; lets the UI count the estimate down and notice stalls."""


class ProgressCallback(Protocol):
    def __call__(self, text: str, fraction: float | None, download: DownloadStatus | None = None, /) -> None: ...


class EngineStartError(Exception):
    """Foundry Local could not serve any model; the message says what failed and how to fix it."""


@dataclass(frozen=True)
class LoadedModel:
    model: IModel
    model_id: str
    display_name: str
    source: Source
    device: str
    execution_provider: str
    context_length: int | None
    load_seconds: float
    notice: str | None = None
    """Shown to users, e.g. that the offline demo model answers instead of MODEL."""


def _manager(settings: Settings) -> FoundryLocalManager:
    from foundry_local_sdk import Configuration, FoundryLocalManager, LogLevel

    if FoundryLocalManager.instance is not None:
        return FoundryLocalManager.instance
    root = settings.cache_dir
    for sub in ("app", "models", "logs"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    FoundryLocalManager.initialize(
        Configuration(
            app_name=APP_NAME,
            app_data_dir=str(root / "app"),
            model_cache_dir=str(root / "models"),
            logs_dir=str(root / "logs"),
            log_level=LogLevel.WARNING,
            disable_nonessential_telemetry=True,
            catalog_urls=[(settings.catalog_url, None)] if settings.catalog_url else None,
            catalog_region=settings.catalog_region,
            # An explicit region means that registry; a fallback would try a random public region.
            additional_settings={"DisableRegionFallback": "true"} if settings.catalog_region else None,
        )
    )
    if settings.catalog_url:
        log.info("engine: catalog mirror %s (region %s)", settings.catalog_url, settings.catalog_region or "default")
    manager = FoundryLocalManager.instance
    assert manager is not None
    return manager


def _byom_id(path: Path) -> str:
    """A stable registration id per directory: the same path reuses the same registration."""
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:8]
    stem = "".join(c if c.isalnum() or c in "-_." else "-" for c in path.name)[:40] or "model"
    return f"{stem}-{digest}:1"


def _register_local(manager: FoundryLocalManager, path: Path) -> IModel:
    from foundry_local_sdk import CatalogType, ModelInfoBuilder

    catalog = manager.get_catalog(CatalogType.LOCAL)
    model_id = _byom_id(path)
    existing = catalog.get_model_variant(model_id)
    if existing is not None:
        if Path(existing.get_path()).resolve() == path.resolve():
            log.info("engine: reusing BYOM registration %s for %s", model_id, path)
            return existing
        log.info("engine: BYOM registration %s is stale (path moved); registering again", model_id)
        catalog.unregister_model(model_id)
    metadata = ModelInfoBuilder().set_string_property("task", "chat-completion")
    model = catalog.register_model(path, model_id, metadata)
    log.info("engine: registered %s as %s", path, model_id)
    return model


def _device_of(model: IModel) -> tuple[str, str]:
    runtime = model.info.runtime
    if runtime is None:
        return "cpu", "CPUExecutionProvider"
    device = runtime.device_type.value.lower() if runtime.device_type is not None else "cpu"
    return device, runtime.execution_provider or "unknown"


def _register_accelerators(manager: FoundryLocalManager, on_progress: ProgressCallback) -> None:
    """Online, fetch and register the accelerated execution providers this machine can use (GPU/NPU),
    so an accelerated model variant can be chosen. Never fatal: CPU always works."""
    try:
        missing = [ep.name for ep in manager.discover_eps() if not ep.is_registered]
        if not missing:
            return
        log.info("engine: registering execution providers %s", ", ".join(missing))

        def progress(name: str, percent: float) -> None:
            on_progress(f"Preparing the {name} execution provider…", max(0.0, min(1.0, percent / 100)))

        result = manager.download_and_register_eps(missing, progress)
        log.info("engine: execution providers registered: %s; failed: %s", result.registered_eps or "none", result.failed_eps or "none")
    except Exception as exc:
        log.warning("engine: could not register accelerated execution providers (%s); CPU variants remain", exc)


def _pick_variant(manager: FoundryLocalManager, model: IModel, device: str) -> None:
    """Prefer an accelerated variant when its execution provider is available (DEVICE=auto|gpu)."""
    variants = model.variants
    if len(variants) <= 1:
        return
    try:
        registered = {ep.name for ep in manager.discover_eps() if ep.is_registered}
    except Exception as exc:  # EP discovery is advisory; never fail startup over it
        log.warning("engine: execution provider discovery failed: %s", exc)
        registered = set()
    wanted = ("gpu", "npu", "cpu") if device in ("auto", "gpu") else ("cpu",)
    for kind in wanted:
        for variant in variants:
            dev, ep = _device_of(variant)
            if dev == kind and (kind == "cpu" or ep in registered):
                model.select_variant(variant)
                log.info("engine: selected variant %s (%s, %s)", variant.id, dev, ep)
                return
    if device == "gpu":
        log.warning("engine: DEVICE=gpu but no GPU variant with a registered execution provider; using CPU")


def _load(model: IModel, model_id: str, display: str, source: Source, notice: str | None) -> LoadedModel:
    started = time.perf_counter()
    model.load()
    seconds = time.perf_counter() - started
    device, ep = _device_of(model)
    log.info("engine: loaded %s in %.2fs on %s (%s)", model_id, seconds, device, ep)
    return LoadedModel(model, model_id, display, source, device, ep, model.context_length, seconds, notice)


def _from_path(manager: FoundryLocalManager, path: Path, source: Source, notice: str | None) -> LoadedModel:
    model = _register_local(manager, path)
    display = path.name if source == "model_path" else "offline demo model (tiny-chat)"
    return _load(model, model.id, display, source, notice)


def _from_catalog(manager: FoundryLocalManager, settings: Settings, on_progress: ProgressCallback) -> LoadedModel:
    catalog = manager.get_catalog()
    on_progress(f"Looking up {settings.model} in the Foundry Local catalog…", None)
    started = time.perf_counter()
    listed = catalog.list_models()
    log.info("engine: catalog listed %d models in %.1fs", len(listed), time.perf_counter() - started)
    if not listed:
        where = f"at FOUNDRY_CATALOG_URL={settings.catalog_url}" if settings.catalog_url else "(offline?)"
        raise EngineStartError(
            f"the Foundry Local catalog {where} is unreachable or lists no models; set MODEL_PATH to a local "
            "model directory or BASE_URL to an OpenAI-compatible server"
        )
    if settings.device != "cpu":
        _register_accelerators(manager, on_progress)
    model = catalog.get_model(settings.model)
    if model is None:
        known = ", ".join(sorted({m.alias for m in listed})[:12])
        raise EngineStartError(f"MODEL={settings.model!r} is not in the Foundry Local catalog; known aliases include: {known}")
    _pick_variant(manager, model, settings.device)
    if not model.is_cached:
        _download(model, settings, on_progress)
    else:
        log.info("engine: %s is already in the cache", model.id)
    on_progress(f"Loading {settings.model}…", None)
    return _load(model, model.id, settings.model, "catalog", None)


def _check_disk(settings: Settings, total_bytes: int | None) -> None:
    """Refuse a download that cannot fit, before it starts (the catalog's size, rounded up to a MiB)."""
    if not total_bytes:
        return
    target = settings.cache_dir / "models"
    free = shutil.disk_usage(target).free
    needed = total_bytes + MIB + DISK_MARGIN_BYTES
    if free < needed:
        raise EngineStartError(
            f"not enough disk space to download MODEL={settings.model}: it needs about {needed / 1e6:,.0f} MB "
            f"and FOUNDRY_CACHE_DIR ({settings.cache_dir}) has {free / 1e6:,.0f} MB free; free some space or "
            "point FOUNDRY_CACHE_DIR at a bigger disk"
        )


def _download(model: IModel, settings: Settings, on_progress: ProgressCallback) -> None:
    size_mib = model.info.file_size_mb
    total = size_mib * MIB if size_mib else None
    _check_disk(settings, total)
    log.info("engine: downloading %s (%s)", model.id, f"~{total / 1e6:,.0f} MB" if total else "size unknown")
    text = f"Downloading {settings.model}…"
    started = time.monotonic()
    state = {"decile": -1, "first": -1.0, "since": started}

    def progress(percent: float) -> None:
        fraction = max(0.0, min(1.0, percent / 100))
        now = time.monotonic()
        if state["first"] < 0 and fraction > 0:
            # The first report is a 0 heartbeat, then where the download stands: part-way when it
            # resumes an interrupted one. The rate counts only what this run fetched.
            state["first"], state["since"] = fraction, now
        fetched = fraction - state["first"] if state["first"] >= 0 else 0.0
        eta = (now - state["since"]) / fetched * (1.0 - fraction) if fetched > 0 else None
        done = int(fraction * total) if total else None
        on_progress(text, fraction, DownloadStatus(fraction, done, total, eta, now))
        decile = int(fraction * 10)
        if decile > state["decile"]:  # one line per 10 % crossed, however coarse the runtime's steps
            state["decile"] = decile
            log.info(
                "engine: download %s %d%%%s%s", model.id, decile * 10,
                f" ({done / 1e6:,.1f}/{total / 1e6:,.1f} MB)" if done is not None and total else "",
                f", ~{eta:.0f}s left" if eta is not None and fraction < 1 else "",
            )

    try:
        model.download(progress)
    except Exception as exc:
        raise EngineStartError(f"downloading {settings.model} failed: {exc}") from exc
    log.info("engine: downloaded %s in %.1fs", model.id, time.monotonic() - started)


def open_engine(settings: Settings, on_progress: ProgressCallback) -> LoadedModel:
    """Initialize Foundry Local and load the configured model, falling back to the demo model."""
    on_progress("Starting Foundry Local…", None)
    manager = _manager(settings)
    if settings.model_path is not None:
        on_progress(f"Loading {settings.model_path.name}…", None)
        return _from_path(manager, settings.model_path, "model_path", None)
    try:
        return _from_catalog(manager, settings, on_progress)
    except Exception as exc:
        reason = str(exc) if isinstance(exc, EngineStartError) else f"{type(exc).__name__}: {exc}"
        if not settings.offline_fallback:
            raise EngineStartError(reason) from exc
        log.warning("engine: %s; falling back to the bundled offline demo model", reason)
        if not (BUNDLED_MODEL_PATH / "genai_config.json").is_file():
            raise EngineStartError(f"{reason}; and the bundled demo model is missing at {BUNDLED_MODEL_PATH}") from exc
        notice = (
            f"Offline demo model: {settings.model} could not be served ({reason}). "
            "A tiny bundled test model answers instead; its replies are not meaningful."
        )
        on_progress("Loading the offline demo model…", None)
        return _from_path(manager, BUNDLED_MODEL_PATH, "bundled", notice)
