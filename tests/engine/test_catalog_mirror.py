"""The catalog path a new user takes (alias → download → load → chat), against a loopback mirror.

The mirror (tests/support/foundry_mirror.py) runs in this process; the engine runs in a fresh child
process per start (tests/support/engine_child.py), because the runtime reads SSL_CERT_FILE only at
a process's first initialize and the engine is a per-process singleton. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.engine_child import run_engine_child, run_engine_child_until
from tests.support.foundry_mirror import FoundryMirror

pytestmark = pytest.mark.engine

ALIAS = "tiny-chat-test"
MIB = 1024 * 1024


def env_for(mirror: FoundryMirror, cache: Path, **extra: str) -> dict[str, str]:
    return {**mirror.env(), "FOUNDRY_CACHE_DIR": str(cache), "OFFLINE_FALLBACK": "off", "DEVICE": "cpu", **extra}


@pytest.fixture
def mirror() -> Iterator[FoundryMirror]:
    with FoundryMirror(alias=ALIAS) as m:
        yield m


def test_alias_lists_downloads_with_progress_loads_and_chats(tmp_path: Path) -> None:
    # 3 MiB of padding at 6 MB/s: long enough (~0.5 s) for several progress steps, each with bytes
    with FoundryMirror(alias=ALIAS, pad_bytes=3 * MIB, bytes_per_second=6e6) as mirror:
        run = run_engine_child(env_for(mirror, tmp_path), chat="Hello")
    assert run.returncode == 0, run.error or run.stderr[-2000:]
    assert run.result is not None
    assert run.result["source"] == "catalog" and run.result["model_id"] == f"{ALIAS}-cpu:1"
    assert run.result["display_name"] == ALIAS and run.result["context_length"] == 512
    assert run.result["device"] == "cpu" and run.result["execution_provider"] == "CPUExecutionProvider"
    assert run.result["answer"].strip()
    assert Path(run.result["path"], "genai_config.json").is_file()

    downloads = run.downloads
    fractions = [d["download"]["fraction"] for d in downloads]
    assert len(downloads) >= 5 and fractions == sorted(fractions) and fractions[-1] == 1.0
    total = downloads[-1]["download"]["total_bytes"]
    assert total == 3 * MIB  # the catalog's size, which the runtime rounds down to whole MiB
    assert downloads[-1]["download"]["done_bytes"] == total
    assert any(d["download"]["eta_seconds"] is not None and 0 < d["fraction"] < 1 for d in downloads)

    logged = [int(m) for m in re.findall(r"engine: download \S+ (\d+)%", run.stderr)]
    assert logged == sorted(set(logged)) and logged[0] == 0 and logged[-1] == 100
    assert mirror.count("registry") == 1 and mirror.count("catalog") >= 1


def test_second_start_is_a_cache_hit(mirror: FoundryMirror, tmp_path: Path) -> None:
    first = run_engine_child(env_for(mirror, tmp_path))
    assert first.returncode == 0, first.error or first.stderr[-2000:]
    blob_calls = mirror.count("get") + mirror.count("head")
    catalog_calls = mirror.count("catalog")

    second = run_engine_child(env_for(mirror, tmp_path))
    assert second.returncode == 0, second.error
    assert second.result is not None and second.result["model_id"] == f"{ALIAS}-cpu:1"
    assert not second.downloads, "a cached model is not downloaded again"
    assert mirror.count("get") + mirror.count("head") == blob_calls and mirror.count("registry") == 1
    assert mirror.count("catalog") == catalog_calls + 1  # listing still asks the catalog once
    assert "already in the cache" in second.stderr


def test_blob_failure_is_retried_and_the_download_recovers(tmp_path: Path) -> None:
    with FoundryMirror(alias=ALIAS, fail_blob="model.onnx", fail_times=1) as mirror:
        run = run_engine_child(env_for(mirror, tmp_path))
        assert run.returncode == 0, run.error or run.stderr[-2000:]
        assert mirror.failures_served == 1
        statuses = [r.status for r in mirror.requests if r.service == "get" and "model.onnx?" in r.path]
    assert statuses == [500, 206]
    assert run.result is not None and run.result["source"] == "catalog"
    # the runtime backs off before retrying: progress pauses, which the UI reports as retrying
    times = [d["t"] for d in run.downloads]
    assert max(b - a for a, b in zip(times, times[1:], strict=False)) > 1.0


def test_restart_mid_download_resumes(tmp_path: Path) -> None:
    with FoundryMirror(alias=ALIAS, pad_bytes=4 * MIB, bytes_per_second=4e6) as mirror:
        env = env_for(mirror, tmp_path)
        killed = run_engine_child_until(env, lambda p: (p["fraction"] or 0) >= 0.4)
        assert killed.fractions and max(killed.fractions) >= 0.4
        first_gets = mirror.count("get")
        resumed = run_engine_child(env)
        assert resumed.returncode == 0, resumed.error or resumed.stderr[-2000:]
        second_gets = mirror.count("get") - first_gets
    # after the runtime's 0 heartbeat, the first report is where the first start stopped
    first_fraction = next(f for f in resumed.fractions if f > 0)
    assert first_fraction >= 0.3, f"the second start began at {first_fraction:.0%}, not where the first stopped"
    blobs = 6 + 16  # the model's files and 16 padding blobs of 256 KiB
    assert second_gets <= blobs - (first_gets - 1), "blobs finished before the kill are not fetched again"
    etas = [d["download"]["eta_seconds"] for d in resumed.downloads if d["download"]["eta_seconds"] is not None]
    assert etas and max(etas) < 10  # from this run's own rate, not skewed by the resumed part


def test_unknown_alias_is_a_clear_error(mirror: FoundryMirror, tmp_path: Path) -> None:
    run = run_engine_child(env_for(mirror, tmp_path, MODEL="no-such-model"))
    assert run.returncode == 1 and run.error is not None
    assert "MODEL='no-such-model' is not in the Foundry Local catalog" in run.error
    assert ALIAS in run.error  # the aliases it does know
    assert mirror.count("registry") == 0


def test_too_little_disk_is_refused_before_downloading(tmp_path: Path) -> None:
    with FoundryMirror(alias=ALIAS, advertised_bytes=10**16) as mirror:  # 10 PB
        run = run_engine_child(env_for(mirror, tmp_path))
        assert mirror.count("registry") == 0 and mirror.count("get") == 0
    assert run.returncode == 1 and run.error is not None
    assert "not enough disk space" in run.error and "FOUNDRY_CACHE_DIR" in run.error


def test_unreachable_mirror_falls_back_to_the_demo_model_with_a_notice(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/asset-gallery/v1.0/models"
    run = run_engine_child({"MODEL": ALIAS, "FOUNDRY_CATALOG_URL": url, "FOUNDRY_CACHE_DIR": str(tmp_path)})
    assert run.returncode == 0, run.error
    assert run.result is not None and run.result["source"] == "bundled"
    assert f"FOUNDRY_CATALOG_URL={url}" in (run.result["notice"] or "")


def test_device_cpu_picks_the_cpu_variant_of_two(tmp_path: Path) -> None:
    with FoundryMirror(alias=ALIAS, variants=("gpu", "cpu"), ignore_device_filter=True) as mirror:
        run = run_engine_child(env_for(mirror, tmp_path))
    assert run.returncode == 0, run.error or run.stderr[-2000:]
    assert run.result is not None and run.result["model_id"] == f"{ALIAS}-cpu:1"
    assert run.result["execution_provider"] == "CPUExecutionProvider"
