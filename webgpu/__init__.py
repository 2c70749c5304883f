"""In-browser digit classifier demo (ONNX Runtime Web, WebGPU or WASM).

``router`` is a plain :class:`fastapi.APIRouter`; include it into any FastAPI app
with ``app.include_router(router)``. Routes:

* ``GET /webgpu``                 the demo page (text/html, strict CSP)
* ``GET /webgpu/static/{path}``   files from ``webgpu/static/``
* ``GET /webgpu/model/{path}``    files from ``webgpu/model/`` (digits.onnx, ...)
* ``GET /webgpu/ort/{path}``      files from ``webgpu/node_modules/onnxruntime-web/dist/``
  (installed with ``npm ci --prefix webgpu``)

Every file route resolves the requested path and answers 404 unless the result
is a regular file inside its base folder (no ``..``, no absolute paths, no
symlinks pointing outside). Nothing here talks to the network; the page makes
requests to this server only, and the CSP forbids anything else.
"""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import FileResponse, HTMLResponse, PlainTextResponse, Response

__all__ = ["router", "BASE_DIR", "STATIC_DIR", "MODEL_DIR", "ORT_DIST_DIR", "ort_installed"]

BASE_DIR = Path(__file__).resolve().parent
STATIC_DIR = BASE_DIR / "static"
MODEL_DIR = BASE_DIR / "model"
TEMPLATE = BASE_DIR / "templates" / "index.html"
ORT_DIST_DIR = BASE_DIR / "node_modules" / "onnxruntime-web" / "dist"
# The ES-module bundle with the WebGPU EP (falls back to its built-in WASM/CPU EP).
ORT_ENTRY = "ort.webgpu.min.mjs"

NPM_HINT = "onnxruntime-web is not installed: run `npm ci --prefix webgpu` in the repository root."

MIME_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".map": "application/json",
    ".wasm": "application/wasm",
    ".onnx": "application/octet-stream",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
}

# 'wasm-unsafe-eval' lets the page compile WebAssembly; no other eval, no inline
# script or style, no external origin of any kind.
CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "font-src 'self'",
        "connect-src 'self'",
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    ]
)

PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    # Cross-origin isolation: every resource the page loads is same-origin, so
    # require-corp costs nothing; it also makes SharedArrayBuffer available.
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-cache",
}

FILE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Cache-Control": "no-cache",
}

router = APIRouter(tags=["webgpu-demo"])


def ort_installed() -> bool:
    return (ORT_DIST_DIR / ORT_ENTRY).is_file()


def _safe_file(base: Path, rel: str) -> Path | None:
    """Return the file ``base/rel`` if it is a regular file inside ``base``."""
    if not rel or "\x00" in rel or "\\" in rel:
        return None
    try:
        root = base.resolve(strict=True)
        target = (root / rel).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return None
    if not target.is_relative_to(root) or target == root or not target.is_file():
        return None
    if any(part.startswith(".") for part in target.relative_to(root).parts):
        return None  # no dotfiles (.gitignore, ...)
    return target


def _serve(base: Path, rel: str, not_found: str = "Not Found") -> Response:
    target = _safe_file(base, rel)
    if target is None:
        raise HTTPException(status_code=404, detail=not_found)
    media_type = MIME_TYPES.get(target.suffix.lower(), "application/octet-stream")
    return FileResponse(target, media_type=media_type, headers=dict(FILE_HEADERS))


def _render_page(request: Request) -> str:
    prefix = (request.scope.get("root_path") or "").rstrip("/")
    base = f"{prefix}/webgpu"
    if ort_installed():
        notice = ""
        state = "ready"
    else:
        notice = (
            '<div class="notice error" role="alert" id="setup-notice">'
            "<strong>Setup needed:</strong> the ONNX Runtime Web files are missing. "
            "Run <code>npm ci --prefix webgpu</code> in the repository root, then reload this page."
            "</div>"
        )
        state = "missing-ort"
    page = TEMPLATE.read_text(encoding="utf-8")
    return (
        page.replace("{{BASE}}", html.escape(base, quote=True))
        .replace("{{ORT_ENTRY}}", html.escape(ORT_ENTRY, quote=True))
        .replace("{{ORT_STATE}}", state)
        .replace("{{SETUP_NOTICE}}", notice)
    )


@router.get("/webgpu", response_class=HTMLResponse, include_in_schema=False)
@router.get("/webgpu/", response_class=HTMLResponse, include_in_schema=False)
async def webgpu_page(request: Request) -> HTMLResponse:
    return HTMLResponse(_render_page(request), headers=dict(PAGE_HEADERS))


@router.get("/webgpu/static/{path:path}", include_in_schema=False)
async def webgpu_static(path: str) -> Response:
    return _serve(STATIC_DIR, path)


@router.get("/webgpu/model/{path:path}", include_in_schema=False)
async def webgpu_model(path: str) -> Response:
    return _serve(MODEL_DIR, path)


@router.get("/webgpu/ort/{path:path}", include_in_schema=False)
async def webgpu_ort(path: str) -> Response:
    if not ORT_DIST_DIR.is_dir():
        return PlainTextResponse(NPM_HINT, status_code=404)
    return _serve(ORT_DIST_DIR, path)
