"""Persistence and authentication settings: `CHAT_DB_URL`, `AUTH_USERS_FILE`, `AUTH_TRUSTED_HEADER`.

Both sign-in modes at once (`AUTH_HEADER_AND_PASSWORD=on`) must be asked for: with both set, anyone
who can send the header is signed in without a password.

Read once at startup, like `config.load_settings`; a bad value raises `ConfigError` whose message
is one line naming the variable. Two variables are refused outright, because Chainlit reads them
itself and would silently change where chats go:

- `DATABASE_URL`: with no `@cl.data_layer` registered, Chainlit switches to its own Postgres-only
  data layer (a different schema). This app stores chats at `CHAT_DB_URL` only.
- `LITERAL_API_KEY`: likewise switches Chainlit to the Literal AI cloud data layer, which would
  send every conversation off the machine.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from config import PROJECT_ROOT, ConfigError
from security.masking import safe_url  # the one masking function, re-exported for storage's callers

__all__ = [
    "DEFAULT_DB_URL",
    "DEFAULT_BIND_HOST",
    "LOCAL_USER",
    "MIN_SECRET_CHARS",
    "StorageSettings",
    "is_loopback",
    "load_storage_settings",
    "safe_url",
]

DEFAULT_DB_URL = f"sqlite+aiosqlite:///{PROJECT_ROOT / 'data' / 'chat.db'}"
DEFAULT_BIND_HOST = "127.0.0.1"
"""Chainlit's own default when `--host`/`CHAINLIT_HOST` is not given."""
LOCAL_USER = "local"
"""The one user of single-user local mode (auth off): every visitor is this user."""
MIN_SECRET_CHARS = 32
_OFF = {"off", "none", "false", "0", "disabled"}
_ON = {"on", "true", "1", "yes"}
_HEADER = re.compile(r"^[A-Za-z0-9][A-Za-z0-9-]{0,63}$")
_FORBIDDEN_HEADERS = {
    "cookie",
    "authorization",
    "host",
    "content-type",
    "content-length",
    "origin",
    "referer",
    "user-agent",
}
_REFUSED = {
    "DATABASE_URL": "Chainlit would read it and switch to its own Postgres-only data layer",
    "LITERAL_API_KEY": "Chainlit would read it and send every conversation to the Literal AI cloud",
}


@dataclass(frozen=True)
class StorageSettings:
    db_url: str | None = DEFAULT_DB_URL
    """SQLAlchemy async URL; None when persistence is off (`CHAT_DB_URL=off`)."""
    users_file: Path | None = None
    """Password login from this users file (`AUTH_USERS_FILE`)."""
    trusted_header: str | None = None
    """Login by this request header, set by an authenticating proxy (`AUTH_TRUSTED_HEADER`)."""
    local_history: str = "auto"
    """Auth off: sign every visitor in as one implicit user so past chats are listed (`LOCAL_HISTORY`):
    "on", "off", or "auto" (the default: on when the server is bound to loopback)."""
    bind_host: str = DEFAULT_BIND_HOST
    """The address the server listens on (`CHAINLIT_HOST`, which `chainlit run --host` sets)."""

    @property
    def auth_on(self) -> bool:
        return self.users_file is not None or self.trusted_header is not None

    @property
    def local_mode(self) -> bool:
        """Auth off, persistence on, and LOCAL_HISTORY=on (or auto and bound to loopback): one implicit
        user, so the sidebar lists past chats and they resume. Every client then signs in first (the
        page does it by itself; others `POST /auth/header`). Never by default on a non-loopback
        address: every visitor would read every saved chat."""
        if self.auth_on or self.db_url is None or self.local_history == "off":
            return False
        return self.local_history == "on" or is_loopback(self.bind_host)

    def history_note(self) -> str | None:
        """Why the sidebar has no history although chats are stored (for the startup log); None otherwise."""
        if self.auth_on or self.db_url is None or self.local_mode:
            return None
        if self.local_history == "off":
            return "LOCAL_HISTORY=off: chats are stored, but the sidebar lists none"
        return (
            f"bound to {self.bind_host} without sign-in: chats are stored but the sidebar lists none, because "
            "every visitor would read every saved chat; turn sign-in on (AUTH_USERS_FILE) or set LOCAL_HISTORY=on"
        )

    @property
    def secret_file(self) -> Path:
        """Where local mode keeps the generated CHAINLIT_AUTH_SECRET (next to a SQLite database)."""
        from storage.schema import sqlite_path

        path = sqlite_path(self.db_url) if self.db_url else None
        return (path.parent if path is not None else PROJECT_ROOT / "data") / "auth-secret"

    def summary(self) -> dict[str, object]:
        return {
            "db": safe_url(self.db_url) if self.db_url else "off",
            "auth": "+".join(m for m, on in (("password", self.users_file), ("header", self.trusted_header)) if on)
            or ("local-history" if self.local_mode else "off"),
        }


