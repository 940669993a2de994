"""The tool's own rules as evidence: waivers, overrides and baseline versions (pure).

An exception that weakens a control (a waiver, a lower severity, a laxer
expected value) is itself a security-relevant change: each addition, extension,
removal or override becomes one change item, so none can be made quietly.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Mapping

from driftwatch.models import Classification, NewChange

from .catalogue import Control

FIRST_SEEN = "__recorded__"


def rule_state_of(waivers: list[Any], overrides: Mapping[str, Any], baseline: list[Control]) -> dict[str, Any]:
    """The rules in force, as flat key -> value pairs that compare cleanly."""
    state: dict[str, Any] = {}
    for waiver in waivers:
        state[f"waiver:{waiver.control}:{waiver.workspace}"] = {
            "reason": waiver.reason, "owner": waiver.owner, "expires": waiver.expires.isoformat()}
    for cid, override in overrides.items():
        if getattr(override, "severity", None):
            state[f"override:{cid}:severity"] = override.severity
        if getattr(override, "expected", None) is not None:
            state[f"override:{cid}:expected"] = override.expected
    for control in baseline:
        state[f"baseline:{control.id}"] = control.version
    return state


def _show(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _describe(key: str, before: Any, after: Any, baseline: Mapping[str, Control]) -> tuple[str, str, list[str]]:
    """(title, severity, reasons) for one rule change."""
    kind, _, rest = key.partition(":")
    if kind == "waiver":
        control, _, workspace = rest.rpartition(":")
        where = "every workspace" if workspace == "*" else workspace
        if before is None:
            return (f"Waiver added: {control} for {where} until {after['expires']}", "medium",
                    [f"owner {after['owner']}: {after['reason']}"])
        if after is None:
            return f"Waiver removed: {control} for {where}", "low", [f"was until {before['expires']} ({before['owner']})"]
        if after["expires"] > before["expires"]:
            return (f"Waiver extended: {control} for {where} from {before['expires']} to {after['expires']}", "medium",
                    [f"owner {after['owner']}: {after['reason']}"])
        return (f"Waiver changed: {control} for {where}", "low",
                [f"{name}: {_show(before[name])} -> {_show(after[name])}" for name in ("reason", "owner", "expires")
                 if before.get(name) != after.get(name)])
    if kind == "override":
        control, _, field = rest.rpartition(":")
        default = baseline[control].severity if field == "severity" and control in baseline else (
            baseline[control].expected if control in baseline else None)
        if after is None:
            return f"Override removed: {field} of {control}", "low", [f"was {_show(before)}; back to {_show(default)}"]
        old = default if before is None else before
        return (f"Override: {field} of {control} set to {_show(after)}", "medium",
                [f"baseline {_show(default)}, previously {_show(old)}, now {_show(after)}"])
    control = rest
    if before is None:
        return f"Baseline: new control {control} (version {after})", "low", []
    if after is None:
        return f"Baseline: control {control} removed", "medium", [f"was version {before}"]
    return f"Baseline: {control} is now version {after}", "low", [f"was version {before}"]


def rule_changes(before: Mapping[str, Any], after: Mapping[str, Any], baseline: Mapping[str, Control],
                 now: str) -> list[NewChange]:
    """One change per rule added, changed or removed since ``before`` (the state last recorded).

    The first time (nothing recorded yet) the waivers and overrides in force are reported as
    added, and the baseline is only recorded: its controls are not news.
    """
    first = FIRST_SEEN not in before
    changes = []
    for key in sorted(set(before) | set(after)):
        if key == FIRST_SEEN or before.get(key) == after.get(key):
            continue
        if first and key.startswith("baseline:"):
            continue
        title, severity, reasons = _describe(key, before.get(key), after.get(key), baseline)
        if first and before.get(key) is None:
            reasons.append("in force when driftwatch first recorded its rules")
        digest = hashlib.sha256(json.dumps([key, before.get(key), after.get(key)], sort_keys=True,
                                           default=str).encode()).hexdigest()[:12]
        workspace = key.rpartition(":")[2] if key.startswith("waiver:") else None
        changes.append(NewChange(
            kind="rule_changed", title=title, dedupe_key=f"rule:{key}:{digest}:{now}",
            workspace=None if workspace in (None, "*") else workspace,
            control_id=key.split(":")[1] if ":" in key else None,
            summary="A change to driftwatch's own rules (config waivers and overrides, or the shipped baseline).",
            date=now[:10],
            classification=Classification(True, severity, ["other"], reasons, "rules"),
            details={"rule": key, "before": before.get(key), "after": after.get(key), "changed_at": now},
        ))
    return changes
