"""Loaded by an app under test whose PYTHONPATH starts here: each Engine.IO socket's writer task waits
LAGGING_SOCKET_WRITER_S seconds before it takes the next batch of frames from its queue.

A loaded event loop gets to the writer late; this makes "late" certain, so a shutdown that closes the
websockets while frames are still queued loses them every time instead of once in a few hundred runs.
"""

import asyncio
import os
import sys

from engineio import async_socket

_LAG = float(os.environ.get("LAGGING_SOCKET_WRITER_S", "0.3"))
_poll = async_socket.AsyncSocket.poll


async def _lagging_poll(self: async_socket.AsyncSocket) -> object:
    await asyncio.sleep(_LAG)
    return await _poll(self)


async_socket.AsyncSocket.poll = _lagging_poll  # type: ignore[method-assign]
print(f"test fault: socket writers lag {_LAG}s", file=sys.stderr, flush=True)
