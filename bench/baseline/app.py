"""The baseline for bench/bench_concurrency.py: a chat app written the way the original tutorial does it.

A synchronous `openai.OpenAI` client iterated inside the async `on_message` handler, no history.
Every blocking read (waiting for the first token, then for each next chunk) stalls the one event
loop that serves every user. Do not copy this; it is here only to be measured against.

    BASE_URL=http://127.0.0.1:8001/v1 .venv/bin/chainlit run bench/baseline/app.py --port 8090 --headless

`/healthz` and `/readyz` are placed ahead of Chainlit's catch-all page route (as our server.py does)
so that the benchmark's probe works the same against both apps.
"""

from __future__ import annotations

import os

import chainlit as cl
from chainlit.server import app
from fastapi.responses import JSONResponse
from openai import OpenAI

client = OpenAI(base_url=os.environ["BASE_URL"], api_key=os.environ.get("API_KEY") or "not-needed")
MODEL = os.environ.get("MODEL", "test-model")


async def _ok() -> JSONResponse:
    return JSONResponse({"status": "ok"}, headers={"Cache-Control": "no-store"})


for _path in ("/healthz", "/readyz"):
    app.add_api_route(_path, _ok, methods=["GET"], include_in_schema=False)
# Move ours ahead of Chainlit's `GET /{full_path:path}`, which would otherwise answer with the page.
_ours = [r for r in app.router.routes if getattr(r, "path", None) in ("/healthz", "/readyz")]
app.router.routes[:] = _ours + [r for r in app.router.routes if r not in _ours]


@cl.on_message
async def main(message: cl.Message) -> None:
    msg = cl.Message(content="")
    stream = client.chat.completions.create(
        model=MODEL,
        messages=[
            {"role": "system", "content": "You are a helpful assistant."},
            {"role": "user", "content": message.content},
        ],
        stream=True,
    )
    for part in stream:
        if part.choices and (token := part.choices[0].delta.content or ""):
            await msg.stream_token(token)
    await msg.send()
