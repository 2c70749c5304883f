"""Chainlit handlers: the UI layer only. Everything else lives in config, providers, routing, chat."""

from __future__ import annotations

import asyncio
import logging
import sys
import time
import uuid
from typing import Any

import chainlit as cl
from chainlit.input_widget import Select, Slider

from config import ConfigError, load_settings

try:
    SETTINGS = load_settings()
except ConfigError as _exc:
    print(f"foundry-chat: configuration error: {_exc}", file=sys.stderr)
    raise SystemExit(2) from None

from chat.frames import frames  # noqa: E402
from chat.history import fit_history  # noqa: E402
from chat.inputs import InputRejected, clean_user_text  # noqa: E402
from chat.options import SessionOptions, parse_session_options  # noqa: E402
from chat.runtime import AppRuntime  # noqa: E402
from chat.user_errors import user_text  # noqa: E402
from logs import setup_logging  # noqa: E402
from providers.base import ChatMessage, ChatOptions  # noqa: E402
from providers.errors import ChatError  # noqa: E402
from routing import Decision  # noqa: E402
from server import install_routes  # noqa: E402

setup_logging(SETTINGS)
log = logging.getLogger("foundry_chat.app")
RUNTIME = AppRuntime(SETTINGS)
install_routes(RUNTIME)

AUTHOR = "Assistant"
STOPPED_MARK = "\n\n*[stopped]*"
EMPTY_ANSWER = "*(The model ended its answer without any text. Try rephrasing, or raise the temperature.)*"


@cl.on_app_startup
async def _startup() -> None:
    log.info("app: starting with %s", SETTINGS.safe_summary())
    RUNTIME.start()


@cl.on_app_shutdown
async def _shutdown() -> None:
    await RUNTIME.aclose()


STARTERS = [
    cl.Starter(label="Explain local AI", message="In three sentences: why run a language model on my own machine?"),
    cl.Starter(label="Write a function", message="Write a Python function that checks whether a string is a palindrome."),
    cl.Starter(label="Haiku", message="Write a haiku about the sea."),
    cl.Starter(label="Plan my day", message="Help me plan a focused work day with three deep-work blocks."),
]


@cl.set_chat_profiles
async def _profiles(current_user: Any = None, language: Any = None) -> list[cl.ChatProfile]:
    # One profile, so the empty chat's welcome screen shows the model and route above the starters.
    return [
        cl.ChatProfile(
            name="foundry-chat",
            markdown_description=_welcome(),
            icon="/public/foundry-chat.svg",
            starters=STARTERS,
            default=True,
        )
    ]


def _options() -> SessionOptions:
    stored = cl.user_session.get("options")
    if isinstance(stored, dict):
        return SessionOptions(stored.get("model"), float(stored["temperature"]), int(stored["max_tokens"]))
    return SessionOptions(None, SETTINGS.temperature, SETTINGS.max_tokens)


async def _model_ids() -> list[str]:
    assert RUNTIME.router is not None
    try:
        return [m.id for m in await RUNTIME.router.list_models()]
    except ChatError as exc:
        log.warning("app: listing models failed: %s", exc)
        return []


async def _send_settings() -> None:
    models = await _model_ids()
    options, _ = parse_session_options(None, SETTINGS, models)
    cl.user_session.set("options", options.as_dict())
    widgets = [
        Select(id="model", label="Model", values=models or ["(default)"], initial_index=0),
        Slider(id="temperature", label="Temperature", initial=options.temperature, min=0, max=2, step=0.1),
        Slider(id="max_tokens", label="Max tokens", initial=options.max_tokens, min=16, max=max(4096, options.max_tokens), step=16),
    ]
    await cl.ChatSettings(widgets).send()


def _welcome() -> str:
    if RUNTIME.state == "starting":
        return f"⏳ {RUNTIME.progress.text}"
    if RUNTIME.state == "failed":
        return (
            f"**No model can answer.** {RUNTIME.error}\n\n"
            "Fix the setting named above (see `.env.example`) and restart the app."
        )
    assert RUNTIME.local is not None
    lines = [f"Answering with **{RUNTIME.local.description}** · route: local."]
    if RUNTIME.local.notice:
        lines.append(f"\n> ⚠️ {RUNTIME.local.notice}")
    return "\n".join(lines)


async def _show_progress_until_ready() -> None:
    msg = cl.Message(content=f"⏳ {RUNTIME.progress.text}", author=AUTHOR)
    await msg.send()
    last = ""
    while not await RUNTIME.wait_ready(timeout=0.5):
        p = RUNTIME.progress
        bar = ""
        if p.fraction is not None:
            filled = int(p.fraction * 20)
            bar = f"\n\n`{'█' * filled}{'░' * (20 - filled)}` {p.fraction:.0%}"
        text = f"⏳ {p.text}{bar}"
        if text != last:
            msg.content, last = text, text
            await msg.update()
    msg.content = _welcome()
    await msg.update()
    if RUNTIME.state == "ready":
        await _send_settings()


