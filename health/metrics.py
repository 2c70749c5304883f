"""Prometheus metrics (prometheus-client), in the process-wide default registry.

Declared in one place; the router, the chat handler and the engine record into them, and
`/metrics` serves them in the text exposition format.
"""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "ABANDONED_ANSWERS",
    "ACTIVE_STREAMS",
    "BREAKER_STATE",
    "CHATS",
    "ERRORS",
    "FALLBACKS",
    "HELD_FRAMES",
    "HTTP_REFUSED",
    "LIMIT",
    "LIMIT_REFUSALS",
    "LOGIN_ATTEMPTS",
    "MESSAGES",
    "MODEL_DOWNLOAD_PROGRESS",
    "MODEL_LOAD_SECONDS",
    "OPEN_SESSIONS",
    "PRIVACY_FINDINGS",
    "PRIVACY_SCAN_SECONDS",
    "PRIVACY_VERDICTS",
    "ROUTE_DECISIONS",
    "TOKENS_PER_SECOND",
    "TTFT_SECONDS",
    "V1_IN_FLIGHT",
]

CHATS = Counter("foundry_chat_chats", "Chat sessions started")
MESSAGES = Counter("foundry_chat_messages", "User messages answered, by target and outcome", ["target", "outcome"])
ROUTE_DECISIONS = Counter(
    "foundry_chat_route_decisions", "Routing decisions, by the target that answered", ["target", "policy", "outcome"]
)
FALLBACKS = Counter("foundry_chat_fallbacks", "Answers moved to another target", ["from_target", "to_target"])
ERRORS = Counter("foundry_chat_errors", "Failures by target and error kind", ["target", "kind"])
BREAKER_STATE = Gauge("foundry_chat_breaker_state", "Circuit breaker per target: 0 closed, 1 half-open, 2 open", ["target"])
ACTIVE_STREAMS = Gauge("foundry_chat_active_streams", "Answers streaming right now")
TTFT_SECONDS = Histogram(
    "foundry_chat_time_to_first_token_seconds",
    "Time from the user's message to the first token",
    ["target"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
TOKENS_PER_SECOND = Histogram(
    "foundry_chat_tokens_per_second",
    "Generation speed of each answer",
    ["target"],
    buckets=(1, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000),
)
MODEL_LOAD_SECONDS = Gauge("foundry_chat_model_load_seconds", "How long the local model took to load")
MODEL_DOWNLOAD_PROGRESS = Gauge(
    "foundry_chat_model_download_progress", "The local model's download, 0 to 1 (1 once it is on disk)"
)
PRIVACY_VERDICTS = Counter(
    "foundry_chat_privacy_verdicts", "Privacy scans of turns that could reach the cloud, by result", ["result"]
)
PRIVACY_FINDINGS = Counter("foundry_chat_privacy_findings", "Turns kept local, by kind of data found", ["kind"])
PRIVACY_SCAN_SECONDS = Histogram(
    "foundry_chat_privacy_scan_seconds",
    "Time the privacy guard added to a turn",
    buckets=(0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3),
)
ABANDONED_ANSWERS = Counter(
    "foundry_chat_abandoned_answers", "Answers stopped because their browser stayed away past DISCONNECT_GRACE"
)
HELD_FRAMES = Counter(
    "foundry_chat_held_frames", "Answer frames held back because the browser was not reading (sent later as one)"
)
HTTP_REFUSED = Counter(
    "foundry_chat_http_refused", "Requests refused before any route ran (security/), by reason: host, observability, body", ["reason"]
)

# Limits (docs/limits.md): the configured values, what is in use, and what was refused.
LIMIT = Gauge("foundry_chat_limit", "A configured limit (0: off)", ["limit"])
LIMIT_REFUSALS = Counter(
    "foundry_chat_limit_refusals",
    "Requests refused by a limit: login_account, login_address, login_concurrent, sessions_per_client, "
    "chat_busy, v1_concurrency",
    ["limit"],
)
LOGIN_ATTEMPTS = Counter("foundry_chat_login_attempts", "Password sign-ins checked against a hash, by result", ["result"])
OPEN_SESSIONS = Gauge("foundry_chat_open_sessions", "Chat sessions (socket.io connections) open right now")
V1_IN_FLIGHT = Gauge("foundry_chat_v1_in_flight", "/v1/chat/completions requests being answered right now")
