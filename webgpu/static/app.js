// Digit recognizer demo: ONNX Runtime Web in the browser, WebGPU EP when an
// adapter is available, WASM EP otherwise. Everything is loaded from this
// server (runtime, .wasm, model); nothing is sent anywhere.
//
// Test hooks:
//   window.classifyPixels(pixels64) -> Promise<{label, probabilities, backend, ms}>
//   window.__lastPrediction         = {label, probabilities, backend, ms, source, seq}
//   window.__webgpuDemo             = {ready, backend, loadMs, error, ...}
//   #status[data-state]             "loading" | "ready" | "error"
//   #backend[data-backend]          "webgpu" | "wasm"
//   #prediction[data-label]         last predicted digit ("" when cleared)

import { strokesToPixels, paintPixels, GRID } from "./digits.js";

const t0 = performance.now();
const body = document.body;
const BASE = new URL("../", import.meta.url); // .../webgpu/
const ORT_ENTRY = body.dataset.ortEntry || "ort.webgpu.min.mjs";
const ORT_URL = new URL(`ort/${ORT_ENTRY}`, BASE).href;
const ORT_DIR = new URL("ort/", BASE).href;
const MODEL_URL = new URL("model/digits.onnx", BASE).href;
const SAMPLES_URL = new URL("model/samples.json", BASE).href;
const CARD_URL = new URL("model/model-card.json", BASE).href;
const NPM_HINT = "Run `npm ci --prefix webgpu` in the repository root, then reload.";

const $ = (id) => document.getElementById(id);
const el = {
  status: $("status"),
  backend: $("backend"),
  loadMs: $("load-ms"),
  inferMs: $("infer-ms"),
  canvas: $("draw-canvas"),
  preview: $("input-preview"),
  clear: $("clear-btn"),
  prediction: $("prediction"),
  confidence: $("confidence"),
  truth: $("truth"),
  probs: $("probs"),
  samples: $("samples"),
  modelInfo: $("model-info"),
  runtimeInfo: $("runtime-info"),
};

const state = {
  ort: null,
  session: null,
  backend: null,
  inputName: "pixels",
  outputName: "probabilities",
  seq: 0,
  ready: false,
};
const demo = { ready: false, backend: null, loadMs: null, error: null, fallbackReason: null };
window.__webgpuDemo = demo;
window.__lastPrediction = null;

let resolveReady;
let rejectReady;
const readyPromise = new Promise((res, rej) => { resolveReady = res; rejectReady = rej; });
readyPromise.catch(() => {});
window.__webgpuReady = readyPromise;

// ---------------------------------------------------------------- UI helpers

function setStatus(text, stateName) {
  el.status.textContent = text;
  el.status.dataset.state = stateName;
}

function fmtMs(ms) {
  if (ms == null || !Number.isFinite(ms)) return "–";
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  if (ms < 100) return `${ms.toFixed(1)} ms`;
  return `${Math.round(ms)} ms`;
}

const probRows = [];
function buildProbRows() {
  for (let d = 0; d < 10; d++) {
    const li = document.createElement("li");
    li.className = "prob-row";
    li.dataset.digit = String(d);
    const digit = document.createElement("span");
    digit.className = "prob-digit";
    digit.textContent = String(d);
    const bar = document.createElement("span");
    bar.className = "prob-bar";
    bar.setAttribute("aria-hidden", "true");
    const fill = document.createElement("span");
    fill.className = "prob-fill";
    bar.append(fill);
    const pct = document.createElement("span");
    pct.className = "prob-pct";
    pct.textContent = "–";
    li.append(digit, bar, pct);
    el.probs.append(li);
    probRows.push({ li, fill, pct });
  }
}

function showProbabilities(probs) {
  const top = probs ? argmax(probs) : -1;
  probRows.forEach((row, d) => {
    const p = probs ? probs[d] : 0;
    row.fill.style.setProperty("--p", String(Math.max(0, Math.min(1, p))));
    row.pct.textContent = probs ? `${(p * 100).toFixed(1)} %` : "–";
    row.li.classList.toggle("top", d === top);
    row.li.setAttribute("aria-label", probs ? `Digit ${d}: ${(p * 100).toFixed(1)} percent` : `Digit ${d}`);
  });
}

