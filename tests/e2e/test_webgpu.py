"""End-to-end test of the /webgpu in-browser inference demo.

The real app (``chainlit run app.py`` as a subprocess, free port) serves the page
ahead of Chainlit's catch-all route; Debian's Chromium
(``/usr/bin/chromium``, driven by Playwright, no Playwright-downloaded browser)
loads the page with every request that is not to 127.0.0.1 aborted and counted.

Set ``WEBGPU_E2E_BASE_URL=http://127.0.0.1:8000`` to test an already running app.

The browser tests run twice:
* ``default``: headless with ``--disable-gpu`` -> no WebGPU adapter -> the page
  must use the WASM execution provider;
* ``webgpu``:  adds ``--enable-unsafe-webgpu`` -> Chromium offers its SwiftShader
  (software) WebGPU adapter -> the page must use the WebGPU execution provider.
Both must give the same labels as onnxruntime (Python, CPU EP) on the held-out
samples, probabilities within 1e-4.

Fails (never skips) when /usr/bin/chromium (or $CHROMIUM_PATH) or
webgpu/node_modules/onnxruntime-web is missing (run ``npm ci --prefix webgpu``).
Screenshots and a JSON summary go to tests/e2e/artifacts/ (git-ignored).
"""

from __future__ import annotations

import http.client
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import webgpu  # noqa: E402
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

ORT_DIST = ROOT / "webgpu" / "node_modules" / "onnxruntime-web" / "dist"
MODEL = ROOT / "webgpu" / "model" / "digits.onnx"
SAMPLES = ROOT / "webgpu" / "model" / "samples.json"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

VARIANT_ARGS = {
    "default": [],
    "webgpu": ["--enable-unsafe-webgpu"],
}

BROWSER_SKIP = None
if not Path(CHROMIUM).is_file():
    BROWSER_SKIP = f"Chromium not found at {CHROMIUM} (apt-get install -y chromium)"
elif not (ORT_DIST / webgpu.ORT_ENTRY).is_file():
    BROWSER_SKIP = f"onnxruntime-web not installed in {ORT_DIST} (run `npm ci --prefix webgpu`)"
# Missing prerequisites fail (in playwright_instance) rather than skip: scripts/test.sh installs
# both, and a skipped browser check must never read as a pass.
needs_browser = pytest.mark.usefixtures("playwright_instance")
pytestmark = pytest.mark.e2e


# --------------------------------------------------------------------- server


@pytest.fixture(scope="module")
def base_url(http_app):
    """The real app (chainlit run app.py) serving /webgpu ahead of Chainlit's catch-all route."""
    external = os.environ.get("WEBGPU_E2E_BASE_URL")
    yield external.rstrip("/") if external else http_app.url


def _raw_get(base: str, raw_path: str):
    """GET a path exactly as written (no client-side normalisation of '..')."""
    parts = urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=20)
    try:
        conn.request("GET", raw_path)
        resp = conn.getresponse()
        return resp.status, dict(resp.getheaders()), resp.read()
    finally:
        conn.close()


def _headers_lower(headers: dict) -> dict:
    return {k.lower(): v for k, v in headers.items()}


# ------------------------------------------------------------ HTTP-level tests


