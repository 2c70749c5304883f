"""A new user's first run: the app started with MODEL=<alias> against a loopback catalog mirror.

The chat page (over socket.io, as the page talks) sees the download's progress message move —
bar, percentage, bytes, an estimate — then a welcome naming the catalog model, then an answer.
/readyz and /metrics report the download meanwhile. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support.app_process import AppProcess
from tests.support.foundry_mirror import FoundryMirror
from tests.support.sio_client import ChatClient

ALIAS = "tiny-chat-test"
MIB = 1024 * 1024
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


async def test_first_run_downloads_with_visible_progress_then_answers(tmp_path: Path) -> None:
    # 12 MiB at 3 MB/s: a ~4 s download
    with FoundryMirror(alias=ALIAS, pad_bytes=12 * MIB, bytes_per_second=3e6) as mirror:
        env = {**mirror.env(), "FOUNDRY_CACHE_DIR": str(tmp_path), "OFFLINE_FALLBACK": "off", "DEVICE": "cpu", "MAX_TOKENS": "64"}
        with AppProcess(env, wait_ready=False) as app:
            readyz: list[dict[str, Any]] = []
            gauges: list[float] = []
            async with httpx.AsyncClient(base_url=app.url, timeout=5) as http:
                while True:  # the server answers while the model is still being resolved
                    try:
                        if (await http.get("/healthz")).status_code == 200:
                            break
                    except httpx.TransportError:
                        pass
                    assert app.proc is not None and app.proc.poll() is None, app.log()[-3000:]
                    await asyncio.sleep(0.05)

                client = ChatClient(app.url)
                updates: list[tuple[float, str]] = []
                record = client._message_handler("update_message")

                async def on_update(data: dict[str, Any]) -> None:
                    updates.append((time.monotonic(), data.get("output", "")))
                    await record(data)

                client.sio.on("update_message", on_update)
                await client.connect()
                deadline = time.monotonic() + 60
                while time.monotonic() < deadline:
                    r = await http.get("/readyz")
                    if r.status_code == 200:
                        break
                    readyz.append(r.json())
                    metrics = (await http.get("/metrics")).text
                    gauges.append(float(re.search(r"^foundry_chat_model_download_progress (\S+)$", metrics, re.M)[1]))  # type: ignore[index]
                    await asyncio.sleep(0.25)
                else:
                    raise AssertionError(f"never ready:\n{app.log()[-3000:]}")
                await asyncio.sleep(1.0)  # the progress message turns into the welcome within 0.5 s

                metrics = (await http.get("/metrics")).text
                assert "foundry_chat_model_download_progress 1.0" in metrics

            downloading = [(t, text) for t, text in updates if "Downloading" in text]
            assert len(downloading) >= 3, updates
            span = downloading[-1][0] - downloading[0][0]
            gaps = [b[0] - a[0] for a, b in zip(downloading, downloading[1:], strict=False)]
            assert max(gaps) <= 1.5, f"the progress message went {max(gaps):.1f}s without an update"
            percents = [int(m[1]) for _, text in downloading if (m := re.search(r"` (\d+)%", text))]
            assert percents == sorted(percents) and percents[-1] > percents[0], percents
            assert any("MB of" in text and "left" in text and "█" in text for _, text in downloading), downloading[-1]

            with_download = [b for b in readyz if "download" in b]
            assert with_download and with_download[-1]["state"] == "starting"
            assert with_download[-1]["download"]["total_bytes"] == 12 * MIB
            assert any(0 < g < 1 for g in gauges), gauges

            welcome = updates[-1][1]
            assert ALIAS in welcome and "Answering with" in welcome, welcome
            turn = await client.send("Hello")
            # a short answer can arrive whole inside the stream_start frame, with no stream_token after it
            assert turn.frames and turn.assistant_texts()[-1].strip(), turn.all_texts()
            await client.sio.disconnect()
            print(f"download+load seen by the page: {span:.1f}s, {len(downloading)} updates, {len(downloading) / max(span, 0.1):.1f}/s")
        assert "engine: download tiny-chat-test-cpu:1 50%" in app.log()


def test_browser_sees_the_progress_bar_move_then_the_catalog_model_answers(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    from tests.e2e.test_browser_chat import ANSWERS, send
    from tests.support.browser import CHROMIUM, CHROMIUM_ARGS

    # The browser starts before the app, and the download takes ~6 s: under a loaded test run,
    # Chromium's own start took most of a 4-s download, and the page saw one percentage only.
    with FoundryMirror(alias=ALIAS, pad_bytes=12 * MIB, bytes_per_second=2e6) as mirror, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        env = {**mirror.env(), "FOUNDRY_CACHE_DIR": str(tmp_path), "OFFLINE_FALLBACK": "off", "DEVICE": "cpu", "MAX_TOKENS": "64"}
        with AppProcess(env, wait_ready=False) as app:
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(app.url + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, app.log()[-3000:]
                time.sleep(0.05)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.route("**/*", lambda route: route.continue_() if "127.0.0.1" in route.request.url else route.abort())
            page.goto(app.url)
            page.wait_for_selector(ANSWERS, timeout=30_000)
            ARTIFACTS.mkdir(exist_ok=True)
            seen: list[str] = []
            (ARTIFACTS / "catalog-downloading.png").unlink(missing_ok=True)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                text = page.locator(ANSWERS).first.inner_text()
                if not seen or text != seen[-1]:
                    seen.append(text)
                    if "MB of" in text and not (ARTIFACTS / "catalog-downloading.png").exists():
                        page.screenshot(path=str(ARTIFACTS / "catalog-downloading.png"))
                if "Answering with" in text:
                    break
                time.sleep(0.2)
            bars = [t for t in seen if "Downloading" in t and "█" in t]
            percents = [int(m[1]) for t in bars if (m := re.search(r"(\d+)%", t))]
            assert len(set(percents)) >= 2 and percents == sorted(percents), seen
            assert ALIAS in seen[-1], seen[-1]
            page.screenshot(path=str(ARTIFACTS / "catalog-welcome.png"))
            assert send(page, "Hello").strip()
            browser.close()
