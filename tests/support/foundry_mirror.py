"""A loopback Foundry Local catalog, model registry and blob store, serving the project's tiny model.

Written from `../shared/notes/foundry-catalog.md` (measured against foundry-local-sdk 2.2.1):

- **catalog**: `POST http://127.0.0.1:<http>/asset-gallery/v1.0/models`, answered with
  `{"value": [...], "continuationToken": ""}`, filtered by the device/EP/name filters the runtime sends;
- **registry**: the runtime builds `https://{catalog_region}.api.azureml.ms/modelregistry/...` itself,
  so `region` is `127.0.0.1:<tls>/shim` and a TLS listener answers any GET containing `modelregistry`
  with a `blobSasUri` on the http listener. Its certificate is signed by a throwaway CA (`ca_file`),
  which the runtime trusts only through `SSL_CERT_FILE`, read at the process's first initialize;
- **blob store**: Azure Blob REST as the C++ storage SDK speaks it: List Blobs, `HEAD` (needs
  `x-ms-creation-time` and `x-ms-server-encrypted`), ranged `GET` with `x-ms-range` → 206.

Switches: `bytes_per_second` (a slow download, one budget for all connections, so progress is
visible), `pad_bytes` (extra blobs of `pad_blob_bytes` each, to make the model bigger), `fail_blob`/`fail_times` (a blob answering 500 that many times, then
recovering), `variants` (cpu and/or gpu entries under one alias), `advertised_bytes` (the size the
catalog claims, e.g. more than any disk), `ignore_device_filter` (answer every variant on every POST).

Run standalone: `python -m tests.support.foundry_mirror --alias tiny-chat-test` prints the
environment an app needs (FOUNDRY_CATALOG_URL, FOUNDRY_CATALOG_REGION, SSL_CERT_FILE).
"""

from __future__ import annotations

import argparse
import json
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from config import BUNDLED_MODEL_PATH

__all__ = ["FoundryMirror", "MirrorRequest", "Variant", "make_certificates"]

REGISTRY = "fltest"
EPS = {"cpu": "CPUExecutionProvider", "gpu": "CUDAExecutionProvider"}
PAD_BLOB = "padding-{:03d}.bin"


@dataclass(frozen=True)
class Variant:
    device: str
    name: str
    """The model name in the catalog, e.g. `tiny-chat-test-cpu`; the id is `<name>:1`."""

    @property
    def execution_provider(self) -> str:
        return EPS[self.device]

    @property
    def asset_id(self) -> str:
        return f"azureml://registries/{REGISTRY}/models/{self.name}/versions/1"


@dataclass
class MirrorRequest:
    service: str
    """"catalog", "registry", "list", "head", "get"."""
    method: str
    path: str
    body: Any = None
    status: int = 200


def make_certificates(folder: Path) -> tuple[Path, Path, Path]:
    """A throwaway CA and a server certificate for IP:127.0.0.1, made with the openssl CLI.

    Returns (ca.pem, server.pem, server.key)."""
    ca_key, ca, key, csr, cert, ext = (folder / n for n in ("ca.key", "ca.pem", "server.key", "server.csr", "server.pem", "ext.cnf"))
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]

    def run(*args: str) -> None:
        subprocess.run(["openssl", *args], check=True, capture_output=True, timeout=30)

    run("req", "-x509", *ec, "-keyout", str(ca_key), "-out", str(ca), "-days", "2", "-subj", "/CN=foundry-chat test CA",
        "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", *ec, "-keyout", str(key), "-out", str(csr), "-subj", "/CN=127.0.0.1")
    ext.write_text("subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n")
    run("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key), "-CAcreateserial",
        "-out", str(cert), "-days", "2", "-extfile", str(ext))
    return ca, cert, key


