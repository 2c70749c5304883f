"""How `config.py` reads one environment variable: a typed value or a `ConfigError`.

Each reader takes the environment and the variable's name and returns the value, its default
when the variable is unset or blank, or raises `ConfigError` with one line that names the variable,
what was wrong and what is accepted. `Secret` keeps a key out of `repr`, logs and the browser.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import urlparse

__all__ = [
    "CATALOG_PATH_SUFFIX",
    "ConfigError",
    "Secret",
    "env_bool",
    "env_catalog_region",
    "env_catalog_url",
    "env_choice",
    "env_float",
    "env_int",
    "env_keys",
    "env_model_dir",
    "env_origins",
    "env_share",
    "env_str",
    "env_text",
    "env_url",
]


class ConfigError(Exception):
    """An operator's mistake in the environment; the message is one line naming the variable."""


class Secret:
    """A string that never shows itself in `repr`, `str` or f-strings."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def get(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('****')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


def env_str(env: Mapping[str, str], name: str) -> str | None:
    """The variable's value, stripped; None when unset or blank."""
    raw = env.get(name)
    if raw is None:
        return None
    raw = raw.strip()
    return raw or None


def env_float(env: Mapping[str, str], name: str, default: float, lo: float, hi: float) -> float:
    raw = env_str(env, name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number between {lo:g} and {hi:g}, got {raw[:40]!r}") from None
    if not math.isfinite(value) or not lo <= value <= hi:
        raise ConfigError(f"{name} must be a number between {lo:g} and {hi:g}, got {raw[:40]!r}")
    return value


def env_int(env: Mapping[str, str], name: str, default: int | None, lo: int, hi: int) -> int | None:
    raw = env_str(env, name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number between {lo} and {hi}, got {raw[:40]!r}") from None
    if not lo <= value <= hi:
        raise ConfigError(f"{name} must be a whole number between {lo} and {hi}, got {raw[:40]!r}")
    return value


def env_bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env_str(env, name)
    if raw is None:
        return default
    low = raw.lower()
    if low in {"1", "true", "yes", "on"}:
        return True
    if low in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be one of on/off, true/false, 1/0, got {raw[:40]!r}")


def env_url(env: Mapping[str, str], name: str) -> str | None:
    raw = env_str(env, name)
    if raw is None:
        return None
    parsed = urlparse(raw)
    if parsed.scheme not in {"http", "https"} or not parsed.netloc or any(c.isspace() for c in raw):
        raise ConfigError(f"{name} must be an http(s) URL such as http://127.0.0.1:11434/v1, got {raw[:80]!r}")
    return raw.rstrip("/")


def env_share(env: Mapping[str, str], name: str, default: float) -> float:
    """A 0–1 share; unlike other numbers, set-but-blank is an error (a share of nothing is ambiguous)."""
    if name in env and not env[name].strip():
        raise ConfigError(f"{name} must be a number between 0 and 1 (e.g. 0.3), got an empty value")
    return env_float(env, name, default, 0.0, 1.0)


def env_choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    raw = (env_str(env, name) or default).lower()
    if raw not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(choices)}, got {raw[:40]!r}")
    return raw


def env_origins(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    raw = env_str(env, name)
    if raw is None:
        return ()
    out = []
    for item in raw.split(","):
        origin = item.strip().rstrip("/")
        parsed = urlparse(origin)
        if origin == "*":
            raise ConfigError(f"{name} must list origins explicitly; '*' would let any web page drive the chat")
        if parsed.scheme not in {"http", "https"} or not parsed.netloc or parsed.path or parsed.query:
            raise ConfigError(f"{name} must be comma-separated origins like https://chat.example.com, got {item.strip()[:60]!r}")
        out.append(origin)
    return tuple(out)


def env_keys(env: Mapping[str, str], name: str) -> tuple[Secret, ...]:
    raw = env_str(env, name)
    if raw is None:
        return ()
    keys = [k.strip() for k in raw.split(",") if k.strip()]
    for key in keys:
        if len(key) < 16 or any(c.isspace() or not c.isprintable() for c in key):
            raise ConfigError(f"{name} keys must be at least 16 printable characters without spaces (one key is not)")
    return tuple(Secret(k) for k in keys)


def env_text(env: Mapping[str, str], name: str, default: str, limit: int) -> str:
    raw = env.get(name)
    if raw is None or not raw.strip():
        return default
    if len(raw) > limit:
        raise ConfigError(f"{name} is {len(raw)} characters long; the limit is {limit}")
    if "\x00" in raw:
        raise ConfigError(f"{name} contains a NUL character")
    return raw.strip()


CATALOG_PATH_SUFFIX = "/asset-gallery/v1.0/models"


def env_catalog_url(env: Mapping[str, str], name: str) -> str | None:
    raw = env_str(env, name)
    if raw is None:
        return None
    parsed = urlparse(raw)
    if (
        parsed.scheme not in {"http", "https"}
        or not parsed.netloc
        or any(c.isspace() for c in raw)
        or not parsed.path.rstrip("/").endswith(CATALOG_PATH_SUFFIX)
    ):
        raise ConfigError(
            f"{name} must be an http(s) URL ending in {CATALOG_PATH_SUFFIX}, "
            f"such as https://mirror.example.com{CATALOG_PATH_SUFFIX}, got {raw[:80]!r}"
        )
    return raw.rstrip("/")


def env_catalog_region(env: Mapping[str, str], name: str) -> str | None:
    raw = env_str(env, name)
    if raw is None:
        return None
    # The runtime pastes it into https://{region}.api.azureml.ms/...: a region name, or host[:port][/path].
    if len(raw) > 100 or not all(c.isalnum() or c in ".:/-_" for c in raw):
        raise ConfigError(
            f"{name} must be a region name such as westus2, or host:port/path for a mirror (letters, digits, . : / - _), "
            f"got {raw[:40]!r}"
        )
    return raw


def env_model_dir(env: Mapping[str, str], name: str) -> Path | None:
    raw = env_str(env, name)
    if raw is None:
        return None
    path = Path(raw).expanduser().resolve()
    if not path.is_dir():
        raise ConfigError(f"{name} must be a directory holding an ONNX Runtime GenAI model, but {raw!r} is not a directory")
    if not (path / "genai_config.json").is_file():
        raise ConfigError(f"{name} must point at an ONNX Runtime GenAI model directory (with genai_config.json); {raw!r} has none")
    return path
