"""Chainlit's sign-in, sign-out and feedback routes, with what they lack; served ahead of Chainlit's own.

- `POST /login`: the sign-in limits (throttle/counters.py) run before the password hash, so a
  refused attempt costs no hashing and a flood of guesses cannot queue in front of a real
  sign-in; refused attempts get 429 with Retry-After. Then exactly Chainlit's login.
- `POST /logout`: the token is listed as signed out (storage/revocation.py) before the cookie
  is cleared, and the chat sessions opened with it are closed.
- `PUT`/`DELETE /feedback`: feedback on a message that is not the caller's answers 404 without
  detail (Chainlit answered 500 quoting the refusal, which named the other user's thread, or threw).
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from chainlit.auth import get_current_user
from chainlit.types import DeleteFeedbackRequest, UpdateFeedbackRequest
from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import OAuth2PasswordRequestForm

from health import metrics
from storage.data_layer import IsolationError
from storage.users import normalize_name

__all__ = ["login_key", "router"]

log = logging.getLogger("foundry_chat.storage")


class _ChainlitOverrides:
    """Chainlit's app's `dependency_overrides`, looked up per request. Our routes are moved onto its
    app without `include_router`, which is what normally hands them the overrides; without this,
    storage.guard's override of `get_current_user` (the caller the data layer checks) is skipped."""

    @property
    def dependency_overrides(self) -> dict[Any, Any]:
        from chainlit.server import app

        return app.dependency_overrides


router = APIRouter(dependency_overrides_provider=_ChainlitOverrides())
CurrentUser = Annotated[Any, Depends(get_current_user)]
NOT_FOUND = {"detail": "Not found"}


def login_key(username: str) -> str:
    """The account a sign-in attempt counts against: the stored form of the name, or one bucket for invalid names."""
    try:
        return normalize_name(username)
    except ValueError:
        return "<invalid>"


@router.post("/login", include_in_schema=False)
async def login(request: Request, form_data: Annotated[OAuth2PasswordRequestForm, Depends()]) -> Response:
    from chainlit.config import config
    from chainlit.server import _authenticate_user

    from throttle import client_address

    if not config.code.password_auth_callback:
        raise HTTPException(status_code=400, detail="No auth_callback defined")
    throttle = request.app.state.limits.login
    account, address = login_key(form_data.username), client_address(request.scope)
    verdict = throttle.admit(account, address)
    if not verdict:
        metrics.LIMIT_REFUSALS.labels(verdict.refused).inc()
        log.info("limits: sign-in refused before the password check (%s)", verdict.refused)
        return JSONResponse(
            {"detail": f"Too many failed sign-ins. Try again in {verdict.retry_after} s."},
            status_code=429,
            headers={"Retry-After": str(verdict.retry_after)},
        )
    user = None
    try:
        user = await config.code.password_auth_callback(form_data.username, form_data.password)
    finally:
        throttle.settle(account, address, ok=user is not None)
    metrics.LOGIN_ATTEMPTS.labels("ok" if user is not None else "failed").inc()
    return await _authenticate_user(request, user)


@router.post("/logout", include_in_schema=False)
async def logout(request: Request, response: Response) -> Any:
    from chainlit.auth.cookie import get_token_from_cookies
    from chainlit.server import logout as chainlit_logout

    token = get_token_from_cookies(request.cookies)
    header = request.headers.get("authorization", "")
    if not token and header.lower().startswith("bearer "):
        token = header[7:].strip()
    revocations = getattr(request.app.state, "revocations", None)
    if token and revocations is not None and await revocations.revoke(token):
        await _close_sessions_of(token)
    return await chainlit_logout(request, response)


async def _close_sessions_of(token: str) -> None:
    from chainlit.server import sio
    from chainlit.session import ws_sessions_id

    for session in list(ws_sessions_id.values()):
        if getattr(session, "token", None) == token:
            await sio.disconnect(session.socket_id)


@router.put("/feedback", include_in_schema=False)
async def update_feedback(request: Request, update: UpdateFeedbackRequest, current_user: CurrentUser) -> Any:
    from chainlit import server

    try:
        return await server.update_feedback(request, update, current_user)
    except HTTPException as exc:
        if isinstance(exc.__cause__, IsolationError):
            return JSONResponse(NOT_FOUND, status_code=404)
        raise


@router.delete("/feedback", include_in_schema=False)
async def delete_feedback(request: Request, payload: DeleteFeedbackRequest, current_user: CurrentUser) -> Any:
    from chainlit import server

    try:
        return await server.delete_feedback(request, payload, current_user)
    except IsolationError:
        return JSONResponse(NOT_FOUND, status_code=404)
