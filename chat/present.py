"""Text the UI shows: the welcome, progress, the route line and its expanded decision."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from privacy import describe
from routing.decision import Decision

if TYPE_CHECKING:
    from chat.runtime import AppRuntime, Progress

__all__ = ["GONE_MARK", "STOPPED_MARK", "progress_text", "route_details", "welcome_text"]

STOPPED_MARK = "\n\n*[stopped]*"
GONE_MARK = "\n\n*[interrupted: the browser went away before this answer finished]*"


STALL_SECONDS = 3.0
"""No progress for this long while downloading: say the runtime is retrying (it retries blobs itself)."""


def _mb(n: int) -> str:
    return f"{n / 1e6:,.1f} MB"


def progress_text(progress: Progress, now: float | None = None) -> str:
    """The startup message; while downloading, bytes and an estimate that counts down as `now` moves."""
    bar = ""
    if progress.fraction is not None:
        filled = int(progress.fraction * 20)
        bar = f"\n\n`{'█' * filled}{'░' * (20 - filled)}` {progress.fraction:.0%}"
    download = progress.download
    if download is not None and download.fraction < 1:
        now = time.monotonic() if now is None else now
        quiet = max(0.0, now - download.at)
        if download.done_bytes is not None and download.total_bytes:
            bar += f" · ≈{_mb(download.done_bytes)} of {_mb(download.total_bytes)}"
        if quiet >= STALL_SECONDS:
            bar += f" · no progress for {quiet:.0f}s: the model store is not answering, Foundry Local is retrying…"
        elif download.eta_seconds is not None:
            bar += f" · about {max(1, round(download.eta_seconds - quiet))}s left"
    return f"⏳ {progress.text}{bar}"


def welcome_text(runtime: AppRuntime) -> str:
    if runtime.state == "starting":
        return progress_text(runtime.progress)
    if runtime.state == "failed":
        return f"**No model can answer.** {runtime.error}\n\nFix the setting named above (see `.env.example`) and restart the app."
    assert runtime.local is not None
    settings = runtime.settings
    lines = [f"Answering with **{runtime.local.description}**."]
    if settings.cloud is None:
        lines.append("Route: **local only** — no cloud target is configured, so nothing leaves this machine.")
    else:
        guard = (
            "privacy guard **on**: personal data and secrets never go to the cloud"
            if settings.routing.privacy_guard
            else "⚠️ privacy guard **OFF** (PRIVACY_GUARD=off): private data may be sent to the cloud"
        )
        lines.append(
            f"Route: **{settings.routing.policy}** between local and cloud (**{settings.cloud.model}**); {guard}."
        )
    if runtime.local.notice:
        lines.append(f"\n> ⚠️ {runtime.local.notice}")
    return "\n".join(lines)


def route_details(decision: Decision) -> str:
    """The full decision, shown when the route line under an answer is expanded."""
    d = decision.as_dict()
    rows = [
        f"**Answered by:** {d['target']} · {d['model'] or 'default model'}",
        f"**Policy:** {d['policy']}" + (f" — {d['reason']}" if d["reason"] else ""),
    ]
    signals = d["signals"]
    if isinstance(signals, dict) and (privacy := _privacy_row(signals)):
        rows.append(privacy)
    if isinstance(signals, dict) and signals:
        rows.append("**Signals:** " + ", ".join(f"{k}={_value(v)}" for k, v in signals.items()))
    timing = []
    if d["ttft_ms"] is not None:
        timing.append(f"first token {d['ttft_ms']:.0f} ms")
    if d["duration_ms"] is not None:
        timing.append(f"total {d['duration_ms']:.0f} ms")
    if d["completion_tokens"] is not None:
        timing.append(f"{d['completion_tokens']} tokens")
    if d["tokens_per_second"] is not None:
        timing.append(f"{d['tokens_per_second']:.0f} tok/s")
    if timing:
        rows.append("**Timing:** " + " · ".join(timing))
    if d["continued_on"]:
        by = f" · {d['continued_model']}" if d.get("continued_model") else ""
        rows.append(f"**Continued on:** {d['continued_on']}{by} after a failure mid-answer")
    attempts = d["attempts"]
    if isinstance(attempts, list) and attempts:
        rows.append("\n| # | target | outcome | time | error |\n|---|---|---|---|---|")
        for i, a in enumerate(attempts, 1):
            ms = f"{a['duration_ms']:.0f} ms" if a.get("duration_ms") is not None else "–"
            rows.append(f"| {i} | {a['target']} | {a['outcome']} | {ms} | {a['error'] or ''} |")
    head = [r for r in rows if not r.startswith("|") and not r.startswith("\n|")]
    table = [r for r in rows if r.startswith("|") or r.startswith("\n|")]
    return "\n\n".join(head) + ("\n" + "\n".join(table) if table else "")


def _privacy_row(signals: dict[str, object]) -> str:
    """What the guard found, by kind only (never a value)."""
    if signals.get("privacy_guard") == "off":
        return "**Privacy:** guard off (PRIVACY_GUARD=off)"
    if "privacy_error" in signals:
        return f"**Privacy:** check failed ({signals['privacy_error']}): kept on this machine"
    kinds = signals.get("private")
    if not isinstance(kinds, list):
        return ""
    if not kinds:
        return "**Privacy:** scanned every message: no personal data or secrets found"
    where = " (split across messages)" if signals.get("private_across_messages") else ""
    return f"**Privacy:** found {', '.join(describe(str(k)) for k in kinds)}{where}: kept on this machine"


def _value(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(f"`{v}`" for v in value) if value else "none"
    return f"`{value}`"
