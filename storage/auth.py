"""Login: password (users file), trusted proxy header, or the implicit user of local mode.

Chainlit keeps the login in a signed JWT cookie (`access_token`, HS256 with
`CHAINLIT_AUTH_SECRET`, valid `user_session_timeout` seconds — 15 days by default); the callbacks
here only decide who logs in:

- `password_auth(username, password)`: `AUTH_USERS_FILE`; the hash check runs in a thread (it
  takes ~0.2 s of CPU and 64 MiB), at most `MAX_CONCURRENT_CHECKS` at a time.
- `header_auth(headers)`: `AUTH_TRUSTED_HEADER` names the header an authenticating proxy sets. Only
  safe behind a proxy that strips that header from client requests: anyone who can reach the app
  directly can send it and be anyone. A request carrying it twice is refused (401).
- `local_auth(headers)`: auth off, persistence on. Everyone who can reach the app is the single
  local user, so their threads can be listed and resumed. Chainlit needs a JWT secret for that;
  `ensure_local_secret` makes one and keeps it (mode 0600) so logins survive restarts.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import stat
from collections.abc import Mapping
from typing import Any

import chainlit as cl

from config import ConfigError
from storage.settings import LOCAL_USER, MIN_SECRET_CHARS, StorageSettings, load_storage_settings
from storage.users import UsersFileError, UserStore, normalize_name

__all__ = ["Authenticator", "check_auth_settings", "ensure_local_secret"]

log = logging.getLogger("foundry_chat.storage")
MAX_CONCURRENT_CHECKS = 2


def check_auth_settings(env: Mapping[str, str]) -> StorageSettings:
    """The storage settings, checked for what auth needs; ConfigError (one line) when it cannot start."""
    settings = load_storage_settings(env)
    if not settings.auth_on:
        return settings
    secret = (env.get("CHAINLIT_AUTH_SECRET") or "").strip()
    which = "AUTH_USERS_FILE" if settings.users_file else "AUTH_TRUSTED_HEADER"
    if not secret:
        raise ConfigError(
            f"CHAINLIT_AUTH_SECRET is required when {which} is set (it signs the login cookie): "
            "generate one with `.venv/bin/chainlit create-secret`"
        )
    if len(secret) < MIN_SECRET_CHARS:
        raise ConfigError(
            f"CHAINLIT_AUTH_SECRET is {len(secret)} characters; use at least {MIN_SECRET_CHARS} "
            "(anyone who guesses it can log in as anyone): `.venv/bin/chainlit create-secret`"
        )
    if settings.users_file is not None:
        try:
            users = UserStore(settings.users_file).users()
        except UsersFileError as exc:
            raise ConfigError(f"AUTH_USERS_FILE: {exc}") from None
        if not users:
            raise ConfigError(
                f"AUTH_USERS_FILE: {settings.users_file} has no users: add one with scripts/add_user.py NAME"
            )
        mode = settings.users_file.stat().st_mode
        if mode & (stat.S_IRWXG | stat.S_IRWXO):
            log.warning("storage: %s is readable by other users; chmod 600 it", settings.users_file)
    return settings


def ensure_local_secret(settings: StorageSettings, environ: Any = None) -> None:
    """In local mode, set CHAINLIT_AUTH_SECRET from a kept random secret unless it is already set."""
    environ = os.environ if environ is None else environ
    if not settings.local_mode or (environ.get("CHAINLIT_AUTH_SECRET") or "").strip():
        return
    path = settings.secret_file
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        secret = path.read_text(encoding="ascii").strip()
    else:
        secret = secrets.token_urlsafe(48)
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secret + "\n")
    if len(secret) < MIN_SECRET_CHARS:
        raise ConfigError(f"{path} holds no usable secret: delete it and restart")
    environ["CHAINLIT_AUTH_SECRET"] = secret


class Authenticator:
    """The callbacks `app.py` registers, for the modes `settings` turns on."""

    def __init__(self, settings: StorageSettings) -> None:
        self.settings = settings
        self.store = UserStore(settings.users_file) if settings.users_file else None
        self._checks = asyncio.Semaphore(MAX_CONCURRENT_CHECKS)

    async def password_auth(self, username: str, password: str) -> cl.User | None:
        if self.store is None:
            return None
        async with self._checks:
            try:
                ok = await asyncio.to_thread(self.store.verify, username, password)
            except UsersFileError as exc:
                log.error("storage: password login impossible: %s", exc)
                return None
        if not ok:
            log.info("storage: failed login for %r", username[:128])
            return None
        return cl.User(identifier=normalize_name(username), metadata={"provider": "password"})

    async def header_auth(self, headers: Mapping[str, str]) -> cl.User | None:
        if self.settings.trusted_header is None:
            return None
        name_of = self.settings.trusted_header
        getlist = getattr(headers, "getlist", None)
        copies = getlist(name_of) if getlist is not None else [v for v in [headers.get(name_of)] if v is not None]
        if len(copies) > 1:
            # The proxy set one copy and the client sent another: which one is the proxy's is unknowable.
            log.warning("storage: refused a sign-in carrying %s %d times", name_of, len(copies))
            return None
        raw = copies[0] if copies else None
        if not raw:
            return None
        try:
            name = normalize_name(raw)
        except ValueError:
            log.warning("storage: %s carries an unusable user name %r", self.settings.trusted_header, raw[:64])
            return None
        return cl.User(identifier=name, metadata={"provider": "header"})

    async def local_auth(self, headers: Mapping[str, str]) -> cl.User:
        return cl.User(identifier=LOCAL_USER, metadata={"provider": "local"})