def test_page_is_html_with_csp(base_url):
    status, headers, body = _raw_get(base_url, "/webgpu")
    h = _headers_lower(headers)
    assert status == 200
    assert h["content-type"].startswith("text/html")
    csp = h["content-security-policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self' 'wasm-unsafe-eval'" in csp
    assert "unsafe-inline" not in csp and "'unsafe-eval'" not in csp
    assert h["cross-origin-opener-policy"] == "same-origin"
    assert h["cross-origin-embedder-policy"] == "require-corp"
    text = body.decode()
    assert "Nothing leaves your browser" in text
    # no external origins anywhere in the page
    for needle in ("http://", "https://", "//cdn", "fonts.googleapis"):
        assert needle not in text, needle


def test_static_and_model_mime_types(base_url):
    expect = {
        "/webgpu/static/app.js": "text/javascript",
        "/webgpu/static/digits.js": "text/javascript",
        "/webgpu/static/style.css": "text/css",
        "/webgpu/model/digits.onnx": "application/octet-stream",
        "/webgpu/model/samples.json": "application/json",
        "/webgpu/model/model-card.json": "application/json",
    }
    if ORT_DIST.is_dir():
        expect["/webgpu/ort/" + webgpu.ORT_ENTRY] = "text/javascript"
        wasm = sorted(ORT_DIST.glob("*.wasm"))
        assert wasm, "no .wasm in onnxruntime-web/dist"
        expect["/webgpu/ort/" + wasm[0].name] = "application/wasm"
    for path, ctype in expect.items():
        status, headers, body = _raw_get(base_url, path)
        assert status == 200, path
        assert _headers_lower(headers)["content-type"].split(";")[0] == ctype, path
        assert body, path
    status, _, body = _raw_get(base_url, "/webgpu/model/digits.onnx")
    assert body == MODEL.read_bytes()


@pytest.mark.parametrize(
    "raw_path",
    [
        "/webgpu/ort/../../app.py",
        "/webgpu/ort/../../../app.py",
        "/webgpu/ort/..%2F..%2Fpackage.json",
        "/webgpu/ort/%2e%2e/%2e%2e/%2e%2e/__init__.py",
        "/webgpu/static/../__init__.py",
        "/webgpu/static/..%2F__init__.py",
        "/webgpu/static/%2e%2e%2f__init__.py",
        "/webgpu/model/../__init__.py",
        "/webgpu/model/..%2F..%2Fscripts%2Fmake_digits_model.py",
        "/webgpu/model/%2Fetc%2Fpasswd",
        "/webgpu/static//etc/passwd",
        "/webgpu/static/",
        "/webgpu/static/..",
        "/webgpu/model/nope.onnx",
    ],
)
def test_path_traversal_is_404(base_url, raw_path):
    status, _, body = _raw_get(base_url, raw_path)
    assert status == 404, (raw_path, status)
    assert b"APIRouter" not in body and b"root:" not in body


# -------------------------------------------------------------- browser tests


@pytest.fixture(scope="module")
def playwright_instance():
    if BROWSER_SKIP:
        pytest.fail(BROWSER_SKIP)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module", params=list(VARIANT_ARGS))
def demo(request, playwright_instance, base_url):
    """The /webgpu page loaded and ready in one Chromium configuration."""
    variant = request.param
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + VARIANT_ARGS[variant]
    )
    context = browser.new_context(viewport={"width": 1200, "height": 1000}, service_workers="block")
    external: list[str] = []
    local_host = urlsplit(base_url).hostname

    def gate(route):
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("http", "https", "ws", "wss") and parts.hostname in (local_host, "127.0.0.1"):
            route.continue_()
        else:
            external.append(url)
            route.abort()

    context.route("**/*", gate)
    context.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', e =>"
        " window.__cspViolations.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page = context.new_page()
    page_errors: list[str] = []
    console_errors: list[str] = []
    page.on("pageerror", lambda e: page_errors.append(str(e)))
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)

    t0 = time.perf_counter()
    response = page.goto(base_url + "/webgpu")
    assert response is not None and response.status == 200
    page.wait_for_selector('#status[data-state="ready"], #status[data-state="error"]', timeout=90_000)
    ready_s = time.perf_counter() - t0
    info = page.evaluate("() => window.__webgpuDemo")
    assert info.get("ready"), f"page not ready: {page.text_content('#status')} / {info}"
    state = {
        "variant": variant,
        "page": page,
        "info": info,
        "ready_s": ready_s,
        "external": external,
        "page_errors": page_errors,
        "console_errors": console_errors,
        "summary": {"variant": variant, "ready_s": round(ready_s, 3), "info": info},
    }
    try:
        yield state
    finally:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        summary_path = ARTIFACTS / f"webgpu-{variant}.json"
        summary_path.write_text(json.dumps(state["summary"], indent=2, default=str))
        context.close()
        browser.close()


