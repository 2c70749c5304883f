"""Who is asking: the identity the data layer checks ownership against.

Chainlit authorizes most thread access itself (`is_thread_author` on HTTP routes, an author check
when a socket connects with a thread id), but some paths have no check at all (`PUT`/`DELETE
/feedback`), and its data-layer calls carry no caller. The data layer asks `caller()`:

- during a socket.io event: the user of Chainlit's session context;
- during an HTTP request: the user Chainlit's `get_current_user` dependency resolved, recorded by
  the override `install_http_guard(app)` puts in place;
- `acting_as(identifier)`: explicitly (tests, scripts).

None means "no authenticated caller is known" (auth off, app startup, a socket being connected):
ownership is then not checked, and Chainlit's own checks are the only ones.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

__all__ = ["acting_as", "caller", "caller_user", "install_http_guard"]

_UNSET: Any = object()
_caller: ContextVar[Any] = ContextVar("foundry_chat_storage_caller", default=_UNSET)


def _chainlit_session_user() -> Any:
    try:
        from chainlit.context import context

        session = context.session
    except Exception:  # no Chainlit context in this task
        return None
    return getattr(session, "user", None) if session is not None else None


def caller_user() -> Any:
    """The authenticated user (a Chainlit `User`/`PersistedUser`) behind the current call, or None."""
    value = _caller.get()
    if value is not _UNSET:
        return value
    return _chainlit_session_user()


def caller() -> str | None:
    """The identifier of the authenticated user behind the current call, or None when unknown."""
    user = caller_user()
    if user is None:
        return None
    if isinstance(user, str):
        return user
    identifier = getattr(user, "identifier", None)
    return identifier if isinstance(identifier, str) else None


@contextmanager
def acting_as(user: Any) -> Iterator[None]:
    """Run a block as `user` (an identifier string, a Chainlit user, or None for 'unknown')."""
    token = _caller.set(user)
    try:
        yield
    finally:
        _caller.reset(token)


def install_http_guard(app: Any) -> None:
    """Record the user of every Chainlit HTTP route that takes one (idempotent).

    Chainlit's routes declare `current_user: Annotated[..., Depends(get_current_user)]`; this
    overrides that dependency with one that calls it and remembers the result for the data layer.
    The override runs in the request's own task, so the value never leaks into another request.
    """
    from chainlit.auth import get_current_user, reuseable_oauth
    from fastapi import Depends

    async def current_user_recorded(token: str | None = Depends(reuseable_oauth)) -> Any:  # noqa: B008
        user = await get_current_user(token)  # type: ignore[arg-type]
        _caller.set(user)
        return user

    app.dependency_overrides[get_current_user] = current_user_recorded
