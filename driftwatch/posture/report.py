"""Evaluating a stored snapshot with the configured baseline, overrides and waivers; posture reports."""

from __future__ import annotations

import datetime as dt
from typing import Any

from driftwatch.config import Settings
from driftwatch.timeutil import parse_iso

from .catalogue import load_baseline
from .evaluate import STATUSES, ControlResult, Waiver, evaluate, failing_first


def waivers_of(settings: Settings) -> list[Waiver]:
    return [Waiver(w.control, w.workspace, w.reason, w.owner, w.expires) for w in settings.config.waivers]


def vendor_of(settings: Settings, workspace: str) -> str:
    """The vendor of a configured workspace ("openai" when it is not, or no longer, configured)."""
    for configured in settings.config.workspaces:
        if configured.name == workspace:
            return configured.vendor
    return "openai"


def evaluate_snapshot(settings: Settings, snapshot: dict[str, Any], today: dt.date | None = None) -> list[ControlResult]:
    when = today or parse_iso(snapshot["taken_at"]).date()
    vendor = vendor_of(settings, snapshot["workspace"])
    return evaluate(load_baseline(settings.config.controls, vendor), snapshot["settings"] or {},
                    snapshot.get("provenance") or {}, workspace=snapshot["workspace"],
                    waivers=waivers_of(settings), today=when)


def stale_attestations(snapshot: dict[str, Any] | None) -> list[dict[str, Any]]:
    """Attested settings an audit event changed since: each with who, when and a "re-attest" message.

    The attest modal should show these above its inputs, so the admin looks again at exactly them.
    """
    return list((snapshot or {}).get("stale") or [])


def audit_log_health(store: Any, workspace: str) -> dict[str, Any]:
    """Log files not applied (the retry list), files with skipped lines, and unmapped actions."""
    files = store.audit_files(workspace)
    return {
        "pending_files": [{k: f.get(k) for k in ("collector", "file_id", "end_time", "status", "reason", "attempts",
                                                  "first_failed_at", "last_attempt_at", "change_ref")}
                          for f in files if f["status"] in ("retrying", "reported", "expired")],
        "skipped_lines": sum(int(f.get("bad_lines") or 0) for f in files),
        "files_applied": sum(1 for f in files if f["status"] == "applied"),
        "unmapped_actions": store.unmapped_actions(workspace),
    }


def posture_report(settings: Settings, snapshot: dict[str, Any] | None, workspace: str, today: dt.date,
                   store: Any = None) -> dict[str, Any]:
    """The posture of one workspace as the CLI, Slack and the export show it."""
    vendor = vendor_of(settings, workspace)
    extra = audit_log_health(store, workspace) if store is not None else {}
    if snapshot is None:
        return {"workspace": workspace, "vendor": vendor, "taken_at": None, "complete": False, "errors": {},
                "gaps": [], "stale_attestations": [], **extra,
                "summary": {s: 0 for s in STATUSES},
                "controls": [], "note": "no snapshot yet: run `driftwatch snapshot`"}
    results = failing_first(evaluate_snapshot(settings, snapshot, today=today))
    return {
        "workspace": workspace,
        "vendor": vendor,
        "taken_at": snapshot["taken_at"],
        "complete": bool(snapshot["complete"]),
        "errors": snapshot.get("errors") or {},
        "gaps": snapshot.get("gaps") or [],
        "stale_attestations": stale_attestations(snapshot),
        **extra,
        "summary": {s: sum(1 for r in results if r.status == s) for s in STATUSES},
        "controls": [r.as_dict() for r in results],
    }


def workspace_summaries(settings: Settings, store: Any, now: dt.datetime) -> list[dict[str, Any]]:
    """One line of posture per workspace for the digest (CLI and Slack): counts, drift, completeness.

    ``newly_failing`` comes from the state machine of the latest snapshot, so an outage in
    between does not count a control that had been failing all along.
    """
    from .drift import compare

    out = []
    soon = now.date() + dt.timedelta(days=14)
    for workspace in settings.config.workspaces:
        snaps = store.snapshots(workspace.name, 2)
        if not snaps:
            continue
        current = evaluate_snapshot(settings, snaps[0], today=now.date())
        drift = snaps[0].get("drift")
        if not isinstance(drift, dict):  # recorded before drift was stored with the snapshot
            previous = evaluate_snapshot(settings, snaps[1]) if len(snaps) > 1 else None
            drift = compare(previous, current, None, {}).counts()
        expiring = [w.control for w in settings.config.waivers
                    if w.workspace in ("*", workspace.name) and now.date() <= w.expires <= soon]
        health = audit_log_health(store, workspace.name)
        out.append({
            "workspace": workspace.name, "vendor": workspace.vendor, "taken_at": snaps[0]["taken_at"],
            "complete": bool(snaps[0]["complete"]), "errors": snaps[0].get("errors") or {},
            "gaps": snaps[0].get("gaps") or [],
            "counts": {s: sum(1 for r in current if r.status == s) for s in STATUSES},
            "newly_failing": int(drift.get("newly_failing", 0)), "expiring": expiring,
            "stale_attestations": stale_attestations(snaps[0]),
            "pending_log_files": health["pending_files"], "unmapped_actions": health["unmapped_actions"],
        })
    return out