@cl.on_chat_start
async def _chat_start() -> None:
    cl.user_session.set("history", [])
    if RUNTIME.state == "starting":
        asyncio.create_task(_show_progress_until_ready())
        return
    # When all is well the welcome screen (profile description + starters) says which model answers;
    # a warning or a failure is also posted as a message, so it stays in the conversation.
    if RUNTIME.state == "failed" or (RUNTIME.local is not None and RUNTIME.local.notice):
        await cl.Message(content=_welcome(), author=AUTHOR).send()
    if RUNTIME.state == "ready":
        await _send_settings()


@cl.on_settings_update
async def _settings_update(raw: dict[str, Any]) -> None:
    models = await _model_ids() if RUNTIME.router else []
    options, problems = parse_session_options(raw, SETTINGS, models, _options())
    cl.user_session.set("options", options.as_dict())
    if problems:
        await cl.ErrorMessage(content=" ".join(problems)).send()


def _footer(decision: Decision | None, stopped: bool) -> str:
    if decision is None:
        return ""
    return f"\n\n*{'[stopped] · ' if stopped else ''}{decision.route_line()}*"


@cl.on_message
async def _on_message(message: cl.Message) -> None:
    request_id = uuid.uuid4().hex[:12]
    try:
        text = clean_user_text(message.content, SETTINGS.max_input_chars)
    except InputRejected as exc:
        await cl.ErrorMessage(content=str(exc)).send()
        return
    if RUNTIME.state != "ready" or RUNTIME.router is None:
        reason = RUNTIME.progress.text if RUNTIME.state == "starting" else RUNTIME.error
        await cl.ErrorMessage(content=f"The model is not ready yet ({reason}). Try again in a moment.").send()
        return
    router = RUNTIME.router
    history = [ChatMessage(m["role"], m["content"]) for m in cl.user_session.get("history") or []]
    session_options = _options()
    options = ChatOptions(
        model=session_options.model, temperature=session_options.temperature, max_tokens=session_options.max_tokens
    )
    user = ChatMessage("user", text)
    answer = cl.Message(content="", author=AUTHOR)
    parts: list[str] = []
    decision: Decision | None = None
    stopped = False
    started = time.perf_counter()
    try:
        window = await router.context_window(options.model)
        fitted = await fit_history(
            ChatMessage("system", SETTINGS.system_prompt),
            history,
            user,
            context_window=window,
            # Room for the answer, but never so much that no history fits: the engine stops at the window anyway.
            reserve=min(options.max_tokens or SETTINGS.max_tokens, window // 2),
            exact_count=lambda msgs: router.count_tokens(msgs, options),
        )
        if fitted.dropped:
            await cl.Message(
                content=f"ℹ️ {fitted.dropped} earlier message{'s' if fitted.dropped != 1 else ''} "
                "left out so the conversation fits the model's context window.",
                author=AUTHOR,
            ).send()
        log.info("chat %s: %d messages, ~%d prompt tokens", request_id, len(fitted.messages), fitted.prompt_tokens)
        async for chunk in frames(router.stream(fitted.messages, options)):
            if isinstance(chunk.route, Decision):
                decision = chunk.route
            if chunk.text:
                parts.append(chunk.text)
                await answer.stream_token(chunk.text)
    except asyncio.CancelledError:
        stopped = True
        raise
    except Exception as exc:
        if not isinstance(exc, ChatError):
            log.exception("chat %s: unexpected failure", request_id)
        else:
            log.warning("chat %s: %s: %s", request_id, type(exc).__name__, exc)
        await cl.ErrorMessage(content=user_text(exc)).send()
    finally:
        reply = "".join(parts)
        finished = decision is not None and decision.duration_ms is not None and decision.attempts[-1].outcome == "ok"
        if reply or stopped or finished:
            shown = reply or ("…" if stopped else EMPTY_ANSWER)
            footer = _footer(decision, stopped) or (STOPPED_MARK if stopped else "")
            answer.content = shown + footer
            await (answer.update() if answer.streaming else answer.send())
            stored = cl.user_session.get("history") or []
            stored += [{"role": "user", "content": text}, {"role": "assistant", "content": reply}]
            cl.user_session.set("history", stored)
        log.info(
            "chat %s: %s in %.0f ms, %d chars",
            request_id,
            "stopped" if stopped else "done",
            (time.perf_counter() - started) * 1000,
            len(reply),
        )
