"""Turn a failure into a short chat message: what failed, what to do. The only place this happens."""

from __future__ import annotations

from providers.errors import (
    AuthenticationFailed,
    ChatError,
    ContextTooLong,
    EngineError,
    ModelNotFound,
    NoRouteAvailable,
    ProviderRejected,
    ProviderTimeout,
    ProviderUnavailable,
    RateLimited,
)

__all__ = ["user_text"]


def _one(exc: ChatError) -> str:
    where = exc.provider or "the model"
    if isinstance(exc, ProviderTimeout):
        phase = {"connect": "connecting to", "first_token": "waiting for the first token from"}.get(exc.phase, "reading from")
        return f"Timed out {phase} {where}. The model may be overloaded; try again, or raise the timeout settings."
    if isinstance(exc, ProviderUnavailable):
        return f"Could not reach {where} ({exc}). Check that the server is running and BASE_URL is right, then try again."
    if isinstance(exc, AuthenticationFailed):
        return f"{where} refused the credentials. Check the API key setting and restart the app."
    if isinstance(exc, ModelNotFound):
        return f"{where} does not know the chosen model ({exc}). Pick another model in the chat settings."
    if isinstance(exc, RateLimited):
        wait = f" Wait about {exc.retry_after:g} s" if exc.retry_after else " Wait a moment"
        return f"{where} is rate-limiting requests.{wait} and try again."
    if isinstance(exc, ProviderRejected):
        return f"{where} rejected the request ({exc}). Try again; if it persists, check the server's logs."
    if isinstance(exc, ContextTooLong):
        return f"The message is too long for the model's context window ({exc}). Shorten it or start a new chat."
    if isinstance(exc, EngineError):
        return f"The local model failed while answering ({exc}). Try again; if it repeats, restart the app."
    return f"The answer failed ({exc}). Try again."


def user_text(exc: BaseException) -> str:
    """User-facing text for any exception; unknown ones get a generic line (details go to the log)."""
    if isinstance(exc, NoRouteAvailable):
        if not exc.attempts:
            return f"No model can answer: {exc}"
        lines = [f"No model could answer. {exc}"] if str(exc) else ["No model could answer."]
        lines += [f"- {target}: {_one(err)}" for target, err in exc.attempts]
        return "\n".join(lines)
    if isinstance(exc, ChatError):
        return _one(exc)
    return "Something went wrong while answering. The error was logged; please try again."
