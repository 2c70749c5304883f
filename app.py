"""Chainlit handlers: the UI layer only. Everything else lives in config, providers, routing, chat."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from contextlib import aclosing
from typing import Any

import chainlit as cl
from chainlit.input_widget import Select, Slider
from chainlit.types import ThreadDict

from config import ConfigError, available_policies, load_settings
from security.settings import load_security_settings
from storage import (
    Authenticator,
    FoundryDataLayer,
    SchemaError,
    TurnRecorder,
    check_auth_settings,
    ensure_local_secret,
    install_http_guard,
    prepare_database_sync,
    restore_session,
    run_heartbeat,
)

try:
    SETTINGS = load_settings()
    STORAGE = check_auth_settings(os.environ)  # after load_settings read .env
    SECURITY = load_security_settings(os.environ)
    ensure_local_secret(STORAGE)
    if STORAGE.db_url is not None:
        prepare_database_sync(STORAGE.db_url)  # schema, then answers a killed process left streaming
except (ConfigError, SchemaError) as _exc:
    print(f"foundry-chat: configuration error: {_exc}", file=sys.stderr)
    raise SystemExit(2) from None

from chat import delivery, history_commands, step_clock  # noqa: E402
from chat.frames import frames  # noqa: E402
from chat.options import SessionOptions, parse_session_options  # noqa: E402
from chat.present import GONE_MARK, STOPPED_MARK, progress_text, route_details, welcome_text  # noqa: E402
from chat.runtime import AppRuntime  # noqa: E402
from chat.turn import Turn, TurnService  # noqa: E402
from chat.user_errors import user_text  # noqa: E402
from health import metrics  # noqa: E402
from logs import setup_logging  # noqa: E402
from providers.base import ChatMessage, ChatOptions  # noqa: E402
from providers.errors import ChatError, TurnRefused  # noqa: E402
from storage.revocation import Revocations, install_revocation  # noqa: E402
from throttle import Limits  # noqa: E402
from throttle.hooks import install_socket_limits  # noqa: E402
from server import (  # noqa: E402
    install_message_guard,
    install_origin_check,
    install_routes,
    install_security,
    install_sigterm_drain,
    isolate_files_dir,
)

setup_logging(SETTINGS)
log = logging.getLogger("foundry_chat.app")
RUNTIME = AppRuntime(SETTINGS)
TURNS = TurnService(RUNTIME)
STORE = (
    FoundryDataLayer(STORAGE.db_url, max_message_chars=SETTINGS.max_input_chars) if STORAGE.db_url is not None else None
)
AUTH = Authenticator(STORAGE)
LIMITS = Limits(SETTINGS.limits)
REVOCATIONS = Revocations(STORE)
install_routes(RUNTIME, TURNS, limits=LIMITS)
install_revocation(REVOCATIONS)
if STORE is not None:
    RUNTIME.health_checks["storage"] = STORE.check  # /readyz: 503 while database writes fail

    @cl.data_layer
    def _data_layer() -> FoundryDataLayer:
        assert STORE is not None
        return STORE

    from chainlit.server import app as _chainlit_app

    install_http_guard(_chainlit_app)
if STORAGE.users_file is not None:
    cl.password_auth_callback(AUTH.password_auth)
if STORAGE.trusted_header is not None:
    cl.header_auth_callback(AUTH.header_auth)
elif STORAGE.local_mode:
    cl.header_auth_callback(AUTH.local_auth)  # one implicit user: past threads can be listed and resumed
install_origin_check(SETTINGS.allowed_origins)
install_security(SECURITY, sign_in=STORAGE.auth_on, allowed_origins=SETTINGS.allowed_origins)
install_message_guard()
delivery.install(SETTINGS.disconnect_grace)
install_socket_limits(LIMITS)  # after the message guard: it wraps the guarded handlers
isolate_files_dir()
step_clock.install()  # Chainlit's steps and messages without a 1 ms stop of the event loop each

AUTHOR = "Assistant"
EMPTY_ANSWER = "*(The model ended its answer without any text. Try rephrasing, or raise the temperature.)*"
STARTERS = [
    cl.Starter(label="Explain local AI", message="In three sentences: why run a language model on my own machine?"),
    cl.Starter(label="Write a function", message="Write a Python function that checks whether a string is a palindrome."),
    cl.Starter(label="Haiku", message="Write a haiku about the sea."),
    cl.Starter(label="Plan my day", message="Help me plan a focused work day with three deep-work blocks."),
]


_BACKGROUND: set[asyncio.Task[None]] = set()


@cl.on_app_startup
async def _startup() -> None:
    log.info("app: starting with %s; storage %s; security %s", SETTINGS.safe_summary(), STORAGE.summary(), SECURITY.summary())
    if note := STORAGE.history_note():
        log.warning("storage: history off: %s", note)
    if SETTINGS.cloud is not None and not SETTINGS.routing.privacy_guard:
        log.warning("app: PRIVACY_GUARD=off: conversations with personal data or secrets MAY be sent to the cloud")
    install_sigterm_drain(RUNTIME, SETTINGS.shutdown_grace)
    _log_gateway_status()
    RUNTIME.start()
    if STORE is not None:  # the lease that keeps another process's start-up sweep off our live answers
        _BACKGROUND.add(asyncio.create_task(run_heartbeat(STORE), name="storage-heartbeat"))
        _BACKGROUND.add(asyncio.create_task(REVOCATIONS.keep_loading(), name="signed-out-tokens"))


def _log_gateway_status() -> None:
    from gateway import bound_to_loopback

    keys = len(SETTINGS.gateway_api_keys)
    if STORAGE.auth_on:
        log.info("gateway: /v1 answers signed-in users%s", f" and requests with one of {keys} GATEWAY_API_KEYS" if keys else "")
        if SECURITY.gateway_keyless:
            log.warning("gateway: GATEWAY_KEYLESS=on is ignored while users sign in: /v1 needs a key or a session")
    elif keys:
        log.info("gateway: /v1 answers requests with one of %d GATEWAY_API_KEYS", keys)
    elif SECURITY.gateway_keyless and bound_to_loopback():
        log.warning("gateway: no GATEWAY_API_KEYS: /v1 answers keyless callers on this machine (GATEWAY_KEYLESS=on)")
    else:
        log.warning("gateway: no GATEWAY_API_KEYS and GATEWAY_KEYLESS is off or the bind is not loopback: /v1 refuses every request")


@cl.on_app_shutdown
async def _shutdown() -> None:
    for task in _BACKGROUND:
        task.cancel()
    await RUNTIME.aclose()
    if STORE is not None:
        await STORE.close()  # after the drain: the writer commits what is queued, then stops


@cl.set_chat_profiles
async def _profiles(current_user: Any = None, language: Any = None) -> list[cl.ChatProfile]:
    # One profile, so the empty chat's welcome screen shows the model and route above the starters.
    return [
        cl.ChatProfile(
            name="foundry-chat",
            markdown_description=welcome_text(RUNTIME),
            icon="/public/foundry-chat.svg",
            starters=STARTERS,
            default=True,
        )
    ]


def _options() -> SessionOptions:
    stored = cl.user_session.get("options")
    if isinstance(stored, dict):
        return SessionOptions(
            stored.get("model"), float(stored["temperature"]), int(stored["max_tokens"]), stored.get("policy")
        )
    return SessionOptions(None, SETTINGS.temperature, SETTINGS.max_tokens, SETTINGS.routing.policy)


async def _model_ids() -> list[str]:
    if RUNTIME.router is None:
        return []
    try:
        return [m.id for m in await RUNTIME.router.list_models()]
    except ChatError as exc:
        log.warning("app: listing models failed: %s", exc)
        return []


def _policies() -> list[str]:
    return list(available_policies(SETTINGS.cloud is not None))


async def _send_settings(stored: dict[str, Any] | None = None) -> None:
    models = await _model_ids()
    options, _ = parse_session_options(None, SETTINGS, models, policies=_policies())
    if stored:  # a resumed thread's settings, checked again: models or policies may have changed since
        options, _ = parse_session_options(stored, SETTINGS, models, options, policies=_policies())
    cl.user_session.set("options", options.as_dict())
    policies = _policies()
    widgets = [
        Select(
            id="model",
            label="Local model",
            values=models or ["(default)"],
            initial_index=models.index(options.model) if options.model in models else 0,
        ),
        Select(
            id="policy",
            label="Routing policy" + ("" if SETTINGS.cloud else " (no cloud configured)"),
            values=policies,
            initial_index=policies.index(options.policy) if options.policy in policies else 0,
        ),
        Slider(id="temperature", label="Temperature", initial=options.temperature, min=0, max=2, step=0.1),
        Slider(
            id="max_tokens", label="Max tokens", initial=options.max_tokens, min=16, max=max(4096, options.max_tokens), step=16
        ),
    ]
    await cl.ChatSettings(widgets).send()


async def _show_progress_until_ready() -> None:
    msg = cl.Message(content=progress_text(RUNTIME.progress), author=AUTHOR)
    await msg.send()
    last = msg.content
    while not await RUNTIME.wait_ready(timeout=0.5):
        text = progress_text(RUNTIME.progress)
        if text != last:
            msg.content, last = text, text
            await msg.update()
    msg.content = welcome_text(RUNTIME)
    await msg.update()
    if RUNTIME.state == "ready":
        await _send_settings()


@cl.on_chat_start
async def _chat_start() -> None:
    metrics.CHATS.inc()
    cl.user_session.set("history", [])
    await history_commands.offer(STORE)
    if RUNTIME.state == "starting":
        asyncio.create_task(_show_progress_until_ready())
        return
    # When all is well the welcome screen (profile description + starters) says which model answers;
    # a warning or a failure is also posted as a message, so it stays in the conversation.
    if RUNTIME.state == "failed" or (RUNTIME.local is not None and RUNTIME.local.notice):
        await cl.Message(content=welcome_text(RUNTIME), author=AUTHOR).send()
    if RUNTIME.state == "ready":
        await _send_settings()


@cl.on_chat_end
async def _chat_end() -> None:
    # Chainlit keeps every message of a session in a module-level dict and never clears it
    # (chainlit/chat_context.py): drop it when the session ends, or each session leaks its chat.
    from chainlit.chat_context import chat_contexts
    from chainlit.context import context

    chat_contexts.pop(context.session.id, None)


@cl.on_chat_resume
async def _chat_resume(thread: ThreadDict) -> None:
    restored = restore_session(thread)
    cl.user_session.set("history", restored.history)
    await history_commands.offer(STORE)
    if RUNTIME.state == "ready":
        await _send_settings(restored.options)
    elif restored.options:
        cl.user_session.set("options", restored.options)


@cl.on_settings_update
async def _settings_update(raw: dict[str, Any]) -> None:
    options, problems = parse_session_options(raw, SETTINGS, await _model_ids(), _options(), policies=_policies())
    cl.user_session.set("options", options.as_dict())
    if problems:
        await cl.ErrorMessage(content=" ".join(problems)).send()


async def _tell_trimmed(dropped: int) -> None:
    await cl.Message(
        content=f"ℹ️ {dropped} earlier message{'s' if dropped != 1 else ''} "
        "left out so the conversation fits the model's context window.",
        author=AUTHOR,
    ).send()


@cl.on_message
async def _on_message(message: cl.Message) -> None:
    """The chat's door to the turn service (chat/turn.py): Chainlit in, Chainlit out."""
    if message.command is not None and message.command in history_commands.IDS and STORE is not None:
        await history_commands.run(message.command, STORE, author=AUTHOR)
        return
    session = _options()
    history = [ChatMessage(m["role"], m["content"]) for m in cl.user_session.get("history") or []]
    answer = cl.Message(content="", author=AUTHOR)
    recorder = TurnRecorder(STORE, answer) if STORE is not None else None
    try:
        turn = TURNS.prepare(
            "chat",
            [*history, ChatMessage("user", message.content)],
            ChatOptions(model=session.model, temperature=session.temperature, max_tokens=session.max_tokens, policy=session.policy),
            system=SETTINGS.system_prompt,
            checked=len(history),
            recorder=recorder,
            on_trimmed=_tell_trimmed,
        )
    except TurnRefused as exc:
        await cl.ErrorMessage(content=user_text(exc)).send()
        return
    if recorder is not None:  # stored beside the model call; nothing of the answer is shown before it is
        recorder.start(message, turn.newest.content, session_metadata={"options": session.as_dict()})
    # counted until the answer is shown and stored: a SIGTERM drain waits for it; the outlet paces the
    # socket (a reader that stops reading) and stops the turn if the browser goes away (chat/delivery.py)
    async with turn:
        with delivery.Outlet(answer, on_abandon=turn.abandon) as outlet:
            try:
                async with aclosing(frames(turn.stream())) as stream:
                    async for chunk in stream:
                        if chunk.notice or chunk.text:
                            if recorder is not None and not outlet.has_text:
                                await _stored_first(recorder)
                            await outlet.send(chunk.notice + chunk.text)
            except Exception as exc:
                _log_failure(turn, exc)
                if recorder is not None:
                    await _stored_first(recorder)
                await cl.ErrorMessage(content=user_text(exc)).send()
            finally:
                await _finish(answer, turn, recorder, outlet)


