"""The teaching notebook, chainlit_app.ipynb, runs headless and offline against the project's real modules.

It is executed with nbclient in a fresh kernel (this venv's Python, the repository as its working
directory), cell by cell; any cell error fails the test with the cell and its traceback. The kernel
comes from a throwaway kernelspec pointing at `sys.executable`, so neither a user-registered kernel
nor a `python3` kernelspec elsewhere on the machine can change which interpreter runs it.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from nbformat import NotebookNode

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOK = ROOT / "chainlit_app.ipynb"
CELL_TIMEOUT = 120
KERNEL = "foundry-chat-notebook-test"
# Sample secrets the notebook feeds to the privacy guard and the settings: none may reach an output.
NEVER_SHOWN = ("jane.doe@example.com", "4111 1111 1111 1111", "hunter2hunter", "GB82 WEST", "sk-example-not-a-real-key")


def _kernelspec(root: Path) -> KernelSpecManager:
    spec = root / "kernels" / KERNEL
    spec.mkdir(parents=True)
    argv = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
    (spec / "kernel.json").write_text(json.dumps({"argv": argv, "display_name": KERNEL, "language": "python"}))
    return KernelSpecManager(kernel_dirs=[str(root / "kernels")])


@pytest.fixture(scope="module")
def executed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NotebookNode]:
    tmp = tmp_path_factory.mktemp("notebook")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    km = AsyncKernelManager(kernel_name=KERNEL, kernel_spec_manager=_kernelspec(tmp))
    env = {
        **os.environ,
        "IPYTHONDIR": str(tmp / "ipython"),  # leave the user's ~/.ipython alone
        "MPLCONFIGDIR": str(tmp / "matplotlib"),
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",  # debugpy's frozen-modules note on the kernel's stderr
    }
    client = NotebookClient(
        nb,
        km=km,
        kernel_name=KERNEL,
        timeout=CELL_TIMEOUT,
        startup_timeout=60,
        resources={"metadata": {"path": str(ROOT)}},  # the kernel's cwd: `import config` must work
    )
    # Raises nbclient.exceptions.CellExecutionError (cell source + traceback) on the first failing cell.
    client.execute(cleanup_kc=True, env=env)
    yield nb


def _text(nb: NotebookNode) -> str:
    out: list[str] = []
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            if output.output_type == "stream":
                out.append(output.text)
            elif output.output_type in ("execute_result", "display_data"):
                out.append(output.data.get("text/plain", ""))
            elif output.output_type == "error":
                out.append("\n".join(output.traceback))
    return "\n".join(out)


def test_committed_notebook_is_stripped() -> None:
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, "the notebook has no code cells"
    for cell in code:
        assert cell.outputs == [] and cell.execution_count is None, f"outputs left in cell {cell.id}: strip them"
    for cell in nb.cells:
        assert "execution" not in cell.metadata, f"execution timings left in cell {cell.id}: strip them"
    assert "widgets" not in nb.metadata


def test_every_cell_runs_without_error(executed: NotebookNode) -> None:
    for cell in executed.cells:
        if cell.cell_type == "code":
            assert cell.execution_count is not None
            assert not [o for o in cell.outputs if o.output_type == "error"]


def test_outputs_show_the_real_modules_at_work(executed: NotebookNode) -> None:
    text = _text(executed)
    assert "ConfigError: TEMPERATURE" in text
    assert "(Foundry Local, in-process)" in text
    assert "TTFT" in text and "tok/s" in text
    assert "route: local · tiny-chat · code generation · TTFT" in text
    assert "route: cloud · test-model · creative writing · TTFT" in text
    assert "route: local · tiny-chat · private data: payment card · TTFT" in text
    assert "route: local · tiny-chat · cloud failed" in text
    assert "card (payment card number): **** **** **** 1111" in text
    assert "order number (fails Luhn)   nothing found" in text
    assert "/readyz  200" in text
    assert "closed; cache removed: True" in text


def test_no_secret_reaches_an_output(executed: NotebookNode) -> None:
    text = _text(executed)
    for secret in NEVER_SHOWN:
        assert secret not in text


def test_plot_is_a_small_png(executed: NotebookNode) -> None:
    images = [
        o.data["image/png"]
        for cell in executed.cells
        for o in cell.get("outputs", [])
        if o.output_type == "display_data" and "image/png" in o.get("data", {})
    ]
    assert len(images) == 1
    assert len(images[0]) < 80_000  # base64; figsize (6, 3) at 80 dpi
