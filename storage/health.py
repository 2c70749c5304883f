"""How the database is doing: failed reads and writes, counted, logged once per burst, summarized for /readyz."""

from __future__ import annotations

import logging
import time
from typing import Any

__all__ = ["RECENT_WRITE_FAILURE_S", "PersistenceError", "StorageHealth"]

log = logging.getLogger("foundry_chat.storage")
RECENT_WRITE_FAILURE_S = 60.0
LOG_EVERY_S = 10.0
_WRITE_VERBS = ("insert", "update", "delete")


class PersistenceError(Exception):
    """A database read or write failed. The message is for users; `detail` (the driver's error) for operators."""

    def __init__(self, detail: str) -> None:
        super().__init__("the chat database is not available")
        self.detail = detail


def is_write(query: str) -> bool:
    return query.lstrip().lower().startswith(_WRITE_VERBS)


class StorageHealth:
    def __init__(self) -> None:
        self.failed_writes = 0
        self.failed_reads = 0
        self.refused = 0
        self.reads_failing = False
        self.last_error: str | None = None
        self.last_error_at: float | None = None
        self.last_write_error_at: float | None = None
        self.last_ok_at: float | None = None
        self._last_logged = float("-inf")

    def failure(self, query: str, exc: BaseException) -> PersistenceError:
        """Record a failed statement; the error to raise."""
        write = is_write(query)
        summary = (f"{type(exc).__name__}: {exc}".splitlines() or [type(exc).__name__])[0][:300]
        self.last_error, self.last_error_at = summary, time.time()
        if write:
            self.failed_writes += 1
            self.last_write_error_at = self.last_error_at
        else:
            self.failed_reads += 1
            self.reads_failing = True
        now = time.monotonic()
        if now - self._last_logged >= LOG_EVERY_S:  # one line per burst; the counters have the rest
            self._last_logged = now
            log.error(
                "storage: database %s failed (%d writes, %d reads failed so far): %s",
                "write" if write else "read",
                self.failed_writes,
                self.failed_reads,
                summary,
            )
        return PersistenceError(summary)

    def success(self, query: str) -> None:
        if not is_write(query):
            self.reads_failing = False
        self.last_ok_at = time.time()

    def summary(self) -> dict[str, Any]:
        """`ok`: the last read worked and no write failed in the last `RECENT_WRITE_FAILURE_S` seconds.

        A window, not "the last write worked": with one table broken, writes to the others still
        succeed, and an idle app must not stay unready forever after an outage. Counters never reset.
        """
        recent = (
            self.last_write_error_at is not None and time.time() - self.last_write_error_at < RECENT_WRITE_FAILURE_S
        )
        ok = not self.reads_failing and not recent
        if ok:
            detail = "ok"
        elif self.reads_failing:
            detail = f"cannot read the chat database: {self.last_error}"
        else:
            window = f"{RECENT_WRITE_FAILURE_S:.0f} s"
            detail = f"writes failed in the last {window} ({self.failed_writes} so far): {self.last_error}"
        return {
            "ok": ok,
            "detail": detail,
            "failed_writes": self.failed_writes,
            "failed_reads": self.failed_reads,
            "last_error": self.last_error,
            "last_error_at": _iso(self.last_error_at),
            "last_ok_at": _iso(self.last_ok_at),
            "refused": self.refused,
        }


def _iso(ts: float | None) -> str | None:
    return None if ts is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))
