"""Restarts on the same database, SQLite and PostgreSQL: threads resume with their history and
settings, each user only their own; a `kill -9` mid-answer leaves the question and the partial answer,
marked interrupted; the same in Chromium. PostgreSQL when Debian's server can be started here."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import postgres
from tests.support.app_process import AppProcess
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.openai_server import OpenAIServer
from tests.support.persisted import (
    PASSWORDS,
    REFUSALS,
    app_env,
    chats,
    data_layer_complaints,
    kill_9_mid_answer,
    list_threads,
    restart_and_resume,
)
from tests.support.sio_client import ChatClient

pytestmark = pytest.mark.e2e


# --- done when: two users, a restart, each resumes only their own threads --------------------------
async def test_two_users_restart_and_each_resumes_only_their_own(
    auth_env: dict[str, str], backend: OpenAIServer
) -> None:
    await restart_and_resume(auth_env, backend)


async def test_kill_9_mid_answer_keeps_question_and_partial_answer(
    auth_env: dict[str, str], backend: OpenAIServer
) -> None:
    await kill_9_mid_answer(auth_env, backend)


# --- the same in a browser -----------------------------------------------------------------------
def _browser_login(browser: Any, url: str, name: str) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    # Offline machine: the page's CDN fonts and stylesheets are cut short.
    context.route("**/*", lambda route: route.continue_() if "127.0.0.1" in route.request.url else route.abort())
    page = context.new_page()
    page.goto(url)
    page.wait_for_selector("#email", timeout=30_000)
    page.fill("#email", name)
    page.fill("#password", PASSWORDS[name])
    page.keyboard.press("Enter")
    page.wait_for_selector("#chat-input", timeout=30_000)
    return page


def _browser_send(page: Any, text: str) -> None:
    answers = '[data-step-type="assistant_message"] .message-content'
    before = page.locator(answers).count()
    page.fill("#chat-input", text)
    page.wait_for_selector("#chat-submit:not([disabled])", timeout=10_000)
    page.click("#chat-submit")
    page.wait_for_function(f"n => document.querySelectorAll('{answers}').length > n", arg=before, timeout=30_000)
    page.wait_for_selector("#stop-button", state="detached", timeout=30_000)


def test_browser_login_restart_resume(auth_env: dict[str, str], backend: OpenAIServer) -> None:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} missing: scripts/test.sh installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    backend.behaviour.echo = True
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            with AppProcess(auth_env) as first:
                alice = _browser_login(browser, first.url, "alice")
                _browser_send(alice, "My name is Alice.")
                cookie = "; ".join(f"{c['name']}={c['value']}" for c in alice.context.cookies())
                (thread,) = list_threads(first, cookie)
            with AppProcess(auth_env, port=first.port) as second:  # a restart: same port, the cookie still valid
                alice.goto(second.url)
                try:
                    alice.click(f"#thread-{thread['id']}", timeout=30_000)
                except Exception:
                    alice.screenshot(path=str(Path(__file__).parent / "artifacts" / "resume-failure.png"))
                    raise
                alice.wait_for_selector('[data-step-type="user_message"] >> text=My name is Alice.', timeout=30_000)
                _browser_send(alice, "What is my name?")
                contents = [m["content"] for m in chats(backend)[-1]["messages"]]
                assert contents[1:] == ["My name is Alice.", "You said: My name is Alice.", "What is my name?"]

                bob = _browser_login(browser, second.url, "bob")
                bob.wait_for_timeout(1000)
                assert bob.locator(f"#thread-{thread['id']}").count() == 0
                bob.goto(f"{second.url}/thread/{thread['id']}")
                bob.wait_for_timeout(2000)
                assert "My name is Alice" not in bob.content()
        finally:
            browser.close()
    assert not data_layer_complaints(second.log(), REFUSALS), second.log()[-3000:]


async def test_postgres_restart_and_resume(
    pg: postgres.TempPostgres, backend: OpenAIServer, users_file: Path, foundry_cache: Path
) -> None:
    env = app_env(backend, pg.create_database("resume"), foundry_cache, AUTH_USERS_FILE=str(users_file))
    await restart_and_resume(env, backend)


async def test_postgres_kill_9_mid_answer(
    pg: postgres.TempPostgres, backend: OpenAIServer, users_file: Path, foundry_cache: Path
) -> None:
    env = app_env(backend, pg.create_database("killed"), foundry_cache, AUTH_USERS_FILE=str(users_file))
    await kill_9_mid_answer(env, backend)


async def test_postgres_takes_no_unstorable_or_over_long_message_and_stays_ready(
    pg: postgres.TempPostgres, backend: OpenAIServer, foundry_cache: Path
) -> None:
    """Issue 14, item 4, on PostgreSQL: a NUL (refused by text and JSONB columns) or a lone surrogate
    must not fail Chainlit's own write of the message, and a refused over-long one is stored as a preview."""
    with AppProcess(app_env(backend, pg.create_database("unstorable"), foundry_cache)) as app:
        client = ChatClient(app.url)
        await client.connect()
        await client.send("hello")
        for bad in ("a NUL \x00 here", "lone \ud800 surrogate", "too long " + "q" * 100_000):
            turn = await client.send(bad, timeout=20)
            assert turn.errors(), turn.all_texts()
        turn = await client.send("still here?")
        await client.close()
        assert turn.assistant_texts(), turn.all_texts()
        r = httpx.get(app.url + "/readyz", timeout=5)
        assert r.status_code == 200, r.text
        assert r.json()["storage"]["failed_writes"] == 0, r.text
        assert "Traceback" not in app.log()
