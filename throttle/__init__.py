"""Limits on what one client may take: sign-in attempts, chat sessions, answers, /v1 concurrency.

Every limit, its default and its metric: docs/limits.md. The counting is pure (`counters.py`);
`hooks.py` puts it in front of Chainlit's socket.io events; the sign-in and /v1 routes ask
`Limits` (on `app.state.limits`) themselves.
"""

from __future__ import annotations

from typing import Any

from config import LimitSettings

from .counters import CONCURRENT_CHECKS_PER_ADDRESS, InFlight, LoginThrottle, LoginVerdict

__all__ = ["CONCURRENT_CHECKS_PER_ADDRESS", "InFlight", "Limits", "LoginThrottle", "LoginVerdict", "client_address"]


class Limits:
    """The process's limit state, built once from the settings."""

    def __init__(self, settings: LimitSettings) -> None:
        from health import metrics

        self.settings = settings
        self.login = LoginThrottle(settings.login_failures, settings.login_failures_per_address, settings.login_window)
        self.sessions = InFlight(settings.sessions_per_client)
        self.v1 = InFlight(settings.v1_concurrency)
        for name, value in (
            ("login_failures", settings.login_failures),
            ("login_failures_per_address", settings.login_failures_per_address),
            ("login_window_seconds", settings.login_window),
            ("login_concurrent_per_address", CONCURRENT_CHECKS_PER_ADDRESS),
            ("sessions_per_client", settings.sessions_per_client),
            ("answers_per_chat", 1),
            ("v1_concurrency", settings.v1_concurrency),
        ):
            metrics.LIMIT.labels(name).set(value)


def client_address(scope: Any) -> str:
    """The client's address from an ASGI scope (uvicorn has applied X-Forwarded-For from trusted proxies)."""
    client = scope.get("client") if isinstance(scope, dict) else None
    if client and isinstance(client[0], str) and client[0]:
        return client[0]
    return "unknown"