def _log_failure(turn: Turn, exc: Exception) -> None:
    if isinstance(exc, ChatError):
        log.warning("chat %s: %s: %s", turn.request_id, type(exc).__name__, exc)
    else:
        log.exception("chat %s: unexpected failure", turn.request_id, exc_info=exc)


async def _finish(answer: cl.Message, turn: Turn, recorder: TurnRecorder | None, outlet: delivery.Outlet) -> None:
    """Keep the turn (a partial answer too) in history, then show the final answer and its route line."""
    reply, outcome = turn.reply, turn.outcome
    if not (reply or outcome in ("ok", "stopped")):  # "interrupted" with no text: nothing to keep
        await outlet.withdraw()
        if recorder is not None:
            await recorder.finish(reply, outcome, shown=False)  # no answer shown: none stored
            await _tell_storage_problem(recorder)
        return  # failed before any text: the error message says so, and the user can resend
    stored = cl.user_session.get("history") or []
    stored += [{"role": "user", "content": turn.newest.content}, {"role": "assistant", "content": reply}]
    cl.user_session.set("history", stored)
    shown = answer.content if reply else ("…" if outcome == "stopped" else EMPTY_ANSWER)
    answer.content = shown + {"stopped": STOPPED_MARK, "interrupted": GONE_MARK}.get(outcome, "")
    if turn.decision is not None:  # stored with the answer: exports say where each answer ran (storage/export.py)
        answer.metadata = {**(answer.metadata or {}), "route": turn.decision.as_dict()}
    if recorder is not None:
        await recorder.finish(reply, outcome)  # awaited: the final answer is stored before this returns
    await (answer.update() if answer.streaming else answer.send())
    if recorder is not None:
        await _tell_storage_problem(recorder)
    if turn.decision is not None:
        # The compact route line under the answer; expanding it shows the whole decision.
        step = cl.Step(name=turn.decision.route_line(), type="tool", parent_id=answer.id, show_input=False)
        step.output = route_details(turn.decision)
        await step.send()
        delivery.remember_final(answer.to_dict(), step.to_dict())
    else:
        delivery.remember_final(answer.to_dict())


async def _stored_first(recorder: TurnRecorder) -> None:
    """The user's message is stored before the first of the answer is shown."""
    await recorder.ready()
    await _tell_storage_problem(recorder)


async def _tell_storage_problem(recorder: TurnRecorder) -> None:
    if problem := recorder.take_problem():
        await cl.ErrorMessage(content=problem).send()