@dataclass
class FoundryMirror:
    """Start with `with FoundryMirror(...) as mirror:`; read `catalog_url`, `region`, `ca_file`, `env()`."""

    alias: str = "tiny-chat-test"
    model_dir: Path = BUNDLED_MODEL_PATH
    variants: tuple[str, ...] = ("cpu",)
    bytes_per_second: float | None = None
    pad_bytes: int = 0
    pad_blob_bytes: int = 256 * 1024
    fail_blob: str | None = None
    fail_times: int = 0
    advertised_bytes: int | None = None
    ignore_device_filter: bool = False
    context_length: int = 512
    display_name: str = "Tiny Chat (test mirror)"
    requests: list[MirrorRequest] = field(default_factory=list)
    failures_served: int = 0

    def __post_init__(self) -> None:
        self._tmp = Path(tempfile.mkdtemp(prefix="foundry-mirror-"))
        self._lock = threading.Lock()
        self._servers: list[ThreadingHTTPServer] = []
        self.http_port = 0
        self.tls_port = 0
        self.ca_file = self._tmp / "ca.pem"
        self._blobs: dict[str, Path] = {}
        self._next_send = 0.0

    # -- what it serves ---------------------------------------------------------------------
    @property
    def variant_list(self) -> list[Variant]:
        return [Variant(d, f"{self.alias}-{d}") for d in self.variants]

    @property
    def catalog_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}/asset-gallery/v1.0/models"

    @property
    def region(self) -> str:
        return f"127.0.0.1:{self.tls_port}/shim"

    @property
    def model_bytes(self) -> int:
        return sum(p.stat().st_size for p in self._blobs.values())

    def env(self) -> dict[str, str]:
        """What an app (or `load_settings`) needs to use this mirror."""
        return {
            "MODEL": self.alias,
            "FOUNDRY_CATALOG_URL": self.catalog_url,
            "FOUNDRY_CATALOG_REGION": self.region,
            "SSL_CERT_FILE": str(self.ca_file),
        }

    def entry(self, variant: Variant) -> dict[str, Any]:
        size = self.advertised_bytes if self.advertised_bytes is not None else self.model_bytes
        return {
            "assetId": variant.asset_id,
            "annotations": {
                "systemCatalogData": {
                    "alias": self.alias,
                    "displayName": self.display_name,
                    "inferenceTasks": ["chat-completion"],
                    "license": "MIT",
                    "modelLimits": {"textLimits": {"inputContextWindow": self.context_length, "maxOutputTokens": 256}},
                }
            },
            "properties": {
                "name": variant.name,
                "version": "1",
                "variantInfo": {
                    "variantMetadata": {
                        "device": variant.device,
                        "executionProvider": variant.execution_provider,
                        "modelType": "ONNX",
                        "fileSizeBytes": size,
                    }
                },
            },
        }

    def _matching(self, filters: list[dict[str, Any]]) -> list[dict[str, Any]]:
        out = []
        for variant in self.variant_list:
            ok = True
            for f in filters:
                fieldname, values = f.get("field", ""), [str(v).strip('"') for v in f.get("values", [])]
                if fieldname == "name" and variant.name not in values:
                    ok = False
                elif not self.ignore_device_filter and fieldname.endswith("variantMetadata/device") and variant.device not in values:
                    ok = False
                elif (
                    not self.ignore_device_filter
                    and fieldname.endswith("variantMetadata/executionProvider")
                    and variant.execution_provider not in values
                ):
                    ok = False
            if ok:
                out.append(self.entry(variant))
        return out

    def count(self, service: str) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.service == service)

    def _record(self, request: MirrorRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def _should_fail(self, blob: str) -> bool:
        with self._lock:
            if self.fail_blob == blob and self.failures_served < self.fail_times:
                self.failures_served += 1
                return True
            return False

    def _reserve(self, size: int) -> float:
        """Seconds to wait before sending `size` bytes: one bandwidth budget for all connections."""
        assert self.bytes_per_second
        with self._lock:
            now = time.monotonic()
            start = max(now, self._next_send)
            self._next_send = start + size / self.bytes_per_second
            return self._next_send - now

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> FoundryMirror:
        for path in sorted(self.model_dir.iterdir()):
            if path.is_file():
                self._blobs[path.name] = path
        # Padding as several blobs: the runtime fetches blobs one at a time and reports progress per
        # finished chunk, so many small blobs give a progress bar that moves steadily.
        left, index = self.pad_bytes, 0
        while left > 0:
            size = min(left, self.pad_blob_bytes)
            pad = self._tmp / PAD_BLOB.format(index)
            with pad.open("wb") as fh:
                fh.truncate(size + index)  # distinct sizes keep the runtime's smallest-first order stable
            self._blobs[pad.name] = pad
            left, index = left - size, index + 1
        _, cert, key = make_certificates(self._tmp)
        handler = _handler(self)
        plain = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        tls = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        tls.socket = context.wrap_socket(tls.socket, server_side=True)
        for server in (plain, tls):
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, name="foundry-mirror", daemon=True).start()
            self._servers.append(server)
        self.http_port, self.tls_port = plain.server_address[1], tls.server_address[1]
        return self

    def stop(self) -> None:
        for server in self._servers:
            server.shutdown()
            server.server_close()
        self._servers.clear()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> FoundryMirror:
        return self.start()

    def __exit__(self, *_: object) -> None:
        self.stop()