def is_loopback(host: str) -> bool:
    """Whether a bind address only accepts connections from this machine."""
    import ipaddress

    host = host.strip().strip("[]").lower()
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _get(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name)
    return raw.strip() or None if raw is not None else None


def _db_url(raw: str | None) -> str | None:
    if raw is None:
        return DEFAULT_DB_URL
    if raw.lower() in _OFF:
        return None
    example = "sqlite+aiosqlite:///data/chat.db or postgresql+asyncpg://user:password@host:5432/db"
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(f"CHAT_DB_URL must be a database URL such as {example}, or off") from None
    backend, _, driver = url.drivername.partition("+")
    if backend == "sqlite":
        if driver not in ("", "aiosqlite", "pysqlite"):
            raise ConfigError(f"CHAT_DB_URL: SQLite needs the aiosqlite driver ({example}), got {safe_url(raw)!r}")
        if not url.database or url.database == ":memory:" or url.database.startswith("file:"):
            raise ConfigError(
                f"CHAT_DB_URL must name a SQLite file ({example}); an in-memory database forgets every chat"
            )
        path = Path(url.database).expanduser()
        if not path.is_absolute():
            path = PROJECT_ROOT / path
        return url.set(drivername="sqlite+aiosqlite", database=str(path)).render_as_string(hide_password=False)
    if backend in ("postgresql", "postgres"):  # any driver named: this app talks to PostgreSQL through asyncpg
        return url.set(drivername="postgresql+asyncpg").render_as_string(hide_password=False)
    raise ConfigError(f"CHAT_DB_URL must be SQLite or PostgreSQL ({example}), got {safe_url(raw)!r}")


def load_storage_settings(env: Mapping[str, str]) -> StorageSettings:
    """Build the storage settings from `env`; the settings' own checks, no file access beyond `stat`."""
    for name, why in _REFUSED.items():
        if _get(env, name) is not None:
            raise ConfigError(
                f"{name} is set: {why}; unset it (this app stores chats at CHAT_DB_URL, e.g. "
                "CHAT_DB_URL=postgresql+asyncpg://user:password@host/db)"
            )
    raw_db = env.get("CHAT_DB_URL")
    db_url = _db_url(raw_db.strip() if raw_db is not None and raw_db.strip() else None)
    users_raw = _get(env, "AUTH_USERS_FILE")
    users_file = Path(users_raw).expanduser() if users_raw else None
    if users_file is not None and not users_file.is_absolute():
        users_file = PROJECT_ROOT / users_file
    header = _get(env, "AUTH_TRUSTED_HEADER")
    if header is not None and (not _HEADER.match(header) or header.lower() in _FORBIDDEN_HEADERS):
        raise ConfigError(
            "AUTH_TRUSTED_HEADER must be the name of the header your proxy sets, such as X-Forwarded-User, "
            f"got {header[:40]!r}"
        )
    both_raw = (_get(env, "AUTH_HEADER_AND_PASSWORD") or "off").lower()
    if both_raw not in _OFF | _ON:
        raise ConfigError(f"AUTH_HEADER_AND_PASSWORD must be on or off, got {both_raw[:40]!r}")
    if users_file is not None and header is not None and both_raw in _OFF:
        raise ConfigError(
            "AUTH_USERS_FILE and AUTH_TRUSTED_HEADER are both set: whoever sends the header is signed in "
            "without a password. Unset one, or set AUTH_HEADER_AND_PASSWORD=on if both are meant"
        )
    local_raw = (_get(env, "LOCAL_HISTORY") or "auto").lower()
    if local_raw not in _OFF | {"on", "true", "1", "yes", "auto"}:
        raise ConfigError(f"LOCAL_HISTORY must be auto, on or off, got {local_raw[:40]!r}")
    local = "auto" if local_raw == "auto" else "off" if local_raw in _OFF else "on"
    return StorageSettings(
        db_url=db_url,
        users_file=users_file,
        trusted_header=header,
        local_history=local,
        bind_host=_get(env, "CHAINLIT_HOST") or DEFAULT_BIND_HOST,
    )