function showResult(result, extra = {}) {
  el.prediction.textContent = String(result.label);
  el.prediction.dataset.label = String(result.label);
  el.prediction.dataset.source = result.source;
  el.prediction.dataset.seq = String(result.seq);
  el.prediction.setAttribute("aria-label", `Predicted digit ${result.label}`);
  const conf = result.probabilities[result.label] * 100;
  el.confidence.textContent = `${conf.toFixed(1)} % confident`;
  if (extra.trueLabel != null) {
    const ok = extra.trueLabel === result.label;
    el.truth.textContent = `True label ${extra.trueLabel}: ${ok ? "✓ correct" : "✗ wrong"}`;
    el.truth.dataset.correct = String(ok);
  } else {
    el.truth.textContent = "";
    delete el.truth.dataset.correct;
  }
  el.inferMs.textContent = fmtMs(result.ms);
  el.inferMs.dataset.ms = String(result.ms);
  showProbabilities(result.probabilities);
}

function clearResult() {
  el.prediction.textContent = "?";
  el.prediction.dataset.label = "";
  el.prediction.dataset.source = "";
  el.prediction.setAttribute("aria-label", "No prediction yet");
  el.confidence.textContent = "Draw a digit or pick a sample.";
  el.truth.textContent = "";
  showProbabilities(null);
  paintPixels(el.preview, new Array(GRID * GRID).fill(0));
}

function argmax(arr) {
  let best = 0;
  for (let i = 1; i < arr.length; i++) if (arr[i] > arr[best]) best = i;
  return best;
}

// ----------------------------------------------------------------- inference

let chain = Promise.resolve();
function exclusive(fn) {
  const p = chain.then(fn, fn);
  chain = p.catch(() => {});
  return p;
}

function toInput(pixels64) {
  if (!pixels64 || typeof pixels64.length !== "number" || pixels64.length !== GRID * GRID) {
    throw new TypeError("classifyPixels expects 64 numbers (8x8, row-major, 0..16)");
  }
  const data = new Float32Array(GRID * GRID);
  for (let i = 0; i < data.length; i++) {
    const v = Number(pixels64[i]);
    if (!Number.isFinite(v)) throw new TypeError(`pixel ${i} is not a finite number`);
    data[i] = v;
  }
  return data;
}

async function runModel(session, data) {
  const { ort } = state;
  const input = new ort.Tensor("float32", data, [1, GRID * GRID]);
  const start = performance.now();
  const outputs = await session.run({ [state.inputName]: input });
  const out = outputs[state.outputName];
  const values = out.location && out.location !== "cpu" ? await out.getData() : out.data;
  const ms = performance.now() - start;
  const probabilities = Array.from(values, Number);
  for (const t of Object.values(outputs)) t.dispose?.();
  return { probabilities, ms };
}

function infer(pixels64, source) {
  const data = toInput(pixels64);
  return exclusive(async () => {
    if (!state.session) throw new Error(demo.error || "The model is not loaded yet.");
    const { probabilities, ms } = await runModel(state.session, data);
    const label = argmax(probabilities);
    const result = { label, probabilities, backend: state.backend, ms, source, seq: ++state.seq };
    window.__lastPrediction = result;
    return result;
  });
}

/** Test / console hook: classify 64 values 0..16 (row-major 8x8). */
window.classifyPixels = async (pixels64) => {
  await readyPromise;
  const r = await infer(pixels64, "api");
  showResult(r);
  paintPixels(el.preview, Array.from(pixels64));
  return { label: r.label, probabilities: r.probabilities, backend: r.backend, ms: r.ms };
};

// ------------------------------------------------------------------- drawing

