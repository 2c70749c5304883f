"""History in a real browser, from a fresh start in the default mode (no sign-in, bound to loopback).

Chat, reload: the chat is in the sidebar; the search box finds a word of its second message;
the header's "Export all" link downloads every conversation with the route of each answer, and
the single-conversation exports come in both formats; a deleted chat comes back by importing its
export through the Import command's file upload, and a ChatGPT export is imported the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.app_process import AppProcess
from tests.support.browser import CHROMIUM, CHROMIUM_ARGS
from tests.support.openai_server import OpenAIServer

pytestmark = pytest.mark.e2e

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHATGPT = Path(__file__).resolve().parents[1] / "data" / "history" / "chatgpt-conversations.json"
ANSWERS = '[data-step-type="assistant_message"] .message-content'


@pytest.fixture(scope="module")
def app(http_backend: OpenAIServer, foundry_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppProcess]:
    db = tmp_path_factory.mktemp("browser-history") / "chat.db"
    env = {"BASE_URL": http_backend.base_url, "FOUNDRY_CACHE_DIR": str(foundry_cache), "CHAT_DB_URL": f"sqlite+aiosqlite:///{db}"}
    with AppProcess(env) as proc:  # the defaults otherwise: no sign-in, no LOCAL_HISTORY
        yield proc


@pytest.fixture(scope="module")
def page(app: AppProcess) -> Iterator[Any]:
    if not Path(CHROMIUM).is_file():
        pytest.fail(f"{CHROMIUM} missing: scripts/test.sh installs Debian's chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True, base_url=app.url)
        context.route(
            "**/*", lambda r: r.continue_() if urlsplit(r.request.url).hostname == "127.0.0.1" else r.abort()
        )
        page = context.new_page()
        page.goto(app.url)
        page.wait_for_selector("#chat-input", timeout=30_000)
        try:
            yield page
        except Exception:
            raise
        finally:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "history-last.png"))
            browser.close()


def send(page: Any, text: str) -> None:
    before = page.locator(ANSWERS).count()
    page.fill("#chat-input", text)
    page.wait_for_selector("#chat-submit:not([disabled])", timeout=10_000)
    page.click("#chat-submit")
    page.wait_for_function(f"n => document.querySelectorAll('{ANSWERS}').length > n", arg=before, timeout=30_000)
    page.wait_for_selector("#stop-button", state="detached", timeout=30_000)


def threads(page: Any) -> list[dict[str, Any]]:
    r = page.request.post("/project/threads", data={"pagination": {"first": 50, "cursor": None}, "filter": {}})
    assert r.ok, r.text()
    return list(r.json()["data"])


def run_command(page: Any, name: str) -> None:
    try:
        page.wait_for_selector("#command-button", timeout=30_000)
    except Exception as exc:  # seen once in a loaded full run, not reproduced: say what the page showed
        body = page.locator("body").inner_text()
        raise AssertionError(f"no command button on {page.url}; the page shows: {body[-1500:]!r}") from exc
    page.click("#command-button")
    page.locator("#command-popover").get_by_text(name, exact=True).click()
    page.fill("#chat-input", name.lower())
    page.wait_for_selector("#chat-submit:not([disabled])", timeout=10_000)
    page.click("#chat-submit")


def upload_through_import_command(page: Any, path: Path) -> str:
    before = page.locator(ANSWERS).count()
    run_command(page, "Import")
    dropzone = page.get_by_text("Drag and drop files here").last
    dropzone.wait_for(timeout=10_000)
    # The prompt's dropzone may render its input again right after it appears; files set on the
    # replaced input upload nothing, so set them again (at most 3 times) until the upload is seen.
    for attempt in range(3):
        try:
            with page.expect_response(lambda r: "/project/file" in r.url and r.request.method == "POST", timeout=5_000) as upload:
                page.get_by_text("Drag and drop files here").last.locator(
                    "xpath=ancestor::div[.//input[@type='file']][1]//input[@type='file']"
                ).set_input_files(str(path))
            break
        except Exception:
            if attempt == 2:
                raise
    assert upload.value.ok, upload.value.text()
    page.wait_for_function(
        f"n => [...document.querySelectorAll('{ANSWERS}')].slice(n).some(e => e.innerText.includes('imported'))",
        arg=before + 1,
        timeout=30_000,
    )
    return str(page.locator(ANSWERS).last.inner_text())


def test_chat_reload_search_export_import(page: Any, app: AppProcess, tmp_path: Path) -> None:
    send(page, "Tell me about lighthouses")
    send(page, "And what does a Fresnel lens do?")
    (thread,) = threads(page)
    page.reload()
    page.wait_for_selector(f"#thread-{thread['id']}", timeout=30_000)  # in the sidebar after a reload

    page.click("#search-chats-button")
    page.get_by_placeholder("Search conversations...").fill("fresnel")
    page.get_by_role("option").filter(has_text="Tell me about lighthouses").wait_for(timeout=10_000)
    page.keyboard.press("Escape")

    with page.expect_download() as download:
        page.locator('a[href="/export/all.json"]').first.click()
    saved = tmp_path / "all.json"
    download.value.save_as(saved)
    everything = json.loads(saved.read_text())
    (conversation,) = everything["conversations"]
    routes = [m["route"] for m in conversation["messages"] if m["role"] == "assistant"]
    assert len(routes) == 2 and all(r["target"] == "local" and r["model"] and r["line"] for r in routes), routes
    exported = page.request.get(f"/export/{thread['id']}.json")
    markdown = page.request.get(f"/export/{thread['id']}.md")
    assert exported.ok and markdown.ok and "> route: local" in markdown.text()
    (tmp_path / "one.json").write_bytes(exported.body())

    assert page.request.delete("/project/thread", data={"threadId": thread["id"]}).ok
    page.goto(app.url)
    page.wait_for_selector("#chat-input", timeout=30_000)
    assert "1 conversation imported" in upload_through_import_command(page, tmp_path / "one.json")
    assert "2 conversations imported" in upload_through_import_command(page, CHATGPT)
    page.reload()
    names = {t["name"] for t in threads(page)}
    assert {"Tell me about lighthouses", "Sourdough starter help", "Håndlaget smørbrød"} <= names, names
    restored = next(t for t in threads(page) if t["name"] == "Tell me about lighthouses")
    page.wait_for_selector(f"#thread-{restored['id']}", timeout=30_000)
