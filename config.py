"""Settings: read once at startup from the environment (and `.env`), validated, typed.

Every value has a named default below. A bad value raises `ConfigError` whose message is one
line naming the variable, what was wrong and what is accepted; `app.py` prints it and exits.
Secrets are wrapped in `Secret` so that `repr`, logs and the browser never see them.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Literal

from config_env import (
    ConfigError,
    Secret,
    env_bool,
    env_catalog_region,
    env_catalog_url,
    env_choice,
    env_float,
    env_int,
    env_keys,
    env_model_dir,
    env_origins,
    env_share,
    env_str,
    env_text,
    env_url,
)
from security.masking import safe_url

__all__ = [
    "BUNDLED_MODEL_PATH",
    "ConfigError",
    "LimitSettings",
    "Secret",
    "Settings",
    "available_policies",
    "load_settings",
]

PROJECT_ROOT = Path(__file__).resolve().parent
BUNDLED_MODEL_PATH = PROJECT_ROOT / "models" / "tiny-chat"
"""The offline demo model (~0.4 MB, built by scripts/make_tiny_model.py); the tests serve it too."""

DEFAULT_MODEL = "phi-4-mini"
DEFAULT_SYSTEM_PROMPT = (
    "You are a helpful assistant running locally on the user's own machine. "
    "Answer clearly and concisely."
)
DEFAULT_TEMPERATURE = 0.7
DEFAULT_MAX_TOKENS = 1024
MAX_MAX_TOKENS = 131_072
DEFAULT_CONTEXT_TOKENS = 4096  # for BASE_URL servers, which do not report their window
DEFAULT_CONNECT_TIMEOUT = 5.0
DEFAULT_FIRST_TOKEN_TIMEOUT = 60.0
DEFAULT_DISCONNECT_GRACE = 10.0
"""Long enough for a page reload or a network change to reconnect; short enough not to pay for an abandoned answer."""
DEFAULT_READ_TIMEOUT = 60.0
DEFAULT_MAX_INPUT_CHARS = 32_000
DEFAULT_CACHE_DIR = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "foundry-chat"

DEFAULT_COMPLEXITY_THRESHOLD = 100
DEFAULT_TASK_TABLE = {
    "code_generation": "local",
    "data_analysis": "local",
    "creative_writing": "cloud",
    "research": "cloud",
    "general": "local",
}
DEFAULT_CLOUD_SHARE = 0.3  # the `quality` policy's share of prompts for the cloud
POLICIES = ("auto", "local", "cloud", "local-first", "complexity", "task", "quality")


def available_policies(has_cloud: bool) -> tuple[str, ...]:
    """The policies a user may pick: every one with a cloud target, only "local" without. Decided here only."""
    return POLICIES if has_cloud else ("local",)

DEFAULT_AZURE_API_VERSION = "2024-10-21"

Device = Literal["auto", "gpu", "cpu"]


@dataclass(frozen=True)
class CloudSettings:
    """The cloud target: Azure OpenAI, or any OpenAI-compatible cloud API."""

    kind: Literal["azure", "openai-compatible"]
    endpoint: str
    api_key: Secret | None
    model: str
    """Azure deployment name, or the model id at CLOUD_BASE_URL."""
    api_version: str = DEFAULT_AZURE_API_VERSION
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    first_token_timeout: float = DEFAULT_FIRST_TOKEN_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    context_tokens: int = 128_000


@dataclass(frozen=True)
class RoutingSettings:
    policy: str = "local"
    complexity_threshold: int = DEFAULT_COMPLEXITY_THRESHOLD
    task_table: tuple[tuple[str, str], ...] = tuple(DEFAULT_TASK_TABLE.items())
    cloud_share: float = DEFAULT_CLOUD_SHARE
    """`quality`: the share of prompts (like the calibration prompts) sent to the cloud, 0–1."""
    privacy_guard: bool = True
    privacy_timeout: float = 3.0
    """Seconds the privacy scan may take; past it the conversation is treated as private."""
    retries: int = 2
    """Extra attempts per target for retryable failures (connection, timeout, 429, 5xx)."""
    backoff_initial: float = 0.2
    backoff_max: float = 2.0
    breaker_failures: int = 3
    breaker_cooldown: float = 30.0


@dataclass(frozen=True)
class LimitSettings:
    """What one client may take (docs/limits.md). 0 turns a limit off."""

    login_failures: int = 10
    """Failed sign-ins per account within `login_window` before 429 (`LIMIT_LOGIN_FAILURES`)."""
    login_failures_per_address: int = 50
    """Failed sign-ins per client address within `login_window` (`LIMIT_LOGIN_FAILURES_PER_ADDRESS`)."""
    login_window: float = 900.0
    """Seconds a failed sign-in counts against its account and address (`LIMIT_LOGIN_WINDOW`)."""
    sessions_per_client: int = 100
    """Open chat sessions (socket.io connections) per client address (`LIMIT_SESSIONS_PER_CLIENT`)."""
    v1_concurrency: int = 16
    """Concurrent `/v1/chat/completions` requests per API key or client (`LIMIT_V1_CONCURRENCY`)."""


@dataclass(frozen=True)
class Settings:
    """Everything the app is configured with. Built once by `load_settings`."""

    model: str = DEFAULT_MODEL
    """Foundry Local catalog alias, or the model name on a BASE_URL server (`MODEL`)."""
    model_set: bool = False
    """Whether MODEL was given; with BASE_URL and no MODEL the server's first model answers."""
    model_path: Path | None = None
    """A local ONNX Runtime GenAI model directory served through bring-your-own-model."""
    base_url: str | None = None
    """Any OpenAI-compatible server; when set, Foundry Local is not used."""
    api_key: Secret | None = None
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    temperature: float = DEFAULT_TEMPERATURE
    max_tokens: int = DEFAULT_MAX_TOKENS
    device: Device = "auto"
    context_tokens: int | None = None
    """Override of the model's context window (`CONTEXT_TOKENS`)."""
    cache_dir: Path = DEFAULT_CACHE_DIR
    """Foundry Local's model cache, app data and logs (`FOUNDRY_CACHE_DIR`)."""
    catalog_url: str | None = None
    """A Foundry Local catalog mirror (`FOUNDRY_CATALOG_URL`), used instead of the public catalog."""
    catalog_region: str | None = None
    """The model-registry region (`FOUNDRY_CATALOG_REGION`); see docs/catalog-mirror.md."""
    offline_fallback: bool = True
    """Fall back to the bundled demo model when Foundry Local cannot serve `MODEL`."""
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    first_token_timeout: float = DEFAULT_FIRST_TOKEN_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    max_input_chars: int = DEFAULT_MAX_INPUT_CHARS
    log_level: str = "INFO"
    log_format: Literal["text", "json"] = "text"
    log_prompts: bool = False
    """Log prompt text at INFO (`LOG_PROMPTS=1`); off, prompts never reach the logs below DEBUG."""
    allowed_origins: tuple[str, ...] = ()
    """Origins allowed to open the websocket; empty means the app's own origin and localhost."""
    shutdown_grace: float = 20.0
    """Seconds SIGTERM waits for running answers before shutting down."""
    disconnect_grace: float | None = DEFAULT_DISCONNECT_GRACE
    """Seconds a running answer outlives its browser's socket before it is stopped and kept as
    interrupted (`DISCONNECT_GRACE`; `off`: answers always run to the end)."""
    gateway_api_keys: tuple[Secret, ...] = ()
    """Bearer keys for the OpenAI-compatible gateway (`GATEWAY_API_KEYS`, comma-separated)."""
    cloud: CloudSettings | None = None
    routing: RoutingSettings = RoutingSettings()
    limits: LimitSettings = LimitSettings()

    def safe_summary(self) -> dict[str, object]:
        """The settings as loggable values: secrets masked, paths as strings."""
        out: dict[str, object] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, Secret):
                value = "****"
            elif f.name == "gateway_api_keys":
                value = f"<{len(value)} keys>"
            elif isinstance(value, CloudSettings):
                value = {"kind": value.kind, "endpoint": safe_url(value.endpoint), "model": value.model}
            elif f.name in ("base_url", "catalog_url") and isinstance(value, str):
                value = safe_url(value)
            elif isinstance(value, RoutingSettings):
                value = {"policy": value.policy, "privacy_guard": value.privacy_guard}
            elif isinstance(value, Path):
                value = str(value)
            elif f.name == "system_prompt":
                value = f"<{len(value)} chars>"
            out[f.name] = value
        return out


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build the settings from `environ` (default: `os.environ`, after loading `.env`)."""
    if environ is None:
        from dotenv import load_dotenv

        load_dotenv(PROJECT_ROOT / ".env", override=False)
        environ = os.environ
    env = environ

    model = env_text(env, "MODEL", DEFAULT_MODEL, 200)
    if any(c.isspace() for c in model):
        raise ConfigError(f"MODEL must be a Foundry Local model alias without spaces, got {model[:40]!r}")
    device = (env_str(env, "DEVICE") or "auto").lower()
    if device not in {"auto", "gpu", "cpu"}:
        raise ConfigError(f"DEVICE must be one of auto, gpu, cpu, got {device[:40]!r}")
    log_level = (env_str(env, "LOG_LEVEL") or "INFO").upper()
    if log_level not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
        raise ConfigError(f"LOG_LEVEL must be one of DEBUG, INFO, WARNING, ERROR, got {log_level[:40]!r}")
    api_key = env_str(env, "API_KEY")
    cache_raw = env_str(env, "FOUNDRY_CACHE_DIR")
    cloud = _cloud(env)
    return Settings(
        model=model,
        model_set=env_str(env, "MODEL") is not None,
        model_path=env_model_dir(env, "MODEL_PATH"),
        base_url=env_url(env, "BASE_URL"),
        api_key=Secret(api_key) if api_key else None,
        system_prompt=env_text(env, "SYSTEM_PROMPT", DEFAULT_SYSTEM_PROMPT, 20_000),
        temperature=env_float(env, "TEMPERATURE", DEFAULT_TEMPERATURE, 0.0, 2.0),
        max_tokens=env_int(env, "MAX_TOKENS", DEFAULT_MAX_TOKENS, 1, MAX_MAX_TOKENS) or DEFAULT_MAX_TOKENS,
        device=device,  # type: ignore[arg-type]  # checked above
        context_tokens=env_int(env, "CONTEXT_TOKENS", None, 256, 2_000_000),
        cache_dir=Path(cache_raw).expanduser() if cache_raw else DEFAULT_CACHE_DIR,
        catalog_url=env_catalog_url(env, "FOUNDRY_CATALOG_URL"),
        catalog_region=env_catalog_region(env, "FOUNDRY_CATALOG_REGION"),
        offline_fallback=env_bool(env, "OFFLINE_FALLBACK", True),
        connect_timeout=env_float(env, "CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT, 0.1, 600.0),
        first_token_timeout=env_float(env, "FIRST_TOKEN_TIMEOUT", DEFAULT_FIRST_TOKEN_TIMEOUT, 0.1, 3600.0),
        read_timeout=env_float(env, "READ_TIMEOUT", DEFAULT_READ_TIMEOUT, 0.1, 3600.0),
        max_input_chars=env_int(env, "MAX_INPUT_CHARS", DEFAULT_MAX_INPUT_CHARS, 1, 10_000_000) or DEFAULT_MAX_INPUT_CHARS,
        log_level=log_level,
        log_format=env_choice(env, "LOG_FORMAT", ("text", "json"), "text"),  # type: ignore[arg-type]
        log_prompts=env_bool(env, "LOG_PROMPTS", False),
        allowed_origins=env_origins(env, "ALLOWED_ORIGINS"),
        shutdown_grace=env_float(env, "SHUTDOWN_GRACE", 20.0, 0.0, 3600.0),
        disconnect_grace=None
        if (env.get("DISCONNECT_GRACE") or "").strip().lower() == "off"
        else env_float(env, "DISCONNECT_GRACE", DEFAULT_DISCONNECT_GRACE, 0.0, 3600.0),
        gateway_api_keys=env_keys(env, "GATEWAY_API_KEYS"),
        cloud=cloud,
        routing=_routing(env, cloud is not None),
        limits=_limits(env),
    )


def _cloud(env: Mapping[str, str]) -> CloudSettings | None:
    azure = env_url(env, "AZURE_OPENAI_ENDPOINT")
    other = env_url(env, "CLOUD_BASE_URL")
    if azure and other:
        raise ConfigError("set either AZURE_OPENAI_ENDPOINT or CLOUD_BASE_URL for the cloud target, not both")
    timeouts = {
        "connect_timeout": env_float(env, "CLOUD_CONNECT_TIMEOUT", DEFAULT_CONNECT_TIMEOUT, 0.1, 600.0),
        "first_token_timeout": env_float(env, "CLOUD_FIRST_TOKEN_TIMEOUT", DEFAULT_FIRST_TOKEN_TIMEOUT, 0.1, 3600.0),
        "read_timeout": env_float(env, "CLOUD_READ_TIMEOUT", DEFAULT_READ_TIMEOUT, 0.1, 3600.0),
        "context_tokens": env_int(env, "CLOUD_CONTEXT_TOKENS", 128_000, 256, 10_000_000) or 128_000,
    }
    if azure:
        key = env_str(env, "AZURE_OPENAI_API_KEY")
        deployment = env_str(env, "AZURE_OPENAI_DEPLOYMENT")
        if not key:
            raise ConfigError("AZURE_OPENAI_API_KEY is required when AZURE_OPENAI_ENDPOINT is set")
        if not deployment:
            raise ConfigError("AZURE_OPENAI_DEPLOYMENT is required when AZURE_OPENAI_ENDPOINT is set")
        version = env_str(env, "AZURE_OPENAI_API_VERSION") or DEFAULT_AZURE_API_VERSION
        return CloudSettings("azure", azure, Secret(key), deployment, version, **timeouts)  # type: ignore[arg-type]
    if other:
        key = env_str(env, "CLOUD_API_KEY")
        model = env_str(env, "CLOUD_MODEL")
        if not model:
            raise ConfigError("CLOUD_MODEL is required when CLOUD_BASE_URL is set (the model id the cloud serves)")
        return CloudSettings("openai-compatible", other, Secret(key) if key else None, model, **timeouts)  # type: ignore[arg-type]
    for name in ("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_DEPLOYMENT", "CLOUD_API_KEY", "CLOUD_MODEL"):
        if env_str(env, name):
            hint = "AZURE_OPENAI_ENDPOINT" if name.startswith("AZURE") else "CLOUD_BASE_URL"
            raise ConfigError(f"{name} is set but {hint} is not; set {hint} to enable the cloud target")
    return None


def _routing(env: Mapping[str, str], has_cloud: bool) -> RoutingSettings:
    policy = (env_str(env, "ROUTING_POLICY") or ("auto" if has_cloud else "local")).lower()
    if policy not in POLICIES:
        raise ConfigError(f"ROUTING_POLICY must be one of {', '.join(POLICIES)}, got {policy[:40]!r}")
    if policy not in available_policies(has_cloud):
        raise ConfigError(
            f"ROUTING_POLICY={policy} needs a cloud target: set AZURE_OPENAI_ENDPOINT or CLOUD_BASE_URL, or use local"
        )
    table = dict(DEFAULT_TASK_TABLE)
    raw_table = env_str(env, "ROUTING_TASK_TABLE")
    if raw_table:
        for item in raw_table.split(","):
            label, _, target = item.partition("=")
            label, target = label.strip().lower(), target.strip().lower()
            if label not in DEFAULT_TASK_TABLE or target not in ("local", "cloud"):
                raise ConfigError(
                    "ROUTING_TASK_TABLE must be label=local|cloud pairs separated by commas, labels from "
                    f"{', '.join(DEFAULT_TASK_TABLE)}; got {item.strip()[:60]!r}"
                )
            table[label] = target
    return RoutingSettings(
        policy=policy,
        complexity_threshold=env_int(env, "ROUTING_COMPLEXITY_THRESHOLD", DEFAULT_COMPLEXITY_THRESHOLD, 1, 1_000_000)
        or DEFAULT_COMPLEXITY_THRESHOLD,
        task_table=tuple(table.items()),
        cloud_share=env_share(env, "ROUTING_CLOUD_SHARE", DEFAULT_CLOUD_SHARE),
        privacy_guard=env_bool(env, "PRIVACY_GUARD", True),
        privacy_timeout=env_float(env, "PRIVACY_TIMEOUT", 3.0, 0.05, 60.0),
        retries=env_int(env, "ROUTER_RETRIES", 2, 0, 10) or 0,
        backoff_initial=env_float(env, "ROUTER_BACKOFF", 0.2, 0.0, 60.0),
        backoff_max=env_float(env, "ROUTER_BACKOFF_MAX", 2.0, 0.0, 600.0),
        breaker_failures=env_int(env, "BREAKER_FAILURES", 3, 1, 1000) or 3,
        breaker_cooldown=env_float(env, "BREAKER_COOLDOWN", 30.0, 0.1, 86_400.0),
    )


def _limits(env: Mapping[str, str]) -> LimitSettings:
    d = LimitSettings()
    return LimitSettings(
        login_failures=env_int(env, "LIMIT_LOGIN_FAILURES", d.login_failures, 0, 1_000_000) or 0,
        login_failures_per_address=env_int(env, "LIMIT_LOGIN_FAILURES_PER_ADDRESS", d.login_failures_per_address, 0, 1_000_000)
        or 0,
        login_window=env_float(env, "LIMIT_LOGIN_WINDOW", d.login_window, 1.0, 86_400.0),
        sessions_per_client=env_int(env, "LIMIT_SESSIONS_PER_CLIENT", d.sessions_per_client, 0, 1_000_000) or 0,
        v1_concurrency=env_int(env, "LIMIT_V1_CONCURRENCY", d.v1_concurrency, 0, 100_000) or 0,
    )