const LOGICAL = 280; // drawing coordinates: 0..280 in both directions
const PEN = 20;
let strokes = [];
let current = null;
let backdrop = null; // a sample shown in the canvas (8x8 values) until the user draws
const dctx = el.canvas.getContext("2d");

function sizeCanvas() {
  const dpr = Math.max(1, Math.min(3, window.devicePixelRatio || 1));
  const px = Math.round(LOGICAL * dpr);
  if (el.canvas.width !== px) {
    el.canvas.width = px;
    el.canvas.height = px;
  }
  redraw();
}

function redraw() {
  const scale = el.canvas.width / LOGICAL;
  dctx.setTransform(1, 0, 0, 1, 0, 0);
  dctx.fillStyle = "#fff";
  dctx.fillRect(0, 0, el.canvas.width, el.canvas.height);
  if (backdrop) {
    const tmp = document.createElement("canvas");
    paintPixels(tmp, backdrop);
    dctx.imageSmoothingEnabled = false;
    const pad = 30 * scale;
    dctx.drawImage(tmp, pad, pad, el.canvas.width - 2 * pad, el.canvas.height - 2 * pad);
  }
  dctx.setTransform(scale, 0, 0, scale, 0, 0);
  dctx.strokeStyle = "#1b1f3b";
  dctx.fillStyle = "#1b1f3b";
  dctx.lineWidth = PEN;
  dctx.lineCap = "round";
  dctx.lineJoin = "round";
  for (const s of strokes) drawStroke(s, 0);
}

function drawStroke(s, from) {
  if (s.length === 1) {
    dctx.beginPath();
    dctx.arc(s[0].x, s[0].y, PEN / 2, 0, Math.PI * 2);
    dctx.fill();
    return;
  }
  dctx.beginPath();
  const start = Math.max(0, from - 1);
  dctx.moveTo(s[start].x, s[start].y);
  for (let i = start + 1; i < s.length; i++) dctx.lineTo(s[i].x, s[i].y);
  dctx.stroke();
}

function pointFromEvent(e) {
  const r = el.canvas.getBoundingClientRect();
  return {
    x: ((e.clientX - r.left) / r.width) * LOGICAL,
    y: ((e.clientY - r.top) / r.height) * LOGICAL,
  };
}

let scheduled = false;
let pending = false;
function scheduleClassify() {
  if (scheduled) { pending = true; return; }
  scheduled = true;
  requestAnimationFrame(async () => {
    try {
      await classifyDrawing();
    } finally {
      scheduled = false;
      if (pending) { pending = false; scheduleClassify(); }
    }
  });
}

async function classifyDrawing() {
  if (!state.ready) return;
  const prep = strokesToPixels(strokes, LOGICAL);
  if (!prep) return;
  paintPixels(el.preview, prep.pixels);
  try {
    const r = await infer(prep.pixels, "canvas");
    if (strokes.length === 0) return; // cleared meanwhile
    showResult(r);
  } catch (err) {
    reportError(err);
  }
}

el.canvas.addEventListener("pointerdown", (e) => {
  if (e.button !== undefined && e.button > 0) return;
  e.preventDefault();
  if (backdrop) { backdrop = null; redraw(); }
  el.canvas.setPointerCapture?.(e.pointerId);
  current = [pointFromEvent(e)];
  strokes.push(current);
  redraw();
});
el.canvas.addEventListener("pointermove", (e) => {
  if (!current) return;
  e.preventDefault();
  const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
  const from = current.length;
  for (const ev of events.length ? events : [e]) current.push(pointFromEvent(ev));
  const scale = el.canvas.width / LOGICAL;
  dctx.setTransform(scale, 0, 0, scale, 0, 0);
  drawStroke(current, from);
  scheduleClassify();
});
function endStroke() {
  if (!current) return;
  current = null;
  scheduleClassify();
}
el.canvas.addEventListener("pointerup", endStroke);
el.canvas.addEventListener("pointercancel", endStroke);
el.canvas.addEventListener("lostpointercapture", endStroke);

