#!/usr/bin/env python3
"""Build the handwritten-digit classifier used by the /webgpu demo page.

Everything happens offline: the training data is scikit-learn's bundled
``load_digits`` set (1797 images, 8x8 pixels, integer values 0..16, ink = high),
nothing is downloaded.

What it does (deterministic, ``RANDOM_STATE`` fixed):

1. Stratified hold-out split: 75 % train / 25 % test (``random_state=0``).
2. Trains ``sklearn.neural_network.MLPClassifier`` (64 -> 64 ReLU -> 10 softmax)
   on ``pixels / 16``.
3. Writes the trained network as a hand-built ONNX graph made of plain ops only
   (MatMul, Add, Relu, MatMul, Add, Softmax; float32; static shapes), so it runs
   on onnxruntime-web's WebGPU execution provider as well as on WASM. The 1/16
   input scaling is folded into the first weight matrix, so the model takes the
   raw 0..16 pixel values. No ZipMap, no sequence/map outputs.

       input  "pixels"        float32 [1, 64]   row-major 8x8, values 0..16
       output "probabilities" float32 [1, 10]   softmax over the digits 0..9

4. Checks the ONNX graph (``onnx.checker`` + ``onnx.reference`` evaluator)
   against ``predict_proba`` and computes the held-out accuracy *from the ONNX
   model's own outputs*.
5. Writes ``webgpu/model/digits.onnx``, ``webgpu/model/model-card.json``
   (accuracy, split, n_train, n_test, input/output spec, sha256) and
   ``webgpu/model/samples.json`` (12 held-out digits: pixels + true label).

Environment it was run with (a throw-away venv, not the app venv); the same
pins are in ``webgpu/requirements-model.txt``::

    python -m venv /tmp/digitsvenv
    /tmp/digitsvenv/bin/pip install scikit-learn==1.9.1 onnx==1.23.2 numpy==2.4.6
    # pulled in: scipy==1.17.1 joblib==1.6.0 threadpoolctl==3.8.0
    #            protobuf==7.36.2 ml_dtypes==0.6.0 typing_extensions==4.16.0
    /tmp/digitsvenv/bin/python scripts/make_digits_model.py

Python 3.11. Run from anywhere; paths are relative to the repository root.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import warnings
from pathlib import Path

# Single-threaded BLAS keeps the floating-point results bit-for-bit repeatable.
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
import sklearn  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402
from onnx.reference import ReferenceEvaluator  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

RANDOM_STATE = 0
TEST_SIZE = 0.25
HIDDEN = 64
N_SAMPLES_OUT = 12
OPSET = 17
IR_VERSION = 8  # widely supported by onnxruntime / onnxruntime-web

ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = ROOT / "webgpu" / "model"


def build_onnx(clf: MLPClassifier) -> onnx.ModelProto:
    """Translate the trained MLP into an ONNX graph of plain float32 ops."""
    w1, w2 = (np.asarray(w, dtype=np.float64) for w in clf.coefs_)
    b1, b2 = (np.asarray(b, dtype=np.float64) for b in clf.intercepts_)
    # Model input is raw 0..16 pixels; training used pixels / 16: fold it in.
    w1 = w1 / 16.0

    inits = [
        numpy_helper.from_array(w1.astype(np.float32), "W1"),
        numpy_helper.from_array(b1.astype(np.float32), "B1"),
        numpy_helper.from_array(w2.astype(np.float32), "W2"),
        numpy_helper.from_array(b2.astype(np.float32), "B2"),
    ]
    nodes = [
        helper.make_node("MatMul", ["pixels", "W1"], ["h_mm"], name="dense1_matmul"),
        helper.make_node("Add", ["h_mm", "B1"], ["h_pre"], name="dense1_bias"),
        helper.make_node("Relu", ["h_pre"], ["h"], name="dense1_relu"),
        helper.make_node("MatMul", ["h", "W2"], ["logits_mm"], name="dense2_matmul"),
        helper.make_node("Add", ["logits_mm", "B2"], ["logits"], name="dense2_bias"),
        helper.make_node("Softmax", ["logits"], ["probabilities"], axis=-1, name="softmax"),
    ]
    graph = helper.make_graph(
        nodes,
        "digits_mlp",
        [helper.make_tensor_value_info("pixels", TensorProto.FLOAT, [1, 64])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, 10])],
        initializer=inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="foundry-chat scripts/make_digits_model.py",
        producer_version="1",
        doc_string=(
            "8x8 handwritten digit classifier (sklearn load_digits). "
            "Input: float32 [1,64] raw pixel values 0..16, ink = high. "
            "Output: float32 [1,10] softmax probabilities for digits 0..9."
        ),
    )
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model, full_check=True)
    return model


def onnx_predict(model: onnx.ModelProto, x: np.ndarray) -> np.ndarray:
    ref = ReferenceEvaluator(model)
    rows = [ref.run(None, {"pixels": row[None, :].astype(np.float32)})[0][0] for row in x]
    return np.stack(rows)


def main() -> int:
    digits = load_digits()
    x = digits.data.astype(np.float64)  # (1797, 64), 0..16
    y = digits.target.astype(np.int64)
    idx = np.arange(len(y))
    x_tr, x_te, y_tr, y_te, i_tr, i_te = train_test_split(
        x, y, idx, test_size=TEST_SIZE, stratify=y, random_state=RANDOM_STATE
    )

    clf = MLPClassifier(
        hidden_layer_sizes=(HIDDEN,),
        activation="relu",
        solver="adam",
        alpha=1e-3,
        learning_rate_init=1e-3,
        max_iter=400,
        random_state=RANDOM_STATE,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(x_tr / 16.0, y_tr)

    model = build_onnx(clf)
    probs_onnx = onnx_predict(model, x_te)
    probs_skl = clf.predict_proba(x_te / 16.0)
    max_diff = float(np.abs(probs_onnx - probs_skl).max())
    if max_diff > 1e-4:
        print(f"ONNX/sklearn mismatch: max |diff| = {max_diff}", file=sys.stderr)
        return 1
    pred = probs_onnx.argmax(axis=1)
    accuracy = float((pred == y_te).mean())
    train_acc = float((clf.predict(x_tr / 16.0) == y_tr).mean())

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    onnx_path = OUT_DIR / "digits.onnx"
    data = model.SerializeToString()
    onnx_path.write_bytes(data)
    sha256 = hashlib.sha256(data).hexdigest()

    # Held-out samples: the first test digit of each class 0..9, then the next
    # test digits in split order until N_SAMPLES_OUT are chosen.
    chosen: list[int] = []
    for label in range(10):
        chosen.append(int(np.flatnonzero(y_te == label)[0]))
    for j in range(len(y_te)):
        if len(chosen) >= N_SAMPLES_OUT:
            break
        if j not in chosen:
            chosen.append(j)
    samples = [
        {
            "id": f"test-{int(i_te[j])}",
            "dataset_index": int(i_te[j]),
            "label": int(y_te[j]),
            "pixels": [int(v) for v in x_te[j]],
        }
        for j in chosen
    ]
    (OUT_DIR / "samples.json").write_text(
        json.dumps(
            {
                "description": "Held-out test-split digits from sklearn load_digits "
                "(never seen in training). pixels: 64 ints, row-major 8x8, 0..16, ink = high.",
                "samples": samples,
            },
            indent=1,
        )
        + "\n"
    )

    card = {
        "name": "digits-mlp",
        "file": "digits.onnx",
        "sha256": sha256,
        "size_bytes": len(data),
        "task": "handwritten digit classification (0-9)",
        "data": "scikit-learn load_digits (bundled with scikit-learn; UCI optdigits 8x8 subset)",
        "architecture": f"MLP 64 -> {HIDDEN} ReLU -> 10 softmax "
        "(sklearn MLPClassifier, adam, alpha=1e-3), exported as plain ONNX ops",
        "onnx": {
            "opset": OPSET,
            "ir_version": IR_VERSION,
            "ops": [n.op_type for n in model.graph.node],
        },
        "input": {
            "name": "pixels",
            "dtype": "float32",
            "shape": [1, 64],
            "layout": "8x8 image, row-major",
            "range": [0, 16],
            "meaning": "ink intensity, 0 = background, 16 = full ink (scaling by 1/16 is inside the model)",
        },
        "output": {
            "name": "probabilities",
            "dtype": "float32",
            "shape": [1, 10],
            "meaning": "softmax probability of digits 0..9",
        },
        "split": {
            "method": "sklearn.model_selection.train_test_split, stratified",
            "test_size": TEST_SIZE,
            "random_state": RANDOM_STATE,
        },
        "n_train": int(len(y_tr)),
        "n_test": int(len(y_te)),
        "accuracy": round(accuracy, 6),
        "accuracy_metric": "top-1 accuracy of the ONNX model on the held-out test split",
        "train_accuracy": round(train_acc, 6),
        "n_samples_file": len(samples),
        "generator": "scripts/make_digits_model.py",
        "versions": {
            "python": sys.version.split()[0],
            "scikit-learn": sklearn.__version__,
            "onnx": onnx.__version__,
            "numpy": np.__version__,
        },
    }
    (OUT_DIR / "model-card.json").write_text(json.dumps(card, indent=2) + "\n")

    print(f"wrote {onnx_path.relative_to(ROOT)} ({len(data)} bytes, sha256 {sha256[:16]}...)")
    print(
        f"test accuracy {accuracy:.4f} on n_test={len(y_te)} (n_train={len(y_tr)}), "
        f"train accuracy {train_acc:.4f}, ONNX vs sklearn max |diff| {max_diff:.2e}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