def _handler(mirror: FoundryMirror) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # quiet: tests read `mirror.requests`
            pass

        def _send(self, status: int, body: bytes, content_type: str, extra: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def _json(self, status: int, payload: object) -> None:
            self._send(status, json.dumps(payload).encode(), "application/json")

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            body = json.loads(raw or b"{}")
            if not urlsplit(self.path).path.endswith("/asset-gallery/v1.0/models"):
                mirror._record(MirrorRequest("catalog", "POST", self.path, body, 404))
                self._json(404, {"error": "not found"})
                return
            mirror._record(MirrorRequest("catalog", "POST", self.path, body))
            value = mirror._matching(body.get("filters", []))
            self._json(200, {"value": value, "continuationToken": "", "totalCount": len(value)})

        def do_HEAD(self) -> None:
            self._blob(head=True)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if "modelregistry" in url.path:
                asset = unquote(parse_qs(url.query).get("assetId", [""])[0])
                match = [v for v in mirror.variant_list if v.asset_id == asset]
                mirror._record(MirrorRequest("registry", "GET", self.path, asset, 200 if match else 404))
                if not match:
                    self._json(404, {"error": f"no asset {asset}"})
                    return
                sas = f"http://127.0.0.1:{mirror.http_port}/{REGISTRY}/{match[0].name}?sv=2026-10-06&sig=FAKE"
                self._json(200, {"blobSasUri": sas, "modelEntity": {"description": mirror.display_name}})
                return
            self._blob(head=False)

        def _blob(self, head: bool) -> None:
            url = urlsplit(self.path)
            parts = [p for p in url.path.split("/") if p]
            query = parse_qs(url.query)
            names = {v.name for v in mirror.variant_list}
            if len(parts) < 2 or parts[0] != REGISTRY or parts[1] not in names:
                mirror._record(MirrorRequest("blob", self.command, self.path, status=404))
                self._send(404, b"", "text/plain")
                return
            if len(parts) == 2 and query.get("comp") == ["list"]:
                mirror._record(MirrorRequest("list", "GET", self.path))
                blobs = "".join(
                    f"<Blob><Name>{n}</Name><Properties><Content-Length>{p.stat().st_size}</Content-Length>"
                    f"<BlobType>BlockBlob</BlobType></Properties></Blob>"
                    for n, p in mirror._blobs.items()
                )
                xml = f'<?xml version="1.0" encoding="utf-8"?><EnumerationResults><Blobs>{blobs}</Blobs><NextMarker/></EnumerationResults>'
                self._send(200, xml.encode(), "application/xml")
                return
            name = "/".join(parts[2:])
            path = mirror._blobs.get(name)
            if path is None:
                mirror._record(MirrorRequest("head" if head else "get", self.command, self.path, status=404))
                self._send(404, b"", "text/plain")
                return
            size = path.stat().st_size
            headers = {
                "x-ms-creation-time": formatdate(usegmt=True),
                "x-ms-server-encrypted": "true",
                "x-ms-blob-type": "BlockBlob",
                "Last-Modified": formatdate(usegmt=True),
                "ETag": f'"0x{size:X}"',
                "Accept-Ranges": "bytes",
            }
            if head:
                mirror._record(MirrorRequest("head", "HEAD", self.path))
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(size))  # the blob's length; HEAD sends no body
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                return
            if mirror._should_fail(name):
                mirror._record(MirrorRequest("get", "GET", self.path, status=500))
                self._send(500, b"mirror: injected failure", "text/plain")
                return
            rng = self.headers.get("x-ms-range") or self.headers.get("Range")
            start, end = 0, size - 1
            status = 200
            if rng and rng.startswith("bytes="):
                a, _, b = rng[6:].partition("-")
                start, end = int(a), min(int(b) if b else size - 1, size - 1)
                status = 206
                headers["Content-Range"] = f"bytes {start}-{end}/{size}"
            mirror._record(MirrorRequest("get", "GET", self.path, rng, status))
            with path.open("rb") as fh:
                fh.seek(start)
                data = fh.read(end - start + 1)
            self.send_response(status)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self._write_throttled(data)

        def _write_throttled(self, data: bytes) -> None:
            rate = mirror.bytes_per_second
            if not rate:
                self.wfile.write(data)
                return
            step = max(1024, int(rate / 20))  # ~20 writes a second
            for i in range(0, len(data), step):
                piece = data[i : i + step]
                time.sleep(mirror._reserve(len(piece)))
                self.wfile.write(piece)
                self.wfile.flush()

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alias", default="tiny-chat-test")
    parser.add_argument("--rate", type=float, default=None, help="bytes per second (a slow download)")
    parser.add_argument("--pad", type=int, default=0, help="extra bytes to serve as padding.bin")
    parser.add_argument("--variants", default="cpu", help="comma-separated: cpu,gpu")
    args = parser.parse_args()
    with FoundryMirror(
        alias=args.alias, bytes_per_second=args.rate, pad_bytes=args.pad, variants=tuple(args.variants.split(","))
    ) as mirror:
        print(json.dumps(mirror.env()), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