function clearDrawing() {
  strokes = [];
  current = null;
  backdrop = null;
  redraw();
  clearResult();
}
el.clear.addEventListener("click", clearDrawing);

// ------------------------------------------------------------------- samples

function renderSamples(samples) {
  el.samples.replaceChildren();
  samples.forEach((s, i) => {
    const btn = document.createElement("button");
    btn.type = "button";
    btn.className = "sample";
    btn.dataset.index = String(i);
    btn.dataset.label = String(s.label);
    btn.setAttribute("aria-label", `Held-out sample ${i + 1}, true label ${s.label}`);
    const c = document.createElement("canvas");
    c.className = "thumb";
    c.setAttribute("aria-hidden", "true");
    paintPixels(c, s.pixels);
    const cap = document.createElement("span");
    cap.className = "sample-caption";
    cap.setAttribute("aria-hidden", "true");
    cap.textContent = `true ${s.label}`;
    btn.append(c, cap);
    btn.addEventListener("click", async () => {
      if (!state.ready) return;
      strokes = [];
      backdrop = s.pixels;
      redraw();
      paintPixels(el.preview, s.pixels);
      try {
        const r = await infer(s.pixels, "sample");
        showResult(r, { trueLabel: s.label });
        btn.dataset.result = r.label === s.label ? "correct" : "wrong";
      } catch (err) {
        reportError(err);
      }
    });
    el.samples.append(btn);
  });
}

// --------------------------------------------------------------------- setup

function reportError(err) {
  const msg = err && err.message ? err.message : String(err);
  console.error("[webgpu-demo]", err);
  setStatus(`Error: ${msg}`, "error");
}

function setBackend(name, detail, software = false) {
  el.backend.textContent = name === "webgpu" ? (software ? "WebGPU (software)" : "WebGPU (GPU)") : "WASM (CPU)";
  el.backend.dataset.backend = name;
  el.backend.title = detail || "";
}

async function fetchChecked(url, what) {
  const res = await fetch(url, { cache: "no-cache" });
  if (!res.ok) throw new Error(`${what}: HTTP ${res.status} for ${url}`);
  return res;
}

async function getWebGpuAdapter() {
  if (!("gpu" in navigator) || !navigator.gpu) return { adapter: null, why: "navigator.gpu is not available" };
  try {
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) return { adapter: null, why: "navigator.gpu.requestAdapter() returned no adapter" };
    return { adapter, why: null };
  } catch (err) {
    return { adapter: null, why: `requestAdapter failed: ${err}` };
  }
}

async function createSession(modelBytes, ep) {
  const { ort } = state;
  const session = await ort.InferenceSession.create(modelBytes, {
    executionProviders: [ep],
    graphOptimizationLevel: "all",
  });
  // Warm-up run (compiles the WebGPU pipelines / first-touch the WASM heap).
  const r = await runModel(session, new Float32Array(GRID * GRID));
  if (r.probabilities.length !== 10 || !r.probabilities.every(Number.isFinite)) {
    throw new Error(`unexpected output from the ${ep} session`);
  }
  return session;
}

