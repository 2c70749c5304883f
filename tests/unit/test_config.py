from __future__ import annotations

from pathlib import Path

import pytest

from config import BUNDLED_MODEL_PATH, ConfigError, Secret, load_settings


def test_defaults() -> None:
    s = load_settings({})
    assert s.model == "phi-4-mini" and not s.model_set
    assert s.base_url is None and s.model_path is None
    assert 0 <= s.temperature <= 2 and s.max_tokens > 0


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TEMPERATURE", "hot"),
        ("TEMPERATURE", "2.5"),
        ("TEMPERATURE", "nan"),
        ("MAX_TOKENS", "-1"),
        ("MAX_TOKENS", "1e3"),
        ("MAX_TOKENS", "99999999999"),
        ("BASE_URL", "ftp://x"),
        ("BASE_URL", "localhost:8000"),
        ("DEVICE", "tpu"),
        ("MODEL_PATH", "/nonexistent/dir"),
        ("MODEL", "two words"),
        ("OFFLINE_FALLBACK", "maybe"),
        ("CONNECT_TIMEOUT", "0"),
        ("SYSTEM_PROMPT", "x" * 20_001),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_bad_values_name_the_variable(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings({name: value})
    message = str(info.value)
    assert name in message and "\n" not in message


def test_model_path_must_hold_genai_config(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="genai_config.json"):
        load_settings({"MODEL_PATH": str(tmp_path)})


def test_model_path_accepts_a_genai_model() -> None:
    s = load_settings({"MODEL_PATH": str(BUNDLED_MODEL_PATH)})
    assert s.model_path == BUNDLED_MODEL_PATH.resolve()


def test_values_are_parsed_and_trimmed() -> None:
    s = load_settings(
        {"TEMPERATURE": " 0.2 ", "MAX_TOKENS": "64", "BASE_URL": "http://127.0.0.1:9/v1/", "MODEL": "m1", "DEVICE": "CPU"}
    )
    assert s.temperature == 0.2 and s.max_tokens == 64
    assert s.base_url == "http://127.0.0.1:9/v1" and s.model == "m1" and s.model_set and s.device == "cpu"


def test_blank_values_mean_default() -> None:
    assert load_settings({"TEMPERATURE": "  ", "MODEL": ""}).model == "phi-4-mini"


def test_secrets_are_masked() -> None:
    s = load_settings({"API_KEY": "sk-supersecret-123"})
    assert isinstance(s.api_key, Secret) and s.api_key.get() == "sk-supersecret-123"
    for text in (repr(s), str(s), str(s.safe_summary()), f"{s.api_key}"):
        assert "supersecret" not in text


def test_the_demo_model_ships_outside_the_tests() -> None:
    """Production's offline fallback must not depend on the test tree (an image may leave tests/ out)."""
    from config import PROJECT_ROOT

    assert "tests" not in BUNDLED_MODEL_PATH.relative_to(PROJECT_ROOT).parts
    assert (BUNDLED_MODEL_PATH / "genai_config.json").is_file()


def test_disconnect_grace_is_seconds_or_off() -> None:
    assert load_settings({}).disconnect_grace == 10.0
    assert load_settings({"DISCONNECT_GRACE": "2.5"}).disconnect_grace == 2.5
    assert load_settings({"DISCONNECT_GRACE": "OFF"}).disconnect_grace is None
    with pytest.raises(ConfigError, match="DISCONNECT_GRACE"):
        load_settings({"DISCONNECT_GRACE": "soon"})
def test_security_settings_follow_the_same_rules() -> None:
    """ALLOWED_HOSTS, MAX_REQUEST_BYTES, FRAME_ANCESTORS, GATEWAY_KEYLESS, METRICS_* (security/settings.py)."""
    from security.settings import load_security_settings

    s = load_security_settings({"GATEWAY_KEYLESS": " ", "MAX_REQUEST_BYTES": "", "METRICS_TOKEN": "m" * 16})
    assert not s.gateway_keyless and s.max_request_bytes == 1_048_576  # blank means default, as everywhere
    assert "m" * 16 not in repr(s) and "m" * 16 not in str(s.summary())
    with pytest.raises(ConfigError, match="^MAX_REQUEST_BYTES"):
        load_security_settings({"MAX_REQUEST_BYTES": "1e6"})


def test_urls_with_credentials_are_masked_in_the_summary() -> None:
    s = load_settings({"BASE_URL": "http://u:pw-secret@127.0.0.1:1/v1", "FOUNDRY_CATALOG_URL": "https://m.example/asset-gallery/v1.0/models?sig=zz"})
    summary = str(s.safe_summary())
    assert "pw-secret" not in summary and "sig=zz" not in summary and "sig=***" in summary
