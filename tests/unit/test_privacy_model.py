"""The name model's files are the ones that were measured: a changed or missing file refuses to load."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from privacy import model_files


def test_the_installed_model_matches_the_pinned_hashes() -> None:
    root = model_files.model_dir()
    assert (root / "ner" / "model").stat().st_size > 1_000_000


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    dest = tmp_path / "model"
    shutil.copytree(model_files.model_dir(), dest)
    return dest


def test_one_changed_byte_in_the_weights_is_refused(copy: Path) -> None:
    weights = copy / "ner" / "model"
    data = bytearray(weights.read_bytes())
    data[len(data) // 2] ^= 0x01
    weights.write_bytes(bytes(data))
    with pytest.raises(model_files.ModelIntegrityError, match="ner/model differs"):
        model_files.model_dir(copy)


def test_a_missing_file_is_refused(copy: Path) -> None:
    (copy / "tok2vec" / "model").unlink()
    with pytest.raises(model_files.ModelIntegrityError, match="tok2vec/model unreadable"):
        model_files.model_dir(copy)


def test_a_verified_copy_is_accepted(copy: Path) -> None:
    assert model_files.model_dir(copy) == copy
