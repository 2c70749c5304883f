"""Persisted conversations, login and per-user isolation on Chainlit's SQLAlchemy data layer.

| module | what lives there |
|---|---|
| `settings` | `CHAT_DB_URL`, `AUTH_USERS_FILE`, `AUTH_TRUSTED_HEADER`; refuses `DATABASE_URL` |
| `schema` | the tables Chainlit 2.12 needs, created and migrated at startup (`ensure_schema`) |
| `data_layer` | `FoundryDataLayer`: failed writes counted and reported, ownership checked, no secrets stored |
| `health` | failed reads and writes: counted, logged once per burst, summarized for `/readyz` |
| `turns` | the user's message before the answer is shown, the answer while it streams, interrupted answers, resume |
| `writer` | one writer per process: every session's writes batched into one transaction |
| `lane` | Chainlit's own writes held off the first token's path, committed with the app's next write |
| `thread_writes`, `thread_reads`, `thread_changes` | the one commit path of threads and steps; what is read back; a thread's upsert |
| `guard` | who is asking (socket session or HTTP request) |
| `sanitize` | what of a user session may be stored |
| `users`, `auth` | the users file (Argon2id), login callbacks, auth settings checks |
| `search` | full-text search over messages: SQLite FTS5 / PostgreSQL tsvector, kept by the database |
| `export`, `importer`, `import_writer`, `history_routes` | export (JSON, Markdown), import (ours, ChatGPT), `/export`, `/import` |

See docs/persistence.md.
"""

import importlib
from typing import Any

_EXPORTS = {
    "Authenticator": "storage.auth",
    "FoundryDataLayer": "storage.data_layer",
    "INTERRUPTED_MARK": "storage.turns",
    "IsolationError": "storage.data_layer",
    "PersistenceError": "storage.health",
    "Restored": "storage.turns",
    "SchemaError": "storage.schema",
    "StorageSettings": "storage.settings",
    "TurnRecorder": "storage.turns",
    "acting_as": "storage.guard",
    "caller": "storage.guard",
    "check_auth_settings": "storage.auth",
    "ensure_local_secret": "storage.auth",
    "ensure_schema": "storage.schema",
    "install_http_guard": "storage.guard",
    "load_storage_settings": "storage.settings",
    "mark_interrupted": "storage.turns",
    "prepare_database": "storage.startup",
    "prepare_database_sync": "storage.startup",
    "restore_session": "storage.turns",
    "run_heartbeat": "storage.lease",
    "sanitize_session_metadata": "storage.sanitize",
}


__all__ = [
    "INTERRUPTED_MARK",
    "Authenticator",
    "FoundryDataLayer",
    "IsolationError",
    "PersistenceError",
    "Restored",
    "SchemaError",
    "StorageSettings",
    "TurnRecorder",
    "acting_as",
    "caller",
    "check_auth_settings",
    "ensure_local_secret",
    "ensure_schema",
    "install_http_guard",
    "load_storage_settings",
    "mark_interrupted",
    "prepare_database",
    "prepare_database_sync",
    "restore_session",
    "run_heartbeat",
    "sanitize_session_metadata",
]


def __getattr__(name: str) -> Any:
    # Lazy, so `storage.users` (scripts/add_user.py) does not import Chainlit.
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'storage' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