def _reference_probabilities(pixels: list[list[int]]) -> np.ndarray:
    import onnxruntime as ort

    sess = ort.InferenceSession(str(MODEL), providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    rows = [sess.run(None, {name: np.asarray([p], dtype=np.float32)})[0][0] for p in pixels]
    return np.stack(rows)


@needs_browser
def test_backend_reported(demo, record_property):
    page, info = demo["page"], demo["info"]
    backend = page.get_attribute("#backend", "data-backend")
    assert backend in ("webgpu", "wasm")
    assert backend == info["backend"]
    record_property("backend", backend)
    record_property("adapter", info.get("adapter"))
    print(
        f"\n[{demo['variant']}] backend={backend} adapter={info.get('adapter')} "
        f"loadMs={info.get('loadMs'):.0f} ready_s={demo['ready_s']:.2f} "
        f"fallback={info.get('fallbackReason')}"
    )
    if demo["variant"] == "default":
        # --disable-gpu without --enable-unsafe-webgpu: Chromium offers no adapter.
        assert backend == "wasm", info
    else:
        has_adapter = page.evaluate("async () => !!(navigator.gpu && await navigator.gpu.requestAdapter())")
        if has_adapter:
            assert backend == "webgpu", f"adapter present but WebGPU EP not used: {info}"
    assert float(info["loadMs"]) > 0
    assert page.text_content("#load-ms").strip().endswith("ms")


@needs_browser
def test_samples_match_onnxruntime(demo, record_property):
    page = demo["page"]
    samples = json.loads(SAMPLES.read_text())["samples"]
    assert len(samples) >= 10
    results = page.evaluate(
        """async (samples) => {
            const out = [];
            for (const s of samples) out.push(await window.classifyPixels(s.pixels));
            return out;
        }""",
        samples,
    )
    ref = _reference_probabilities([s["pixels"] for s in samples])
    got = np.asarray([r["probabilities"] for r in results], dtype=np.float64)
    assert got.shape == (len(samples), 10)
    np.testing.assert_allclose(got, ref, atol=1e-4, rtol=0)
    assert [r["label"] for r in results] == [int(i) for i in ref.argmax(axis=1)]
    backend = demo["info"]["backend"]
    assert all(r["backend"] == backend for r in results)
    correct = sum(r["label"] == s["label"] for r, s in zip(results, samples, strict=True))
    assert correct >= len(samples) - 1  # the model is ~97 % accurate on held-out data
    ms = [r["ms"] for r in results]
    demo["summary"]["sample_ms"] = [round(m, 3) for m in ms]
    demo["summary"]["sample_ms_median"] = float(np.median(ms))
    demo["summary"]["max_abs_diff_vs_python"] = float(np.abs(got - ref).max())
    record_property("median_inference_ms", float(np.median(ms)))
    last = page.evaluate("() => window.__lastPrediction")
    assert last["label"] == results[-1]["label"] and last["backend"] == backend
    assert page.get_attribute("#prediction", "data-label") == str(results[-1]["label"])


@needs_browser
def test_sample_thumbnail_click_and_keyboard(demo):
    page = demo["page"]
    buttons = page.locator("#samples button.sample")
    assert buttons.count() >= 10
    first = buttons.nth(0)
    label = first.get_attribute("data-label")
    seq = page.evaluate("() => window.__lastPrediction ? window.__lastPrediction.seq || 0 : 0")
    first.click()
    page.wait_for_function(
        "(seq) => window.__lastPrediction && window.__lastPrediction.source === 'sample'"
        " && window.__lastPrediction.seq > seq",
        arg=seq,
    )
    assert page.get_attribute("#prediction", "data-label") == label
    assert first.get_attribute("data-result") == "correct"
    # keyboard: focus another thumbnail and press Enter
    second = buttons.nth(1)
    second.focus()
    page.keyboard.press("Enter")
    page.wait_for_function(
        "(l) => document.querySelector('#prediction').dataset.label === l"
        " && window.__lastPrediction.source === 'sample'",
        arg=second.get_attribute("data-label"),
    )
    assert float(page.get_attribute("#infer-ms", "data-ms")) >= 0


def _draw(page, points):
    box = page.locator("#draw-canvas").bounding_box()
    assert box and box["width"] > 100

    def at(p):
        return box["x"] + p[0] * box["width"], box["y"] + p[1] * box["height"]

    page.mouse.move(*at(points[0]))
    page.mouse.down()
    for p in points[1:]:
        page.mouse.move(*at(p), steps=8)
    page.mouse.up()


@needs_browser
def test_draw_on_canvas(demo):
    page = demo["page"]
    page.click("#clear-btn")
    assert page.get_attribute("#prediction", "data-label") == ""
    assert page.text_content("#prediction").strip() == "?"
    # A "7": top bar, then the diagonal down to the bottom left.
    _draw(page, [(0.25, 0.18), (0.75, 0.18), (0.45, 0.85)])
    page.wait_for_function(
        "() => document.querySelector('#prediction').dataset.source === 'canvas'"
        " && window.__lastPrediction && window.__lastPrediction.source === 'canvas'"
    )
    page.wait_for_timeout(150)  # let a trailing (coalesced) classification finish
    last = page.evaluate("() => window.__lastPrediction")
    probs = np.asarray(last["probabilities"])
    assert probs.shape == (10,)
    assert abs(probs.sum() - 1.0) < 1e-3 and (probs >= 0).all()
    assert last["label"] == int(probs.argmax())
    assert last["backend"] == demo["info"]["backend"]
    assert page.get_attribute("#prediction", "data-label") == str(last["label"])
    assert page.locator("#probs li").count() == 10
    demo["summary"]["drawn_seven_predicted"] = last["label"]
    demo["summary"]["drawn_seven_probs"] = [round(float(p), 4) for p in probs]
    print(f"\n[{demo['variant']}] drawn '7' -> {last['label']} ({probs.max():.3f})")
    page.wait_for_timeout(300)  # bar transitions
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    name = "webgpu.png" if demo["variant"] == "default" else f"webgpu-{demo['variant']}.png"
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    # keyboard-usable Clear
    page.focus("#clear-btn")
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelector('#prediction').dataset.label === ''")


@needs_browser
def test_nothing_left_the_browser(demo):
    """Runs after the others (same module-scoped page): no request to anything
    but the local server was attempted, no CSP violation, no script error."""
    page = demo["page"]
    assert demo["external"] == [], demo["external"]
    assert page.evaluate("() => window.__cspViolations") == []
    assert demo["page_errors"] == []
    assert demo["console_errors"] == [], demo["console_errors"]
    assert "Nothing leaves your browser" in page.text_content("#privacy-note")
