"""Logging: plain lines or JSON (`LOG_FORMAT=json`), with the request id of the message being answered.

Applied to the app's loggers and to Chainlit's, uvicorn's and the HTTP client's, so one format
covers the process. A filter adds `request_id` (a context variable set per message) to every
record. Secrets never reach a log: settings log through `Settings.safe_summary()`, and prompt
text is logged at INFO only with `LOG_PROMPTS=1`.
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
import time

from config import Settings
from security.masking import scrub

__all__ = ["REQUEST_ID", "setup_logging"]

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_OTHER_LOGGERS = ("chainlit", "uvicorn", "uvicorn.error", "uvicorn.access", "httpx2", "httpx", "openai")


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class _ScrubFilter(logging.Filter):
    """Masks credentials in every URL a record mentions (the HTTP client logs each request's URL)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose args do not fit its format: leave it to the formatter
            return True
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def _scrub_everywhere(handler: logging.Handler) -> None:
    """Our handler, the root's and every other library logger's handlers all mask URLs."""
    handlers = {handler, *logging.getLogger().handlers}
    for name in _OTHER_LOGGERS:
        handlers.update(logging.getLogger(name).handlers)
    for h in handlers:
        if not any(isinstance(f, _ScrubFilter) for f in h.filters):
            h.addFilter(_ScrubFilter())


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "-")
        if request_id != "-":
            payload["request_id"] = request_id
        if record.exc_info:
            payload["exc"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False, default=str)


def setup_logging(settings: Settings) -> None:
    ours = logging.getLogger("foundry_chat")
    if getattr(ours, "_foundry_chat_configured", False):
        return  # `chainlit run -w` reloads the module: configure once
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_RequestIdFilter())
    if settings.log_format == "json":
        handler.setFormatter(JsonFormatter())
        for name in _OTHER_LOGGERS:
            other = logging.getLogger(name)
            other.handlers = [handler]
            other.propagate = False
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)-7s %(name)s [%(request_id)s] %(message)s"))
    ours.addHandler(handler)
    _scrub_everywhere(handler)
    ours.setLevel(settings.log_level)
    ours.propagate = False
    ours._foundry_chat_configured = True  # type: ignore[attr-defined]
