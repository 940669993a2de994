"""Evaluating a stored snapshot with the configured baseline, overrides and waivers."""

from __future__ import annotations

import datetime as dt
from typing import Any

from driftwatch.config import Settings
from driftwatch.timeutil import parse_iso

from .catalogue import load_baseline
from .evaluate import ControlResult, Waiver, evaluate, failing_first


def waivers_of(settings: Settings) -> list[Waiver]:
    return [Waiver(w.control, w.workspace, w.reason, w.owner, w.expires) for w in settings.config.waivers]


def evaluate_snapshot(settings: Settings, snapshot: dict[str, Any], today: dt.date | None = None) -> list[ControlResult]:
    when = today or parse_iso(snapshot["taken_at"]).date()
    return evaluate(load_baseline(settings.config.controls), snapshot["settings"] or {},
                    snapshot.get("provenance") or {}, workspace=snapshot["workspace"],
                    waivers=waivers_of(settings), today=when)


def posture_report(settings: Settings, snapshot: dict[str, Any] | None, workspace: str, today: dt.date) -> dict[str, Any]:
    """The posture of one workspace as the CLI, Slack and the export show it."""
    if snapshot is None:
        return {"workspace": workspace, "taken_at": None, "complete": False, "errors": {},
                "summary": {"pass": 0, "fail": 0, "unknown": 0, "waived": 0},
                "controls": [], "note": "no snapshot yet: run `driftwatch snapshot`"}
    results = failing_first(evaluate_snapshot(settings, snapshot, today=today))
    return {
        "workspace": workspace,
        "taken_at": snapshot["taken_at"],
        "complete": bool(snapshot["complete"]),
        "errors": snapshot.get("errors") or {},
        "summary": {s: sum(1 for r in results if r.status == s) for s in ("pass", "fail", "unknown", "waived")},
        "controls": [r.as_dict() for r in results],
    }
