"""Which app processes are alive on this database: a row per process, renewed while it runs.

Each process writes `app_processes(id=BOOT_ID, host, pid, heartbeatAt)` at startup and renews
`heartbeatAt` every `HEARTBEAT_S`. An answer left "pending"/"streaming" belongs to the process whose
`BOOT_ID` its checkpoint carries (`metadata.turn.boot`); the start-up sweep (and the periodic one)
marks it interrupted only when that process is gone: no row, a heartbeat older than `LEASE_S`, or
(on this host) its pid no longer running. Another live replica's answers are left alone.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from pathlib import Path
from typing import Any

log = logging.getLogger("foundry_chat.storage")

__all__ = ["HEARTBEAT_S", "HOST", "LEASE_S", "heartbeat", "live_owners", "register", "run_heartbeat"]

LEASE_S = 30.0
"""A process whose heartbeat is older than this is gone (its open answers may be marked interrupted)."""
HEARTBEAT_S = 10.0
"""How often a running process renews its lease (and sweeps answers of processes that are gone)."""
_FORGET_S = 24 * 3600.0
"""Rows of processes gone this long are deleted."""


def _host() -> str:
    try:
        boot = Path("/proc/sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        boot = ""
    return f"{socket.gethostname()}:{boot}" if boot else socket.gethostname()


HOST = _host()
"""This machine (host name and kernel boot id): a pid is only meaningful on the same one."""


def _boot_id() -> str:
    from storage.turns import BOOT_ID

    return BOOT_ID


async def register(layer: Any) -> None:
    """Record this process (or renew its row) as alive now."""
    boot = _boot_id()
    await layer._run('DELETE FROM app_processes WHERE "id" = :id', {"id": boot})
    await layer._run(
        'INSERT INTO app_processes ("id", "host", "pid", "startedAt", "heartbeatAt") '
        "VALUES (:id, :host, :pid, :at, :hb)",
        {"id": boot, "host": HOST, "pid": os.getpid(), "at": int(time.time()), "hb": int(time.time())},
    )


async def heartbeat(layer: Any) -> None:
    """Renew this process's lease (re-register when the row was removed)."""
    changed = await layer._run(
        'UPDATE app_processes SET "heartbeatAt" = :hb WHERE "id" = :id', {"id": _boot_id(), "hb": int(time.time())}
    )
    if not changed:
        await register(layer)


def _pid_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


async def live_owners(layer: Any, *, lease: float = LEASE_S) -> set[str]:
    """BOOT_IDs of the processes still alive on this database (this one included)."""
    now = time.time()
    found = await layer._run('SELECT "id", "host", "pid", "heartbeatAt" FROM app_processes', {})
    alive = {_boot_id()}
    stale: list[str] = []
    for row in found:
        beat = float(row["heartbeatAt"] or 0)
        if now - beat > lease:
            if now - beat > _FORGET_S:
                stale.append(row["id"])
            continue
        if row["host"] == HOST and row["pid"] is not None and not _pid_running(int(row["pid"])):
            continue  # killed on this machine: gone before its lease ran out
        alive.add(row["id"])
    for boot in stale:
        await layer._run('DELETE FROM app_processes WHERE "id" = :id', {"id": boot})
    return alive


async def run_heartbeat(layer: Any, *, every: float = HEARTBEAT_S) -> None:
    """Forever: renew the lease, then mark answers of processes that are gone (a replica killed elsewhere)."""
    from storage.data_layer import PersistenceError
    from storage.turns import mark_interrupted

    while True:
        try:
            await heartbeat(layer)
            await mark_interrupted(layer)
        except PersistenceError as exc:
            log.warning("storage: heartbeat failed: %s", exc)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # never let the loop die: the lease would lapse
            log.error("storage: heartbeat failed: %r", exc)
        await asyncio.sleep(every)
