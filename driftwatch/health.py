"""The dead-man's switch: is driftwatch still doing its job? A pure rule plus what feeds it.

``/healthz`` answers 503 with the reasons, so an external monitor can page, when

- the worker has not finished a check for three of its (shortest) check intervals,
- a collector has failed in every snapshot for a day, or
- an audit-log cursor has not moved for two days.

The worker posts one Slack alert when each condition starts and one when it clears.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Mapping

from .config import Settings
from .store import Store
from .timeutil import parse_iso

STALE_CHECK_INTERVALS = 3
COLLECTOR_FAILING = dt.timedelta(days=1)
CURSOR_STUCK = dt.timedelta(days=2)


@dataclass(frozen=True)
class Problem:
    code: str  # stable per condition: "checks_stale", "collector_failing:acme/compliance", ...
    reason: str

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "reason": self.reason}


def problems(now: dt.datetime, *, check_interval: float | None, last_check: dt.datetime | None,
             watching_since: dt.datetime | None, collectors_failing: Mapping[str, dt.datetime],
             cursors_moved: Mapping[str, dt.datetime]) -> list[Problem]:
    """The rule, on plain values: what is wrong now (empty when healthy)."""
    found: list[Problem] = []
    if check_interval:
        limit = dt.timedelta(seconds=check_interval * STALE_CHECK_INTERVALS)
        reference = last_check or watching_since
        if reference is not None and now - reference > limit:
            what = f"the last check finished {_ago(now - reference)} ago" if last_check else \
                f"no check has finished in the {_ago(now - reference)} since the first run"
            found.append(Problem("checks_stale", f"{what} (more than {STALE_CHECK_INTERVALS} check intervals, "
                                                 f"{_ago(limit)}): is the worker running?"))
    for name, since in sorted(collectors_failing.items()):
        if now - since >= COLLECTOR_FAILING:
            found.append(Problem(f"collector_failing:{name}", f"collector {name} has failed for {_ago(now - since)}"))
    for name, moved in sorted(cursors_moved.items()):
        if now - moved >= CURSOR_STUCK:
            found.append(Problem(f"cursor_stuck:{name}", f"the {name} log cursor has not moved for {_ago(now - moved)}"))
    return found


def assess(settings: Settings, store: Store, now: dt.datetime) -> list[Problem]:
    """Read what the rule needs from the database."""
    intervals = [s.interval_seconds for s in settings.sources if s.enabled]
    last = store.last_finished_run("check")
    first = store.first_run_at()
    failing: dict[str, dt.datetime] = {}
    for workspace in settings.config.workspaces:
        for collector, since in store.collector_failing_since(workspace.name).items():
            failing[f"{workspace.name}/{collector}"] = parse_iso(since)
    moved = {f"{c['workspace']}/{c['collector']}": parse_iso(c["updated_at"]) for c in store.cursors()
             if c.get("updated_at")}
    return problems(now, check_interval=min(intervals) if intervals else None,
                    last_check=parse_iso(last) if last else None, watching_since=parse_iso(first) if first else None,
                    collectors_failing=failing, cursors_moved=moved)


def healthz(settings: Settings, store: Store, now: dt.datetime) -> tuple[bool, dict[str, Any]]:
    """The body of ``/healthz``: ok, or unhealthy with every reason."""
    found = assess(settings, store, now)
    if not found:
        return True, {"status": "ok", "schema_version": store.schema_version}
    return False, {"status": "unhealthy", "reason": "; ".join(p.reason for p in found),
                   "problems": [p.as_dict() for p in found], "schema_version": store.schema_version}


def alerts_to_send(current: list[Problem], open_alerts: Mapping[str, str]) -> tuple[list[Problem], list[str]]:
    """Which conditions to announce (new) and which open ones to clear; ``open_alerts``: code -> opened key."""
    codes = {p.code for p in current}
    raise_ = [p for p in current if p.code not in open_alerts]
    clear = [code for code in open_alerts if code not in codes]
    return raise_, clear


def open_alerts(rows: list[dict[str, Any]]) -> dict[str, str]:
    """From queued health alerts (``health:CODE@OPENED`` / ``health-clear:CODE@OPENED``): the open ones."""
    state: dict[str, str] = {}
    for row in rows:
        kind, _, rest = row["dedupe_key"].partition(":")
        code, _, opened = rest.rpartition("@")
        if kind == "health":
            state[code] = opened
        elif state.get(code) == opened:
            del state[code]
    return state


def cleared_words(code: str) -> str:
    kind, _, name = code.partition(":")
    return {"checks_stale": "checks are finishing again",
            "collector_failing": f"collector {name} works again",
            "cursor_stuck": f"the {name} log cursor moves again"}.get(kind, f"{code} cleared")


def _ago(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    if seconds >= 2 * 86400:
        return f"{seconds // 86400} days"
    if seconds >= 7200:
        return f"{seconds // 3600} hours"
    if seconds >= 120:
        return f"{seconds // 60} minutes"
    return f"{seconds} seconds"
