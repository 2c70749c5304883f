"""A real headless Chromium (Debian's package, driven by Playwright) chatting with the real app."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.app_process import AppProcess
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} missing: scripts/test.sh installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_chat(browser: Any, url: str) -> Any:
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    host = urlsplit(url).hostname

    # The page pulls fonts and KaTeX CSS from CDNs; the machine is offline, so cut them short.
    def gate(route: Any) -> None:
        if urlsplit(route.request.url).hostname in (host, "localhost", "127.0.0.1"):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", gate)
    page.goto(url)
    page.wait_for_selector("#welcome-screen", timeout=30_000)
    return page


ANSWERS = '[data-step-type="assistant_message"] .message-content'


def send(page: Any, text: str) -> str:
    before = page.locator(ANSWERS).count()
    page.fill("#chat-input", text)
    # #chat-input appears ~150 ms before the socket connects and sending is ignored until then.
    page.wait_for_selector("#chat-submit:not([disabled])", timeout=10_000)
    page.click("#chat-submit")
    page.wait_for_function(
        "n => document.querySelectorAll('[data-step-type=\"assistant_message\"] .message-content').length > n",
        arg=before,
        timeout=30_000,
    )
    page.wait_for_selector("#stop-button", state="detached", timeout=30_000)
    return str(page.locator(ANSWERS).nth(before).inner_text())


@pytest.mark.parametrize("run", [1, 2, 3])
def test_two_turns_in_the_browser(browser: Any, engine_app: AppProcess, run: int) -> None:
    page = open_chat(browser, engine_app.url)
    assert "tiny-chat on cpu (Foundry Local" in page.inner_text("#welcome-screen")
    assert page.locator("#starters button, #starters [id^=starter-]").count() >= 4
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"welcome-{run}.png"))

    first = send(page, "Hello")
    assert first.strip()
    second = send(page, "Write a haiku about the sea")
    assert second.strip()
    routes = page.locator('[data-step-type="tool"]')
    routes.nth(1).wait_for(timeout=10_000)
    assert "local · tiny-chat" in routes.nth(1).inner_text() and "TTFT" in routes.nth(1).inner_text()
    routes.nth(1).get_by_text("TTFT").click()  # expands to the full decision
    page.get_by_text("Answered by:").last.wait_for(timeout=10_000)
    user_messages = page.locator('[data-step-type="user_message"]')
    assert user_messages.count() == 2
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"chat-{run}.png"), full_page=True)
    page.close()


def test_stop_in_the_browser_keeps_partial(browser: Any, http_app: AppProcess, backend: Any) -> None:
    backend.behaviour.reply = " ".join(f"word{i}" for i in range(300))
    backend.behaviour.token_delay = 0.03
    page = open_chat(browser, http_app.url)
    page.fill("#chat-input", "Tell me a long story")
    page.click("#chat-submit")
    page.wait_for_selector("#stop-button", timeout=10_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-step-type=\"assistant_message\"] .message-content')]"
        ".some(e => e.innerText.includes('word5'))",
        timeout=10_000,
    )
    page.click("#stop-button")
    page.wait_for_selector("#stop-button", state="detached", timeout=10_000)
    assert backend.wait_for(lambda: backend.received[-1].outcome == "disconnected", 5)
    texts = page.locator('[data-step-type="assistant_message"] .message-content').all_inner_texts()
    partial = [t for t in texts if "word0" in t]
    assert partial and "[stopped]" in partial[-1] and "word299" not in partial[-1]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-stopped.png"), full_page=True)
    page.close()
