"""Signed-out login tokens: refused from sign-out until they would have expired anyway.

Chainlit's login is a signed JWT cookie that `/logout` only deletes from the browser; a copy of
the token (another tab, a stolen cookie, a script) stays valid for `user_session_timeout`.
`Revocations` keeps a deny-list of the SHA-256 digests of signed-out tokens with their expiry:
in memory, and in the `revoked_tokens` table when persistence is on (so the list survives
restarts and reaches the other processes on the same database within `REFRESH_SECONDS`).

`install_revocation` makes Chainlit's `decode_jwt` — behind every HTTP route, the socket.io
handshake and `/auth/jwt` — refuse a listed token, and gives every new token a random `jti`, so
that no two logins share a token (and a revocation).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from typing import Any

__all__ = ["REFRESH_SECONDS", "Revocations", "install_revocation"]

log = logging.getLogger("foundry_chat.storage")
REFRESH_SECONDS = 30.0


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "replace")).hexdigest()


class Revocations:
    """The deny-list; `store` is the FoundryDataLayer when persistence is on."""

    def __init__(self, store: Any = None) -> None:
        self.store = store
        self._expiry: dict[str, float] = {}

    def revoked(self, token: str) -> bool:
        exp = self._expiry.get(_digest(token))
        return exp is not None and exp > time.time()

    async def revoke(self, token: str) -> bool:
        """List `token` if it is a valid login token; False (nothing listed) otherwise."""
        import jwt
        from chainlit.auth.jwt import get_jwt_secret

        secret = get_jwt_secret()
        if not secret:
            return False
        try:
            claims = jwt.decode(token, secret, algorithms=["HS256"])
        except jwt.InvalidTokenError:
            return False
        exp = float(claims.get("exp") or time.time() + 86_400 * 30)
        digest = _digest(token)
        self._expiry[digest] = exp
        self._forget_expired()
        if self.store is not None:
            await self.store._run(
                'INSERT INTO revoked_tokens ("digest", "expiresAt") VALUES (:d, :e) ON CONFLICT ("digest") DO NOTHING',
                {"d": digest, "e": int(exp) + 1},
            )
        return True

    async def load(self) -> None:
        """Read the stored list (persistence on): at start-up, then every REFRESH_SECONDS."""
        if self.store is None:
            return
        now = int(time.time())
        await self.store._run('DELETE FROM revoked_tokens WHERE "expiresAt" < :now', {"now": now})
        rows = await self.store._run('SELECT "digest", "expiresAt" FROM revoked_tokens', {})
        for row in rows:
            self._expiry[str(row["digest"])] = float(row["expiresAt"])

    async def keep_loading(self) -> None:
        while True:
            try:
                await self.load()
            except Exception as exc:  # the database is down: /readyz says so; keep what we have
                log.warning("storage: could not read the signed-out tokens: %s", type(exc).__name__)
            await asyncio.sleep(REFRESH_SECONDS)

    def _forget_expired(self) -> None:
        now = time.time()
        for digest in [d for d, exp in self._expiry.items() if exp <= now]:
            del self._expiry[digest]


def create_jwt(user: Any) -> str:
    """Chainlit 2.12's login token (`chainlit.auth.jwt.create_jwt`) plus a random `jti`.

    Chainlit's claims are the user, `iat` and `exp` in whole seconds: two logins of one user in the
    same second got the same token, so signing one out signed the other out too.
    """
    import secrets
    from datetime import UTC, datetime, timedelta

    import jwt
    from chainlit.auth.jwt import get_jwt_secret
    from chainlit.config import config

    now = datetime.now(UTC)
    claims: dict[str, Any] = user.to_dict()
    claims.update(exp=now + timedelta(seconds=config.project.user_session_timeout), iat=now, jti=secrets.token_hex(16))
    secret = get_jwt_secret()
    assert secret
    return jwt.encode(claims, secret, algorithm="HS256")


def install_revocation(revocations: Revocations) -> None:
    """Make Chainlit refuse signed-out tokens wherever it decodes one (idempotent)."""
    import chainlit.auth
    import chainlit.auth.jwt
    import chainlit.server
    from jwt import InvalidTokenError

    original = chainlit.auth.jwt.decode_jwt

    def decode_jwt(token: str) -> Any:
        if revocations.revoked(token):
            raise InvalidTokenError("this login was signed out")
        return original(token)

    chainlit.auth.decode_jwt = decode_jwt  # type: ignore[attr-defined]  # authenticate_user: HTTP and socket.io
    chainlit.server.decode_jwt = decode_jwt  # type: ignore[attr-defined]  # /auth/jwt
    chainlit.server.app.state.revocations = revocations  # for POST /logout (storage/auth_routes.py)
    chainlit.server.create_jwt = create_jwt  # type: ignore[attr-defined,assignment]  # every login: _authenticate_user
    _refuse_signed_out_sockets(revocations)


def _refuse_signed_out_sockets(revocations: Revocations) -> None:
    """Refuse a socket.io handshake with a signed-out token in words, before Chainlit logs a traceback for it."""
    from chainlit.server import sio
    from chainlit.socket import _get_token
    from socketio.exceptions import ConnectionRefusedError

    handlers = sio.handlers.setdefault("/", {})
    original = handlers.get("connect")
    if original is None or getattr(original, "_foundry_chat_revocation", False):
        return

    async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> Any:
        token = _get_token(environ)
        if token and revocations.revoked(token):
            log.info("storage: refused a chat session of a signed-out login")
            raise ConnectionRefusedError("This login was signed out. Sign in again.")
        return await original(sid, environ, auth)

    connect._foundry_chat_revocation = True  # type: ignore[attr-defined]
    handlers["connect"] = connect