async function init() {
  buildProbRows();
  clearResult();
  sizeCanvas();
  window.matchMedia?.(`(resolution: ${window.devicePixelRatio}dppx)`)?.addEventListener?.("change", sizeCanvas);

  if (body.dataset.ortState === "missing-ort") {
    throw new Error(`ONNX Runtime Web is not installed on the server. ${NPM_HINT}`);
  }

  setStatus("Loading ONNX Runtime Web…", "loading");
  let ort;
  try {
    ort = await import(ORT_URL);
  } catch (err) {
    throw new Error(`Could not load ${ORT_URL} (${err.message || err}). ${NPM_HINT}`);
  }
  state.ort = ort;
  ort.env.wasm.wasmPaths = ORT_DIR; // .mjs/.wasm come from this server, never a CDN
  // One thread: multi-threading needs SharedArrayBuffer (cross-origin
  // isolation) and buys nothing for a model this small.
  ort.env.wasm.numThreads = 1;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = "warning";

  setStatus("Downloading the model…", "loading");
  const tFetch = performance.now();
  const [modelBytes, samples, card] = await Promise.all([
    fetchChecked(MODEL_URL, "model").then((r) => r.arrayBuffer()).then((b) => new Uint8Array(b)),
    fetchChecked(SAMPLES_URL, "samples").then((r) => r.json()),
    fetchChecked(CARD_URL, "model card").then((r) => r.json()).catch(() => null),
  ]);
  const fetchMs = performance.now() - tFetch;
  renderSamples(samples.samples || []);
  if (card) {
    el.modelInfo.textContent =
      `Model: ${card.architecture}. Test accuracy ${(card.accuracy * 100).toFixed(1)} % on ` +
      `${card.n_test} held-out digits (trained on ${card.n_train}). ONNX ops: ` +
      `${[...new Set(card.onnx?.ops || [])].join(", ")}; ${(card.size_bytes / 1024).toFixed(1)} KiB.`;
  }

  setStatus("Starting the inference session…", "loading");
  const tSession = performance.now();
  const gpu = await getWebGpuAdapter();
  let adapterDesc = "none";
  if (gpu.adapter) {
    const info = gpu.adapter.info || {};
    adapterDesc = [info.vendor, info.architecture, info.description].filter(Boolean).join(" / ") || "available";
    if (gpu.adapter.isFallbackAdapter || info.isFallbackAdapter) adapterDesc += " (software fallback)";
    try {
      state.session = await createSession(modelBytes, "webgpu");
      state.backend = "webgpu";
    } catch (err) {
      demo.fallbackReason = `WebGPU EP failed: ${err.message || err}`;
      console.warn("[webgpu-demo] falling back to WASM:", err);
    }
  } else {
    demo.fallbackReason = gpu.why;
  }
  if (!state.session) {
    state.session = await createSession(modelBytes, "wasm");
    state.backend = "wasm";
  }
  const sessionMs = performance.now() - tSession;
  const loadMs = performance.now() - t0;

  state.inputName = state.session.inputNames[0];
  state.outputName = state.session.outputNames[0];
  state.ready = true;
  Object.assign(demo, {
    ready: true,
    backend: state.backend,
    loadMs,
    fetchMs,
    sessionMs,
    adapter: adapterDesc,
    crossOriginIsolated: !!window.crossOriginIsolated,
    ortVersion: ort.env.versions?.web || null,
  });
  const software = /software fallback/.test(adapterDesc);
  setBackend(
    state.backend,
    state.backend === "webgpu" ? `WebGPU adapter: ${adapterDesc}` : `WebGPU not used: ${demo.fallbackReason}`,
    software,
  );
  el.loadMs.textContent = fmtMs(loadMs);
  el.loadMs.title = `runtime + model download ${fmtMs(fetchMs)}, session + warm-up ${fmtMs(sessionMs)}`;
  el.runtimeInfo.textContent =
    `onnxruntime-web ${demo.ortVersion || "?"} · execution provider: ${state.backend}` +
    ` · WebGPU adapter: ${adapterDesc}` +
    (state.backend === "wasm" && demo.fallbackReason ? ` (${demo.fallbackReason})` : "") +
    ` · WASM threads: 1 · cross-origin isolated: ${window.crossOriginIsolated ? "yes" : "no"}`;
  body.dataset.ready = "true";
  setStatus(
    state.backend === "webgpu"
      ? software
        ? "Ready: running with WebGPU on a software (CPU-emulated) adapter."
        : "Ready: running on your GPU with WebGPU."
      : "Ready: running on your CPU with WebAssembly (WebGPU is not available here).",
    "ready",
  );
  resolveReady();
}

init().catch((err) => {
  demo.error = err && err.message ? err.message : String(err);
  setBackend("none", demo.error);
  el.backend.textContent = "unavailable";
  reportError(err);
  rejectReady(err);
});
