"""Shared helpers for the benchmarks: generated pages, a loopback server, timing, output.

Benchmarks are not tests: each script prints one JSON object of results on
stdout's last line and a readable table before it. Data is generated, never
downloaded; every server is on 127.0.0.1.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import random
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WORDS = ("workspace admins can now enable write actions for the connector members data retention audit log "
         "compliance export agent mode scheduled tasks files folders calendar events messages channels "
         "sharing policy default roles groups SSO SCIM allowlist model picker faster canvas toolbar "
         "improvements bug fixes pricing seats projects memory deep research codex cloud sandbox").split()
TEMPLATES = (
    "{C} app can now create and update {o}. Write actions remain disabled by default; admins can enable them.",
    "{C} write actions are now enabled by default for all members of the workspace.",
    "The audit log now records {o} changes with the acting admin and IP address.",
    "Responses for {o} are now faster and the {o} toolbar has a cleaner layout.",
    "Agents can now run scheduled tasks that use {C} without a person starting them.",
    "{M} is now available in the model picker with higher rate limits.",
)
CONNECTORS = ("Box", "Dropbox", "Notion", "Linear", "GitHub", "Slack", "Google Drive", "SharePoint", "Outlook", "Teams")
OBJECTS = ("files", "folders", "events", "messages", "issues", "documents", "pages", "tickets")
MODELS = ("GPT-5.2", "GPT-5.1 Instant", "o4-mini", "GPT-4.1")


def entry_text(rng: random.Random, i: int) -> tuple[str, str]:
    template = rng.choice(TEMPLATES)
    body = template.format(C=rng.choice(CONNECTORS), o=rng.choice(OBJECTS), M=rng.choice(MODELS))
    body += " " + " ".join(rng.choice(WORDS) for _ in range(rng.randint(15, 40))) + "."
    title = f"{rng.choice(CONNECTORS)} update {i}: " + " ".join(rng.choice(WORDS) for _ in range(4))
    return title, body


def release_page(source: int, entries: int, *, edit: int | None = None, seed: int = 1) -> bytes:
    """A help-center page in the current layout: an <h1> date, then one <h2> per change."""
    rng = random.Random(seed * 1000 + source)
    start = dt.date(2026, 6, 1)
    parts = ["<html><head><title>Release notes</title></head><body><nav>Help</nav><main><div class='article-content'>"]
    for i in range(entries):
        day = start - dt.timedelta(days=i // 2)
        if i % 2 == 0:
            parts.append(f"<h1>{day:%B} {day.day}, {day.year}</h1>")
        title, body = entry_text(rng, i)
        if edit is not None and i == edit:
            body += " (Updated: admins must now approve it.)"
        parts.append(f"<h2 id='e{i}'>{title}</h2><p>{body}</p><ul><li>{rng.choice(WORDS)} detail</li></ul>")
    parts.append("</div></main><footer>Copyright</footer></body></html>")
    return "".join(parts).encode()


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, int(round(q / 100 * (len(ordered) - 1)))))
    return ordered[index]


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "date": dt.date.today().isoformat()}


def report(name: str, rows: list[tuple[str, Any, Any, Any]], results: dict[str, Any]) -> None:
    """A readable table (metric, value, target, ok) then the JSON object on the last line."""
    width = max(len(r[0]) for r in rows) + 2
    print(f"{name}")
    print(f"{'metric':<{width}}{'value':>14}  {'target':>12}  ok")
    for metric, value, target, ok in rows:
        shown = f"{value:.3f}" if isinstance(value, float) else str(value)
        print(f"{metric:<{width}}{shown:>14}  {str(target):>12}  {'' if ok is None else ('yes' if ok else 'NO')}")
    print(json.dumps({"benchmark": name, "machine": machine(), **results}, sort_keys=True))


def mean(values: list[float]) -> float:
    return statistics.fmean(values) if values else 0.0
