"""Chainlit's own floor for time to first token: an app that answers at once, with no backend.

bench/bench_ttft.py measures the time from sending a message to receiving the first answer text
through this app; whatever a real app adds over its backend cannot be less than this, since every
message goes through Chainlit's handler (task_start, message bookkeeping, a 1 ms sleep, stream_start).

    .venv/bin/chainlit run bench/baseline/echo.py --port 8091 --headless
"""

from __future__ import annotations

import chainlit as cl
from chainlit.server import app
from fastapi.responses import JSONResponse


async def _ok() -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


for _path in ("/healthz", "/readyz"):
    app.add_api_route(_path, _ok, methods=["GET"], include_in_schema=False)
_ours = [r for r in app.router.routes if getattr(r, "path", None) in ("/healthz", "/readyz")]
app.router.routes[:] = _ours + [r for r in app.router.routes if r not in _ours]


@cl.on_message
async def main(message: cl.Message) -> None:
    msg = cl.Message(content="")
    await msg.stream_token("Hello")
    await msg.stream_token(" there.")
    await msg.send()
